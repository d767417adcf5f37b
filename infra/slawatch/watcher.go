// Package slawatch is the deadline watcher: it notices, within a second or
// so, that a ticket's first-response deadline is at risk or has passed with
// no response — something no command causes — and records it as a
// ticket.sla_noticed event through the application service, as the
// ledger's own system principal.
//
// # How it follows deadlines
//
// The watcher keeps a timer heap with at most one entry per waiting ticket,
// keyed by when its next notice falls due under the deadline in force:
// the at-risk notice from ticket.NoticeDue(at_risk) (the at-risk gauge's
// threshold, sla.GaugeRisk), then the breach notice just after the
// deadline. It is fed by the Tickets read model: at start, once the read
// model has caught up, it takes every waiting ticket (EachWaiting); after
// that the read model tells it which tickets each applied event changed
// (OnChange) and it re-reads just those. It never scans all tickets
// again. It sleeps until the heap's first entry is due, waking at least
// every MaxWait (1 s) to take changes and clock jumps in.
//
// # Stale notices, doubles and replicas
//
// Every decision is the domain's (ticket.NoticeSLA), taken on the ticket as
// stored when the notice fires: a notice is recorded only if the deadline
// in force is still the one it was scheduled for (a severity change that
// moved it reschedules instead), the ticket is still open and unanswered,
// and the same notice of that deadline is not recorded yet. The append
// expects the revision read and carries event ids derived from the notice
// (an idempotency key of kind, deadline instant and policy version), so two
// replicas that fire together record one notice: the second append
// conflicts (or is deduplicated), the service reads the stream again and
// finds the first replica's notice.
//
// # Which deadlines get notices
//
// Only tickets still open (or awaiting the partner) with no first response.
// A deadline that had already passed, by more than LateGrace, when the
// ledger recorded the event that set it gets no notice: that is history
// (an import from another desk, a backdated filing, a severity change that
// breached on change — which that event itself records), not a promise the
// ledger could watch. Every other passed deadline is noticed, also one that
// passed while the ledger was down: at startup, with noticedAt the startup
// time, never the deadline.
package slawatch

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/projections"
)

// Defaults of Options.
const (
	// DefaultLateGrace is how long before its recording a deadline may
	// have passed and still be noticed.
	DefaultLateGrace = 5 * time.Minute
	// DefaultMaxWait is the longest the watcher sleeps between looks at
	// its heap: the bound on how late a notice is on a jumping clock.
	DefaultMaxWait = time.Second
	// DefaultRetryDelay is how long after a failed append a notice is
	// tried again.
	DefaultRetryDelay = 5 * time.Second
)

// Source is the read model the watcher follows (*projections.Tickets).
type Source interface {
	OnChange(fn func(id string))
	SLAWatch(id string) (projections.SLAWatch, bool)
	EachWaiting(fn func(projections.SLAWatch))
}

// Service runs the notice as a ticket action (*app.Service).
type Service interface {
	Act(ctx context.Context, cmd app.Command, ticketID string, a ticket.Action) (app.Result, error)
}

// Options configure a Watcher. Source, Service and Actor are required.
type Options struct {
	Source  Source
	Service Service
	// Actor is the ledger's own system principal (auth.Internal().Actor()).
	Actor domain.Actor
	// Ready, when set, is closed once the read model has caught up with
	// the log (projector.Runner.Ready): Run waits for it before it looks.
	Ready <-chan struct{}
	// Now is the clock (default time.Now).
	Now        func() time.Time
	LateGrace  time.Duration // default DefaultLateGrace
	MaxWait    time.Duration // default DefaultMaxWait
	RetryDelay time.Duration // default DefaultRetryDelay
	Logger     *slog.Logger
	// Noticed, when set, is called for every notice this watcher recorded
	// (not for one another replica recorded first): the metrics counter.
	Noticed func(kind string)
}

// Watcher watches first-response deadlines. Create it with New and start
// Run; Poll is the one step Run repeats (tests drive it with their clock).
type Watcher struct {
	opts Options
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex
	dirty   map[string]struct{} // tickets changed since the last Poll
	started bool
	timers  timerHeap
	byID    map[string]*timer
	// fired remembers the last notice fired per ticket until the read
	// model shows it, so that it is not fired again meanwhile.
	fired map[string]noticeKey
}

type noticeKey struct {
	kind   string
	at     int64
	policy string
}

func keyOf(kind string, d sla.Deadline) noticeKey {
	return noticeKey{kind: kind, at: d.At.UnixNano(), policy: d.PolicyVersion}
}

// New returns a watcher; it watches nothing until Run or Start.
func New(opts Options) (*Watcher, error) {
	if opts.Source == nil || opts.Service == nil || opts.Actor.Role != domain.RoleSystem {
		return nil, errors.New("slawatch: Source, Service and a system Actor are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&opts.LateGrace, DefaultLateGrace}, {&opts.MaxWait, DefaultMaxWait}, {&opts.RetryDelay, DefaultRetryDelay},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Watcher{opts: opts, log: opts.Logger.With("component", "slawatch"), wake: make(chan struct{}, 1),
		dirty: map[string]struct{}{}, byID: map[string]*timer{}, fired: map[string]noticeKey{}}, nil
}

// Start subscribes to the read model's changes and takes in every waiting
// ticket. Run calls it once Ready is closed; call it yourself before Poll
// when driving the watcher by hand. It is a no-op when already started.
func (w *Watcher) Start() {
	w.mu.Lock()
	if w.started {
		w.mu.Unlock()
		return
	}
	w.started = true
	w.mu.Unlock()
	w.opts.Source.OnChange(w.changed)
	var all []projections.SLAWatch
	w.opts.Source.EachWaiting(func(s projections.SLAWatch) { all = append(all, s) })
	now := w.opts.Now()
	w.mu.Lock()
	for _, s := range all {
		w.schedule(s, now)
	}
	w.mu.Unlock()
	w.log.Info("watching first-response deadlines", "waiting", len(all))
}

// changed is the read model's OnChange: it runs under the model's lock.
func (w *Watcher) changed(id string) {
	w.mu.Lock()
	w.dirty[id] = struct{}{}
	w.mu.Unlock()
	w.poke()
}

// poke wakes Run for a Poll.
func (w *Watcher) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run watches until ctx ends: it waits for Ready, starts, then polls
// whenever the first timer is due, a ticket changed, or MaxWait passed.
func (w *Watcher) Run(ctx context.Context) error {
	if w.opts.Ready != nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.opts.Ready:
		}
	}
	w.Start()
	for {
		next := w.Poll(ctx)
		wait := w.opts.MaxWait
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(w.opts.Now()), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Len is the number of tickets with a notice scheduled.
func (w *Watcher) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.timers)
}

// Poll takes in the tickets changed since the last call, fires every notice
// due at Now, and returns when the next one falls due (zero: none).
func (w *Watcher) Poll(ctx context.Context) time.Time {
	w.mu.Lock()
	ids := make([]string, 0, len(w.dirty))
	for id := range w.dirty {
		ids = append(ids, id)
	}
	clear(w.dirty)
	w.mu.Unlock()
	states := make([]projections.SLAWatch, 0, len(ids))
	for _, id := range ids {
		if s, ok := w.opts.Source.SLAWatch(id); ok {
			states = append(states, s)
		}
	}
	now := w.opts.Now()
	w.mu.Lock()
	for _, s := range states {
		w.schedule(s, now)
	}
	var due []*timer
	for len(w.timers) > 0 && !w.timers[0].due.After(now) {
		t := heap.Pop(&w.timers).(*timer)
		delete(w.byID, t.id)
		if t.kind == ticket.NoticeAtRisk && t.deadline.Passed(now) {
			t.kind = ticket.NoticeBreached // too late to warn: it is breached
		}
		due = append(due, t)
	}
	w.mu.Unlock()

	for _, t := range due {
		if ctx.Err() != nil {
			break
		}
		w.fire(ctx, t)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.timers) == 0 {
		return time.Time{}
	}
	return w.timers[0].due
}

// fire records the notice of t. Afterwards the ticket is re-read (its own
// event, or the reason it was a no-op, arrives through the read model).
func (w *Watcher) fire(ctx context.Context, t *timer) {
	cmd := app.Command{Actor: w.opts.Actor, IdempotencyKey: idempotencyKey(t.kind, t.deadline)}
	res, err := w.opts.Service.Act(ctx, cmd, t.id, ticket.SLANotice{Notice: t.kind, Deadline: t.deadline})
	w.mu.Lock()
	defer w.mu.Unlock()
	switch k := domain.KindOf(err); {
	case err == nil:
	case k == domain.KindConflict || k == domain.KindInternal:
		// A concurrent writer, the store away: try again.
		w.log.Warn("SLA notice not recorded: retrying", "ticket", t.id, "notice", t.kind, "err", err, "after", w.opts.RetryDelay)
		t.due = w.opts.Now().Add(w.opts.RetryDelay)
		w.push(t)
		return
	default:
		// Refused by a rule: trying again changes nothing.
		w.log.Error("SLA notice refused", "ticket", t.id, "notice", t.kind, "err", err)
		w.fired[t.id] = keyOf(t.kind, t.deadline)
		return
	}
	w.fired[t.id] = keyOf(t.kind, t.deadline)
	w.dirty[t.id] = struct{}{} // schedule its next notice at once
	w.poke()
	switch {
	case len(res.Events) == 0:
		w.log.Debug("SLA notice no longer applies", "ticket", t.id, "notice", t.kind)
	case res.Replayed:
		w.log.Debug("SLA notice already recorded by another replica", "ticket", t.id, "notice", t.kind)
	default:
		w.log.Info("SLA notice recorded", "ticket", t.id, "notice", t.kind, "deadline", t.deadline.At, "position", res.Position)
		if w.opts.Noticed != nil {
			w.opts.Noticed(t.kind)
		}
	}
}

// idempotencyKey names one notice of one deadline, the same on every
// replica: the events it makes have the same ids everywhere.
func idempotencyKey(kind string, d sla.Deadline) string {
	return "sla-notice/" + kind + "/" + d.At.UTC().Format(time.RFC3339Nano) + "/" + d.PolicyVersion
}

// schedule puts the next notice of s on the heap, replacing the ticket's
// timer; w.mu is held.
func (w *Watcher) schedule(s projections.SLAWatch, now time.Time) {
	if t := w.byID[s.TicketID]; t != nil {
		heap.Remove(&w.timers, t.index)
		delete(w.byID, s.TicketID)
	}
	kind, ok := w.next(s, now)
	if !ok {
		delete(w.fired, s.TicketID)
		return
	}
	w.push(&timer{id: s.TicketID, kind: kind, deadline: s.Deadline, due: ticket.NoticeDue(kind, s.Deadline)})
}

// next is the notice s waits for at now, if any.
func (w *Watcher) next(s projections.SLAWatch, now time.Time) (string, bool) {
	d := s.Deadline
	if !s.Waiting || s.BreachNoticed || d.At.Before(s.SetRecordedAt.Add(-w.opts.LateGrace)) {
		return "", false
	}
	fired := w.fired[s.TicketID]
	if !s.AtRiskNoticed && !d.Passed(now) && fired != keyOf(ticket.NoticeAtRisk, d) {
		return ticket.NoticeAtRisk, true
	}
	if fired == keyOf(ticket.NoticeBreached, d) {
		return "", false // fired; the read model will show it
	}
	return ticket.NoticeBreached, true
}

func (w *Watcher) push(t *timer) {
	if old := w.byID[t.id]; old != nil {
		heap.Remove(&w.timers, old.index)
	}
	heap.Push(&w.timers, t)
	w.byID[t.id] = t
}

// timer is one scheduled notice.
type timer struct {
	id       string
	kind     string
	deadline sla.Deadline
	due      time.Time
	index    int
}

// timerHeap orders timers by due time (container/heap).
type timerHeap []*timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}
