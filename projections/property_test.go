package projections

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/projections/projectionstest"
)

// dump renders everything a reader can see of the two models.
func dump(t *testing.T, tk *Tickets, a *Audit) []any {
	t.Helper()
	now := projectionstest.Epoch.Add(12 * time.Hour)
	tp, err := tk.List(TicketFilter{}, Page{Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var slas []TicketSLA
	for _, v := range tp.Tickets {
		s, _ := tk.SLA(v.ID, now)
		slas = append(slas, s)
	}
	rep, _ := tk.Report(ReportQuery{GroupBy: []string{DimSeverity, DimLocale}, Now: now, Horizon: time.Hour})
	ap, _ := a.Query(AuditQuery{}, Page{Limit: MaxLimit})
	ap2, _ := a.Query(AuditQuery{PartnerID: "p0003"}, Page{Limit: MaxLimit, Order: NewestFirst})
	ts, as := tk.Stats(), a.Stats()
	ts.Duplicates, as.Duplicates = 0, 0
	return []any{tp, slas, rep, ap, ap2, ts, as}
}

// Rebuilding from zero equals the state maintained incrementally across any
// interleaving of restarts (snapshot, restore into a new process, resume
// from an older checkpoint so that events are delivered again).
func TestRebuildEqualsIncrementalWithRestarts(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 300, Partners: 10, Customers: 50, Seed: 3})
	ref, refA := fold(evs)
	want := dump(t, ref, refA)
	for seed := uint64(1); seed <= 25; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		tk, a := NewTickets(TicketsOptions{}), NewAudit()
		snapPos := 0 // events up to here are in the last snapshot
		var snapT, snapA bytes.Buffer
		_ = tk.Snapshot(&snapT)
		_ = a.Snapshot(&snapA)
		for i := 0; i < len(evs); {
			switch rng.IntN(40) {
			case 0: // snapshot
				snapT.Reset()
				snapA.Reset()
				_ = tk.Snapshot(&snapT)
				_ = a.Snapshot(&snapA)
				snapPos = i
			case 1: // crash: restart from the last snapshot, replay from there
				tk, a = NewTickets(TicketsOptions{}), NewAudit()
				if err := tk.Restore(bytes.NewReader(snapT.Bytes())); err != nil {
					t.Fatal(err)
				}
				if err := a.Restore(bytes.NewReader(snapA.Bytes())); err != nil {
					t.Fatal(err)
				}
				i = snapPos
			case 2: // redelivery of a few already applied events
				for j := max(0, i-rng.IntN(5)-1); j < i; j++ {
					tk.Apply(evs[j])
					a.Apply(evs[j])
				}
			default:
				n := min(len(evs), i+1+rng.IntN(20))
				batch := evs[i:n]
				tk.ApplyBatch(batch)
				a.ApplyBatch(batch)
				i = n
			}
		}
		if got := dump(t, tk, a); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: incremental state differs from a rebuild", seed)
		}
	}
}

func TestSnapshotRoundTripAndCorruption(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 200, Seed: 5})
	tk, a := fold(evs)
	bt, ba := snapshot(t, tk), snapshot(t, a)
	tk2, a2 := NewTickets(TicketsOptions{}), NewAudit()
	roundTrip(t, tk, tk2)
	roundTrip(t, a, a2)
	if !reflect.DeepEqual(dump(t, tk, a), dump(t, tk2, a2)) {
		t.Fatal("restored state differs")
	}
	// truncated snapshots are refused and leave the model as it was
	for _, n := range []int{0, 5, len(bt) / 2, len(bt) - 1} {
		if err := tk2.Restore(bytes.NewReader(bt[:n])); err == nil {
			t.Errorf("tickets: truncated at %d accepted", n)
		}
	}
	for _, n := range []int{0, 5, len(ba) / 2, len(ba) - 1} {
		if err := a2.Restore(bytes.NewReader(ba[:n])); err == nil {
			t.Errorf("audit: truncated at %d accepted", n)
		}
	}
	if tk2.Len() != tk.Len() || a2.Len() != a.Len() {
		t.Error("a failed restore changed the model")
	}
	// a snapshot of one model does not restore into the other
	if err := a2.Restore(bytes.NewReader(bt)); err == nil {
		t.Error("tickets snapshot restored into audit")
	}
	// random bit flips never panic
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		b := append([]byte(nil), bt...)
		b[rng.IntN(len(b))] ^= byte(1 << rng.IntN(8))
		x := NewTickets(TicketsOptions{})
		if x.Restore(bytes.NewReader(b)) == nil {
			_, _ = x.List(TicketFilter{}, Page{Limit: MaxLimit})
			for j := 0; j < x.Len(); j++ {
				x.SLA(x.id(x.at(j)), projectionstest.Epoch)
			}
		}
		b = append([]byte(nil), ba...)
		b[rng.IntN(len(b))] ^= byte(1 << rng.IntN(8))
		y := NewAudit()
		if y.Restore(bytes.NewReader(b)) == nil {
			_, _ = y.Query(AuditQuery{TicketID: "00000001-0000-4000-8000-000000000001"}, Page{Limit: MaxLimit})
		}
	}
}
