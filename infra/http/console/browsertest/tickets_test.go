//go:build browser

package browsertest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// ticketList is the API's answer to GET /v1/tickets, as far as the tests
// read it.
type ticketList struct {
	Tickets []struct {
		ID         string `json:"id"`
		Severity   string `json:"severity"`
		PartnerID  string `json:"partnerId"`
		CustomerID string `json:"customerId"`
		Title      string `json:"title"`
		SLA        *struct {
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
	p.checkPage("tickets")

	p.choose(byLabel("severity"), "A")
	p.choose(byLabel("SLA state"), "breached")
	// A ticket may breach while the page renders: the page must equal the
	// API's list just before it or just after it.
	const query = "/v1/tickets?severity=A&sla=breached&order=newest&limit=50"
	var before, want ticketList
	l.get(t, l.SignInToken, query, &before)
	p.clickNav(byButton("filter"))
	l.get(t, l.SignInToken, query, &want)
	q, _ := url.ParseQuery(strings.SplitN(p.location(), "?", 2)[1])
	if q.Get("severity") != "A" || q.Get("sla") != "breached" {
		t.Fatalf("the filter form went to %s, want severity=A and sla=breached", p.location())
	}
	got := strings.Join(p.listed(), " ")
	if got == strings.Join(before.ids(), " ") {
		want = before
	}
	if got != strings.Join(want.ids(), " ") {
		t.Fatalf("breached Sev A tickets shown:\n%v\nthe API lists:\n%v", got, want.ids())
	}
	if len(want.Tickets) == 0 {
		t.Fatal("the demo ledger has no breached Sev A ticket (the API lists none)")
	}
	for i, r := range p.rows("main table") {
		if r["sev"] != "A" || !strings.Contains(strings.ToLower(r["sla"]), "breach") {
			t.Fatalf("row %d of the breached Sev A list: %q, want Sev A and a breached SLA state", i, r)
		}
	}
	p.checkPage("tickets-breached-sev-a")

	p.clickNav(byCSS("main table tbody a[href^='/tickets/']"))
	if h := p.text("h1"); !strings.Contains(h, want.Tickets[0].ID) {
		t.Fatalf("opened the first breached Sev A ticket, the page's heading is %q; want its id %s", h, want.Tickets[0].ID)
	}
	// Why it breached, in words, next to the clock.
	if why := p.text("main"); !strings.Contains(why, "Breached: ") {
		t.Fatalf("the breached Sev A ticket's page does not say why it breached:\n%s", why)
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

// TestSearch: the search box finds tickets by words of a title and by a
// customer, the same tickets as the API's q= search, in the same order.
func TestSearch(t *testing.T) {
	l := ledger(t)
	tok := l.SignInToken
	var all ticketList
	l.get(t, tok, "/v1/tickets?order=newest&limit=50", &all)
	var word, customer string
	for _, tk := range all.Tickets {
		if f := strings.Fields(tk.Title); word == "" && len(f) > 1 && len(f[1]) > 3 {
			word = f[0] + " " + f[1][:3] // the first word and the start of the second
		}
		if customer == "" && tk.CustomerID != "" {
			customer = tk.CustomerID
		}
	}
	if word == "" || customer == "" {
		t.Fatalf("no title of two words or no customer among the newest tickets: %+v", all.Tickets)
	}
	p := newPage(t, tok)
	for _, q := range []string{word, customer} {
		p.open("/tickets")
		p.fill(byLabel("search"), q)
		p.typeKeys("\r")
		p.waitFor("the search's answer", `new URLSearchParams(location.search).has("q") && document.readyState === "complete"`)
		var want ticketList
		l.get(t, tok, "/v1/tickets?order=newest&limit=50&q="+url.QueryEscape(q), &want)
		if len(want.Tickets) == 0 {
			t.Fatalf("the API finds nothing for %q: nothing to compare", q)
		}
		if got := p.listed(); strings.Join(got, " ") != strings.Join(want.ids(), " ") {
			t.Fatalf("searching %q shows:\n%v\nthe API's q= answer:\n%v", q, got, want.ids())
		}
	}
	p.check("tickets search")
}

// TestTimesInViewerZone: every time on the tickets page is shown in the
// browser's time zone (Europe/Stockholm here) with its UTC value on hover.
func TestTimesInViewerZone(t *testing.T) {
	l := ledger(t)
	p := newPage(t, l.SignInToken)
	p.open("/tickets")
	type shown struct{ Datetime, Title, Text string }
	times := eval[[]shown](p, `[...document.querySelectorAll("main time[datetime]")].map(e => ({datetime: e.getAttribute("datetime"), title: e.title, text: e.innerText}))`)
	if len(times) < 2 {
		t.Fatalf("the tickets page shows %d times", len(times))
	}
	zone, err := time.LoadLocation(viewerZone)
	if err != nil {
		t.Skipf("no tz database for %s: %v", viewerZone, err)
	}
	for _, s := range times {
		at, err := time.Parse(time.RFC3339Nano, s.Datetime)
		if err != nil {
			t.Fatalf("<time datetime=%q>: %v", s.Datetime, err)
		}
		if want := "UTC " + at.UTC().Format("2006-01-02 15:04:05"); s.Title != want {
			t.Fatalf("the hover of %s is %q, want %q", s.Datetime, s.Title, want)
		}
		local := at.In(zone)
		_, off := local.Zone()
		clock := strings.Contains(s.Text, local.Format("15:04")) || strings.Contains(s.Text, local.Format("03:04")) // 24- or 12-hour, by locale
		if !clock || !strings.Contains(s.Text, fmt.Sprint(local.Day())) || !strings.Contains(s.Text, fmt.Sprintf("GMT+%d", off/3600)) {
			t.Fatalf("%s shown as %q; in %s it is %s (GMT+%d)", s.Datetime, s.Text, viewerZone, local.Format("2006-01-02 15:04"), off/3600)
		}
	}
}
