package projections

import (
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain/sla"
)

func TestWhatIf(t *testing.T) {
	w := newWorld()
	w.open("fast", "A", t0)
	w.respond("fast", t0.Add(30*time.Minute), dlFor("A", t0)) // met under both
	w.open("slow", "A", t0)
	w.respond("slow", t0.Add(100*time.Minute), dlFor("A", t0)) // met at 2h, breached at 1h
	w.open("late", "A", t0)
	w.respond("late", t0.Add(150*time.Minute), dlFor("A", t0)) // breached at 2h, met at 3h? no: see policy
	tk, _ := fold(w.g.Events)
	tighter := PolicyFunc(func(r sla.Request) (sla.Deadline, error) {
		return sla.Deadline{At: r.OpenedAt.Add(time.Hour), Target: time.Hour, From: r.OpenedAt, PolicyVersion: "v2", Severity: r.Severity}, nil
	})
	rep, err := tk.WhatIf(WhatIfQuery{Now: t0.Add(24 * time.Hour), PolicyVersion: "v2"}, tighter)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Evaluated != 3 || rep.MetToBreached != 1 || rep.BreachedToMet != 0 || rep.Unchanged != 2 || len(rep.Flips) != 1 {
		t.Fatalf("report %+v", rep)
	}
	f := rep.Flips[0]
	if f.TicketID != "slow" || f.Recorded.MarginSeconds != 1200 || f.WhatIf.MarginSeconds != -2400 || f.ShiftSeconds != -3600 {
		t.Errorf("flip %+v", f)
	}
	looser := PolicyFunc(func(r sla.Request) (sla.Deadline, error) {
		return sla.Deadline{At: r.OpenedAt.Add(3 * time.Hour), From: r.OpenedAt}, nil
	})
	rep, _ = tk.WhatIf(WhatIfQuery{Now: t0.Add(24 * time.Hour)}, looser)
	if rep.BreachedToMet != 1 || rep.Flips[0].TicketID != "late" || rep.WhatIfCompliancePct != 100 {
		t.Errorf("looser %+v", rep)
	}
	// recorded verdicts untouched
	if s, _ := tk.SLA("slow", t0); s.Verdict != SLAMet {
		t.Errorf("recorded verdict changed: %s", s.Verdict)
	}
}
