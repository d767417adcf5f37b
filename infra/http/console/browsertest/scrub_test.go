//go:build browser

package browsertest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// history is the API's GET /v1/tickets/{id}/history, as far as read here.
type history struct {
	Entries []struct {
		Type       string    `json:"type"`
		OccurredAt time.Time `json:"occurredAt"`
		RecordedAt time.Time `json:"recordedAt"`
	} `json:"entries"`
}

// asOfView is the API's GET /v1/tickets/{id}?asOf=&axis=, as far as read.
type asOfView struct {
	Exists bool `json:"exists"`
	Events int  `json:"events"`
	SLA    *struct {
		State    string `json:"state"`
		Verdict  string `json:"verdict"`
		NearMiss bool   `json:"nearMiss"`
		Deadline *struct {
			At time.Time `json:"at"`
		} `json:"deadline"`
		RespondedAt *time.Time `json:"respondedAt"`
	} `json:"sla"`
	NotYetRecorded []struct{} `json:"notYetRecorded"`
	NotYetOccurred []struct{} `json:"notYetOccurred"`
	Excluded       []struct{} `json:"excluded"`
}

// state is the SLA state as the console names it (a met near miss is
// near_miss).
func (v asOfView) state() string {
	switch {
	case v.SLA == nil:
		return ""
	case v.SLA.NearMiss:
		return "near_miss"
	case v.SLA.State != "":
		return v.SLA.State
	}
	return v.SLA.Verdict
}

// scrubbable finds a ticket with at least four events, one of them the
// first response, so the clock changes as the scrubber moves.
func scrubbable(t *testing.T, l *ledgerProc, tok string) (string, history) {
	t.Helper()
	var list ticketList
	l.get(t, tok, "/v1/tickets?sla=met&order=newest&limit=60", &list)
	for _, tk := range list.Tickets {
		var h history
		l.get(t, tok, "/v1/tickets/"+tk.ID+"/history", &h)
		if len(h.Entries) >= 4 {
			return tk.ID, h
		}
	}
	t.Fatal("no answered ticket with four events among the newest 60")
	return "", history{}
}

// sameClock checks that the ticket page, as the scrubber left it, shows
// the ticket and its SLA clock as the API answers for the same instant and
// axis: whether it existed, the events in the view, those the ledger had
// not recorded yet (occurred axis) or that had not occurred yet (recorded
// axis), the SLA state and the deadline in force.
func (p *page) sameClock(id string, at time.Time, axis string) {
	p.t.Helper()
	var want asOfView
	p.l.get(p.t, p.l.SignInToken, fmt.Sprintf("/v1/tickets/%s?asOf=%s&axis=%s", id, url.QueryEscape(at.UTC().Format(time.RFC3339Nano)), axis), &want)
	head := p.text("main h2")
	if !strings.Contains(head, axis+" axis") {
		p.t.Fatalf("as of %s on the %s axis, the page's heading says %q", at, axis, head)
	}
	if !want.Exists {
		if msg := p.text("main"); !strings.Contains(msg, "not been opened yet") {
			p.t.Fatalf("as of %s (%s), before the ticket existed, the page shows:\n%s", at, axis, msg)
		}
		return
	}
	summary := p.text(".scrubber p.muted")
	if !strings.Contains(summary, fmt.Sprintf("%d of ", want.Events)) {
		p.t.Fatalf("as of %s (%s) the API counts %d events in the view; the page says %q", at, axis, want.Events, summary)
	}
	for tag, n := range map[string]int{"not yet recorded": len(want.NotYetRecorded), "recorded ahead of its occurrence": len(want.NotYetOccurred), "not in this view": len(want.Excluded)} {
		if got := eval[int](p, fmt.Sprintf(`[...document.querySelectorAll(".timeline li .tag")].filter(e => e.innerText.includes(%s)).length`, jsString(tag))); got != n {
			p.t.Fatalf("as of %s (%s): %d timeline entries tagged %q, the API lists %d", at, axis, got, tag, n)
		}
	}
	badge := p.attr(byCSS("main .lead .badge[class*='sla-']"), "class")
	if state := want.state(); !strings.Contains(" "+badge+" ", " sla-"+state+" ") {
		p.t.Fatalf("as of %s (%s) the API's SLA state is %q; the page's badge is %q", at, axis, state, badge)
	}
	shown := eval[string](p, `(() => {
		for (const dt of document.querySelectorAll("main dt")) {
			if (dt.innerText.trim() === "Deadline in force") { const t = dt.parentElement.querySelector("dd time[datetime]"); return t ? t.getAttribute("datetime") : ""; }
		}
		return "";
	})()`)
	d, err := time.Parse(time.RFC3339Nano, shown)
	if want.SLA.Deadline == nil || err != nil || !d.Equal(want.SLA.Deadline.At) {
		p.t.Fatalf("as of %s (%s) the deadline in force shown is %q (%v); the API's: %+v", at, axis, shown, err, want.SLA.Deadline)
	}
}

// asOfOfPage is the instant and axis in the page's URL.
func (p *page) asOfOfPage() (time.Time, string) {
	p.t.Helper()
	u, err := url.Parse(p.location())
	if err != nil {
		p.t.Fatal(err)
	}
	q := u.Query()
	at, err := time.Parse(time.RFC3339Nano, q.Get("asOf"))
	if err != nil {
		zone, _ := time.LoadLocation(viewerZone)
		at, err = time.ParseInLocation("2006-01-02T15:04:05", q.Get("asOf"), zone)
	}
	if err != nil {
		p.t.Fatalf("the page's asOf %q: %v", q.Get("asOf"), err)
	}
	return at, q.Get("axis")
}

// TestScrubBothAxes: on a ticket's page the as-of scrubber replays the
// ticket on the occurred axis (an instant typed in the viewer's zone, then
// the next-event link) and on the recorded axis (an instant before it was
// recorded, then an event picked from the step list), and each time the
// page shows the ticket and its SLA clock as the API answers for the same
// instant and axis.
func TestScrubBothAxes(t *testing.T) {
	l := ledger(t)
	id, h := scrubbable(t, l, l.SignInToken)
	p := newPage(t, l.SignInToken)
	p.open("/tickets/" + id)
	p.checkPage("ticket")

	zone, err := time.LoadLocation(viewerZone)
	if err != nil {
		t.Fatal(err)
	}
	// Occurred axis: halfway between the first two events.
	mid := h.Entries[0].OccurredAt.Add(h.Entries[1].OccurredAt.Sub(h.Entries[0].OccurredAt) / 2).Truncate(time.Second)
	p.click(byLabel("occurred"))
	p.setValue(byLabel("as of"), mid.In(zone).Format("2006-01-02T15:04:05"))
	p.clickNav(byButton("replay"))
	p.sameClock(id, mid, "occurred")
	p.checkPage("ticket-asof-occurred")
	for range 2 {
		p.clickNav(byLink("next event"))
		at, axis := p.asOfOfPage()
		if axis != "occurred" || !at.After(mid) {
			t.Fatalf("next event went to %s on the %s axis, from %s on the occurred axis", at, axis, mid)
		}
		p.sameClock(id, at, axis)
		mid = at
	}

	// Recorded axis: a minute before the ledger recorded the ticket, then
	// the second event from the step list.
	before := h.Entries[0].RecordedAt.Add(-time.Minute).Truncate(time.Second)
	p.click(byLabel("recorded"))
	p.setValue(byLabel("as of"), before.In(zone).Format("2006-01-02T15:04:05"))
	p.clickNav(byButton("replay"))
	p.sameClock(id, before, "recorded")
	p.choose(byLabel("step to an event"), "#1 ")
	p.clickNav(byButton("go"))
	at, axis := p.asOfOfPage()
	if axis != "recorded" || at.Before(h.Entries[0].RecordedAt) {
		t.Fatalf("stepping to event #1 went to %s on the %s axis; the ticket was recorded at %s", at, axis, h.Entries[0].RecordedAt)
	}
	p.sameClock(id, at, axis)
	p.check("ticket as of (recorded)")
}
