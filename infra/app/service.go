package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// IdempotencyNamespace is the UUID namespace of the deterministic ids an
// idempotency key produces. Persisted (event ids are derived from it): never
// change it.
var IdempotencyNamespace = uuid.MustParse("6f1d3c2a-8e4b-5a7c-9d10-7469636b6574")

// RuleStaleRevision: the caller's expected revision is not the stream's
// current revision (optimistic concurrency).
const RuleStaleRevision domain.Rule = "stale-revision"

// MaxIdempotencyKey is the longest idempotency key accepted, in bytes.
const MaxIdempotencyKey = 200

// Config holds what a Service needs.
type Config struct {
	// Store is the event store. Required.
	Store eventstore.Store
	// Policies are the SLA policy versions; commands use the current one.
	// Nil: sla.Shipped().
	Policies *sla.Policies
	// Codec encodes and decodes events. Nil: codec.Default().
	Codec *codec.Codec
	// Now is the ledger's clock. Nil: time.Now.
	Now func() time.Time
	// Window bounds occurred-at against now (zero: the domain defaults).
	Window domain.Window
}

// Service runs commands against the event store. It is safe for concurrent
// use; concurrent commands on one stream are serialised by optimistic
// concurrency (one wins, the other gets a *ConflictError).
type Service struct {
	store    eventstore.Store
	policies *sla.Policies
	codec    *codec.Codec
	now      func() time.Time
	window   domain.Window
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("app: no event store")
	}
	s := &Service{store: cfg.Store, policies: cfg.Policies, codec: cfg.Codec, now: cfg.Now, window: cfg.Window}
	if s.policies == nil {
		s.policies = sla.Shipped()
	}
	if s.codec == nil {
		s.codec = codec.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Policies returns the SLA policies the service decides with.
func (s *Service) Policies() *sla.Policies { return s.policies }

// Command is what every command carries besides its own input.
type Command struct {
	Actor domain.Actor
	// OnBehalfOf is the customer the actor acts for. Empty: for a partner
	// actor, the customer of the ticket (or of the partner command); it
	// may not name another customer than the ticket's.
	OnBehalfOf    string
	CorrelationID string // empty: a new id
	CausationID   string // empty: the correlation id
	// OccurredAt is when the thing happened in the world. Zero: now.
	OccurredAt time.Time
	// IdempotencyKey makes a retry return the first run's result and append
	// nothing twice. Optional; at most MaxIdempotencyKey bytes.
	IdempotencyKey string
	// ExpectedRevision, when set, is the stream revision the caller last
	// saw; the command is refused with a *ConflictError if the stream has
	// moved on.
	ExpectedRevision *uint64
}

// Result is what an accepted command returns.
type Result struct {
	Stream    string // the stream written, e.g. "ticket-<id>"
	TicketID  string // ticket commands
	PartnerID string // partner commands
	// Revision is the stream's last revision after the command (for a
	// replayed command: the revision of its last event). HasRevision is
	// false only when the stream does not exist.
	Revision    uint64
	HasRevision bool
	// Position is the global commit position of the command's last event;
	// 0 when the command emitted nothing.
	Position uint64
	// Events are the events the command emitted, with their metadata; empty
	// when nothing changed. Position is set on the last one only.
	Events []domain.Recorded
	// Deadline is the first-response deadline set by the command (Open,
	// ChangeSeverity), nil otherwise.
	Deadline *sla.Deadline
	// Replayed is true when an idempotency key found the events of an
	// earlier run of the command, which this result describes.
	Replayed bool
}

// ConflictError is a revision conflict: the caller's expected revision, or
// the revision the command read, is no longer the stream's.
type ConflictError struct {
	Stream string
	// Expected is the revision the command expected (HasExpected false:
	// expected no stream).
	Expected    uint64
	HasExpected bool
	// Current is the stream's current last revision (HasCurrent false: the
	// stream does not exist).
	Current    uint64
	HasCurrent bool
}

// Error says what was expected and where the stream is.
func (e *ConflictError) Error() string { return e.domainError().Error() }

// Unwrap returns the *domain.Error (KindConflict, RuleStaleRevision) the
// conflict stands for.
func (e *ConflictError) Unwrap() error { return e.domainError() }

func (e *ConflictError) domainError() *domain.Error {
	exp, cur := "no stream", "does not exist"
	if e.HasExpected {
		exp = "revision " + strconv.FormatUint(e.Expected, 10)
	}
	if e.HasCurrent {
		cur = "is at revision " + strconv.FormatUint(e.Current, 10)
	}
	return domain.Errorf(domain.KindConflict, RuleStaleRevision, "expectedRevision",
		"%s changed since you read it: you expected %s but it %s; read it again and retry against the current revision", e.Stream, exp, cur)
}

// loaded is a stream as read for a command.
type loaded struct {
	name    string
	raw     []eventstore.RecordedEvent
	history []domain.Event
	recs    []domain.Recorded
}

func (l *loaded) exists() bool { return len(l.raw) > 0 }

func (l *loaded) last() (rev uint64, hash string) {
	if len(l.recs) == 0 {
		return 0, ""
	}
	r := l.recs[len(l.recs)-1]
	return r.Revision, r.Meta.Hash
}

const readPage = 1024

// readRaw reads a whole stream as stored. A missing stream is empty.
func (s *Service) readRaw(ctx context.Context, stream string) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	from := eventstore.StreamStart()
	for {
		page, err := s.store.ReadStream(ctx, stream, eventstore.Forwards, from, readPage)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return out, nil
		}
		if errors.Is(err, eventstore.ErrStreamDeleted) {
			return nil, domain.Errorf(domain.KindNotFound, domain.RuleTicketNotFound, "stream", "stream %s was deleted for good", stream)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
		out = append(out, page...)
		if len(page) < readPage {
			return out, nil
		}
		from = eventstore.StreamRevision(page[len(page)-1].Revision + 1)
	}
}

// load reads and decodes a whole stream. A missing stream is empty.
func (s *Service) load(ctx context.Context, stream string) (*loaded, error) {
	raw, err := s.readRaw(ctx, stream)
	if err != nil {
		return nil, err
	}
	return s.decode(stream, raw)
}

// decode decodes records of one stream.
func (s *Service) decode(stream string, raw []eventstore.RecordedEvent) (*loaded, error) {
	l := &loaded{name: stream, raw: raw, recs: make([]domain.Recorded, len(raw)), history: make([]domain.Event, len(raw))}
	for i, ev := range raw {
		rec, err := s.codec.Decode(ev)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
		l.recs[i], l.history[i] = rec, rec.Event
	}
	return l, nil
}

// decision is what a command's decide step returns.
type decision struct {
	events   []domain.Event
	customer string // the customer the events concern, for OnBehalfOf
}

// decideFunc runs the domain command on the loaded stream.
type decideFunc func(l *loaded, occurredAt, now time.Time) (decision, error)

// run executes one command on one stream; see the package documentation.
func (s *Service) run(ctx context.Context, cmd Command, stream string, decide decideFunc) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if len(cmd.IdempotencyKey) > MaxIdempotencyKey {
		return Result{}, domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, "idempotencyKey",
			"the idempotency key is %d bytes long: keep it to %d (a UUID is a good key)", len(cmd.IdempotencyKey), MaxIdempotencyKey)
	}
	now := s.now().UTC()
	occurredAt := cmd.OccurredAt
	if occurredAt.IsZero() {
		occurredAt = now
	}
	l, err := s.load(ctx, stream)
	if err != nil {
		return Result{}, err
	}
	if res, ok := s.replay(l, cmd); ok {
		return res, nil
	}
	cur, prevHash := l.last()
	if cmd.ExpectedRevision != nil && (!l.exists() || *cmd.ExpectedRevision != cur) {
		return Result{}, &ConflictError{Stream: stream, Expected: *cmd.ExpectedRevision, HasExpected: true, Current: cur, HasCurrent: l.exists()}
	}
	d, err := decide(l, occurredAt, now)
	if err != nil {
		return Result{}, err
	}
	res := Result{Stream: stream, Revision: cur, HasRevision: l.exists()}
	if len(d.events) == 0 {
		return res, nil
	}

	onBehalfOf := strings.TrimSpace(cmd.OnBehalfOf)
	if onBehalfOf != "" && d.customer != "" && onBehalfOf != d.customer {
		return Result{}, domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, "onBehalfOf",
			"the command acts on behalf of customer %q but concerns customer %q: leave on-behalf-of empty or name %q", onBehalfOf, d.customer, d.customer)
	}
	if onBehalfOf == "" && cmd.Actor.Role.IsPartner() {
		onBehalfOf = d.customer
	}
	corr := cmd.CorrelationID
	if corr == "" {
		corr = uuid.NewString()
	}
	caus := cmd.CausationID
	if caus == "" {
		caus = corr
	}
	metas := make([]domain.Meta, len(d.events))
	for i, ev := range d.events {
		metas[i] = domain.Meta{
			EventID:       s.eventID(cmd, stream, i),
			Actor:         cmd.Actor,
			OnBehalfOf:    onBehalfOf,
			CorrelationID: corr,
			CausationID:   caus,
			OccurredAt:    occurredAt,
			RecordedAt:    now,
		}
		if dl := deadlineOf(ev); dl != nil {
			metas[i].PolicyVersion = dl.PolicyVersion
		}
	}
	data, metas, err := s.codec.EncodeChain(stream, prevHash, d.events, metas)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", stream, err)
	}
	expected := eventstore.NoStream()
	if l.exists() {
		expected = eventstore.Exact(cur)
	}
	ar, err := s.store.Append(ctx, stream, expected, data...)
	if err != nil {
		var ce *eventstore.ConflictError
		if errors.As(err, &ce) {
			if cmd.IdempotencyKey != "" {
				if l2, lerr := s.load(ctx, stream); lerr == nil {
					if res, ok := s.replay(l2, cmd); ok {
						return res, nil
					}
				}
			}
			return Result{}, &ConflictError{Stream: stream, Expected: cur, HasExpected: l.exists(), Current: ce.Actual, HasCurrent: ce.HasActual}
		}
		return Result{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	first := ar.NextRevision + 1 - uint64(len(data))
	if cmd.IdempotencyKey != "" {
		// The store acknowledges an append of ids it already holds at that
		// place without storing anything: a twin of this command may have
		// got there first, with its own metadata. Describe what is stored.
		if twin, ok := s.storedTwin(ctx, cmd, stream, first, data); ok {
			return twin, nil
		}
	}
	res.Events = make([]domain.Recorded, len(data))
	for i := range data {
		res.Events[i] = domain.Recorded{Stream: stream, Revision: first + uint64(i), Type: data[i].Type, Meta: metas[i], Event: d.events[i]}
	}
	res.Events[len(data)-1].Position = ar.Position.Commit
	res.Revision, res.HasRevision, res.Position = ar.NextRevision, true, ar.Position.Commit
	res.Deadline = lastDeadline(d.events)
	return res, nil
}

// storedTwin reads back the events just appended at first and, when their
// stored metadata is not what this command sent (the append was
// deduplicated against a twin), returns the twin's result.
func (s *Service) storedTwin(ctx context.Context, cmd Command, stream string, first uint64, sent []eventstore.EventData) (Result, bool) {
	got, err := s.store.ReadStream(ctx, stream, eventstore.Forwards, eventstore.StreamRevision(first), uint64(len(sent)))
	if err != nil || len(got) != len(sent) {
		return Result{}, false
	}
	same := true
	for i := range got {
		same = same && bytes.Equal(got[i].Metadata, sent[i].Metadata)
	}
	if same {
		return Result{}, false
	}
	l, err := s.decode(stream, got)
	if err != nil {
		return Result{}, false
	}
	return s.replay(l, cmd)
}

// eventID returns the id of event i of cmd on stream: derived from the
// idempotency key, or a new time-ordered UUID.
func (s *Service) eventID(cmd Command, stream string, i int) uuid.UUID {
	if cmd.IdempotencyKey == "" {
		if id, err := uuid.NewV7(); err == nil {
			return id
		}
		return uuid.New()
	}
	return idemID(cmd.IdempotencyKey, cmd.Actor.ID, stream, strconv.Itoa(i))
}

func idemID(parts ...string) uuid.UUID {
	return uuid.NewSHA1(IdempotencyNamespace, []byte(strings.Join(parts, "\x00")))
}

// replay finds the events of an earlier run of cmd (same idempotency key)
// in l and returns that run's result.
func (s *Service) replay(l *loaded, cmd Command) (Result, bool) {
	if cmd.IdempotencyKey == "" {
		return Result{}, false
	}
	id0 := s.eventID(cmd, l.name, 0)
	for j, ev := range l.raw {
		if ev.ID != id0 {
			continue
		}
		n := 1
		for j+n < len(l.raw) && l.raw[j+n].ID == s.eventID(cmd, l.name, n) {
			n++
		}
		recs := l.recs[j : j+n]
		events := make([]domain.Event, n)
		for i, r := range recs {
			events[i] = r.Event
		}
		last := recs[n-1]
		return Result{
			Stream: l.name, Revision: last.Revision, HasRevision: true, Position: last.Position,
			Events: append([]domain.Recorded(nil), recs...), Deadline: lastDeadline(events), Replayed: true,
		}, true
	}
	return Result{}, false
}

// deadlineOf returns the deadline an event sets, if it sets one.
func deadlineOf(ev domain.Event) *sla.Deadline {
	switch e := ev.(type) {
	case ticket.Opened:
		return &e.Deadline
	case ticket.SeverityChanged:
		return &e.Deadline
	}
	return nil
}

func lastDeadline(events []domain.Event) *sla.Deadline {
	var d *sla.Deadline
	for _, ev := range events {
		if x := deadlineOf(ev); x != nil {
			d = x
		}
	}
	return d
}
