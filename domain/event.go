package domain

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"
)

// Event is a domain event payload. EventType returns its persisted, namespaced
// type name ("ticket.opened"), which never changes once released.
type Event interface {
	EventType() string
}

// Meta is the metadata recorded with every event: who, on whose behalf, why
// (correlation and causation), when on both time axes, under which policy, and
// the hash-chain fields that make the stream tamper-evident.
type Meta struct {
	EventID       uuid.UUID `json:"eventId"`
	SchemaVersion int       `json:"schemaVersion"`
	Actor         Actor     `json:"actor"`
	OnBehalfOf    string    `json:"onBehalfOf,omitempty"` // customer id, when acting in a customer's context
	CorrelationID string    `json:"correlationId,omitempty"`
	CausationID   string    `json:"causationId,omitempty"`
	// OccurredAt is when the thing happened in the world (may be earlier
	// than RecordedAt for late entries); RecordedAt is when the ledger
	// stored it.
	OccurredAt time.Time `json:"occurredAt"`
	RecordedAt time.Time `json:"recordedAt"`
	// PolicyVersion is the SLA policy that computed any deadline in the event.
	PolicyVersion string `json:"policyVersion,omitempty"`
	// Imported marks history taken in from another desk (ticketledger
	// import): OccurredAt is the source's, RecordedAt the import's, Actor
	// the source's (Auth AuthImport), SourceID the source's id of the entry
	// and ImportedBy the principal who ran the import. Notifications
	// (webhooks, SLA notices) skip events that carry it: they are history.
	Imported   bool   `json:"imported,omitempty"`
	SourceID   string `json:"sourceId,omitempty"`
	ImportedBy *Actor `json:"importedBy,omitempty"`
	PrevHash   string `json:"prevHash,omitempty"`
	Hash       string `json:"hash,omitempty"`
}

// Recorded is an event as read back from the ledger: its payload decoded and
// upcast to the current schema, its metadata, and where it sits. Event holds
// the payload as a value (ticket.Opened, never *ticket.Opened), the same form
// aggregates return from commands.
type Recorded struct {
	Stream   string
	Revision uint64 // 0-based index in its stream
	Position uint64 // commit position in the global log
	Type     string
	Meta     Meta
	Event    Event
}

// EventSpec describes one persisted event type: its name, its current schema
// version, how to make an empty payload to decode into (a pointer; the codec
// dereferences it into the value Recorded carries), and how to upcast an
// older payload version to the current one.
type EventSpec struct {
	Type    string
	Version int
	New     func() Event
	// Upcast turns a payload of an older version into the current version's
	// JSON. Nil when the type never had another version.
	Upcast func(fromVersion int, data json.RawMessage) (json.RawMessage, error)
}

// SpecsOf returns the specs of event types still at their first schema
// version, one per event value given (Opened{}; a pointer counts as its value): Type is
// what the value's EventType returns, Version is 1, Upcast is nil, and New
// makes a pointer to a fresh zero value of the same Go type. A type whose
// payload changed shape gets its EventSpec written out, with its Version and
// Upcast, beside these.
func SpecsOf(events ...Event) []EventSpec {
	specs := make([]EventSpec, len(events))
	for i, e := range events {
		t := reflect.TypeOf(Value(e))
		specs[i] = EventSpec{Type: e.EventType(), Version: 1, New: func() Event { return reflect.New(t).Interface().(Event) }}
	}
	return specs
}

// Value returns e with one level of pointer removed (*ticket.Opened becomes
// ticket.Opened), the form aggregates and projections switch on.
func Value(e Event) Event {
	if e == nil {
		return nil
	}
	if v := reflect.ValueOf(e); v.Kind() == reflect.Pointer && !v.IsNil() {
		if d, ok := v.Elem().Interface().(Event); ok {
			return d
		}
	}
	return e
}

// TypeName names e's Go type for error messages ("<nil>" for nil).
func TypeName(e Event) string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%T", e)
}
