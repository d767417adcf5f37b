package projections

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// searchPool holds the words of the generated titles: cases, non-ASCII
// letters, runes that fold across scripts (the Kelvin sign, the long s),
// combining marks, long words, digits and punctuation.
var searchPool = []string{
	"Storage", "storage", "STORAGE", "VM", "resize", "Öland", "öland", "ÖLAND", "för", "Straße", "STRASSE",
	"ſtorage", "\u212Aelvin", "kelvin", "ǅemal", "123abc", "a1", "x", "ß", "Ωmega", "ωmega", "naïve",
	"e\u0301cole", "—dash", "«quote»", "超大容量", "_under", "très-long-mot-composé", "supercalifragilisticexpialidocious",
	"supercalifragilistic", "ι\u0345x", "Billing:", "(urgent)", "v2.1", "日本",
}

var searchSeps = []string{" ", " ", "-", ": ", "—", "/", "", "_", "«"}

// searchLedger opens n tickets with random titles, partners, customers
// and providers (some redirected to an ISV).
func searchLedger(rng *rand.Rand, n int) (*Tickets, []string, []string) {
	w := newWorld()
	partners := []string{"thames-digital", "hudson-msp", "fjord-it", "Öresund-IT", "p1", "kestrel"}
	customers := []string{"harbour-foods", "empire-dental", "kestrel-legal", "gotland-turism", "c1", "straße-ag", "\u212Aelvin-co"}
	var ids []string
	for i := range n {
		var title strings.Builder
		for j := range 1 + rng.IntN(5) {
			if j > 0 {
				title.WriteString(searchSeps[rng.IntN(len(searchSeps))])
			}
			title.WriteString(searchPool[rng.IntN(len(searchPool))])
		}
		id := fmt.Sprintf("%s%04x", []string{"t", "T", "tk-", "Ö"}[rng.IntN(4)], rng.IntN(1<<16))
		id = fmt.Sprintf("%s%d", id, i)
		ids = append(ids, id)
		at := t0.Add(time.Duration(i) * time.Minute)
		p, c := partners[rng.IntN(len(partners))], customers[rng.IntN(len(customers))]
		if rng.IntN(10) == 0 {
			w.add(ticket.StreamPrefix+id, provider, at, at, ticket.RedirectedToISV{TicketID: id, PartnerID: p, CustomerID: c, ISV: "isv1", Title: title.String()})
			continue
		}
		prov := ""
		if rng.IntN(3) == 0 {
			prov = partners[rng.IntN(len(partners))]
		}
		w.add(ticket.StreamPrefix+id, provider, at, at, ticket.Opened{
			TicketID: id, Context: ticket.ContextCustomer, PartnerID: p, CustomerID: c, ProviderID: prov, Product: ticket.ProductAzure,
			Class: sla.ClassBreakFix, Severity: domain.SeverityB, Title: title.String(), Channel: ticket.ChannelWeb, Route: ticket.RoutePartnerCenter,
			Language: "en", Locale: "en-US", Deadline: dlFor(domain.SeverityB, at),
		})
	}
	tk, _ := fold(w.g.Events)
	return tk, ids, append(partners, customers...)
}

// searchQuery makes a search: words or their starts from the pool, the
// ids and the parties, in any case, or an id's start, or nothing found.
func searchQuery(rng *rand.Rand, ids, parties []string) string {
	piece := func() string {
		var s string
		switch rng.IntN(8) {
		case 0:
			return ids[rng.IntN(len(ids))][:1+rng.IntN(4)]
		case 1, 2:
			s = parties[rng.IntN(len(parties))]
		case 3:
			return []string{"zz", "-x", "—", "printer", "e", "s", "k", "ι", "\u0345", "ss", "1", "超", ":"}[rng.IntN(13)]
		default:
			s = searchPool[rng.IntN(len(searchPool))]
		}
		r := []rune(s)
		s = string(r[:1+rng.IntN(len(r))])
		switch rng.IntN(3) {
		case 0:
			s = strings.ToUpper(s)
		case 1:
			s = strings.ToLower(s)
		}
		return s
	}
	q := piece()
	for range rng.IntN(3) {
		q += " " + piece()
	}
	if rng.IntN(8) == 0 {
		q = "  " + q + " "
	}
	return q
}

// The index answers every search as the scan of every ticket does: the
// same tickets, in the same order, page by page, in any scope and with
// other filters, on fresh and restored models.
func TestSearchIndexEqualsScan(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 17))
		tk, ids, parties := searchLedger(rng, 300+rng.IntN(300))
		back := NewTickets(TicketsOptions{})
		roundTrip(t, tk, back)
		found := 0
		for range 400 {
			f := TicketFilter{Search: searchQuery(rng, ids, parties)}
			switch rng.IntN(5) {
			case 0:
				f.Party = parties[rng.IntN(6)]
			case 1:
				f.CustomerID = parties[6+rng.IntN(len(parties)-6)]
			case 2:
				f.Status = StatusRedirected
			}
			p := Page{Limit: 1 + rng.IntN(40), Order: []Order{"", OldestFirst, NewestFirst}[rng.IntN(3)]}
			for _, m := range []*Tickets{tk, back} {
				found += searchPagesAgree(t, m, f, p)
			}
		}
		if found == 0 {
			t.Fatalf("seed %d: no search found anything: the ledger does not test the index", seed)
		}
		m, _ := tk.compile(TicketFilter{Search: "stor"})
		if c := tk.searchCandidates(&m); c == nil || len(c) >= tk.Len() {
			t.Fatalf("seed %d: the index names %d of %d tickets for \"stor\": it does not narrow", seed, len(c), tk.Len())
		}
	}
}

// searchPagesAgree follows f's pages to the end, indexed and by scan, and
// reports a difference; it returns the number of tickets found.
func searchPagesAgree(t *testing.T, tk *Tickets, f TicketFilter, p Page) int {
	t.Helper()
	n := 0
	for range 100 {
		got, err := tk.list(f, p, true)
		if err != nil {
			t.Fatal(err)
		}
		want, err := tk.list(f, p, false)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("search %q in %+v, page %+v:\nindex %v\nscan  %v", f.Search, f, p, pageIDs(got), pageIDs(want))
		}
		n += len(got.Tickets)
		if got.Next == "" {
			return n
		}
		p.Cursor = got.Next
	}
	return n
}

func pageIDs(p TicketPage) []string {
	var out []string
	for _, v := range p.Tickets {
		out = append(out, v.ID)
	}
	return append(out, "next="+p.Next)
}

// A search word's key is a prefix of the token of every word it begins,
// whatever the case or the folding (the index's promise).
func TestSearchKeyPrefixOfToken(t *testing.T) {
	for _, c := range []struct{ word, text string }{
		{"stor", "Storage"}, {"STOR", "storage"}, {"öl", "Öland"}, {"ÖLAND", "öland"}, {"kelvin", "Kelvin"}, {"\u212Ael", "\u212Aelvin"},
		{"ſto", "ſtorage"}, {"STRAß", "straße"}, {"supercalifragilisticexpialidocious", "supercalifragilisticexpialidocious"},
		{"ωm", "Ωmega"}, {"ιͅ", "ι\u0345x"}, {"超大", "超大容量"},
	} {
		w := newSearchWord(c.word)
		if !w.begins(c.text) {
			t.Fatalf("%q does not begin %q: the case is wrong", c.word, c.text)
		}
		k, tok := searchKey(c.word), string(searchToken(nil, c.text))
		if k == "" || !strings.HasPrefix(tok, k) {
			t.Errorf("key %q of %q is not a prefix of token %q of %q", k, c.word, tok, c.text)
		}
	}
	for _, w := range []string{"-x", "—", ":", " "} {
		if k := searchKey(w); k != "" {
			t.Errorf("%q has key %q: a word not starting with a letter or digit must not narrow", w, k)
		}
	}
}

// intersect and union agree with sets, for lists of like and of very
// different lengths.
func TestIntersectUnion(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	list := func(n, max int) []uint32 {
		var out []uint32
		for i := range max {
			if rng.IntN(max) < n {
				out = append(out, uint32(i))
			}
		}
		return out
	}
	for range 200 {
		a, b := list(rng.IntN(50), 2000), list(rng.IntN(2000), 2000)
		in := map[uint32]bool{}
		for _, v := range b {
			in[v] = true
		}
		var both, either []uint32
		for i := range uint32(2000) {
			inA := slices.Contains(a, i)
			if inA && in[i] {
				both = append(both, i)
			}
			if inA || in[i] {
				either = append(either, i)
			}
		}
		if got := intersect(a, b); !slices.Equal(got, both) {
			t.Fatalf("intersect(%d, %d items): %v, want %v", len(a), len(b), got, both)
		}
		if got := intersect(b, a); !slices.Equal(got, both) {
			t.Fatalf("intersect(%d, %d items) reversed: %v, want %v", len(b), len(a), got, both)
		}
		if got := union(a, b); !slices.Equal(got, either) {
			t.Fatalf("union(%d, %d items): %v, want %v", len(a), len(b), got, either)
		}
	}
}
