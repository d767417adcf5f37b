package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// RuleIdempotencyKeyReused: an idempotency key the principal already used
// came with a different request (Command.Fingerprint): same key, same
// request, or an error.
const RuleIdempotencyKeyReused domain.Rule = "idempotency-key-reused"

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
	// Signer signs every event the service appends (codec.EncodeChainSigned),
	// in the request's goroutine. Nil: events are appended unsigned.
	Signer codec.Signer
	// Now is the ledger's clock. Nil: time.Now.
	Now func() time.Time
	// Window bounds occurred-at against now (zero: the domain defaults).
	Window domain.Window
	// ImportWindow bounds the occurred-at of imported history
	// (ImportTicket). Zero fields: Window's.
	ImportWindow domain.Window
	// Subjects is the key store that the personal data of ticket contacts
	// is sealed with before it is encoded (and opened with on Recorded).
	// Nil: contacts are stored as given (tests, benchmarks).
	Subjects Subjects
	// CacheEvents bounds the decoded events the service keeps of recently
	// used streams, all streams together (0: DefaultCacheEvents; negative:
	// keep none and read every stream whole).
	CacheEvents int
}

// Service runs commands against the event store. It is safe for concurrent
// use; concurrent commands on one stream are serialised by optimistic
// concurrency (one wins, the other gets a *ConflictError).
type Service struct {
	store    eventstore.Store
	policies *sla.Policies
	codec    *codec.Codec
	signer   codec.Signer
	now      func() time.Time
	window   domain.Window
	imports  domain.Window
	subjects Subjects
	cache    *streamCache
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("app: no event store")
	}
	s := &Service{store: cfg.Store, policies: cfg.Policies, codec: cfg.Codec, signer: cfg.Signer, now: cfg.Now, window: cfg.Window,
		subjects: cfg.Subjects, cache: newStreamCache(cfg.CacheEvents)}
	if s.policies == nil {
		s.policies = sla.Shipped()
	}
	if s.codec == nil {
		s.codec = codec.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.window.Validate(); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if err := cfg.ImportWindow.Validate(); err != nil {
		return nil, fmt.Errorf("app: imports: %w", err)
	}
	s.imports = cfg.ImportWindow
	if s.imports.MaxBackdate == 0 {
		s.imports.MaxBackdate = s.window.MaxBackdate
	}
	if s.imports.MaxSkew == 0 {
		s.imports.MaxSkew = s.window.MaxSkew
	}
	return s, nil
}

// Windows returns the backdating windows the service decides with: live
// commands', and imports' (ImportTicket), with the defaults filled in.
func (s *Service) Windows() (live, imports domain.Window) {
	lb, ls := s.window.Limits()
	ib, is := s.imports.Limits()
	return domain.Window{MaxBackdate: lb, MaxSkew: ls}, domain.Window{MaxBackdate: ib, MaxSkew: is}
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
	// nothing twice. Optional; at most MaxIdempotencyKey bytes. It is scoped
	// to the principal (actor id, role and partner): the same key from
	// another principal is a different key.
	IdempotencyKey string
	// Fingerprint identifies what was asked (the HTTP API: a digest of the
	// route, the path and the decoded body). With an idempotency key, a
	// retry must ask the same: a command under a key already used by the
	// principal for another request is refused (RuleIdempotencyKeyReused).
	// Empty: not checked.
	Fingerprint []byte
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
	// Deadline is the first-response deadline set by the command (Open, a
	// SeverityChange), nil otherwise.
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

// decision is what a command's decide step returns.
type decision struct {
	events   []domain.Event
	customer string // the customer the events concern, for OnBehalfOf
}

// decideFunc runs the domain command on the stream as read.
type decideFunc func(l *snapshot, occurredAt, now time.Time) (decision, error)

// run executes one command on one stream; see the package documentation.
// fresh says the stream is known not to exist (a ticket id just made): it
// is not read, and the append expects no stream.
func (s *Service) run(ctx context.Context, cmd Command, stream string, fresh bool, decide decideFunc) (Result, error) {
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
	l := &snapshot{name: stream}
	if !fresh {
		var err error
		if l, err = s.state(ctx, stream); err != nil {
			return Result{}, err
		}
	}
	if res, ok, err := s.replay(l, cmd); ok || err != nil {
		return res, err
	}
	cur, _ := l.last()
	if cmd.ExpectedRevision != nil && (!l.exists() || *cmd.ExpectedRevision != cur) {
		return Result{}, &ConflictError{Stream: stream, Expected: *cmd.ExpectedRevision, HasExpected: true, Current: cur, HasCurrent: l.exists()}
	}
	d, err := decide(l, occurredAt, now)
	if err != nil {
		return Result{}, err
	}
	if len(d.events) == 0 {
		return Result{Stream: stream, Revision: cur, HasRevision: l.exists()}, nil
	}
	if d.events, err = s.sealPersonal(d.events); err != nil {
		return Result{}, fmt.Errorf("%s: %w", stream, err)
	}

	onBehalfOf, err := behalfOf(cmd.Actor, cmd.OnBehalfOf, d.customer)
	if err != nil {
		return Result{}, err
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
		} else if n, ok := ev.(ticket.SLANoticed); ok {
			metas[i].PolicyVersion = n.Deadline.PolicyVersion // the policy that set the deadline noticed
		}
	}
	p, ar, err := s.appendTo(ctx, l, d.events, metas)
	if p.data == nil {
		return Result{}, err
	}
	return s.settle(ctx, cmd, l, p, ar, err)
}

// appendTo encodes events with metas, chained to the last event of l and
// signed, and appends them to l's stream expecting its current revision.
// An encoding failure returns a pending without data.
func (s *Service) appendTo(ctx context.Context, l *snapshot, events []domain.Event, metas []domain.Meta) (pending, eventstore.AppendResult, error) {
	cur, prevHash := l.last()
	data, metas, err := s.codec.EncodeChainSigned(l.name, prevHash, events, metas, s.signer)
	if err != nil {
		return pending{}, eventstore.AppendResult{}, fmt.Errorf("%s: %w", l.name, err)
	}
	expected := eventstore.NoStream()
	if l.exists() {
		expected = eventstore.Exact(cur)
	}
	ar, err := s.store.Append(ctx, l.name, expected, data...)
	return pending{events: events, metas: metas, data: data}, ar, err
}

// behalfOf is the customer a command of actor acts for: the one given,
// which must be the customer the command concerns (when it concerns one),
// or for a partner actor that customer.
func behalfOf(actor domain.Actor, given, customer string) (string, error) {
	onBehalfOf := strings.TrimSpace(given)
	if onBehalfOf != "" && customer != "" && onBehalfOf != customer {
		return "", domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, "onBehalfOf",
			"the command acts on behalf of customer %q but concerns customer %q: leave on-behalf-of empty or name %q", onBehalfOf, customer, customer)
	}
	if onBehalfOf == "" && actor.Role.IsPartner() {
		onBehalfOf = customer
	}
	return onBehalfOf, nil
}

// pending is what a command sent to the store.
type pending struct {
	events []domain.Event
	metas  []domain.Meta
	data   []eventstore.EventData
}

// settle turns the store's answer to a command's append into the command's
// result: the one place that knows what a conflict or a deduplicated append
// means. Appended: the result describes the events sent, and the stream's
// cached state takes them in. Deduplicated (a twin of the command, with the
// same event ids, was stored there first): the stream is read again, from
// the cache on, and the result describes the twin's events. A conflict:
// with an idempotency key, the stream is read again and a run of the
// command found there is the result; otherwise, and without one, a
// *ConflictError.
func (s *Service) settle(ctx context.Context, cmd Command, l *snapshot, p pending, ar eventstore.AppendResult, err error) (Result, error) {
	stream := l.name
	var ce *eventstore.ConflictError
	switch {
	case err == nil && ar.Deduplicated:
		sent := func(i int) (uuid.UUID, bool) {
			if i < len(p.data) {
				return p.data[i].ID, true
			}
			return uuid.Nil, false
		}
		if now, rerr := s.state(ctx, stream); rerr == nil {
			if res, ok := storedRun(now, sent); ok {
				return res, nil
			}
		}
		// The twin could not be read back: the revision and position are
		// the stored ones, the metadata the one sent.
	case err == nil:
		s.remember(l, p.data, ar)
	case errors.As(err, &ce):
		if cmd.IdempotencyKey != "" {
			if now, rerr := s.state(ctx, stream); rerr == nil {
				if res, ok, err := s.replay(now, cmd); ok || err != nil {
					return res, err
				}
			}
		}
		cur, _ := l.last()
		return Result{}, &ConflictError{Stream: stream, Expected: cur, HasExpected: l.exists(), Current: ce.Actual, HasCurrent: ce.HasActual}
	default:
		return Result{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	n := len(p.data)
	first := ar.NextRevision + 1 - uint64(n)
	res := Result{Stream: stream, Revision: ar.NextRevision, HasRevision: true, Position: ar.Position.Commit,
		Events: make([]domain.Recorded, n), Deadline: lastDeadline(p.events)}
	for i := range p.data {
		res.Events[i] = domain.Recorded{Stream: stream, Revision: first + uint64(i), Type: p.data[i].Type, Meta: p.metas[i], Event: p.events[i]}
	}
	res.Events[n-1].Position = ar.Position.Commit
	return res, nil
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
	parts := append([]string{cmd.IdempotencyKey}, principal(cmd.Actor)...)
	id := idemID(append(parts, stream, strconv.Itoa(i))...)
	// The last four bytes (the node field, free of the version and variant
	// bits) say which request it was: a retry of another request under the
	// same key finds the run and is refused (replay).
	if len(cmd.Fingerprint) >= fingerprintBytes {
		copy(id[16-fingerprintBytes:], cmd.Fingerprint)
	}
	return id
}

// fingerprintBytes is how much of Command.Fingerprint an event id carries.
const fingerprintBytes = 4

// principal is the scope of an idempotency key: the actor's id, role and
// partner. The same key sent by another principal is another key (a fresh
// command), never a replay of the first principal's result.
func principal(a domain.Actor) []string { return []string{a.ID, string(a.Role), a.Partner} }

func idemID(parts ...string) uuid.UUID {
	return uuid.NewSHA1(IdempotencyNamespace, []byte(strings.Join(parts, "\x00")))
}

// replay finds the events of an earlier run of cmd (same idempotency key)
// in l and returns that run's result. A run under the same key of another
// request (a different fingerprint) is a RuleIdempotencyKeyReused error.
func (s *Service) replay(l *snapshot, cmd Command) (Result, bool, error) {
	if cmd.IdempotencyKey == "" {
		return Result{}, false, nil
	}
	if res, ok := storedRun(l, func(i int) (uuid.UUID, bool) { return s.eventID(cmd, l.name, i), true }); ok {
		return res, true, nil
	}
	if len(cmd.Fingerprint) >= fingerprintBytes {
		id0 := s.eventID(cmd, l.name, 0)
		for _, id := range l.ids {
			if [16 - fingerprintBytes]byte(id[:16-fingerprintBytes]) == [16 - fingerprintBytes]byte(id0[:16-fingerprintBytes]) {
				return Result{}, false, domain.Errorf(domain.KindInvalid, RuleIdempotencyKeyReused, "Idempotency-Key",
					"the idempotency key %q already went with a different request on %s: send a new key for a new request, or repeat the first request exactly",
					cmd.IdempotencyKey, l.name)
			}
		}
	}
	return Result{}, false, nil
}

// storedRun finds in l the run of events whose ids are id(0), id(1), …
// (for as long as id gives one) and returns the result of the command that
// stored them (Replayed).
func storedRun(l *snapshot, id func(i int) (uuid.UUID, bool)) (Result, bool) {
	id0, _ := id(0)
	j := slices.Index(l.ids, id0)
	if j < 0 {
		return Result{}, false
	}
	n := 1
	for j+n < len(l.ids) {
		if idn, ok := id(n); !ok || l.ids[j+n] != idn {
			break
		}
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
		Events: slices.Clone(recs), Deadline: lastDeadline(events), Replayed: true,
	}, true
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
