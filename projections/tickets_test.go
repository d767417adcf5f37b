package projections

import (
	"math"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

func TestTicketsFold(t *testing.T) {
	const id = "t1"
	s := ticket.StreamPrefix + id
	h := time.Hour
	tests := []struct {
		name  string
		given func(w *world)
		check func(t *testing.T, v Ticket)
	}{
		{"opened", func(w *world) { w.open(id, domain.SeverityA, t0) }, func(t *testing.T, v Ticket) {
			if v.Status != StatusOpen || v.Severity != "A" || v.PartnerID != "p1" || v.CustomerID != "c1" || v.Product != "azure" {
				t.Errorf("state %+v", v)
			}
			if v.FiledBy != provider || v.OnBehalfOf != "c1" {
				t.Errorf("filed by %+v for %q", v.FiledBy, v.OnBehalfOf)
			}
			if v.Deadline == nil || !v.Deadline.At.Equal(t0.Add(2*h)) || v.DeadlineCause != DeadlineCauseOpened || v.Deadline.PolicyVersion != "v1" {
				t.Errorf("deadline %+v cause %q", v.Deadline, v.DeadlineCause)
			}
			if !v.OpenedAt.Equal(t0) || v.Events != 1 || v.Position != 1 {
				t.Errorf("opened %v events %d pos %d", v.OpenedAt, v.Events, v.Position)
			}
		}},
		{"responded in time", func(w *world) {
			w.open(id, domain.SeverityB, t0)
			w.respond(id, t0.Add(h), dlFor("B", t0))
		}, func(t *testing.T, v Ticket) {
			if v.Status != StatusInProgress || v.FirstResponse == nil || !v.FirstResponse.Met || v.FirstResponse.By != engineer.ID {
				t.Errorf("state %+v %+v", v.Status, v.FirstResponse)
			}
		}},
		{"severity change keeps the old deadline in history", func(w *world) {
			w.open(id, domain.SeverityC, t0)
			w.add(s, provider, t0.Add(h), t0.Add(h), ticket.SeverityChanged{From: "C", To: "A", Reason: "prod down", Previous: dlFor("C", t0), Deadline: dlFor("A", t0)})
		}, func(t *testing.T, v Ticket) {
			if v.Severity != "A" || !v.Deadline.At.Equal(t0.Add(2*h)) || v.DeadlineChanges != 1 || v.DeadlineCause != DeadlineCauseSeverityChanged {
				t.Errorf("severity %s deadline %v changes %d cause %s", v.Severity, v.Deadline.At, v.DeadlineChanges, v.DeadlineCause)
			}
		}},
		{"escalations disputes fraud notes", func(w *world) {
			w.open(id, domain.SeverityB, t0)
			w.add(s, provider, t0.Add(h), t0.Add(h), ticket.Escalated{Level: 1, Reason: "r"})
			w.add(s, provider, t0.Add(2*h), t0.Add(2*h), ticket.Escalated{Level: 2, Reason: "r"})
			w.add(s, provider, t0.Add(2*h), t0.Add(2*h), ticket.BillingDisputeOpened{DisputeID: "d1"})
			w.add(s, provider, t0.Add(2*h), t0.Add(2*h), ticket.BillingDisputeOpened{DisputeID: "d2"})
			w.add(s, engineer, t0.Add(3*h), t0.Add(3*h), ticket.BillingDisputeResolved{DisputeID: "d1"})
			w.add(s, engineer, t0.Add(3*h), t0.Add(3*h), ticket.FraudFlagged{Reason: "x"})
			w.add(s, engineer, t0.Add(4*h), t0.Add(4*h), ticket.FraudCleared{Reason: "y"})
			w.add(s, engineer, t0.Add(4*h), t0.Add(4*h), ticket.NoteAdded{Text: "n"})
			w.add(s, engineer, t0.Add(4*h), t0.Add(4*h), ticket.NoteAdded{Text: "n"})
			w.add(s, engineer, t0.Add(4*h), t0.Add(4*h), ticket.Reassigned{To: "queue-2"})
		}, func(t *testing.T, v Ticket) {
			if v.Escalations.Count != 2 || v.Escalations.Level != 2 || v.Disputes != (Disputes{Opened: 2, Open: 1}) ||
				v.Fraud.Flagged || v.Fraud.Flags != 1 || v.Notes != 2 || v.Assignee != "queue-2" || v.Events != 11 {
				t.Errorf("state %+v", v)
			}
		}},
		{"info round trip", func(w *world) {
			w.open(id, domain.SeverityB, t0)
			w.add(s, engineer, t0.Add(h), t0.Add(h), ticket.InfoRequested{Question: "q"})
		}, func(t *testing.T, v Ticket) {
			if v.Status != StatusAwaitingInfo || !v.InfoPending {
				t.Errorf("status %s pending %v", v.Status, v.InfoPending)
			}
		}},
		{"resolve reopen close", func(w *world) {
			w.open(id, domain.SeverityB, t0)
			w.respond(id, t0.Add(h), dlFor("B", t0))
			w.add(s, engineer, t0.Add(2*h), t0.Add(2*h), ticket.Resolved{Resolution: "r"})
			w.add(s, provider, t0.Add(3*h), t0.Add(3*h), ticket.Reopened{Reason: "r"})
			w.add(s, engineer, t0.Add(4*h), t0.Add(4*h), ticket.Resolved{Resolution: "r"})
			w.add(s, provider, t0.Add(5*h), t0.Add(5*h), ticket.Closed{Reason: "r"})
		}, func(t *testing.T, v Ticket) {
			if v.Status != StatusClosed || v.Reopens != 1 || v.ResolvedAt == nil || !v.ResolvedAt.Equal(t0.Add(4*h)) || v.ClosedAt == nil {
				t.Errorf("state %+v", v)
			}
		}},
		{"redirect to ISV", func(w *world) {
			w.add(s, provider, t0, t0, ticket.RedirectedToISV{TicketID: id, PartnerID: "p1", ISV: "Fabrikam", ProductName: "X"})
		}, func(t *testing.T, v Ticket) {
			if v.Status != StatusRedirected || v.ISV != "Fabrikam" || v.Deadline != nil || v.Product != "marketplace" {
				t.Errorf("state %+v", v)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			tc.given(w)
			tk, _ := fold(w.g.Events)
			v, ok := tk.Get(id)
			if !ok {
				t.Fatal("ticket not found")
			}
			tc.check(t, v)
		})
	}
}

func TestTicketsIdempotentAndUnknown(t *testing.T) {
	w := newWorld()
	w.open("t1", "A", t0)
	r := w.respond("t1", t0.Add(time.Hour), dlFor("A", t0))
	tk, _ := fold(w.g.Events)
	tk.Apply(r) // again
	tk.Apply(w.g.Events[0])
	if s := tk.Stats(); s.Duplicates != 2 || s.Applied != 2 {
		t.Errorf("stats %+v", s)
	}
	// an unknown payload type in a ticket stream is counted, not a crash
	tk.Apply(domain.Recorded{Stream: "ticket-t1", Position: 10, Type: "ticket.future", Event: futureEvent{}})
	tk.Apply(domain.Recorded{Stream: "ticket-t1", Position: 11, Type: "ticket.future"})
	tk.Apply(domain.Recorded{Stream: "other-x", Position: 12, Type: "other", Event: futureEvent{}})
	if s := tk.Stats(); s.Unknown != 3 || s.Position != 12 {
		t.Errorf("stats %+v", s)
	}
	if v, _ := tk.Get("t1"); v.Events != 2 {
		t.Errorf("events %d", v.Events)
	}
}

type futureEvent struct{}

func (futureEvent) EventType() string { return "ticket.future" }

func TestTicketsListFiltersAndCursor(t *testing.T) {
	w := newWorld()
	ids := []string{"a", "b", "c", "d", "e"}
	for i, id := range ids {
		sev := domain.Severity("ABCAB"[i : i+1])
		w.open(id, sev, t0.Add(time.Duration(i)*time.Hour))
	}
	w.respond("a", t0.Add(time.Hour), dlFor("A", t0))                   // met
	w.respond("b", t0.Add(10*time.Hour), dlFor("B", t0.Add(time.Hour))) // breached
	tk, _ := fold(w.g.Events)
	now := t0.Add(5*time.Hour + 30*time.Minute)
	cases := []struct {
		name string
		f    TicketFilter
		want string
	}{
		{"all", TicketFilter{}, "abcde"},
		{"severity", TicketFilter{Severity: "A"}, "ad"},
		{"partner unknown", TicketFilter{Scope: Scope{PartnerID: "zz"}}, ""},
		{"opened between", TicketFilter{OpenedFrom: t0.Add(time.Hour), OpenedTo: t0.Add(3 * time.Hour)}, "bc"},
		{"met", TicketFilter{SLA: SLAMet, Now: now}, "a"},
		{"breached", TicketFilter{SLA: SLABreached, Now: now}, "bd"}, // d: A opened t0+3h, deadline t0+5h passed
		{"breached unanswered", TicketFilter{SLA: SLABreachedUnanswered, Now: now}, "d"},
		{"at risk 3h", TicketFilter{SLA: SLAAtRisk, Now: now, Horizon: 3 * time.Hour}, "e"},
		{"at risk 5h", TicketFilter{SLA: SLAAtRisk, Now: now, Horizon: 5 * time.Hour}, "ce"},
		{"status", TicketFilter{Status: StatusInProgress}, "ab"},
		{"id prefix", TicketFilter{IDPrefix: "c"}, "c"},
		{"id prefix and severity", TicketFilter{IDPrefix: "c", Severity: "A"}, ""},
		{"id prefix matching none", TicketFilter{IDPrefix: "cz"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ""
			p := Page{Limit: 2}
			for n := 0; n < 10; n++ {
				pg, err := tk.List(c.f, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range pg.Tickets {
					got += v.ID
				}
				if pg.Next == "" {
					break
				}
				p.Cursor = pg.Next
			}
			if got != c.want {
				t.Errorf("got %q want %q", got, c.want)
			}
		})
	}
	// newest first, and a cursor stays valid while new tickets arrive
	pg, _ := tk.List(TicketFilter{}, Page{Limit: 2, Order: NewestFirst})
	if len(pg.Tickets) != 2 || pg.Tickets[0].ID != "e" || pg.Tickets[1].ID != "d" {
		t.Fatalf("newest page %+v", pg.Tickets)
	}
	tk.Apply(w.open("f", "A", t0.Add(9*time.Hour)))
	pg, _ = tk.List(TicketFilter{}, Page{Limit: 10, Order: NewestFirst, Cursor: pg.Next})
	if got := len(pg.Tickets); got != 3 || pg.Tickets[0].ID != "c" {
		t.Errorf("second newest page %+v", pg.Tickets)
	}
	if _, err := tk.List(TicketFilter{}, Page{Cursor: "garbage"}); domain.KindOf(err) != domain.KindInvalid {
		t.Errorf("bad cursor: %v", err)
	}
	if _, err := tk.List(TicketFilter{Status: "nope"}, Page{}); domain.KindOf(err) != domain.KindInvalid {
		t.Errorf("bad status: %v", err)
	}
}

// TestTicketsListSLAState: a listing judged at an instant shows each
// ticket's SLA state, the most urgent ones included, with the time left.
func TestTicketsListSLAState(t *testing.T) {
	w := newWorld()
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		w.open(id, domain.Severity("ABCAB"[i:i+1]), t0.Add(time.Duration(i)*time.Hour))
	}
	w.respond("a", t0.Add(time.Hour), dlFor("A", t0))
	w.respond("b", t0.Add(10*time.Hour), dlFor("B", t0.Add(time.Hour)))
	tk, _ := fold(w.g.Events)
	now := t0.Add(5*time.Hour + 30*time.Minute)
	pg, err := tk.List(TicketFilter{Now: now, Horizon: 3 * time.Hour}, Page{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		state, verdict string
		remaining      float64 // seconds; NaN: none
	}{
		"a": {"met", "met", math.NaN()},
		"b": {"breached", "breached", math.NaN()},
		"c": {"pending", "pending", (4*time.Hour + 30*time.Minute).Seconds()}, // C: 8h from t0+2h
		"d": {"breached_unanswered", "breached", (-30 * time.Minute).Seconds()},
		"e": {"at_risk", "pending", (2*time.Hour + 30*time.Minute).Seconds()},
	}
	for _, v := range pg.Tickets {
		w := want[v.ID]
		if v.SLA == nil {
			t.Fatalf("%s: no SLA state", v.ID)
		}
		if v.SLA.State != w.state || v.SLA.Verdict != w.verdict || !v.SLA.At.Equal(now) {
			t.Errorf("%s: state %q verdict %q at %v, want %q %q", v.ID, v.SLA.State, v.SLA.Verdict, v.SLA.At, w.state, w.verdict)
		}
		switch {
		case math.IsNaN(w.remaining) && v.SLA.RemainingSeconds != nil:
			t.Errorf("%s: remaining %v on an answered ticket", v.ID, *v.SLA.RemainingSeconds)
		case !math.IsNaN(w.remaining) && (v.SLA.RemainingSeconds == nil || *v.SLA.RemainingSeconds != w.remaining):
			t.Errorf("%s: remaining %v, want %v", v.ID, v.SLA.RemainingSeconds, w.remaining)
		}
	}
	if pg, _ := tk.List(TicketFilter{}, Page{}); pg.Tickets[3].SLA != nil {
		t.Errorf("a listing not judged at an instant has an SLA state: %+v", pg.Tickets[3].SLA)
	}
}

// FuzzCursor: any cursor string is a position of this listing or a
// KindInvalid error; a cursor the listing made reads back as its position.
func FuzzCursor(f *testing.F) {
	f.Add(byte('t'), makeCursor('t', 42), uint64(7))
	f.Add(byte('a'), "not a cursor", uint64(0))
	f.Fuzz(func(t *testing.T, kind byte, c string, pos uint64) {
		if _, err := parseCursor(kind, c); err != nil && domain.KindOf(err) != domain.KindInvalid {
			t.Fatalf("%q: %v", c, err)
		}
		if got, err := parseCursor(kind, makeCursor(kind, pos)); err != nil || got != pos {
			t.Fatalf("round trip of %d: %d, %v", pos, got, err)
		}
	})
}
