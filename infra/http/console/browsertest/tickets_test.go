//go:build browser

package browsertest

import (
	"net/url"
	"strings"
	"testing"
)

// ticketList is the API's answer to GET /v1/tickets, as far as the tests
// read it.
type ticketList struct {
	Tickets []struct {
		ID        string `json:"id"`
		Severity  string `json:"severity"`
		PartnerID string `json:"partnerId"`
		Title     string `json:"title"`
		SLA       *struct {
			State string `json:"state"`
		} `json:"sla"`
	} `json:"tickets"`
	Next string `json:"next"`
}

func (tl ticketList) ids() []string {
	var ids []string
	for _, t := range tl.Tickets {
		ids = append(ids, t.ID)
	}
	return ids
}

// listed is the ticket ids the tickets page links to, in its order.
func (p *page) listed() []string {
	p.t.Helper()
	var ids []string
	for _, h := range p.hrefs("main table tbody a[href^='/tickets/']") {
		ids = append(ids, strings.TrimPrefix(h, "/tickets/"))
	}
	return ids
}

// TestFindBreachedSevA: a vendor engineer (the printed token) filters the
// list to breached Sev A tickets with the filter form, sees the same
// tickets as the API's listing with those filters, in the same order,
// each marked Sev A and breached, and opens the first.
func TestFindBreachedSevA(t *testing.T) {
	l := ledger(t)
	p := newPage(t, l.SignInToken)
	p.open("/tickets")
	p.screenshot("tickets")
	p.axeCheck("tickets")

	p.choose(byLabel("severity"), "A")
	p.choose(byLabel("SLA state"), "breached")
	p.clickNav(byButton("filter"))
	q, _ := url.ParseQuery(strings.SplitN(p.location(), "?", 2)[1])
	if q.Get("severity") != "A" || q.Get("sla") != "breached" {
		t.Fatalf("the filter form went to %s, want severity=A and sla=breached", p.location())
	}
	var want ticketList
	l.get(t, l.SignInToken, "/v1/tickets?severity=A&sla=breached&order=newest&limit=50", &want)
	if len(want.Tickets) == 0 {
		t.Fatal("the demo ledger has no breached Sev A ticket (the API lists none)")
	}
	got := p.listed()
	if strings.Join(got, " ") != strings.Join(want.ids(), " ") {
		t.Fatalf("breached Sev A tickets shown:\n%v\nthe API lists:\n%v", got, want.ids())
	}
	for i, r := range p.rows("main table") {
		if len(r) < 4 || r[1] != "A" || !strings.Contains(strings.ToLower(r[3]), "breach") {
			t.Fatalf("row %d of the breached Sev A list: %q, want Sev A and a breached SLA state", i, r)
		}
	}
	p.screenshot("tickets-breached-sev-a")
	p.axeCheck("tickets filtered")

	p.clickNav(byCSS("main table tbody a[href^='/tickets/']"))
	if h := p.text("h1"); !strings.Contains(h, want.Tickets[0].ID) {
		t.Fatalf("opened the first breached Sev A ticket, the page's heading is %q; want its id %s", h, want.Tickets[0].ID)
	}
}

// TestFindByIDPrefix: typing the first characters of a ticket's id into
// the id filter finds that ticket.
func TestFindByIDPrefix(t *testing.T) {
	l := ledger(t)
	var all ticketList
	l.get(t, l.SignInToken, "/v1/tickets?order=oldest&limit=5", &all)
	id := all.Tickets[len(all.Tickets)-1].ID
	p := newPage(t, l.SignInToken)
	p.open("/tickets")
	p.fill(byLabel("id starts with"), id[:8])
	p.clickNav(byButton("filter"))
	if got := p.listed(); len(got) != 1 || got[0] != id {
		t.Fatalf("the id filter %q lists %v, want just %s", id[:8], got, id)
	}
}
