package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Store is the event-store port: the operations the ledger needs from an
// event store, and no more. The application appends and reads streams, the
// projector subscribes to $all and measures its lag against Head, the verify
// command reads streams and $all. Every implementation
// (infra/store/pebblestore, infra/store/kurrent) passes the port's
// conformance suite, eventstoretest.Run.
//
// Deleting streams and subscribing to one stream are not part of the port:
// the ledger never does either. infra/kurrentwire, which serves a store to
// KurrentDB clients that may, declares them in its own, larger interface
// (kurrentwire.Store).
type Store interface {
	// Append writes events to the end of stream if the stream's current
	// revision matches expected. It is atomic (all events or none) and
	// idempotent by event id: appending events whose ids are already stored
	// in the same stream at the same place returns the original result
	// (AppendResult.Deduplicated) and stores nothing. A mismatch returns a
	// *ConflictError.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream reads up to count events of one stream starting at from
	// (inclusive) in the given direction. A stream that never existed or was
	// soft-deleted returns ErrStreamNotFound; a tombstoned one ErrStreamDeleted.
	// Stream metadata ($maxAge, $maxCount, $tb in the "$$"+stream metadata
	// stream) is honoured: truncated events are not returned.
	ReadStream(ctx context.Context, stream string, dir Direction, from StreamPos, count uint64) ([]RecordedEvent, error)

	// ReadAll reads up to count events of the global log. Forwards reads
	// include from; backwards reads exclude it (KurrentDB semantics).
	ReadAll(ctx context.Context, dir Direction, from AllPos, count uint64, filter *Filter) ([]RecordedEvent, error)

	// SubscribeAll delivers every event of the global log after from (or
	// from the start), in order, without gaps or duplicates: first the
	// history (catch-up), then one CaughtUp message, then live events.
	SubscribeAll(ctx context.Context, from AllPos, opts SubscribeOptions) (Subscription, error)

	// Head returns the position of the last event of the global log, or the
	// zero Position when it is empty. The projector compares it with its
	// checkpoint to measure lag and rebuild progress.
	Head(ctx context.Context) (Position, error)

	// Close releases the store. Appends that returned success are durable.
	Close() error
}

// EventData is an event to append.
type EventData struct {
	ID          uuid.UUID // unique id; retries reuse it for idempotency
	Type        string    // namespaced event type, e.g. "ticket.opened"
	ContentType string    // "application/json" or "application/octet-stream"
	Data        []byte
	Metadata    []byte // custom metadata, JSON
}

// RecordedEvent is an event as stored. A store may hand the same Data and
// Metadata to several readers (the embedded store keeps the latest events in
// memory): treat them as read-only.
type RecordedEvent struct {
	StreamID    string
	Revision    uint64 // 0-based position in its stream
	Position    Position
	ID          uuid.UUID
	Type        string
	ContentType string
	Data        []byte
	Metadata    []byte
	Created     time.Time // when the store committed it (UTC)
}

// RecordInfo is what a store keeps of an event beside its bytes and its
// place (of RecordedEvent), in the JSON form the evidence exports write.
type RecordInfo struct {
	ID          uuid.UUID `json:"id"`
	Type        string    `json:"type"`
	ContentType string    `json:"contentType"`
	Created     time.Time `json:"created"`
}

// Position is a place in the global log. Zero is "before everything";
// stored events have strictly increasing positions with Commit > 0.
// Implementations without a separate prepare position set Prepare = Commit.
type Position struct {
	Commit  uint64
	Prepare uint64
}

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool {
	if p.Commit != q.Commit {
		return p.Commit < q.Commit
	}
	return p.Prepare < q.Prepare
}

// String renders the position as "C:commit/P:prepare", KurrentDB's notation.
func (p Position) String() string { return fmt.Sprintf("C:%d/P:%d", p.Commit, p.Prepare) }

// AppendResult is what a successful append returns.
type AppendResult struct {
	NextRevision uint64   // revision of the last event appended
	Position     Position // position of the last event appended
	// Deduplicated reports an idempotent append: events with these ids were
	// already stored at that place, so nothing was written, and NextRevision
	// and Position describe the stored events, whose data and metadata may
	// not be the ones sent. It is always set when the stored events differ
	// from the ones sent; an adapter that cannot tell a retry of identical
	// events from a fresh append (KurrentDB answers both alike) leaves it
	// false then.
	Deduplicated bool
}

// Direction is a read direction.
type Direction int

// Read directions.
const (
	Forwards Direction = iota
	Backwards
)

// StreamPos is where a stream read or subscription starts.
type StreamPos struct {
	kind     posKind
	revision uint64
}

// AllPos is where a $all read or subscription starts.
type AllPos struct {
	kind     posKind
	position Position
}

type posKind uint8

const (
	posStart posKind = iota
	posEnd
	posAt
)

// StreamStart is the first event of a stream.
func StreamStart() StreamPos { return StreamPos{kind: posStart} }

// StreamEnd is the last event of a stream (or, for subscriptions, "only new events").
func StreamEnd() StreamPos { return StreamPos{kind: posEnd} }

// StreamRevision is a given revision of a stream.
func StreamRevision(r uint64) StreamPos { return StreamPos{kind: posAt, revision: r} }

// IsStart, IsEnd and Revision describe a StreamPos.
func (s StreamPos) IsStart() bool { return s.kind == posStart }

// IsEnd reports whether s is StreamEnd.
func (s StreamPos) IsEnd() bool { return s.kind == posEnd }

// Revision returns the revision and whether s names one.
func (s StreamPos) Revision() (uint64, bool) { return s.revision, s.kind == posAt }

// AllStart is the beginning of the global log.
func AllStart() AllPos { return AllPos{kind: posStart} }

// AllEnd is the end of the global log.
func AllEnd() AllPos { return AllPos{kind: posEnd} }

// AllPosition is a given position of the global log.
func AllPosition(p Position) AllPos { return AllPos{kind: posAt, position: p} }

// AllFrom is AllPosition(p), or AllStart for the zero Position: where a
// reader that has got as far as p (nothing yet: zero) goes on.
func AllFrom(p Position) AllPos {
	if p == (Position{}) {
		return AllStart()
	}
	return AllPosition(p)
}

// IsStart reports whether a is AllStart.
func (a AllPos) IsStart() bool { return a.kind == posStart }

// IsEnd reports whether a is AllEnd.
func (a AllPos) IsEnd() bool { return a.kind == posEnd }

// Position returns the position and whether a names one.
func (a AllPos) Position() (Position, bool) { return a.position, a.kind == posAt }

// ExpectedRevision is the optimistic-concurrency check of an append or delete.
type ExpectedRevision struct {
	kind     expKind
	revision uint64
}

type expKind uint8

const (
	expAny expKind = iota
	expNoStream
	expStreamExists
	expExact
)

// Any accepts the append whatever the stream's state.
func Any() ExpectedRevision { return ExpectedRevision{kind: expAny} }

// NoStream requires that the stream does not exist yet.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expNoStream} }

// StreamExists requires that the stream exists.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: expStreamExists} }

// Exact requires that the stream's last event has revision r.
func Exact(r uint64) ExpectedRevision { return ExpectedRevision{kind: expExact, revision: r} }

// IsAny reports whether e is Any().
func (e ExpectedRevision) IsAny() bool { return e.kind == expAny }

// IsNoStream reports whether e is NoStream().
func (e ExpectedRevision) IsNoStream() bool { return e.kind == expNoStream }

// IsStreamExists reports whether e is StreamExists().
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expStreamExists }

// Exact returns the revision and whether e is Exact.
func (e ExpectedRevision) Exact() (uint64, bool) { return e.revision, e.kind == expExact }

// String renders e for error messages.
func (e ExpectedRevision) String() string {
	switch e.kind {
	case expNoStream:
		return "no stream"
	case expStreamExists:
		return "stream exists"
	case expExact:
		return fmt.Sprintf("revision %d", e.revision)
	}
	return "any"
}

// Filter selects events of $all by stream name or event type, by prefixes or
// a regular expression (Go RE2 syntax). A nil filter selects everything.
type Filter struct {
	On       FilterOn
	Prefixes []string
	Regex    string
}

// FilterOn says what a Filter looks at.
type FilterOn int

// Filter targets.
const (
	FilterStreamName FilterOn = iota
	FilterEventType
)

// SubscribeOptions tunes a $all subscription.
type SubscribeOptions struct {
	Filter *Filter
	// CheckpointInterval, with a filter, asks for a Checkpoint message at
	// least every that many scanned events, so a filtered subscriber can
	// record progress through long runs of events it does not want. 0: none.
	CheckpointInterval uint32
}

// Subscription is a running subscription. Next blocks until a message, the
// subscription's context ends, Close is called, or the subscriber falls too far
// behind (ErrSubscriptionDropped).
type Subscription interface {
	Next() (Message, error)
	Close() error
}

// Message is one item of a subscription: exactly one field is set.
type Message struct {
	Event      *RecordedEvent
	CaughtUp   bool
	Checkpoint *Position
}

// Errors every implementation returns (wrapped or as is; test with errors.Is/As).
var (
	ErrStreamNotFound      = errors.New("stream not found")
	ErrStreamDeleted       = errors.New("stream deleted (tombstoned)")
	ErrSubscriptionDropped = errors.New("subscription dropped")
	ErrClosed              = errors.New("store closed")
	// ErrNoSpace: the store refuses appends because its disk is (nearly)
	// full; reads go on, and appends succeed again once space is freed.
	ErrNoSpace = errors.New("event store disk full")
	// ErrDamaged: a file of the store failed its checksum or could not be
	// decoded; the data it holds cannot be read until it is restored.
	ErrDamaged = errors.New("event store damaged")
	// ErrFailed: a write of the store failed (e.g. its WAL write); it
	// refuses appends until it has recovered (the embedded store reopens
	// itself in-process), and the append that met the failure may or may
	// not have been stored, whole.
	ErrFailed = errors.New("event store failed")
)

// Fault returns the store fault err is (ErrNoSpace, ErrDamaged or
// ErrFailed), or nil: callers retrying on a fault log it once, as the
// store does.
func Fault(err error) error {
	for _, f := range []error{ErrNoSpace, ErrDamaged, ErrFailed} {
		if errors.Is(err, f) {
			return f
		}
	}
	return nil
}

// FaultStats counts a store's faults (ErrNoSpace, ErrDamaged, ErrFailed)
// since it was opened, for a store that keeps them (the embedded one's
// Stats.Faults) and for the metrics made of them.
type FaultStats struct {
	// NoSpace is true while appends are refused for lack of disk space;
	// RefusedNoSpace counts the appends refused so.
	NoSpace        bool
	RefusedNoSpace uint64
	// DamagedFiles is the number of damaged files found.
	DamagedFiles int
	// Failed is true while the store refuses appends after a failed
	// commit, until it has reopened itself. Failures counts those
	// failures, Reopens the reopens that succeeded.
	Failed   bool
	Failures uint64
	Reopens  uint64
}

// ConflictError is returned when an append's expected revision does not hold.
type ConflictError struct {
	Stream   string
	Expected ExpectedRevision
	// Actual is the stream's current last revision; HasActual is false when
	// the stream does not exist.
	Actual    uint64
	HasActual bool
}

func (e *ConflictError) Error() string {
	actual := "no stream"
	if e.HasActual {
		actual = fmt.Sprintf("revision %d", e.Actual)
	}
	return fmt.Sprintf("append to %s: expected %s, stream is at %s", e.Stream, e.Expected, actual)
}

// IsConflict reports whether err is (or wraps) a *ConflictError.
func IsConflict(err error) bool {
	var c *ConflictError
	return errors.As(err, &c)
}

// MetadataStream names the stream that holds stream's metadata ("$$"+stream).
func MetadataStream(stream string) string { return "$$" + stream }

// IsSystemStream reports whether a stream name is a system stream ("$"-prefixed).
func IsSystemStream(stream string) bool { return len(stream) > 0 && stream[0] == '$' }

// StreamAppend is one stream's part of a multi-stream append: the arguments
// of one Store.Append.
type StreamAppend struct {
	Stream   string
	Expected ExpectedRevision
	Events   []EventData
}

// BatchAppender is implemented by a store that can append to many streams
// at once: the appends are checked and written in order, as if by one
// Append each, but all of them or none, made durable together (one fsync).
// An append that fails its check fails the whole batch: the error names
// it (a *BatchError), and nothing is stored. The embedded store implements
// it; the ledger's bulk writer (infra/store/bulk) uses it when it can.
type BatchAppender interface {
	AppendBatch(ctx context.Context, appends []StreamAppend) ([]AppendResult, error)
}

// BatchError says which append of a batch failed: nothing of the batch was
// stored. It unwraps to the cause (a *ConflictError, ErrStreamDeleted…).
type BatchError struct {
	Index  int // the failed append's index in the batch
	Stream string
	Err    error
}

// Error names the append and its cause.
func (e *BatchError) Error() string {
	return fmt.Sprintf("append %d of the batch (to %s), so none of the batch was stored: %v", e.Index, e.Stream, e.Err)
}

// Unwrap returns the cause.
func (e *BatchError) Unwrap() error { return e.Err }
