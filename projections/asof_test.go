package projections

import (
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain/ticket"
)

// A first response given at 10:30 (in time for an 11:00 deadline) but
// recorded only at 13:00: at 12:00 the world had the response, the ledger
// did not, and showed the ticket breached.
func TestAsOfLateRecordedResponse(t *testing.T) {
	w := newWorld()
	w.open("t", "A", t0) // 09:00, deadline 11:00
	resp := t0.Add(90 * time.Minute)
	d := dlFor("A", t0)
	w.add("ticket-t", engineer, resp, t0.Add(4*time.Hour), ticket.FirstResponseRecorded{Responder: engineer.ID, RespondedAt: resp, Deadline: d, Met: true})
	w.add("ticket-t", engineer, t0.Add(5*time.Hour), t0.Add(5*time.Hour), ticket.Resolved{Resolution: "ok"})
	evs := w.stream("t")
	at := t0.Add(3 * time.Hour)
	tests := []struct {
		axis           Axis
		at             time.Time
		verdict        string
		status         string
		events         int
		notYetRecorded int
	}{
		{AxisOccurred, at, SLAMet, StatusInProgress, 2, 1},
		{AxisRecorded, at, SLABreached, StatusOpen, 1, 0},
		{AxisRecorded, t0.Add(4 * time.Hour), SLAMet, StatusInProgress, 2, 0},
		{AxisOccurred, t0.Add(time.Hour), SLAPending, StatusOpen, 1, 0},
		{AxisOccurred, t0.Add(6 * time.Hour), SLAMet, StatusResolved, 3, 0},
	}
	for _, tc := range tests {
		t.Run(string(tc.axis)+tc.at.Format("15:04"), func(t *testing.T) {
			v, err := AsOf(evs, tc.at, tc.axis, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !v.Exists || v.SLA.Verdict != tc.verdict || v.Ticket.Status != tc.status || v.Events != tc.events || len(v.NotYetRecorded) != tc.notYetRecorded {
				t.Errorf("verdict %s status %s events %d notYetRecorded %d", v.SLA.Verdict, v.Ticket.Status, v.Events, len(v.NotYetRecorded))
			}
		})
	}
	// the running clock at 10:00 on the occurred axis
	v, _ := AsOf(evs, t0.Add(time.Hour), AxisOccurred, nil)
	if *v.SLA.ElapsedBusinessSeconds != 3600 || *v.SLA.RemainingSeconds != 3600 {
		t.Errorf("clock %v %v", *v.SLA.ElapsedBusinessSeconds, *v.SLA.RemainingSeconds)
	}
	// before the opening the ticket does not exist
	if v, _ := AsOf(evs, t0.Add(-time.Minute), AxisRecorded, nil); v.Exists {
		t.Error("exists before opening")
	}
	if _, err := AsOf(evs, at, "sideways", nil); err == nil {
		t.Error("bad axis accepted")
	}
}
