package projections

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// slaWorld is a history exercising every SLA fact the metrics read: a
// response judged under an earlier severity, a business-hours deadline, a
// deadline changed by a severity change, escalations, disputes, fraud flags,
// a reopened and a closed ticket, and a marketplace redirect.
func slaWorld() *world {
	w := newWorld()
	w.open("a", domain.SeverityA, t0)
	w.respond("a", t0.Add(30*time.Minute), dlFor(domain.SeverityA, t0))
	w.add("ticket-a", provider, t0.Add(time.Hour), t0.Add(time.Hour), ticket.SeverityChanged{From: domain.SeverityA, To: domain.SeverityC,
		AfterFirstResponse: true, Deadline: dlFor(domain.SeverityC, t0)})
	w.add("ticket-a", engineer, t0.Add(2*time.Hour), t0.Add(2*time.Hour), ticket.Resolved{Resolution: "fixed"})
	w.add("ticket-a", provider, t0.Add(3*time.Hour), t0.Add(3*time.Hour), ticket.Reopened{Reason: "again"})
	w.open("b", domain.SeverityB, t0)
	w.add("ticket-b", provider, t0.Add(time.Hour), t0.Add(time.Hour), ticket.Escalated{Level: 1})
	w.add("ticket-b", provider, t0.Add(time.Hour), t0.Add(time.Hour), ticket.BillingDisputeOpened{DisputeID: "d1"})
	w.add("ticket-b", provider, t0.Add(time.Hour), t0.Add(time.Hour), ticket.FraudFlagged{Reason: "card"})
	w.add("ticket-b", engineer, t0.Add(5*time.Hour), t0.Add(5*time.Hour), ticket.Closed{})
	biz := sla.Deadline{At: t0.Add(26 * time.Hour), Target: 4 * time.Hour, Clock: sla.ClockBusinessHours, Calendar: "sv-SE",
		Class: sla.ClassBreakFix, Severity: domain.SeverityB, PolicyVersion: "v1", From: t0, Language: "sv", Locale: "sv-SE"}
	w.add("ticket-c", provider, t0, t0, ticket.Opened{TicketID: "c", PartnerID: "p1", Product: ticket.ProductOffice365,
		Class: sla.ClassBreakFix, Severity: domain.SeverityB, Language: "sv", Locale: "sv-SE", Deadline: biz})
	w.add("ticket-m", provider, t0, t0, ticket.RedirectedToISV{TicketID: "m", PartnerID: "p1", ProductName: "x", ISV: "isv"})
	w.add("ticket-m", provider, t0, t0, ticket.NoteAdded{Text: "n"})
	return w
}

func facts(t *Tickets) []SLAFacts {
	var out []SLAFacts
	t.EachSLA(func(f SLAFacts) { out = append(out, f) })
	return out
}

func TestEachSLA(t *testing.T) {
	half := ClockFunc(func(d sla.Deadline, to time.Time) time.Duration { return to.Sub(d.From) / 2 })
	tk := NewTickets(TicketsOptions{Clock: half})
	for _, e := range slaWorld().g.Events {
		tk.Apply(e)
		tk.Apply(e) // a replay after a crash before the checkpoint is ignored
	}
	c := dlFor(domain.SeverityC, t0)
	want := []SLAFacts{
		{Severity: domain.SeverityC, Product: "azure", Open: true, Deadline: c.At.UTC(), Target: c.Target,
			Responded: true, Met: true, JudgedSeverity: domain.SeverityA, FirstResponse: 15 * time.Minute},
		{Severity: domain.SeverityB, Product: "azure", Deadline: dlFor(domain.SeverityB, t0).At.UTC(), Target: 4 * time.Hour,
			Escalations: 1, DisputesOpened: 1, FraudFlags: 1},
		{Severity: domain.SeverityB, Product: "office365", Open: true, Deadline: t0.Add(26 * time.Hour), Target: 4 * time.Hour},
	}
	if got := facts(tk); !reflect.DeepEqual(got, want) {
		t.Errorf("facts:\n got %+v\nwant %+v", got, want)
	}
}

// TestSLAFactsSurviveSnapshot: the facts the metrics read come back
// unchanged from a snapshot, and the restored model keeps folding.
func TestSLAFactsSurviveSnapshot(t *testing.T) {
	w := slaWorld()
	tk, _ := fold(w.g.Events)
	snap := snapshot(t, tk)
	r := NewTickets(TicketsOptions{})
	r.Apply(w.open("stale", domain.SeverityA, t0)) // replaced by the restore
	if err := r.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	if got, want := facts(r), facts(tk); !reflect.DeepEqual(got, want) || r.Position() != tk.Position() {
		t.Fatalf("restored:\n got %+v\nwant %+v", got, want)
	}
	r.Apply(w.add("ticket-c", provider, t0, t0, ticket.Escalated{Level: 1}))
	if f := facts(r); f[2].Escalations != 1 {
		t.Fatalf("restored model does not apply events: %+v", f[2])
	}
}

// TestSLAFactsRestoreRejectsBadSnapshots: a snapshot that is not the
// model's, or is cut short, is ErrCorruptSnapshot and leaves the state
// unchanged.
func TestSLAFactsRestoreRejectsBadSnapshots(t *testing.T) {
	w := slaWorld()
	tk, _ := fold(w.g.Events)
	good := snapshot(t, tk)
	cases := map[string][]byte{
		"empty":    nil,
		"old JSON": []byte(`{"version":1,"position":3,"tickets":{}}`),
		"other":    []byte("TLSV\x02\x00\x00"),
	}
	for n := 1; n < len(good); n += max(1, len(good)/50) {
		cases[fmt.Sprintf("truncated at %d", n)] = good[:n]
	}
	for name, b := range cases {
		r := NewTickets(TicketsOptions{})
		r.Apply(w.open("keep", domain.SeverityA, t0))
		err := r.Restore(bytes.NewReader(b))
		if !errors.Is(err, ErrCorruptSnapshot) {
			t.Errorf("%s: err = %v, want ErrCorruptSnapshot", name, err)
		}
		if r.Len() != 1 || len(facts(r)) != 1 {
			t.Errorf("%s: a failed restore changed the state", name)
		}
	}
}

// TestSLAFactsApplyDoesNotAllocate: folding the events the SLA metrics count
// allocates nothing once the strings are known.
func TestSLAFactsApplyDoesNotAllocate(t *testing.T) {
	w := slaWorld()
	tk, _ := fold(w.g.Events)
	evs := []domain.Recorded{
		w.add("ticket-b", provider, t0, t0, ticket.Escalated{Level: 3}),
		w.add("ticket-b", provider, t0, t0, ticket.FraudFlagged{Reason: "x"}),
		w.add("ticket-a", provider, t0, t0, ticket.Reopened{}),
		w.add("ticket-c", engineer, t0, t0, ticket.FirstResponseRecorded{RespondedAt: t0}),
		w.add("ticket-m", provider, t0, t0, ticket.NoteAdded{Text: "ignored"}),
	}
	pos := tk.Position()
	if n := testing.AllocsPerRun(100, func() {
		for _, r := range evs {
			pos++
			r.Position = pos
			tk.Apply(r)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per run", n)
	}
	if n := testing.AllocsPerRun(100, func() { tk.EachSLA(func(SLAFacts) {}) }); n != 0 {
		t.Fatalf("EachSLA: %v allocations per run", n)
	}
}
