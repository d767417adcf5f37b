package projections

import (
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// TestSLAWatchAndNotices: the Tickets model tells the watcher which
// tickets changed, answers its questions about the deadline in force and
// the notices of that deadline, shows when the partner was told, and keeps
// all of it through a snapshot.
func TestSLAWatchAndNotices(t *testing.T) {
	w := newWorld()
	system := domain.Actor{ID: "ticketledger", Role: domain.RoleSystem, Auth: domain.AuthInternal}
	dB := dlFor(domain.SeverityB, t0)
	dA := dlFor(domain.SeverityA, t0)
	tk := NewTickets(TicketsOptions{})
	var changed []string
	tk.OnChange(func(id string) { changed = append(changed, id) })
	for _, e := range []domain.Recorded{
		w.open("a", domain.SeverityB, t0),
		w.open("b", domain.SeverityB, t0),
		w.add(ticket.StreamPrefix+"a", system, dB.At.Add(-time.Hour), dB.At.Add(-time.Hour), ticket.SLANoticed{Notice: ticket.NoticeAtRisk, Deadline: dB, NoticedAt: dB.At.Add(-time.Hour)}),
		w.add(ticket.StreamPrefix+"a", system, dB.At.Add(time.Second), dB.At.Add(time.Second), ticket.SLANoticed{Notice: ticket.NoticeBreached, Deadline: dB, NoticedAt: dB.At.Add(time.Second)}),
		w.respond("b", t0.Add(time.Hour), dB),
	} {
		tk.Apply(e)
	}
	if want := []string{"a", "b", "a", "a", "b"}; len(changed) != len(want) {
		t.Fatalf("OnChange told %v, want %v", changed, want)
	}
	check := func(tk *Tickets) {
		t.Helper()
		s, ok := tk.SLAWatch("a")
		if !ok || !s.Waiting || !s.AtRiskNoticed || !s.BreachNoticed || !s.Deadline.At.Equal(dB.At) || !s.SetRecordedAt.Equal(t0) {
			t.Errorf("SLAWatch(a) = %+v, %v", s, ok)
		}
		v, _ := tk.Get("a")
		if v.BreachNoticedAt == nil || !v.BreachNoticedAt.Equal(dB.At.Add(time.Second)) || v.AtRiskNoticedAt == nil || !v.AtRiskNoticedAt.Equal(dB.At.Add(-time.Hour)) {
			t.Errorf("view of a: breachNoticedAt %v, atRiskNoticedAt %v", v.BreachNoticedAt, v.AtRiskNoticedAt)
		}
		var waiting []string
		tk.EachWaiting(func(s SLAWatch) { waiting = append(waiting, s.TicketID) })
		if len(waiting) != 1 || waiting[0] != "a" {
			t.Errorf("waiting %v, want [a] (b was answered)", waiting)
		}
	}
	check(tk)
	back := NewTickets(TicketsOptions{})
	roundTrip(t, tk, back)
	check(back)

	// A severity change sets a new deadline, recorded later: no notice of it yet.
	changedAt := t0.Add(30 * time.Minute)
	tk.Apply(w.add(ticket.StreamPrefix+"a", provider, changedAt, changedAt.Add(time.Minute),
		ticket.SeverityChanged{From: "B", To: "A", Reason: "worse", Previous: dB, Deadline: dA, ChangedAt: changedAt}))
	s, _ := tk.SLAWatch("a")
	if s.AtRiskNoticed || s.BreachNoticed || !s.Deadline.At.Equal(dA.At) || !s.SetRecordedAt.Equal(changedAt.Add(time.Minute)) {
		t.Errorf("after the change: %+v", s)
	}
	if v, _ := tk.Get("a"); v.BreachNoticedAt == nil {
		t.Error("the earlier breach notice is gone from the view")
	}
}
