package webhook

import (
	"slices"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/webhook"
)

// Delivery statuses (DeliveryView.Status).
const (
	StatusDelivered       = "delivered"
	StatusParked          = "parked"           // in the dead-letter list
	StatusHeld            = "held"             // queued behind a parked delivery of its ticket
	StatusReplayRequested = "replay_requested" // an admin asked for it again
	StatusSkipped         = "skipped"          // an admin gave it up
)

// DeliveryView is one delivery of a subscription's log.
type DeliveryView struct {
	webhook.Delivery
	Status     string    `json:"status"`
	Attempts   int       `json:"attempts"`
	HTTPStatus int       `json:"httpStatus,omitempty"`
	Error      string    `json:"error,omitempty"`
	LatencyMS  int64     `json:"latencyMs"`
	UpdatedAt  time.Time `json:"updatedAt"`
	body       string
}

// ledgerOf is a subscription's delivery stream folded: every delivery's
// latest state, and per ticket the queue of deliveries not yet settled
// (its head parked or about to be retried, the rest held).
type ledgerOf struct {
	byID   map[string]*DeliveryView
	order  []string            // delivery ids, first recorded first
	queues map[string][]string // ticket id → unsettled delivery ids, in order
}

func newLedger() *ledgerOf {
	return &ledgerOf{byID: map[string]*DeliveryView{}, queues: map[string][]string{}}
}

// fold applies one event of the delivery stream.
func (l *ledgerOf) fold(rec domain.Recorded) {
	at := rec.Meta.RecordedAt
	switch e := domain.Value(rec.Event).(type) {
	case webhook.Delivered:
		v := l.view(e.Delivery)
		v.Status, v.Attempts, v.HTTPStatus, v.Error, v.LatencyMS, v.UpdatedAt = StatusDelivered, e.Attempts.Attempts, e.Status, e.Error, e.LatencyMS, at
		l.dequeue(e.TicketID, e.DeliveryID)
	case webhook.Parked:
		v := l.view(e.Delivery)
		v.Status, v.Attempts, v.HTTPStatus, v.Error, v.LatencyMS, v.UpdatedAt, v.body = StatusParked, e.Attempts.Attempts, e.Status, e.Error, e.LatencyMS, at, e.Body
		l.enqueue(e.TicketID, e.DeliveryID)
	case webhook.Held:
		v := l.view(e.Delivery)
		v.Status, v.UpdatedAt, v.body = StatusHeld, at, e.Body
		l.enqueue(e.TicketID, e.DeliveryID)
	case webhook.ReplayRequested:
		if v := l.byID[e.DeliveryID]; v != nil && v.Status == StatusParked {
			v.Status, v.UpdatedAt = StatusReplayRequested, at
		}
	case webhook.Skipped:
		if v := l.byID[e.DeliveryID]; v != nil && v.Status == StatusParked {
			v.Status, v.UpdatedAt = StatusSkipped, at
			l.dequeue(e.TicketID, e.DeliveryID)
		}
	}
}

func (l *ledgerOf) view(d webhook.Delivery) *DeliveryView {
	v := l.byID[d.DeliveryID]
	if v == nil {
		v = &DeliveryView{Delivery: d}
		l.byID[d.DeliveryID] = v
		l.order = append(l.order, d.DeliveryID)
	}
	return v
}

func (l *ledgerOf) enqueue(ticketID, id string) {
	if q := l.queues[ticketID]; !slices.Contains(q, id) {
		l.queues[ticketID] = append(q, id)
	}
}

func (l *ledgerOf) dequeue(ticketID, id string) {
	q := slices.DeleteFunc(l.queues[ticketID], func(x string) bool { return x == id })
	if len(q) == 0 {
		delete(l.queues, ticketID)
		return
	}
	l.queues[ticketID] = q
}

// head returns the first unsettled delivery of a ticket (nil: none).
func (l *ledgerOf) head(ticketID string) *DeliveryView {
	if q := l.queues[ticketID]; len(q) > 0 {
		return l.byID[q[0]]
	}
	return nil
}

// blocked reports whether the ticket's queue waits for an admin (its head
// is parked).
func (l *ledgerOf) blocked(ticketID string) bool {
	h := l.head(ticketID)
	return h != nil && h.Status == StatusParked
}

// parked returns the deliveries waiting for an admin, oldest first.
func (l *ledgerOf) parked() []DeliveryView {
	var out []DeliveryView
	for _, id := range l.order {
		if v := l.byID[id]; v.Status == StatusParked || v.Status == StatusReplayRequested {
			out = append(out, *v)
		}
	}
	return out
}

// log returns up to limit deliveries, the latest recorded first.
func (l *ledgerOf) log(limit int) []DeliveryView {
	out := make([]DeliveryView, 0, min(limit, len(l.order)))
	for i := len(l.order) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, *l.byID[l.order[i]])
	}
	return out
}
