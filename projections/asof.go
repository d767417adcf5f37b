package projections

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// Axis is a time axis of the ledger.
type Axis string

// Axes.
const (
	// AxisOccurred: what had happened in the world by T (Meta.OccurredAt),
	// including events the ledger only recorded later.
	AxisOccurred Axis = "occurred"
	// AxisRecorded: what the ledger had recorded by T (Meta.RecordedAt).
	AxisRecorded Axis = "recorded"
)

// AsOfView is a ticket as known at an instant on one axis.
type AsOfView struct {
	At   time.Time `json:"at"`
	Axis Axis      `json:"axis"`
	// Exists is false when the ticket had not been opened by At.
	Exists bool `json:"exists"`
	// Ticket and SLA are the state and the SLA clock at At (deadline in
	// force, verdict, elapsed business time, remaining time).
	Ticket *Ticket    `json:"ticket,omitempty"`
	SLA    *TicketSLA `json:"sla,omitempty"`
	Events int        `json:"events"` // events included
	Last   *EventRef  `json:"last,omitempty"`
	// NotYetRecorded (occurred axis) lists events that had occurred by At
	// but were recorded after it: the view includes them, the ledger did
	// not know them at At. NotYetOccurred (recorded axis) lists events
	// already recorded by At whose occurred-at is later than At (the view
	// includes them too: the ledger knew them).
	NotYetRecorded []EventRef `json:"notYetRecorded"`
	NotYetOccurred []EventRef `json:"notYetOccurred"`
	// Excluded lists the events of the stream left out.
	Excluded []EventRef `json:"excluded"`
}

func ref(e *domain.Recorded) EventRef {
	typ := e.Type
	if typ == "" && e.Event != nil {
		typ = e.Event.EventType()
	}
	return newEventRef(e.Position, e.Revision, e.Meta.EventID.String(), typ, e.Meta.Actor, e.Meta.OnBehalfOf,
		e.Meta.OccurredAt, e.Meta.RecordedAt, e.Meta.PolicyVersion)
}

// AsOf replays one ticket's recorded history (its stream as read from the
// store) up to at on the given axis and returns its state and SLA clock at
// that instant. Events are applied in stream order; on the occurred axis
// an event is included when it occurred at or before at, on the recorded
// axis when the ledger recorded it at or before at.
func AsOf(events []domain.Recorded, at time.Time, axis Axis, clock Clock) (AsOfView, error) {
	if axis != AxisOccurred && axis != AxisRecorded {
		return AsOfView{}, domain.Errorf(domain.KindInvalid, "invalid-filter", "axis", "unknown time axis %q: use occurred or recorded", axis)
	}
	if at.IsZero() {
		return AsOfView{}, domain.Errorf(domain.KindInvalid, "invalid-filter", "at", "say at which instant to replay the ticket")
	}
	v := AsOfView{At: at, Axis: axis, NotYetRecorded: []EventRef{}, NotYetOccurred: []EventRef{}, Excluded: []EventRef{}}
	t := NewTickets(TicketsOptions{Clock: clock})
	for _, e := range sortedStream(events) {
		when := e.Meta.OccurredAt
		if axis == AxisRecorded {
			when = e.Meta.RecordedAt
		}
		if when.After(at) {
			v.Excluded = append(v.Excluded, ref(&e))
			continue
		}
		switch {
		case axis == AxisOccurred && e.Meta.RecordedAt.After(at):
			v.NotYetRecorded = append(v.NotYetRecorded, ref(&e))
		case axis == AxisRecorded && e.Meta.OccurredAt.After(at):
			v.NotYetOccurred = append(v.NotYetOccurred, ref(&e))
		}
		r := ref(&e)
		e.Position = e.Revision + 1 // stream order, whatever the global positions
		t.apply(&e)
		v.Events++
		v.Last = &r
	}
	if t.n == 0 {
		return v, nil
	}
	r := t.at(0)
	tk := t.view(r)
	tk.Position = 0
	if v.Last != nil {
		tk.Position = v.Last.Position
	}
	s := t.ticketSLA(r, unixNano(at), true)
	v.Exists, v.Ticket, v.SLA = true, &tk, &s
	return v, nil
}
