package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/projections"
)

// SLAViewName is the projection name of SLAView (snapshots, lag metrics).
const SLAViewName = "metrics_sla"

// SLAView is an SLASource kept as a projection: a pure fold of ticket events
// into one small TicketSLA per ticket stream. It implements
// projections.Projection, so the projector drives and snapshots it like any
// other read model, and the SLA metrics are right after a restart. It ignores
// events it does not need and never fails. Safe for concurrent use.
type SLAView struct {
	clock projections.Clock

	mu      sync.RWMutex
	tickets map[string]*viewEntry // by stream name
	stats   projections.Stats
}

type viewEntry struct {
	T TicketSLA    `json:"t"`
	D sla.Deadline `json:"d"` // the deadline in force, for counting time
}

var (
	_ SLASource              = (*SLAView)(nil)
	_ projections.Projection = (*SLAView)(nil)
)

// NewSLAView returns an empty view. clock counts the time to first response
// against the ticket's deadline (business time for business-hours tickets);
// nil means wall-clock time.
func NewSLAView(clock projections.Clock) *SLAView {
	return &SLAView{clock: clock, tickets: map[string]*viewEntry{}}
}

// Name implements projections.Projection.
func (v *SLAView) Name() string { return SLAViewName }

// Apply implements projections.Projection: it folds one recorded event.
// Events at or below the last applied position are ignored (when positions
// are set); events of other streams and types are ignored; ticket events of
// a stream never opened as a vendor ticket (marketplace redirects) are
// counted as orphans only when they are not redirects.
func (v *SLAView) Apply(rec domain.Recorded) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if rec.Position != 0 {
		if rec.Position <= v.stats.Position {
			v.stats.Duplicates++
			return
		}
		v.stats.Position = rec.Position
	}
	v.stats.Applied++
	ev := deref(rec.Event)
	if e, ok := ev.(ticket.Opened); ok {
		opened := e.Deadline.From
		if opened.IsZero() {
			opened = rec.Meta.OccurredAt
		}
		v.tickets[rec.Stream] = &viewEntry{
			T: TicketSLA{Severity: e.Severity, Product: e.Product, Open: true, OpenedAt: opened,
				Deadline: e.Deadline.At, Target: e.Deadline.Target},
			D: e.Deadline,
		}
		return
	}
	ent := v.tickets[rec.Stream]
	if ent == nil {
		return
	}
	t := &ent.T
	switch e := ev.(type) {
	case ticket.FirstResponseRecorded:
		if t.Responded {
			return
		}
		at := e.RespondedAt
		if at.IsZero() {
			at = rec.Meta.OccurredAt
		}
		t.Responded, t.Met, t.JudgedSeverity = true, e.Met, t.Severity
		d := ent.D
		if d.From.IsZero() {
			d.From = t.OpenedAt
		}
		if v.clock != nil && !d.At.IsZero() {
			t.FirstResponse = v.clock.Elapsed(d, at)
		} else {
			t.FirstResponse = at.Sub(d.From)
		}
		t.FirstResponse = max(t.FirstResponse, 0)
	case ticket.SeverityChanged:
		t.Severity = e.To
		t.Deadline, t.Target = e.Deadline.At, e.Deadline.Target
		ent.D = e.Deadline
	case ticket.Escalated:
		t.Escalations++
	case ticket.BillingDisputeOpened:
		t.DisputesOpened++
	case ticket.FraudFlagged:
		t.FraudFlags++
	case ticket.Resolved, ticket.Closed:
		t.Open = false
	case ticket.Reopened:
		t.Open = true
	}
}

// deref turns the pointer payloads a codec might hand over into the value
// form aggregates use.
func deref(e domain.Event) domain.Event {
	switch p := e.(type) {
	case *ticket.Opened:
		return *p
	case *ticket.FirstResponseRecorded:
		return *p
	case *ticket.SeverityChanged:
		return *p
	case *ticket.Escalated:
		return *p
	case *ticket.BillingDisputeOpened:
		return *p
	case *ticket.FraudFlagged:
		return *p
	case *ticket.Resolved:
		return *p
	case *ticket.Closed:
		return *p
	case *ticket.Reopened:
		return *p
	}
	return e
}

// EachTicket implements SLASource.
func (v *SLAView) EachTicket(fn func(TicketSLA)) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, e := range v.tickets {
		fn(e.T)
	}
}

// Len returns the number of vendor tickets in the view.
func (v *SLAView) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.tickets)
}

// Position implements projections.Projection.
func (v *SLAView) Position() uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.stats.Position
}

// Stats implements projections.Projection.
func (v *SLAView) Stats() projections.Stats {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.stats
}

// Reset implements projections.Projection.
func (v *SLAView) Reset() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.tickets = map[string]*viewEntry{}
	v.stats = projections.Stats{}
}

type viewSnapshot struct {
	Version  int                   `json:"version"`
	Position uint64                `json:"position"`
	Tickets  map[string]*viewEntry `json:"tickets"`
}

const viewSnapshotVersion = 1

// Snapshot implements projections.Projection: the state and its position, as
// JSON.
func (v *SLAView) Snapshot(w io.Writer) error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if err := json.NewEncoder(w).Encode(viewSnapshot{Version: viewSnapshotVersion, Position: v.stats.Position, Tickets: v.tickets}); err != nil {
		return fmt.Errorf("snapshot %s: %w", SLAViewName, err)
	}
	return nil
}

// Restore implements projections.Projection: it replaces the state with one
// written by Snapshot.
func (v *SLAView) Restore(r io.Reader) error {
	var s viewSnapshot
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return fmt.Errorf("restore %s: %w: %w", SLAViewName, projections.ErrCorruptSnapshot, err)
	}
	if s.Version != viewSnapshotVersion {
		return fmt.Errorf("restore %s: snapshot version %d, want %d: %w (rebuild from the start)", SLAViewName, s.Version, viewSnapshotVersion, projections.ErrCorruptSnapshot)
	}
	if s.Tickets == nil {
		s.Tickets = map[string]*viewEntry{}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.tickets = s.Tickets
	v.stats = projections.Stats{Position: s.Position}
	return nil
}
