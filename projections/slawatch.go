package projections

import (
	"time"

	"github.com/ticketledger/ticketledger/domain/sla"
)

// SLAWatch is what the deadline watcher needs to know of one ticket: the
// first-response deadline in force, whether the ticket still waits for its
// first response, and which notices of that deadline are recorded.
type SLAWatch struct {
	TicketID string
	// Waiting: open or awaiting the partner, with a deadline, unanswered.
	Waiting bool
	// Deadline is the deadline in force (without language and locale);
	// SetRecordedAt is when the ledger recorded the event that set it.
	Deadline      sla.Deadline
	SetRecordedAt time.Time
	// AtRiskNoticed and BreachNoticed say whether a notice of that kind is
	// recorded for Deadline.
	AtRiskNoticed, BreachNoticed bool
}

// SLAWatch returns the watch state of ticket id; false for a ticket the
// model does not hold.
func (t *Tickets) SLAWatch(id string) (SLAWatch, bool) { return readOne(t, id, t.watch) }

// EachWaiting calls fn with the watch state of every ticket still waiting
// for its first response, in the order they were opened (the watcher's
// start, once; after that it follows OnChange). fn runs under the read
// lock and must not call the model.
func (t *Tickets) EachWaiting(fn func(SLAWatch)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := 0; i < t.n; i++ {
		if r := t.at(i); r.waiting() {
			fn(t.watch(r))
		}
	}
}

func (t *Tickets) watch(r *rec) SLAWatch {
	w := SLAWatch{TicketID: t.id(r), Waiting: r.waiting()}
	if r.deadlineSet {
		w.Deadline, w.SetRecordedAt = t.deadline(&r.dl), fromNano(r.dl.setRec)
		w.AtRiskNoticed = r.riskNoticedAt != 0 && r.riskNoticedFor == r.dl.at
		w.BreachNoticed = r.breachNoticedAt != 0 && r.breachNoticedFor == r.dl.at
	}
	return w
}
