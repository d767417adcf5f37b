//go:build browser

package browsertest

import (
	"strings"
	"testing"
)

// tabReaches presses Tab from the top of the page until the focus has
// landed on each of want in this order (matched by name; other stops
// between them allowed), and then three times more, and checks that every
// stop shows where the focus is (:focus-visible, with an outline or a
// shadow drawn).
func (p *page) tabReaches(page string, want ...string) {
	p.t.Helper()
	p.fromTop()
	var stops []focusStop
	i, extra := 0, 0
	for len(stops) < 120 && extra < 3 {
		s := p.tab()
		if s.Tag == "body" {
			break // out of the document
		}
		stops = append(stops, s)
		if !s.Visible || !s.Indicator {
			p.t.Errorf("%s: focus on %s is not visible (focus-visible %v, outline or shadow %v)", page, s, s.Visible, s.Indicator)
		}
		switch {
		case i < len(want) && strings.Contains(strings.ToLower(s.Name), strings.ToLower(want[i])):
			i++
		case i == len(want):
			extra++
		}
	}
	if i < len(want) {
		p.t.Fatalf("%s: Tab never reached %q (after %v); the stops: %v", page, want[i], want[:i], stops)
	}
}

// TestKeyboard: the main controls of the sign-in page, the tickets list,
// a ticket (scrubber and actions) and the filing form are reached with Tab
// alone, in reading order, each with a visible focus; the sign-in works
// from the keyboard (Enter submits).
func TestKeyboard(t *testing.T) {
	l := ledger(t)
	p := newPage(t, "")
	p.open("/signin")
	p.tabReaches("sign-in", "skip to content", "ledger token", "sign in")

	p.focus(byLabel("ledger token"))
	p.typeKeys(l.SignInToken + "\r")
	p.waitFor("the tickets page after Enter", `location.pathname === "/tickets" && document.readyState === "complete"`)
	p.tabReaches("tickets", "skip to content", "tickets", "sla", "audit", "sign out", "status", "severity", "sla state", "product", "partner", "customer", "opened from", "opened before", "id starts with", "filter", "clear")

	// A ticket with action forms: the scrubber (Tab stops once on the
	// radio group, at the checked axis) and each action's disclosure.
	var list ticketList
	l.get(t, l.SignInToken, "/v1/tickets?status=open&limit=1", &list)
	p.open("/tickets/" + list.Tickets[0].ID)
	p.tabReaches("ticket", "skip to content", "tickets", "sign out", "recorded", "as of", "replay", "step to an event", "go", "record the first response", "add a note")

	f := newPage(t, tokenFor(t, sakura))
	f.open("/tickets/new")
	f.tabReaches("file a request", "customer", "reseller", "product", "severity", "non-critical", "title", "description", "name", "e-mail", "phone", "support language", "locale", "support plan", "entitlement", "filed at", "file the request")
}
