package projections

import (
	"runtime"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// Search finds a ticket by id prefix, or by the starts of words of its
// title, partner id or customer id, ignoring case; within the scope; titles survive a
// snapshot.
func TestTicketsSearch(t *testing.T) {
	w := newWorld()
	open := func(id, partner, customer, title string, at time.Time) {
		w.add(ticket.StreamPrefix+id, provider, at, at, ticket.Opened{
			TicketID: id, Context: ticket.ContextCustomer, PartnerID: partner, CustomerID: customer, Product: ticket.ProductAzure,
			Class: sla.ClassBreakFix, Severity: domain.SeverityB, Title: title, Channel: ticket.ChannelWeb, Route: ticket.RoutePartnerCenter,
			Language: "en", Locale: "en-US", Deadline: dlFor(domain.SeverityB, at),
		})
	}
	open("a1", "thames-digital", "harbour-foods", "VM will not start after resize", t0)
	open("b2", "hudson-msp", "empire-dental", "Storage account throttled", t0.Add(time.Hour))
	open("c3", "thames-digital", "kestrel-legal", "Billing: duplicate storage charge", t0.Add(2*time.Hour))
	open("a4", "fjord-it", "gotland-turism", "Inloggning misslyckas för Öland", t0.Add(3*time.Hour))
	tk, _ := fold(w.g.Events)
	cases := []struct {
		name string
		f    TicketFilter
		want string
	}{
		{"id prefix", TicketFilter{Search: "a4"}, "a4"},
		{"the start of a word", TicketFilter{Search: "stor"}, "b2c3"},
		{"not the inside of a word", TicketFilter{Search: "rage"}, ""},
		{"title word, any case", TicketFilter{Search: "STORAGE"}, "b2c3"},
		{"every word must be found", TicketFilter{Search: "storage charge"}, "c3"},
		{"partner", TicketFilter{Search: "thames"}, "a1c3"},
		{"customer", TicketFilter{Search: "empire"}, "b2"},
		{"partner and title word", TicketFilter{Search: "thames storage"}, "c3"},
		{"non-ASCII title", TicketFilter{Search: "öland"}, "a4"},
		{"nothing", TicketFilter{Search: "printer"}, ""},
		{"within the scope", TicketFilter{Scope: Scope{Party: "hudson-msp"}, Search: "storage"}, "b2"},
		{"a sibling's id is not found", TicketFilter{Scope: Scope{Party: "hudson-msp"}, Search: "a1"}, ""},
		{"with another filter", TicketFilter{Scope: Scope{CustomerID: "kestrel-legal"}, Search: "storage"}, "c3"},
	}
	for _, c := range cases {
		pg, err := tk.List(c.f, Page{})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, v := range pg.Tickets {
			got += v.ID
		}
		if got != c.want {
			t.Errorf("%s: got %q want %q", c.name, got, c.want)
		}
	}
	back := NewTickets(TicketsOptions{})
	roundTrip(t, tk, back)
	if v, _ := back.Get("c3"); v.Title != "Billing: duplicate storage charge" {
		t.Errorf("title after restore: %q", v.Title)
	}
	if pg, _ := back.List(TicketFilter{Search: "resize"}, Page{}); len(pg.Tickets) != 1 || pg.Tickets[0].ID != "a1" {
		t.Errorf("search after restore: %+v", pg.Tickets)
	}
}

// BenchmarkTicketsSearch1M: a search box's words over one million
// tickets, matching none (every ticket has the first two words), answered
// from the search index.
func BenchmarkTicketsSearch1M(b *testing.B) { benchSearch(b, true) }

// BenchmarkTicketsSearchScan1M: the same search by visiting every ticket
// (the reference the index replaces).
func BenchmarkTicketsSearchScan1M(b *testing.B) { benchSearch(b, false) }

// benchSearch times the search after a first one (which sorts the ids:
// BenchmarkSearchIDOrder1M).
func benchSearch(b *testing.B, indexed bool) {
	tk, _ := big(b)
	if _, err := tk.list(TicketFilter{Search: "warm"}, Page{}, indexed); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := tk.list(TicketFilter{Search: "service problem zz"}, Page{Limit: 50, Order: NewestFirst}, indexed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchIndexMemory1M reports the heap the search index holds per
// ticket of the million: built afresh over the model's tickets, with the
// id order a first search sorts.
func BenchmarkSearchIndexMemory1M(b *testing.B) {
	tk, _ := big(b)
	var held uint64
	for b.Loop() {
		held = heapHeld(func() any {
			x := newSearchIndex()
			for i := 0; i < tk.n; i++ {
				x.add(&tk.strs, tk.at(i))
			}
			x.sortedVocab()
			x.idsWithPrefix(&tk.ids, []byte("x"))
			x.buf, x.tok = nil, nil
			return x
		})
	}
	b.ReportMetric(float64(held)/float64(tk.n), "index-B/ticket")
}

// BenchmarkSearchIDOrder1M: what the first search after a start adds,
// sorting the million ticket ids for id-prefix search.
func BenchmarkSearchIDOrder1M(b *testing.B) {
	tk, _ := big(b)
	for b.Loop() {
		newSearchIndex().idsWithPrefix(&tk.ids, []byte("x"))
	}
}

// heapHeld returns the growth of the live heap while what build returns
// is kept.
func heapHeld(build func() any) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(v)
	return m1.HeapAlloc - m0.HeapAlloc
}
