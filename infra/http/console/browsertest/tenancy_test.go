//go:build browser

package browsertest

import (
	"regexp"
	"strings"
	"testing"
)

// TestResellerCannotSeeSibling: thames-digital and hudson-msp are both
// resellers of atlantic-channel. Signed in as either (thames-digital with
// the token serve --demo prints, hudson-msp with one made by `tokens
// create`), the list shows exactly the API's listing for that token and
// never the sibling's tickets or name; a sibling's ticket is the same "not
// found" page as an id never used; filtering or searching by the sibling
// or its ticket's id finds nothing.
func TestResellerCannotSeeSibling(t *testing.T) {
	l := ledger(t)
	t.Run("thames-digital", func(t *testing.T) {
		resellerSeesNoSibling(t, l, l.Logins[thamesLogin], "hudson-msp", "tickets-reseller")
	})
	t.Run("hudson-msp", func(t *testing.T) {
		resellerSeesNoSibling(t, l, tokenFor(t, hudson), "thames-digital", "")
	})
}

func resellerSeesNoSibling(t *testing.T, l *ledgerProc, tok, sibling, shot string) {
	var theirs ticketList
	l.get(t, tokenFor(t, auditor), "/v1/tickets?partnerId="+sibling+"&limit=20", &theirs)
	if len(theirs.Tickets) == 0 {
		t.Fatalf("the demo has no %s ticket to hide", sibling)
	}
	var own ticketList
	l.get(t, tok, "/v1/tickets?order=newest&limit=50", &own)
	if len(own.Tickets) == 0 {
		t.Fatal("the reseller sees no ticket through the API: nothing to compare")
	}

	p := newPage(t, tok)
	p.open("/tickets")
	shown := p.listed()
	if strings.Join(shown, " ") != strings.Join(own.ids(), " ") {
		t.Fatalf("the reseller's list:\n%v\nthe API's listing for the same token:\n%v", shown, own.ids())
	}
	html := eval[string](p, `document.documentElement.outerHTML`)
	for _, s := range theirs.Tickets {
		if strings.Contains(html, s.ID[:8]) {
			t.Fatalf("the reseller's tickets page mentions %s's ticket %s", sibling, s.ID)
		}
	}
	if strings.Contains(html, sibling) {
		t.Fatalf("the reseller's tickets page names %s", sibling)
	}
	if shot != "" {
		p.checkPage(shot)
	}

	hidden := theirs.Tickets[0].ID
	if code := p.status("/tickets/" + hidden); code != 404 {
		t.Fatalf("opening %s's ticket: HTTP %d, want 404", sibling, code)
	}
	hiddenPage := normalise(p.text("main"), hidden)
	p.check("not found")
	never := "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000"
	if code := p.status("/tickets/" + never); code != 404 {
		t.Fatalf("an id never used: HTTP %d, want 404", code)
	}
	if neverPage := normalise(p.text("main"), never); neverPage != hiddenPage {
		t.Fatalf("a sibling's ticket and an id never used answer differently:\n%q\n%q", hiddenPage, neverPage)
	}

	for _, filter := range []string{"partnerId=" + sibling, "idPrefix=" + hidden, "q=" + hidden[:8], "q=" + sibling} {
		p.open("/tickets?" + filter)
		if got := p.listed(); len(got) != 0 {
			t.Fatalf("the reseller's /tickets?%s lists %v", filter, got)
		}
	}
	p.open("/tickets/" + own.Tickets[0].ID) // its own ticket opens (200)
}

var correlationRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// normalise is a page's text with the asked-for id and any other uuid (a
// correlation id) blanked out.
func normalise(text, id string) string {
	return correlationRe.ReplaceAllString(strings.ReplaceAll(text, id, "ID"), "UUID")
}

// postForms is the actions of the forms on the page that post, other
// than signing out.
func (p *page) postForms() []string {
	p.t.Helper()
	return eval[[]string](p, `[...document.forms].filter(f => f.method === "post" && !f.action.endsWith("/signout")).map(f => f.getAttribute("action"))`)
}

// TestAuditorSeesNoActions: on an open ticket whose page offers a vendor
// engineer action forms, an auditor sees none (no form that posts other
// than signing out), on the ticket and on the list.
func TestAuditorSeesNoActions(t *testing.T) {
	l := ledger(t)
	var list ticketList
	l.get(t, l.SignInToken, "/v1/tickets?status=open&limit=1", &list)
	ticket := "/tickets/" + list.Tickets[0].ID

	eng := newPage(t, l.SignInToken)
	eng.open(ticket)
	if len(eng.postForms()) == 0 {
		t.Fatalf("the engineer's page of the open ticket %s offers no action: nothing to compare", ticket)
	}
	p := newPage(t, tokenFor(t, auditor))
	for _, path := range []string{"/tickets", ticket, "/tickets/new"} {
		p.open(path)
		if posts := p.postForms(); len(posts) != 0 {
			t.Fatalf("the auditor's %s has action forms: %v", path, posts)
		}
		if p.present(byLink("file a request")) {
			t.Fatalf("the auditor's %s links to filing a request", path)
		}
	}
	p.open(ticket)
	p.checkPage("ticket-auditor")
}
