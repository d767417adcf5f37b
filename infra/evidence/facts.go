package evidence

import (
	"fmt"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Facts are what a ticket's signed events say about its first-response
// SLA, read from the events themselves (not from the read model).
type Facts struct {
	OpenedAt time.Time `json:"openedAt,omitzero"`
	Severity string    `json:"severity,omitempty"`
	Language string    `json:"language,omitempty"`
	// Deadlines is every deadline ever in force, oldest first: the one set
	// at opening, then one per severity change.
	Deadlines []sla.Deadline `json:"-"`
	// Responded is set when a first response is recorded: when, the
	// deadline in force then and the verdict the event records.
	Responded   bool         `json:"responded"`
	RespondedAt time.Time    `json:"respondedAt,omitzero"`
	InForce     sla.Deadline `json:"-"`
	Met         bool         `json:"met"`
}

// readFacts decodes the ticket's events (upcasting older payloads) and
// collects the SLA facts. An event that does not decode is an error naming
// its revision.
func readFacts(recs []eventstore.RecordedEvent) (Facts, error) {
	var f Facts
	for _, rec := range recs {
		d, err := codec.Decode(rec)
		if err != nil {
			return f, fmt.Errorf("revision %d (%s): %w", rec.Revision, rec.Type, err)
		}
		switch ev := d.Event.(type) {
		case ticket.Opened:
			f.OpenedAt, f.Severity, f.Language = ev.OpenedAt, string(ev.Severity), ev.Language
			f.Deadlines = append(f.Deadlines, ev.Deadline)
		case ticket.SeverityChanged:
			f.Severity = string(ev.To)
			f.Deadlines = append(f.Deadlines, ev.Deadline)
		case ticket.FirstResponseRecorded:
			if !f.Responded {
				f.Responded, f.RespondedAt, f.InForce, f.Met = true, ev.RespondedAt, ev.Deadline, ev.Met
			}
		}
	}
	return f, nil
}

// current is the deadline in force now: the last one set.
func (f Facts) current() (sla.Deadline, bool) {
	if len(f.Deadlines) == 0 {
		return sla.Deadline{}, false
	}
	return f.Deadlines[len(f.Deadlines)-1], true
}

func sevOf(s string) domain.Severity { return domain.Severity(s) }
