package projections

import (
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

func auditWorld() *world {
	w := newWorld()
	h := time.Hour
	w.open("t1", "A", t0)                                                                                                                                                // 1 alice p1 c1
	w.add("ticket-t2", reseller, t0.Add(h), t0.Add(h), ticket.Opened{TicketID: "t2", PartnerID: "p2", CustomerID: "c2", Severity: "B", Deadline: dlFor("B", t0.Add(h))}) // 2 rob p2 (c1 on behalf per world meta)
	w.respond("t1", t0.Add(h), dlFor("A", t0))                                                                                                                           // 3 eve
	w.add("ticket-t2", provider, t0.Add(2*h), t0.Add(2*h), ticket.Escalated{Level: 1})                                                                                   // 4 alice (p1) escalates p2's ticket
	w.add("partner-p1", provider, t0.Add(3*h), t0.Add(3*h), partner.CustomerLinked{CustomerID: "c9"})                                                                    // 5
	w.add("ticket-t1", engineer, t0.Add(time.Minute), t0.Add(5*h), ticket.NoteAdded{Text: "late"})                                                                       // 6 recorded late
	w.add("$stats", engineer, t0, t0, ticket.NoteAdded{})                                                                                                                // 7 system stream: skipped
	return w
}

func TestAuditQuery(t *testing.T) {
	_, a := fold(auditWorld().g.Events)
	h := time.Hour
	tests := []struct {
		name string
		q    AuditQuery
		want []uint64
	}{
		{"all", AuditQuery{}, []uint64{1, 2, 3, 4, 5, 6}},
		{"actor", AuditQuery{Actor: provider.ID}, []uint64{1, 4, 5}},
		{"partner: its tickets, its stream, its people", AuditQuery{PartnerID: "p1"}, []uint64{1, 3, 4, 5, 6}},
		{"partner p2", AuditQuery{PartnerID: "p2"}, []uint64{2, 4}},
		{"customer", AuditQuery{CustomerID: "c9"}, []uint64{5}},
		{"customer on behalf", AuditQuery{CustomerID: "c2"}, []uint64{2, 4}},
		{"ticket", AuditQuery{TicketID: "t1"}, []uint64{1, 3, 6}},
		{"type", AuditQuery{Types: []string{ticket.TypeOpened, ticket.TypeEscalated}}, []uint64{1, 2, 4}},
		{"recorded range", AuditQuery{RecordedFrom: t0.Add(h), RecordedTo: t0.Add(3 * h)}, []uint64{2, 3, 4}},
		{"occurred range", AuditQuery{OccurredTo: t0.Add(h)}, []uint64{1, 6}},
		{"unknown actor", AuditQuery{Actor: "nobody"}, nil},
		{"ticket and type", AuditQuery{TicketID: "t1", Types: []string{ticket.TypeNoteAdded}}, []uint64{6}},
	}
	for _, tc := range tests {
		for _, order := range []Order{OldestFirst, NewestFirst} {
			t.Run(tc.name+"/"+string(order), func(t *testing.T) {
				var got []uint64
				p := Page{Limit: 2, Order: order}
				for i := 0; i < 10; i++ {
					pg, err := a.Query(tc.q, p)
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range pg.Entries {
						got = append(got, e.Position)
					}
					if pg.Next == "" {
						break
					}
					p.Cursor = pg.Next
				}
				want := append([]uint64(nil), tc.want...)
				if order == NewestFirst {
					for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
						want[i], want[j] = want[j], want[i]
					}
				}
				if len(got) != len(want) || (len(got) > 0 && !equal(got, want)) {
					t.Errorf("got %v want %v", got, want)
				}
			})
		}
	}
	pg, _ := a.Query(AuditQuery{TicketID: "t1", Types: []string{ticket.TypeNoteAdded}}, Page{})
	e := pg.Entries[0]
	if e.TicketID != "t1" || e.Actor != engineer || e.LateBySeconds != (5*h-time.Minute).Seconds() || e.PartnerID != "p1" || e.EventID == "" || e.Revision != 2 {
		t.Errorf("entry %+v", e)
	}
	if s := a.Stats(); s.Unknown != 1 || s.Applied != 6 {
		t.Errorf("stats %+v", s)
	}
}

func equal(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAuditCursorStableWhileEventsArrive(t *testing.T) {
	w := newWorld()
	for i := 0; i < 5; i++ {
		w.open(string(rune('a'+i)), "A", t0)
	}
	_, a := fold(w.g.Events)
	pg, _ := a.Query(AuditQuery{}, Page{Limit: 2, Order: NewestFirst})
	for i := 0; i < 3; i++ {
		a.Apply(w.open(string(rune('x'+i)), "A", t0))
	}
	pg2, _ := a.Query(AuditQuery{}, Page{Limit: 2, Order: NewestFirst, Cursor: pg.Next})
	if pg2.Entries[0].Position != 3 || pg2.Entries[1].Position != 2 {
		t.Errorf("page after new events: %+v", pg2.Entries)
	}
	if _, err := a.Query(AuditQuery{}, Page{Cursor: makeCursor('t', 3)}); domain.KindOf(err) != domain.KindInvalid {
		t.Errorf("foreign cursor accepted: %v", err)
	}
}

func TestHistory(t *testing.T) {
	w := auditWorld()
	w.add("ticket-t1", provider, t0.Add(6*time.Hour), t0.Add(6*time.Hour), ticket.SeverityChanged{From: "A", To: "B", Reason: "less urgent", Previous: dlFor("A", t0), Deadline: dlFor("B", t0)})
	hist := History(w.stream("t1"), nil)
	if len(hist) != 4 {
		t.Fatalf("%d entries", len(hist))
	}
	if hist[0].Type != ticket.TypeOpened || hist[0].Actor != provider || !strings.Contains(hist[0].Summary, "opened a severity A") {
		t.Errorf("first %+v", hist[0])
	}
	last := hist[3]
	if last.Reason != "less urgent" {
		t.Errorf("reason %q", last.Reason)
	}
	changed := map[string]Change{}
	for _, c := range last.Changes {
		changed[c.Field] = c
	}
	if c := changed["severity"]; c.Old != "A" || c.New != "B" {
		t.Errorf("severity change %+v (all %+v)", c, last.Changes)
	}
	if c := changed["deadline.at"]; c.Old != tstr(t0.Add(2*time.Hour)) || c.New != tstr(t0.Add(4*time.Hour)) {
		t.Errorf("deadline change %+v", c)
	}
	if hist[2].LateBySeconds == 0 || len(hist[2].Changes) != 1 || hist[2].Changes[0].Field != "notes" {
		t.Errorf("late note %+v", hist[2])
	}
}
