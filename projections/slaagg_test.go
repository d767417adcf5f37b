package projections

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/projections/projectionstest"
)

// randomHistory is a history of n tickets whose events come in any order
// a ledger allows and some it should not: severity changes before and
// after the first response (some to no deadline at all), responses with
// and without their deadline, resolutions, reopenings, closings without a
// response, redirects, orphan events. Times lie on a coarse grid so that
// equal deadlines and equal response times are common.
func randomHistory(seed uint64, n int) []domain.Recorded {
	rng := rand.New(rand.NewPCG(seed, 7))
	w := &world{g: projectionstest.NewGenerator(seed)}
	sevs := []domain.Severity{domain.SeverityA, domain.SeverityB, domain.SeverityC}
	prods := []ticket.Product{ticket.ProductAzure, ticket.ProductOffice365, ticket.ProductDynamics365}
	locs := [][2]string{{"en", "en-US"}, {"de", "de-DE"}, {"fr", "fr-FR"}}
	grid := func() time.Time { return t0.Add(time.Duration(rng.IntN(200)) * 15 * time.Minute) }
	type tk struct {
		id  string
		sev domain.Severity
		dl  sla.Deadline
		loc [2]string
	}
	var live []*tk
	for i := 0; i < n*6; i++ {
		if len(live) == 0 || rng.IntN(5) == 0 {
			t := &tk{id: fmt.Sprintf("t%04d", len(live)), sev: sevs[rng.IntN(3)], loc: locs[rng.IntN(3)]}
			at := grid()
			t.dl = projectionstest.Deadline(t.sev, t.loc[0], t.loc[1], at, "v1")
			live = append(live, t)
			if rng.IntN(15) == 0 {
				w.add(ticket.StreamPrefix+t.id, provider, at, at, ticket.RedirectedToISV{PartnerID: "p1", CustomerID: "c1", ISV: "isv1", Title: "app"})
				continue
			}
			w.add(ticket.StreamPrefix+t.id, provider, at, at, ticket.Opened{
				TicketID: t.id, Context: ticket.ContextCustomer, PartnerID: fmt.Sprintf("p%d", rng.IntN(3)), CustomerID: "c1",
				Product: prods[rng.IntN(3)], Class: sla.ClassBreakFix, Severity: t.sev, Title: "down", Channel: ticket.ChannelWeb,
				Route: ticket.RoutePartnerCenter, Language: t.loc[0], Locale: t.loc[1], Deadline: t.dl,
			})
			continue
		}
		t := live[rng.IntN(len(live))]
		s, at := ticket.StreamPrefix+t.id, grid()
		switch rng.IntN(9) {
		case 0, 1:
			to := sevs[rng.IntN(3)]
			prev := t.dl
			t.dl = projectionstest.Deadline(to, t.loc[0], t.loc[1], grid(), "v1")
			if rng.IntN(6) == 0 {
				t.dl = sla.Deadline{} // a severity without a deadline
			}
			t.sev = to
			w.add(s, provider, at, at, ticket.SeverityChanged{From: prev.Severity, To: to, Previous: prev, Deadline: t.dl, BreachedOnChange: at.After(t.dl.At)})
		case 2, 3:
			d := t.dl
			if rng.IntN(4) == 0 {
				d = sla.Deadline{} // the projection takes the deadline in force
			}
			resp := at
			if rng.IntN(5) == 0 {
				resp = time.Time{} // responded at the event's time
			}
			met := !at.After(t.dl.At)
			if rng.IntN(10) == 0 {
				met = !met
			}
			w.add(s, engineer, at, at, ticket.FirstResponseRecorded{Responder: engineer.ID, RespondedAt: resp, Deadline: d, Met: met})
		case 4:
			w.add(s, engineer, at, at, ticket.Resolved{Resolution: "fixed"})
		case 5:
			w.add(s, provider, at, at, ticket.Reopened{Reason: "again"})
		case 6:
			w.add(s, provider, at, at, ticket.Closed{Reason: "done"})
		case 7:
			w.add(s, engineer, at, at, ticket.InfoRequested{Question: "logs?"})
		default:
			w.add(s, provider, at, at, ticket.InfoProvided{Answer: "here"})
		}
	}
	return w.g.Events
}

// reportQueries are the report shapes the aggregates answer, judged at
// instants before, within and after the histories, with several horizons.
func reportQueries() []ReportQuery {
	groupings := [][]string{nil, {DimSeverity}, {DimProduct}, {DimLocale}, {DimSeverity, DimProduct},
		{DimProduct, DimSeverity}, {"Locale", DimSeverity}, {DimSeverity, DimProduct, DimLocale}, {DimLocale, DimProduct, DimSeverity}}
	nows := []time.Time{{}, t0.Add(-time.Hour), t0.Add(10 * time.Hour), t0.Add(25 * time.Hour), t0.Add(50 * time.Hour),
		t0.Add(30 * 24 * time.Hour), projectionstest.Epoch.Add(12 * time.Hour), projectionstest.Epoch.Add(400 * 24 * time.Hour)}
	horizons := []time.Duration{time.Hour, 0, -time.Minute, 15 * time.Minute, 6 * time.Hour, math.MaxInt64}
	var qs []ReportQuery
	for i, g := range groupings {
		for j, now := range nows {
			qs = append(qs, ReportQuery{GroupBy: g, Now: now, Horizon: horizons[(i+j)%len(horizons)]})
		}
	}
	return qs
}

// sameReports fails unless every query answers the same from the
// aggregates as from visiting every ticket.
func sameReports(t *testing.T, tk *Tickets, what string) {
	t.Helper()
	for _, q := range reportQueries() {
		got, err := tk.report(q, true)
		if err != nil {
			t.Fatal(err)
		}
		want, err := tk.report(q, false)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: report %+v from the aggregates\n%+v\nby scanning\n%+v", what, q, got, want)
		}
	}
}

// The aggregates give the report a full scan gives, after every prefix of
// random histories, after a snapshot restore and after a reset and a
// rebuild, and also over the generator's histories.
func TestReportAggregatesEqualScan(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		evs := randomHistory(seed, 60)
		rng := rand.New(rand.NewPCG(seed, 1))
		tk := NewTickets(TicketsOptions{})
		for i := 0; i < len(evs); {
			k := min(len(evs), i+1+rng.IntN(40))
			tk.ApplyBatch(evs[i:k])
			i = k
			sameReports(t, tk, fmt.Sprintf("seed %d after %d events", seed, i))
		}
		var buf bytes.Buffer
		if err := tk.Snapshot(&buf); err != nil {
			t.Fatal(err)
		}
		fresh := NewTickets(TicketsOptions{})
		if err := fresh.Restore(&buf); err != nil {
			t.Fatal(err)
		}
		sameReports(t, fresh, fmt.Sprintf("seed %d restored", seed))
		q := ReportQuery{GroupBy: []string{DimSeverity, DimProduct}, Now: t0.Add(30 * time.Hour), Horizon: time.Hour}
		a, _ := tk.Report(q)
		b, _ := fresh.Report(q)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: the restored model reports\n%+v\nthe original\n%+v", seed, b, a)
		}
		fresh.ApplyBatch(randomHistory(seed+100, 10)) // the same stream ids: changes on top of the restored state
		sameReports(t, fresh, fmt.Sprintf("seed %d restored and changed", seed))
		fresh.Reset()
		sameReports(t, fresh, fmt.Sprintf("seed %d reset", seed))
		fresh.ApplyBatch(evs)
		sameReports(t, fresh, fmt.Sprintf("seed %d rebuilt", seed))
	}
	tk := NewTickets(TicketsOptions{})
	tk.ApplyBatch(projectionstest.Generate(projectionstest.Options{Tickets: 3000, Partners: 20, Customers: 300, Seed: 5}))
	sameReports(t, tk, "generated")
}

// Shapes the aggregates do not serve (a period, slices, a scope, partner
// or customer groupings) are answered by the scan, as before.
func TestReportOtherShapesScan(t *testing.T) {
	tk := NewTickets(TicketsOptions{})
	tk.ApplyBatch(randomHistory(3, 80))
	for _, q := range []ReportQuery{
		{GroupBy: []string{DimPartner}, Now: t0.Add(20 * time.Hour)},
		{GroupBy: []string{DimSeverity}, Scope: Scope{Party: "p1"}, Now: t0.Add(20 * time.Hour)},
		{From: t0, To: t0.Add(24 * time.Hour), Slices: 4, Now: t0.Add(20 * time.Hour)},
		{From: t0.Add(time.Hour), Now: t0.Add(20 * time.Hour)},
	} {
		if aggServes(&q, q.GroupBy) {
			t.Fatalf("the aggregates claim to serve %+v", q)
		}
		got, err := tk.Report(q)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := tk.report(q, false)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("report %+v differs", q)
		}
	}
}

// sortedSet against a plain sorted slice, with many equal values and
// blocks that split and empty.
func TestSortedSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s sortedSet
	var ref []int64
	check := func() {
		t.Helper()
		if s.n != len(ref) {
			t.Fatalf("n = %d, want %d", s.n, len(ref))
		}
		var flat []int64
		for _, b := range s.blocks {
			if len(b) == 0 || len(b) > setBlock {
				t.Fatalf("block of %d values", len(b))
			}
			flat = append(flat, b...)
		}
		if !slices.Equal(flat, ref) {
			t.Fatal("the set's values differ from the reference")
		}
		for range 20 {
			x := int64(rng.IntN(3000)) - 10
			want, _ := slices.BinarySearch(ref, x)
			if got := s.countLess(x); got != want {
				t.Fatalf("countLess(%d) = %d, want %d", x, got, want)
			}
			le := 0
			for le < len(ref) && ref[le] <= x {
				le++
			}
			if got := s.countLE(x); got != le {
				t.Fatalf("countLE(%d) = %d, want %d", x, got, le)
			}
			if got := indexOf(&s).countLE(x); got != le {
				t.Fatalf("indexed countLE(%d) = %d, want %d", x, got, le)
			}
			if len(ref) > 0 {
				k := rng.IntN(len(ref))
				if got := s.kth(k); got != ref[k] {
					t.Fatalf("kth(%d) = %d, want %d", k, got, ref[k])
				}
			}
		}
	}
	for round := range 40 {
		for range 400 {
			if len(ref) > 0 && rng.IntN(3) == 0 && round%10 < 7 {
				v := ref[rng.IntN(len(ref))]
				s.remove(v)
				j, _ := slices.BinarySearch(ref, v)
				ref = slices.Delete(ref, j, j+1)
				continue
			}
			v := int64(rng.IntN(3000))
			if round%4 == 0 {
				v = int64(round * 100) // runs of equal and increasing values
			}
			s.insert(v)
			j, _ := slices.BinarySearch(ref, v)
			ref = slices.Insert(ref, j, v)
		}
		check()
	}
	for len(ref) > 0 {
		v := ref[rng.IntN(len(ref))]
		s.remove(v)
		j, _ := slices.BinarySearch(ref, v)
		ref = slices.Delete(ref, j, j+1)
	}
	check()
	s.remove(5) // absent: no change
	check()
}

// percentilesOf over several sets equals percentiles over their union.
func TestPercentilesOfUnion(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		sets := make([]*sortedSet, 1+rng.IntN(4))
		var all []int64
		for i := range sets {
			sets[i] = &sortedSet{}
			n := rng.IntN(50)
			if rng.IntN(4) == 0 {
				n = rng.IntN(3 * setBlock) // several blocks
			}
			for range n {
				v := int64(rng.IntN(100)) - 20
				if rng.IntN(20) == 0 {
					v = math.MinInt64 + int64(rng.IntN(3))
				}
				if rng.IntN(20) == 0 {
					v = math.MaxInt64 - int64(rng.IntN(3))
				}
				sets[i].insert(v)
				all = append(all, v)
			}
		}
		if got, want := percentilesOf(sets), percentiles(all); got != want {
			t.Fatalf("percentilesOf = %+v, percentiles = %+v", got, want)
		}
	}
}
