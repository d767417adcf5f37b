package projections

import (
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

func TestTicketSLA(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name        string
		given       func(w *world)
		now         time.Time
		verdict     string
		nearMiss    bool
		ttfr        float64 // seconds, -1: none
		history     int
		remainingGE float64
	}{
		{"met", func(w *world) { w.open("t", "A", t0); w.respond("t", t0.Add(h), dlFor("A", t0)) }, t0.Add(9 * h), SLAMet, false, 3600, 1, 0},
		{"near miss", func(w *world) { w.open("t", "A", t0); w.respond("t", t0.Add(115*time.Minute), dlFor("A", t0)) }, t0.Add(9 * h), SLAMet, true, 6900, 1, 0},
		{"breached late", func(w *world) { w.open("t", "A", t0); w.respond("t", t0.Add(3*h), dlFor("A", t0)) }, t0.Add(9 * h), SLABreached, false, 3 * 3600, 1, 0},
		{"pending", func(w *world) { w.open("t", "B", t0) }, t0.Add(h), SLAPending, false, -1, 1, 3 * 3600},
		{"breached unanswered", func(w *world) { w.open("t", "B", t0) }, t0.Add(5 * h), SLABreached, false, -1, 1, -3600},
		{"severity raised: judged against the new deadline", func(w *world) {
			w.open("t", "C", t0)
			w.add("ticket-t", provider, t0.Add(h), t0.Add(h), ticket.SeverityChanged{From: "C", To: "A", Previous: dlFor("C", t0), Deadline: dlFor("A", t0)})
			w.respond("t", t0.Add(3*h), dlFor("A", t0))
		}, t0.Add(9 * h), SLABreached, false, 3 * 3600, 2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			tc.given(w)
			tk, _ := fold(w.g.Events)
			s, ok := tk.SLA("t", tc.now)
			if !ok {
				t.Fatal("missing")
			}
			if s.Verdict != tc.verdict || s.NearMiss != tc.nearMiss || len(s.DeadlineHistory) != tc.history {
				t.Errorf("verdict %s near %v history %d", s.Verdict, s.NearMiss, len(s.DeadlineHistory))
			}
			if tc.ttfr >= 0 && (s.TimeToFirstResponseSeconds == nil || *s.TimeToFirstResponseSeconds != tc.ttfr || *s.BusinessTimeToFirstResponseSeconds != tc.ttfr) {
				t.Errorf("ttfr %v", s.TimeToFirstResponseSeconds)
			}
			if tc.ttfr < 0 && (s.RemainingSeconds == nil || *s.RemainingSeconds != tc.remainingGE) {
				t.Errorf("remaining %v", s.RemainingSeconds)
			}
		})
	}
}

func TestBusinessClockIsUsed(t *testing.T) {
	// a clock that counts half of wall time
	half := ClockFunc(func(d sla.Deadline, to time.Time) time.Duration { return to.Sub(d.From) / 2 })
	w := newWorld()
	w.open("t", "A", t0)
	w.respond("t", t0.Add(2*time.Hour), dlFor("A", t0))
	tk := NewTickets(TicketsOptions{Clock: half})
	for _, e := range w.g.Events {
		tk.Apply(e)
	}
	s, _ := tk.SLA("t", t0)
	if *s.TimeToFirstResponseSeconds != 7200 || *s.BusinessTimeToFirstResponseSeconds != 3600 {
		t.Errorf("wall %v business %v", *s.TimeToFirstResponseSeconds, *s.BusinessTimeToFirstResponseSeconds)
	}
}

func TestReport(t *testing.T) {
	w := newWorld()
	// severity A: 10 tickets answered after 10..100 minutes (all met: target 2h)
	for i := 0; i < 10; i++ {
		id := string(rune('a' + i))
		w.open(id, "A", t0)
		w.respond(id, t0.Add(time.Duration(10*(i+1))*time.Minute), dlFor("A", t0))
	}
	// severity B: one met near miss (3h40 of 4h), one breached, one open at risk, one open breached
	w.open("B1", "B", t0)
	w.respond("B1", t0.Add(220*time.Minute), dlFor("B", t0))
	w.open("B2", "B", t0)
	w.respond("B2", t0.Add(5*time.Hour), dlFor("B", t0))
	w.open("B3", "B", t0.Add(3*time.Hour))
	w.open("B4", "B", t0.Add(-5*time.Hour))
	// outside the period
	w.open("old", "A", t0.Add(-48*time.Hour))
	tk, _ := fold(w.g.Events)
	now := t0.Add(6 * time.Hour)
	rep, err := tk.Report(ReportQuery{From: t0.Add(-24 * time.Hour), To: t0.Add(24 * time.Hour), GroupBy: []string{"severity"}, Now: now, Horizon: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if tt := rep.Total; tt.Tickets != 14 || tt.Met != 11 || tt.Breached != 2 || tt.Pending != 1 || tt.AtRisk != 1 || tt.BreachedUnanswered != 1 || tt.NearMisses != 1 {
		t.Errorf("total %+v", tt)
	}
	if len(rep.Groups) != 2 || rep.Groups[0].Key["severity"] != "A" {
		t.Fatalf("groups %+v", rep.Groups)
	}
	a := rep.Groups[0]
	if a.CompliancePct != 100 || a.TimeToFirstResponse.P50 != 3000 || a.TimeToFirstResponse.P90 != 5400 || a.TimeToFirstResponse.P99 != 6000 {
		t.Errorf("A %+v", a)
	}
	b := rep.Groups[1]
	if b.CompliancePct != 100.0/3 || b.Tickets != 4 || b.Breached != 2 {
		t.Errorf("B %+v", b)
	}
	// The period in four 12-hour slices by opening time, in the same pass.
	rep, err = tk.Report(ReportQuery{From: t0.Add(-24 * time.Hour), To: t0.Add(24 * time.Hour), Slices: 4, Now: now, Horizon: 2 * time.Hour})
	if err != nil || len(rep.Over) != 4 {
		t.Fatalf("slices: %v %+v", err, rep.Over)
	}
	for i, want := range []struct{ tickets, met, breached int }{{0, 0, 0}, {1, 0, 1}, {13, 11, 1}, {0, 0, 0}} {
		sl := rep.Over[i]
		if sl.Tickets != want.tickets || sl.Met != want.met || sl.Breached != want.breached || !sl.From.Equal(t0.Add(time.Duration(12*i-24)*time.Hour)) || !sl.To.Equal(sl.From.Add(12*time.Hour)) {
			t.Errorf("slice %d: %+v, want %+v", i, sl, want)
		}
	}
	if rep.Over[2].CompliancePct != 100*11.0/12 {
		t.Errorf("slice compliance %v", rep.Over[2].CompliancePct)
	}
	// A century in slices: no overflow, every ticket in its slice.
	rep, err = tk.Report(ReportQuery{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), Slices: 8, Now: now})
	sum := 0
	for i, sl := range rep.Over {
		sum += sl.Tickets
		if i > 0 && !sl.From.Equal(rep.Over[i-1].To) || !sl.From.Before(sl.To) {
			t.Errorf("slice %d: %s to %s", i, sl.From, sl.To)
		}
	}
	if err != nil || sum != rep.Total.Tickets || !rep.Over[7].To.Equal(rep.To) || !rep.Over[0].From.Equal(rep.From) {
		t.Errorf("a century in slices: %v, %d of %d tickets, %+v", err, sum, rep.Total.Tickets, rep.Over)
	}
	if _, err := tk.Report(ReportQuery{Slices: 4}); domain.KindOf(err) != domain.KindInvalid {
		t.Errorf("slices without a period: %v", err)
	}
	if _, err := tk.Report(ReportQuery{GroupBy: []string{"colour"}}); domain.KindOf(err) != domain.KindInvalid {
		t.Errorf("bad dimension: %v", err)
	}
	risk, err := tk.AtRisk(AtRiskQuery{Now: now, Horizon: 2 * time.Hour, IncludeBreached: true})
	if err != nil || len(risk) != 3 || risk[0].TicketID != "old" || risk[2].TicketID != "B3" {
		t.Errorf("at risk %v %+v", err, risk)
	}
}
