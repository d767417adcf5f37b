package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/projections"
)

// A reseller never sees a sibling's ticket: its page is the same 404 as a
// ticket never filed, and the list does not show it.
func TestTenancySiblingTicketIsNotFound(t *testing.T) {
	f := theFixture(t)
	sibling := f.ticketOf(t, "hudson-msp")
	own := f.ticketOf(t, "thames-digital")
	b := f.browser(t)
	b.signIn("thames")

	if p := b.get("/tickets/" + own.ID); p.status != http.StatusOK {
		t.Fatalf("own ticket: %d", p.status)
	}
	hidden := b.get("/tickets/" + sibling.ID)
	missing := b.get("/tickets/" + "00000000-0000-4000-8000-000000000000")
	if hidden.status != http.StatusNotFound || missing.status != http.StatusNotFound {
		t.Fatalf("sibling %d, missing %d", hidden.status, missing.status)
	}
	if hidden.body != missing.body {
		t.Fatalf("a sibling's ticket reads unlike a missing one:\n%s\n----\n%s", hidden.body, missing.body)
	}
	lacks(t, hidden.body, sibling.ID)

	list := b.get("/tickets?partnerId=hudson-msp")
	lacks(t, list.body, sibling.ID)
	list = b.get("/tickets?idPrefix=" + sibling.ID[:8])
	lacks(t, list.body, sibling.ID)
	all := b.get("/tickets")
	if strings.Contains(all.body, "hudson-msp") {
		t.Fatalf("the reseller's list names its sibling")
	}
}

// The list's filters and search reach the API: opened between (dates in
// the viewer's zone), severity and the search box.
func TestTicketsListFilters(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	b.signIn("vendor")
	sevA := b.get("/tickets?severity=A")
	if sevA.status != http.StatusOK || strings.Contains(sevA.body, `<td class="sev">B</td>`) || !strings.Contains(sevA.body, `<td class="sev">A</td>`) {
		t.Fatalf("severity filter: %d", sevA.status)
	}
	pg, _ := f.l.Tickets.List(projections.TicketFilter{Scope: projections.Scope{PartnerID: "thames-digital"}, Product: "office365"}, projections.Page{Limit: 1})
	if len(pg.Tickets) == 0 || pg.Tickets[0].Title == "" {
		t.Fatalf("no titled office365 ticket of thames-digital: %+v", pg.Tickets)
	}
	tk := pg.Tickets[0]
	found := b.get("/tickets?q=" + tk.ID[:6])
	contains(t, found.body, `href="/tickets/`+tk.ID+`"`)
	words := strings.Fields(tk.Title)
	found = b.get("/tickets?q=" + url.QueryEscape(strings.ToLower(words[0])+" thames"))
	contains(t, found.body, `href="/tickets/`+tk.ID+`"`)
	lacks(t, found.body, "hudson-msp")
	day := tk.OpenedAt.UTC().Format("2006-01-02")
	next := tk.OpenedAt.UTC().AddDate(0, 0, 1).Format("2006-01-02")
	in := b.get("/tickets?partnerId=thames-digital&openedFrom=" + day + "&openedTo=" + next)
	contains(t, in.body, `href="/tickets/`+tk.ID+`"`)
	out := b.get("/tickets?partnerId=thames-digital&openedTo=" + day)
	lacks(t, out.body, `href="/tickets/`+tk.ID+`"`)
	if p := b.get("/tickets?status=nonsense"); p.status != http.StatusBadRequest && p.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad status filter: %d", p.status)
	}
}

// Acting on a sibling's ticket is the same 404 page as acting on a ticket
// never filed, and appends nothing.
func TestTenancyActingOnSiblingTicket(t *testing.T) {
	f := theFixture(t)
	sibling := f.ticketOf(t, "hudson-msp")
	b := f.browser(t)
	csrf := b.signIn("thames")
	form := url.Values{"csrf": {csrf}, "text": {"hello"}}
	hidden := b.post("/tickets/"+sibling.ID+"/actions/note", form)
	missing := b.post("/tickets/00000000-0000-4000-8000-000000000000/actions/note", form)
	if hidden.status != http.StatusNotFound || hidden.body != missing.body {
		t.Fatalf("sibling %d, missing %d:\n%s\n----\n%s", hidden.status, missing.status, hidden.body, missing.body)
	}
	if v, _ := f.l.Tickets.Get(sibling.ID); v.Revision != sibling.Revision {
		t.Fatal("a note was appended to a sibling's ticket")
	}
}
