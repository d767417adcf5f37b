package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/projections"
)

// Decoder turns a stored record into a domain event (codec.Decode).
type Decoder func(eventstore.RecordedEvent) (domain.Recorded, error)

// Subscriber is the part of the event-store port the runner uses: it
// follows $all, and reads the head of the log to measure lag and rebuild
// progress. Every eventstore.Store is one.
type Subscriber interface {
	SubscribeAll(ctx context.Context, from eventstore.AllPos, opts eventstore.SubscribeOptions) (eventstore.Subscription, error)
	Head(ctx context.Context) (eventstore.Position, error)
}

// Options configure a Runner.
type Options struct {
	// Store, Decode and Projections are required.
	Store       Subscriber
	Decode      Decoder
	Projections []projections.Projection
	// IsUnknown reports whether a decode error means "type or schema
	// version not known to this release" (errors.Is(err,
	// codec.ErrUnknownType) || errors.Is(err, codec.ErrSchemaVersion));
	// such events are counted in SkippedUnknown, other decode errors in
	// DecodeErrors. Both are skipped and logged (the first ten of a type,
	// then every power of ten). Nil: every decode error is a DecodeError.
	IsUnknown func(error) bool
	// SnapshotPath is the snapshot file; "" disables snapshots.
	SnapshotPath string
	// SnapshotEvery is the number of events after which a snapshot is
	// written once caught up (default 500,000); SnapshotInterval the time
	// after which one is written if anything was applied, also while
	// catching up (default 5 minutes).
	SnapshotEvery    uint64
	SnapshotInterval time.Duration
	// DecodeWorkers decode in parallel (default GOMAXPROCS); BatchSize is
	// the most events decoded and applied together (default 1024).
	DecodeWorkers int
	BatchSize     int
	// RetryDelay is the pause before resubscribing after a dropped
	// subscription (default 1s).
	RetryDelay time.Duration
	Logger     *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Runner keeps projections up to date with the log. Create it with New,
// start it with Run, stop it by cancelling Run's context, then Close.
type Runner struct {
	opts  Options
	log   *slog.Logger
	projs []projections.Projection

	ready     chan struct{}
	readyOnce sync.Once
	running   atomic.Bool
	rebuildCh chan rebuildReq
	skips     map[string]uint64 // skipped events by type, for log rate limiting

	mu          sync.Mutex // guards the fields below
	checkpoint  eventstore.Position
	hasCkpt     bool // false: subscribe from the start
	lastCreated time.Time
	caughtUp    bool
	stats       Stats
	lastSnap    time.Time
	sinceSnap   uint64
	applied     chan struct{} // closed and replaced after every applied batch
}

// Stats are the runner's counters since the process started (plain numbers
// for metrics).
type Stats struct {
	// Applied counts events handed to the projections.
	Applied uint64 `json:"applied"`
	// Filtered counts events of system and other streams, not decoded.
	Filtered uint64 `json:"filtered"`
	// SkippedUnknown counts events of types this release does not know.
	SkippedUnknown uint64 `json:"skippedUnknown"`
	// DecodeErrors counts events that could not be decoded otherwise.
	DecodeErrors uint64 `json:"decodeErrors"`
	// Snapshots and SnapshotErrors count snapshot writes.
	Snapshots      uint64 `json:"snapshots"`
	SnapshotErrors uint64 `json:"snapshotErrors"`
	// Resubscriptions counts subscriptions restarted after an error.
	Resubscriptions uint64 `json:"resubscriptions"`
	// Restored says whether the state came from a snapshot at start.
	Restored bool `json:"restored"`
	// Checkpoint is the last position the projections have seen.
	Checkpoint eventstore.Position `json:"checkpoint"`
	// LastSnapshotAt is when the last snapshot was written.
	LastSnapshotAt time.Time `json:"lastSnapshotAt,omitzero"`
}

type rebuildReq struct {
	progress func(done, total uint64)
	done     chan error
}

// New checks the options and restores the projections from the snapshot
// file, if there is a good one (a bad one is logged and ignored).
func New(opts Options) (*Runner, error) {
	if opts.Store == nil || opts.Decode == nil || len(opts.Projections) == 0 {
		return nil, errors.New("projector: Store, Decode and at least one projection are required")
	}
	seen := map[string]bool{}
	for _, p := range opts.Projections {
		if seen[p.Name()] {
			return nil, fmt.Errorf("projector: two projections named %q", p.Name())
		}
		seen[p.Name()] = true
	}
	if opts.SnapshotEvery == 0 {
		opts.SnapshotEvery = 500_000
	}
	if opts.SnapshotInterval <= 0 {
		opts.SnapshotInterval = 5 * time.Minute
	}
	if opts.DecodeWorkers <= 0 {
		opts.DecodeWorkers = runtime.GOMAXPROCS(0)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1024
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Runner{opts: opts, log: opts.Logger.With("component", "projector"), projs: opts.Projections,
		ready: make(chan struct{}), rebuildCh: make(chan rebuildReq), applied: make(chan struct{})}
	r.lastSnap = opts.Now()
	if opts.SnapshotPath != "" {
		ck, all, err := loadSnapshot(opts.SnapshotPath, r.projs)
		switch {
		case err == nil:
			r.checkpoint, r.hasCkpt, r.stats.Restored = ck, all, true
			r.log.Info("projections restored from snapshot", "path", opts.SnapshotPath, "checkpoint", ck.String(), "complete", all)
		case errors.Is(err, errNoSnapshot):
		default:
			r.log.Warn("snapshot ignored: rebuilding the projections from the start of the log", "path", opts.SnapshotPath, "err", err)
			for _, p := range r.projs {
				p.Reset()
			}
		}
	}
	return r, nil
}

// Ready is closed once the projections have caught up with the log for the
// first time (the subscription's CaughtUp message).
func (r *Runner) Ready() <-chan struct{} { return r.ready }

// Applied returns a channel closed the next time the runner has applied a
// batch of the log to the projections: take it, check the projections'
// positions, and wait on it only if they are short (no batch is missed).
func (r *Runner) Applied() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied
}

// Projections returns the projections the runner drives.
func (r *Runner) Projections() []projections.Projection { return r.projs }

// Stats returns the runner's counters.
func (r *Runner) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Checkpoint, s.LastSnapshotAt = r.checkpoint, r.lastSnap
	if s.Snapshots == 0 {
		s.LastSnapshotAt = time.Time{}
	}
	return s
}

// Lag is how far the projections are behind the head of the log.
type Lag struct {
	// Events is head − checkpoint in commit positions: the exact number of
	// events on the embedded store (whose positions count events), an
	// upper bound in bytes of log on KurrentDB.
	Events uint64 `json:"events"`
	// Seconds is how old the last applied event is (its commit time in the
	// store) when events are pending; 0 when caught up.
	Seconds    float64             `json:"seconds"`
	Head       eventstore.Position `json:"head"`
	Checkpoint eventstore.Position `json:"checkpoint"`
	CaughtUp   bool                `json:"caughtUp"`
}

// Lag measures how far the projections are behind the head of the log.
func (r *Runner) Lag(ctx context.Context) (Lag, error) {
	head, err := r.opts.Store.Head(ctx)
	if err != nil {
		return Lag{}, fmt.Errorf("projector: lag: read head: %w", err)
	}
	r.mu.Lock()
	ck, last := r.checkpoint, r.lastCreated
	r.mu.Unlock()
	l := Lag{Head: head, Checkpoint: ck}
	if head.Commit > ck.Commit {
		l.Events = head.Commit - ck.Commit
		if !last.IsZero() {
			l.Seconds = max(r.opts.Now().Sub(last).Seconds(), 0)
		}
	}
	l.CaughtUp = l.Events == 0
	return l, nil
}

// ProjectionStatus is the health of one projection, for metrics.
type ProjectionStatus struct {
	Name      string        `json:"name"`
	Position  uint64        `json:"position"`
	LagEvents uint64        `json:"lagEvents"`
	Lag       time.Duration `json:"lag"`
	// Skipped counts events skipped as unknown: by the runner (types the
	// decoder does not know, shared by every projection) plus those the
	// projection itself did not understand.
	Skipped uint64            `json:"skipped"`
	Stats   projections.Stats `json:"stats"`
}

// Status returns the status of every projection (lag computed with a short
// timeout; 0 when the head cannot be read).
func (r *Runner) Status() []ProjectionStatus {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	head, err := r.opts.Store.Head(ctx)
	if err != nil {
		head = eventstore.Position{} // no lag figures rather than wrong ones
	}
	r.mu.Lock()
	ck, last, skipped := r.checkpoint, r.lastCreated, r.stats.SkippedUnknown
	r.mu.Unlock()
	out := make([]ProjectionStatus, 0, len(r.projs))
	for _, p := range r.projs {
		st := p.Stats()
		s := ProjectionStatus{Name: p.Name(), Position: st.Position, Skipped: skipped + st.Unknown, Stats: st}
		if head.Commit > ck.Commit {
			s.LagEvents = head.Commit - ck.Commit
			if !last.IsZero() {
				s.Lag = max(r.opts.Now().Sub(last), 0)
			}
		}
		out = append(out, s)
	}
	return out
}

// Run follows the log until ctx ends, resubscribing after dropped
// subscriptions, and writes a snapshot before it returns. It returns
// ctx.Err() after a normal stop, or the error that stopped it (a closed
// store).
func (r *Runner) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("projector: Run called twice")
	}
	defer r.running.Store(false)
	defer func() {
		if err := r.Snapshot(); err != nil {
			r.log.Error("final snapshot failed", "err", err)
		}
	}()
	var fault error // the store fault the last subscription ended on: logged once
	for {
		err := r.follow(ctx, nil, false, false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, eventstore.ErrClosed) {
			return err
		}
		r.mu.Lock()
		r.stats.Resubscriptions++
		r.mu.Unlock()
		if f := eventstore.Fault(err); f != nil && f == fault {
			r.log.Debug("subscription ended: resubscribing", "err", err, "after", r.opts.RetryDelay)
		} else {
			fault = f
			r.log.Warn("subscription ended: resubscribing", "err", err, "after", r.opts.RetryDelay)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.opts.RetryDelay):
		}
	}
}

// Rebuild empties every projection and replays the log from the start up to
// the head at the time of the call, reporting progress (done and total are
// commit positions: events on the embedded store). With Run active, the
// rebuild happens in Run's loop (queries see the projections refill) and
// Rebuild returns once it has caught up; otherwise Rebuild replays on the
// caller's goroutine. A snapshot is written at the end.
func (r *Runner) Rebuild(ctx context.Context, progress func(done, total uint64)) error {
	if r.running.Load() {
		req := rebuildReq{progress: progress, done: make(chan error, 1)}
		select {
		case r.rebuildCh <- req:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case err := <-req.done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.reset()
	err := r.follow(ctx, progress, true, true)
	if err != nil {
		return fmt.Errorf("projector: rebuild: %w", err)
	}
	return r.Snapshot()
}

// CatchUp applies everything up to the head of the log and returns, without
// following live events (for CLI commands that read the projections once).
func (r *Runner) CatchUp(ctx context.Context) error {
	if r.running.Load() {
		return errors.New("projector: CatchUp while Run is active")
	}
	return r.follow(ctx, nil, true, false)
}

func (r *Runner) reset() {
	for _, p := range r.projs {
		p.Reset()
	}
	r.mu.Lock()
	r.checkpoint, r.hasCkpt, r.lastCreated, r.sinceSnap = eventstore.Position{}, false, time.Time{}, 0
	r.mu.Unlock()
}

// Close writes a final snapshot. Call it after Run has returned.
func (r *Runner) Close() error {
	if r.running.Load() {
		return errors.New("projector: Close while Run is active: cancel its context first")
	}
	return r.Snapshot()
}

// Snapshot writes the projections and their checkpoint to the snapshot file
// now. It is a no-op without Options.SnapshotPath. Call it only between
// applies (Run does); concurrent queries are fine.
func (r *Runner) Snapshot() error {
	if r.opts.SnapshotPath == "" {
		return nil
	}
	r.mu.Lock()
	ck := r.checkpoint
	r.mu.Unlock()
	err := writeSnapshot(r.opts.SnapshotPath, ck, r.projs)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.stats.SnapshotErrors++
		return err
	}
	r.stats.Snapshots++
	r.lastSnap, r.sinceSnap = r.opts.Now(), 0
	return nil
}

// item is one subscription message after decoding.
type item struct {
	kind    uint8
	pos     eventstore.Position
	created time.Time
	rec     domain.Recorded
	raw     *eventstore.RecordedEvent
	err     error
}

const (
	kEvent uint8 = iota
	kFiltered
	kUnknown
	kBad
	kCheckpoint
	kCaughtUp
)

var errRestart = errors.New("rebuild requested")

// follow subscribes from the checkpoint and applies events until ctx ends,
// the subscription fails, or (untilCaughtUp) the log's head is reached.
//
// snapshotAfter says the caller writes a snapshot as soon as follow returns
// (Rebuild): then none is written on catching up.
func (r *Runner) follow(ctx context.Context, progress func(done, total uint64), untilCaughtUp, snapshotAfter bool) error {
	var pendingRebuild *rebuildReq
	for {
		err := r.followOnce(ctx, progress, untilCaughtUp, snapshotAfter, &pendingRebuild)
		if !errors.Is(err, errRestart) {
			if pendingRebuild != nil {
				pendingRebuild.done <- err
			}
			return err
		}
		// a rebuild was requested from Run: start over from zero
		if pendingRebuild != nil {
			progress = pendingRebuild.progress
		}
		r.reset()
	}
}

func (r *Runner) followOnce(ctx context.Context, progress func(done, total uint64), untilCaughtUp, snapshotAfter bool, rebuild **rebuildReq) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.mu.Lock()
	r.caughtUp = false
	from := eventstore.AllStart()
	if r.hasCkpt {
		from = eventstore.AllPosition(r.checkpoint)
	}
	r.mu.Unlock()
	var total uint64
	if progress != nil {
		h, err := r.opts.Store.Head(ctx)
		if err != nil {
			return fmt.Errorf("read head: %w", err)
		}
		total = h.Commit
		progress(0, total)
	}
	sub, err := r.opts.Store.SubscribeAll(ctx, from, eventstore.SubscribeOptions{})
	if err != nil {
		return fmt.Errorf("subscribe to $all from %v: %w", from, err)
	}
	defer sub.Close()

	// Stage 1 (a goroutine): read messages into batches, full batches while
	// catching up, one message at a time once live. Stage 2 (DecodeWorkers
	// goroutines): classify and decode whole batches, several batches at
	// once. Stage 3 (here): apply the batches in log order. A batch travels
	// as one job: to the workers through work, to the applier through
	// order, in the order read; the applier waits for each job's done.
	inflight := 2 * r.opts.DecodeWorkers
	order := make(chan *job, inflight)
	work := make(chan *job, inflight+2) // never full when order has room: see send
	free := make(chan *job, inflight+4)
	readErr := make(chan error, 1)
	go func() {
		defer close(work)
		defer close(order)
		live := false
		var j *job
		next := func() {
			select {
			case j = <-free:
				j.raw = j.raw[:0]
			default:
				j = &job{raw: make([]eventstore.Message, 0, r.opts.BatchSize)}
			}
			j.done = make(chan struct{})
		}
		send := func() bool {
			if len(j.raw) == 0 {
				return true
			}
			select {
			case order <- j:
				// work holds only jobs that are not done, which are at most
				// those in order, the one the applier waits for and this
				// one: it has room.
				work <- j
				next()
				return true
			case <-ctx.Done():
				return false
			}
		}
		next()
		for {
			m, err := sub.Next()
			if err != nil {
				send()
				readErr <- err
				return
			}
			j.raw = append(j.raw, m)
			if m.CaughtUp {
				live = true
			}
			if live || len(j.raw) == cap(j.raw) {
				if !send() {
					readErr <- ctx.Err()
					return
				}
			}
		}
	}()
	for range r.opts.DecodeWorkers {
		go func() {
			for j := range work {
				r.decodeJob(j)
				close(j.done)
			}
		}()
	}

	for {
		var j *job
		var ok bool
		select {
		case j, ok = <-order:
		case req := <-r.rebuildCh:
			*rebuild = &req
			return errRestart
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			select {
			case err := <-readErr:
				return err
			default:
				return ctx.Err()
			}
		}
		<-j.done // the workers finish every job they are given
		for i := range j.skipped {
			it := &j.skipped[i]
			if it.kind == kUnknown {
				if n := r.noteSkip(it.raw.Type); logWorthy(n) {
					r.log.Warn("skipping an event of a type this release does not know", "type", it.raw.Type, "stream", it.raw.StreamID, "position", it.pos.String(), "skippedOfType", n, "err", it.err)
				}
			} else if n := r.noteSkip(it.raw.Type); logWorthy(n) {
				r.log.Error("skipping an event that cannot be decoded", "type", it.raw.Type, "stream", it.raw.StreamID, "position", it.pos.String(), "skippedOfType", n, "err", it.err)
			}
		}
		for _, p := range r.projs {
			if ba, ok := p.(interface{ ApplyBatch([]domain.Recorded) }); ok {
				ba.ApplyBatch(j.recs)
			} else {
				for _, rec := range j.recs {
					p.Apply(rec)
				}
			}
		}
		applied, filtered, unknown, bad := j.applied, j.filtered, j.unknown, j.bad
		caught, last := j.caught, j.last
		select {
		case free <- j:
		default:
		}
		r.mu.Lock()
		if last.pos != (eventstore.Position{}) {
			r.checkpoint, r.hasCkpt = last.pos, true
			if !last.created.IsZero() {
				r.lastCreated = last.created
			}
		}
		r.stats.Applied += applied
		r.stats.Filtered += filtered
		r.stats.SkippedUnknown += unknown
		r.stats.DecodeErrors += bad
		r.sinceSnap += applied + filtered + unknown + bad
		if caught {
			r.caughtUp = true
		}
		close(r.applied)
		r.applied = make(chan struct{})
		// While catching up only the interval triggers a snapshot: snapshots
		// of a growing state every SnapshotEvery events would slow a
		// replay down more than a crash during it costs.
		snap := r.opts.SnapshotPath != "" && r.sinceSnap > 0 &&
			((r.caughtUp && r.sinceSnap >= r.opts.SnapshotEvery) || r.opts.Now().Sub(r.lastSnap) >= r.opts.SnapshotInterval)
		if caught && ((untilCaughtUp && snapshotAfter) || *rebuild != nil) {
			snap = false // a rebuild writes its snapshot just below or on return: not two
		}
		ck := r.checkpoint
		r.mu.Unlock()
		if progress != nil {
			progress(min(ck.Commit, max(total, ck.Commit)), max(total, ck.Commit))
		}
		if snap {
			if err := r.Snapshot(); err != nil {
				r.log.Error("snapshot failed", "path", r.opts.SnapshotPath, "err", err)
			}
		}
		if caught {
			r.readyOnce.Do(func() {
				close(r.ready)
				r.releaseReplay()
			})
			if *rebuild != nil {
				(*rebuild).done <- r.Snapshot()
				*rebuild = nil
				progress = nil
			}
			if untilCaughtUp {
				return nil
			}
		}
	}
}

// replayRelease is how many events a first catch-up must have applied for
// the runner to hand the memory it used back to the operating system.
const replayRelease = 100_000

// releaseReplay returns to the operating system the memory a long first
// catch-up (a replay without a snapshot) used for decoding: several times
// what the read models keep, which the Go runtime would otherwise hold on
// to for minutes, so that the process's resident size after a replay is
// that after a snapshot restore (applier goroutine only).
func (r *Runner) releaseReplay() {
	r.mu.Lock()
	n := r.stats.Applied
	r.mu.Unlock()
	if n >= replayRelease {
		debug.FreeOSMemory()
	}
}

// noteSkip counts a skipped event of type typ and returns the count so far
// (applier goroutine only).
func (r *Runner) noteSkip(typ string) uint64 {
	if r.skips == nil {
		r.skips = map[string]uint64{}
	}
	r.skips[typ]++
	return r.skips[typ]
}

// logWorthy limits logging of skipped events of one type to the first ten,
// then every power of ten, so a replay over many of them does not flood
// the log.
func logWorthy(n uint64) bool {
	if n <= 10 {
		return true
	}
	for n%10 == 0 {
		n /= 10
	}
	return n == 1
}

// job is a batch of subscription messages on its way through the pipeline:
// read, then decoded by a worker, then applied.
type job struct {
	raw  []eventstore.Message
	done chan struct{} // closed once decoded

	recs                            []domain.Recorded // the decoded events, in order
	skipped                         []item            // unknown and undecodable events, for the log
	applied, filtered, unknown, bad uint64
	caught                          bool
	last                            item // the last event or checkpoint (its pos and created)
}

// decodeJob classifies and decodes the messages of j (a worker).
func (r *Runner) decodeJob(j *job) {
	j.recs, j.skipped = j.recs[:0], j.skipped[:0]
	j.applied, j.filtered, j.unknown, j.bad, j.caught, j.last = 0, 0, 0, 0, false, item{}
	for i := range j.raw {
		it := r.classify(j.raw[i])
		j.raw[i] = eventstore.Message{} // do not keep the record once decoded
		switch it.kind {
		case kCaughtUp:
			j.caught = true
			continue
		case kFiltered:
			j.filtered++
		case kEvent:
			j.recs = append(j.recs, domain.Recorded{})
			rec := &j.recs[len(j.recs)-1]
			var err error
			if *rec, err = r.opts.Decode(*it.raw); err != nil {
				j.recs = j.recs[:len(j.recs)-1]
				it.kind, it.err = kBad, err
				if r.opts.IsUnknown != nil && r.opts.IsUnknown(err) {
					it.kind = kUnknown
				}
				if it.kind == kUnknown {
					j.unknown++
				} else {
					j.bad++
				}
				j.skipped = append(j.skipped, it)
			} else {
				if rec.Position == 0 {
					rec.Position = it.pos.Commit
				}
				j.applied++
			}
		}
		j.last = item{kind: it.kind, pos: it.pos, created: it.created}
	}
}

// classify sorts a message before decoding; cheap checks only.
func (r *Runner) classify(m eventstore.Message) item {
	switch {
	case m.CaughtUp:
		return item{kind: kCaughtUp}
	case m.Checkpoint != nil:
		return item{kind: kCheckpoint, pos: *m.Checkpoint}
	case m.Event == nil:
		return item{kind: kCheckpoint}
	}
	e := m.Event
	it := item{kind: kEvent, pos: e.Position, created: e.Created, raw: e}
	if eventstore.IsSystemStream(e.StreamID) ||
		(!strings.HasPrefix(e.StreamID, ticket.StreamPrefix) && !strings.HasPrefix(e.StreamID, partner.StreamPrefix)) {
		it.kind, it.raw = kFiltered, nil
	}
	return it
}
