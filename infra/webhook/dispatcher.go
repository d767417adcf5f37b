package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// ImportedKey is the event metadata key that marks history imported from
// another desk (domain.Meta.Imported): an event whose metadata holds
// "imported": true is never delivered.
const ImportedKey = "imported"

// SequenceHeader carries a delivery's per-ticket sequence number (the
// ticket stream's revision + 1), beside the Standard Webhooks headers.
const SequenceHeader = "ticketledger-sequence"

// deliveryNamespace makes delivery ids: one per (subscription, event), the
// same on every attempt and on every replica. Persisted: never change it.
var deliveryNamespace = uuid.MustParse("3b0f8a52-6c1e-5d4a-9f7b-776562686f6b")

// Defaults of DispatcherConfig.
const (
	DefaultLeaseTTL   = 30 * time.Second
	DefaultPoll       = time.Second
	DefaultAttempts   = 5
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 30 * time.Second
	DefaultTimeout    = 10 * time.Second
	DefaultBatch      = 256
	DefaultWorkers    = 8
)

// DispatcherConfig configures a Dispatcher; zero values take the defaults.
type DispatcherConfig struct {
	Store  eventstore.Store
	Signer codec.Signer // signs what the dispatcher appends (nil: unsigned)
	Key    Key
	Guard  Guard
	// Holder names this replica in the lease (default: host name and a
	// random suffix).
	Holder     string
	LeaseTTL   time.Duration
	Poll       time.Duration // how often the lease and the log are looked at without a wake-up
	Attempts   int           // attempts before a delivery is parked
	Backoff    time.Duration // the wait before the second attempt; doubled each time, with jitter
	MaxBackoff time.Duration
	Timeout    time.Duration // per attempt
	Batch      int           // events read per step
	Workers    int           // (subscription, ticket) queues delivered at once
	Now        func() time.Time
	Logger     *slog.Logger
}

// Stats are the dispatcher's counters, for /metrics.
type Stats struct {
	Delivered      uint64 // deliveries answered 2xx
	FailedAttempts uint64 // attempts that failed (non-2xx, refused, timed out)
	Parked         uint64 // deliveries parked in the dead-letter list
	Held           uint64 // deliveries queued behind a parked one
	Leader         bool   // this replica holds the lease
	// Lag is how long ago the oldest event not yet settled was stored (0:
	// caught up, or not the leader).
	Lag time.Duration
}

// Dispatcher delivers webhooks; see the package documentation.
type Dispatcher struct {
	cfg    DispatcherConfig
	j      journal
	client *http.Client
	log    *slog.Logger

	mu      sync.Mutex // guards the fields below and the ledgers
	stats   Stats
	lagFrom time.Time

	// Held while leader; rebuilt on taking the lease.
	lease    sync.Mutex // serialises appends to the dispatch stream
	tail     tail
	cp       eventstore.Position
	markedAt time.Time // when this holder last appended a mark
	leader   bool
	dir      *directory
	ledgers  map[string]*ledgerOf
	parties  map[string][]string
}

// NewDispatcher returns a dispatcher; Run starts it.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	cfg.LeaseTTL, cfg.Poll = positive(cfg.LeaseTTL, DefaultLeaseTTL), positive(cfg.Poll, DefaultPoll)
	cfg.Backoff, cfg.MaxBackoff = positive(cfg.Backoff, DefaultBackoff), positive(cfg.MaxBackoff, DefaultMaxBackoff)
	cfg.Timeout, cfg.Attempts = positive(cfg.Timeout, DefaultTimeout), positive(cfg.Attempts, DefaultAttempts)
	cfg.Batch, cfg.Workers = positive(cfg.Batch, DefaultBatch), positive(cfg.Workers, DefaultWorkers)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		cfg.Holder = host + "-" + strconv.FormatUint(rand.Uint64()%1e8, 36)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, j: journal{store: cfg.Store, signer: cfg.Signer, now: cfg.Now},
		client: cfg.Guard.Client(cfg.Timeout), log: log}
}

// positive returns v, or def when v is not positive.
func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Holder returns the name this dispatcher takes the lease under.
func (d *Dispatcher) Holder() string { return d.cfg.Holder }

// Stats returns the dispatcher's counters.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.stats
	s.Leader = d.leader
	if !d.lagFrom.IsZero() {
		s.Lag = d.cfg.Now().Sub(d.lagFrom)
	}
	return s
}

// Run delivers until ctx ends: it looks at the lease and the log at every
// new event (a $all subscription wakes it) and every Poll. On the way out
// it gives the lease up, so another replica takes over at once.
func (d *Dispatcher) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	go d.watch(ctx, wake)
	tick := time.NewTicker(d.cfg.Poll)
	defer tick.Stop()
	var lastErr string
	for {
		err := d.step(ctx)
		switch {
		case ctx.Err() != nil:
			d.release()
			return nil
		case err != nil && err.Error() != lastErr:
			d.log.Warn("webhook dispatch failed; retrying", "err", err)
			lastErr = err.Error()
		case err == nil:
			lastErr = ""
		}
		select {
		case <-ctx.Done():
			d.release()
			return nil
		case <-tick.C:
		case <-wake:
		}
	}
}

// watch wakes Run whenever an event is appended.
func (d *Dispatcher) watch(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		sub, err := d.cfg.Store.SubscribeAll(ctx, eventstore.AllEnd(), eventstore.SubscribeOptions{})
		if err != nil {
			sleep(ctx, d.cfg.Poll)
			continue
		}
		for {
			m, err := sub.Next()
			if err != nil {
				break
			}
			if m.Event != nil && m.Event.StreamID != webhook.DispatchStream {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
		sub.Close()
		sleep(ctx, d.cfg.Poll)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// step takes or keeps the lease and, as its holder, delivers what the log
// holds beyond the checkpoint.
func (d *Dispatcher) step(ctx context.Context) error {
	if err := d.acquire(ctx); err != nil || !d.isLeader() {
		return err
	}
	for range 64 {
		more, err := d.batch(ctx)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func (d *Dispatcher) isLeader() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.leader
}

func (d *Dispatcher) demote(why string) {
	d.mu.Lock()
	was := d.leader
	d.leader, d.lagFrom = false, time.Time{} // the state stays for goroutines finishing; a new lease rebuilds it
	d.mu.Unlock()
	if was && why != "" {
		d.log.Info("webhook dispatch lease lost", "holder", d.cfg.Holder, "why", why)
	}
}

// acquire reads the lease: keeps it (renewing it when half spent), takes it
// when it is free and there is work, or stands by.
func (d *Dispatcher) acquire(ctx context.Context) error {
	d.lease.Lock()
	defer d.lease.Unlock()
	t, rec, err := d.j.last(ctx, webhook.DispatchStream)
	if err != nil {
		return err
	}
	var mark webhook.DispatchMark
	var markAt uint64
	if rec != nil {
		m, ok := domain.Value(rec.Event).(webhook.DispatchMark)
		if !ok {
			return fmt.Errorf("%s holds a %s", webhook.DispatchStream, rec.Type)
		}
		mark, markAt = m, rec.Position
	}
	now := d.cfg.Now()
	d.mu.Lock()
	// ours: the last mark is this holder's and nobody appended since, so
	// the state in memory is current.
	ours := rec != nil && mark.Holder == d.cfg.Holder && d.dir != nil && d.tail == t
	d.mu.Unlock()
	if ours && now.Before(mark.Until) && d.isLeader() {
		if mark.Until.Sub(now) < d.cfg.LeaseTTL/2 {
			return d.renewLocked(ctx)
		}
		return nil
	}
	if rec != nil && mark.Holder != d.cfg.Holder && now.Before(mark.Until) {
		d.demote("another replica holds the lease")
		return nil // another replica delivers
	}
	head, err := d.cfg.Store.Head(ctx)
	if err != nil {
		return err
	}
	if head.Commit == 0 || (rec != nil && head.Commit <= markAt) {
		d.demote("") // nothing new since the last mark: the lease may lapse
		return nil
	}
	if ours { // its own lapsed lease, not taken since: take it up again as it stands
		if err := d.renewLocked(ctx); err != nil {
			return err
		}
		d.mu.Lock()
		d.leader = d.tail != t // the mark went in
		d.mu.Unlock()
		return nil
	}
	cp := eventstore.Position{Commit: mark.Position, Prepare: mark.Prepare}
	_, nt, err := d.j.append(ctx, webhook.DispatchStream, t, system,
		webhook.DispatchMark{Holder: d.cfg.Holder, Until: now.Add(d.cfg.LeaseTTL).UTC(), Position: cp.Commit, Prepare: cp.Prepare})
	if eventstore.IsConflict(err) {
		return nil // another replica took it first
	}
	if err != nil {
		return err
	}
	dir, ledgers, err := d.load(ctx, cp)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.tail, d.cp, d.leader, d.dir, d.ledgers, d.parties, d.markedAt = nt, cp, true, dir, ledgers, map[string][]string{}, now
	d.mu.Unlock()
	d.log.Info("webhook dispatch lease taken", "holder", d.cfg.Holder, "checkpoint", cp.Commit)
	return nil
}

// renewLocked extends the lease at the current checkpoint (d.lease held).
func (d *Dispatcher) renewLocked(ctx context.Context) error {
	return d.markLocked(ctx, d.cp)
}

// markLocked appends a mark: the lease until now+TTL, checkpoint cp. A
// conflict means another replica took the lease: this one stops.
func (d *Dispatcher) markLocked(ctx context.Context, cp eventstore.Position) error {
	_, nt, err := d.j.append(ctx, webhook.DispatchStream, d.tail, system,
		webhook.DispatchMark{Holder: d.cfg.Holder, Until: d.cfg.Now().Add(d.cfg.LeaseTTL).UTC(), Position: cp.Commit, Prepare: cp.Prepare})
	if eventstore.IsConflict(err) {
		d.demote("the lease was taken over")
		return nil
	}
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.tail, d.cp, d.markedAt = nt, cp, d.cfg.Now()
	d.mu.Unlock()
	return nil
}

// release gives the lease up (a mark that expires now).
func (d *Dispatcher) release() {
	if !d.isLeader() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d.lease.Lock()
	defer d.lease.Unlock()
	_, _, err := d.j.append(ctx, webhook.DispatchStream, d.tail, system,
		webhook.DispatchMark{Holder: d.cfg.Holder, Until: d.cfg.Now().UTC(), Position: d.cp.Commit, Prepare: d.cp.Prepare})
	if err == nil {
		d.log.Info("webhook dispatch lease released", "holder", d.cfg.Holder, "checkpoint", d.cp.Commit)
	}
	d.demote("") // said above
}

// load builds a new holder's state: the subscriptions as of the checkpoint
// and every subscription's delivery records.
func (d *Dispatcher) load(ctx context.Context, cp eventstore.Position) (*directory, map[string]*ledgerOf, error) {
	dir := newDirectory()
	if cp.Commit > 0 {
		if err := dir.catchUp(ctx, d.cfg.Store, cp.Commit); err != nil {
			return nil, nil, err
		}
	}
	all := newDirectory()
	if err := all.catchUp(ctx, d.cfg.Store, 0); err != nil {
		return nil, nil, err
	}
	ledgers := map[string]*ledgerOf{}
	for _, e := range all.all() {
		recs, _, err := d.j.read(ctx, webhook.DeliveryStream(e.sub.ID()))
		if err != nil {
			return nil, nil, err
		}
		l := newLedger()
		for _, r := range recs {
			l.fold(r)
		}
		ledgers[e.sub.ID()] = l
	}
	return dir, ledgers, nil
}

// work is one thing a (subscription, ticket) queue does: a new delivery,
// or (control) go on after an admin's replay or skip.
type work struct {
	sub, ticket string
	control     bool
	delivery    webhook.Delivery
	body        string
}

// batch reads the next events after the checkpoint, delivers them and
// moves the checkpoint past them; more reports a full batch.
func (d *Dispatcher) batch(ctx context.Context) (more bool, err error) {
	d.mu.Lock()
	cp := d.cp
	d.mu.Unlock()
	from := eventstore.AllFrom(cp)
	raw, err := d.cfg.Store.ReadAll(ctx, eventstore.Forwards, from, uint64(d.cfg.Batch), nil)
	if err != nil {
		return false, err
	}
	full := len(raw) == d.cfg.Batch
	if len(raw) > 0 && raw[0].Position == cp {
		raw = raw[1:]
	}
	var items []work
	relevant := false
	for _, r := range raw {
		if r.StreamID == webhook.DispatchStream {
			continue
		}
		if !relevant {
			d.mu.Lock()
			d.lagFrom = r.Created
			d.mu.Unlock()
		}
		relevant = true
		w, err := d.plan(ctx, r)
		if err != nil {
			return false, err
		}
		items = append(items, w...)
	}
	if !relevant {
		d.mu.Lock()
		d.lagFrom = time.Time{}
		if len(raw) > 0 {
			d.cp = raw[len(raw)-1].Position // only marks: nothing to settle or record
		}
		d.mu.Unlock()
		return full, nil
	}
	if err := d.run(ctx, items); err != nil {
		return false, err
	}
	if !d.isLeader() {
		return false, nil
	}
	// The checkpoint is appended when the batch delivered something (or
	// the lease wants renewing): a log of events no subscription takes
	// costs no appends; a new holder reads them again, delivering nothing.
	last := raw[len(raw)-1].Position
	d.lease.Lock()
	if len(items) > 0 || d.cfg.Now().Sub(d.markedAt) > d.cfg.LeaseTTL/2 {
		err = d.markLocked(ctx, last)
	} else {
		d.mu.Lock()
		d.cp = last
		d.mu.Unlock()
	}
	d.lease.Unlock()
	if err != nil || !d.isLeader() {
		return false, err
	}
	if !full {
		d.mu.Lock()
		d.lagFrom = time.Time{}
		d.mu.Unlock()
	}
	return full, nil
}

// plan turns one event of the log into work.
func (d *Dispatcher) plan(ctx context.Context, r eventstore.RecordedEvent) ([]work, error) {
	switch {
	case strings.HasPrefix(r.StreamID, webhook.StreamPrefix):
		return nil, d.dir.apply(r)
	case strings.HasPrefix(r.StreamID, webhook.DeliveryStreamPrefix):
		if r.Type != webhook.TypeReplayRequested && r.Type != webhook.TypeSkipped {
			return nil, nil // the dispatcher's own records, already folded
		}
		rec, err := codec.Decode(r)
		if err != nil {
			return nil, err
		}
		id := strings.TrimPrefix(r.StreamID, webhook.DeliveryStreamPrefix)
		d.mu.Lock()
		l := d.ledger(id)
		l.fold(rec)
		d.mu.Unlock()
		var tk string
		switch e := domain.Value(rec.Event).(type) {
		case webhook.ReplayRequested:
			tk = e.TicketID
		case webhook.Skipped:
			tk = e.TicketID
		}
		return []work{{sub: id, ticket: tk, control: true}}, nil
	case strings.HasPrefix(r.StreamID, ticket.StreamPrefix):
		return d.planTicket(ctx, r)
	}
	return nil, nil
}

func (d *Dispatcher) ledger(sub string) *ledgerOf {
	l := d.ledgers[sub]
	if l == nil {
		l = newLedger()
		d.ledgers[sub] = l
	}
	return l
}

// ticketParties is what a ticket's opening says about who it belongs to.
type ticketParties struct {
	PartnerID  string `json:"partnerId"`
	ProviderID string `json:"providerId"`
	ResellerID string `json:"resellerId"`
	Notice     string `json:"notice"`
}

func (p ticketParties) list() []string {
	var out []string
	for _, s := range []string{p.PartnerID, p.ProviderID, p.ResellerID} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (d *Dispatcher) planTicket(ctx context.Context, r eventstore.RecordedEvent) ([]work, error) {
	entries := d.dir.all()
	if len(entries) == 0 {
		return nil, nil // no subscription: nothing to decode, no one to tell
	}
	meta, err := codec.DecodeMeta(r.Metadata)
	if err != nil {
		return nil, fmt.Errorf("%s@%d: metadata: %w", r.StreamID, r.Revision, err)
	}
	if meta.Imported {
		return nil, nil // history from another desk: told no one
	}
	var fields ticketParties
	_ = json.Unmarshal(r.Data, &fields) // not JSON: no parties, no notice
	tk := strings.TrimPrefix(r.StreamID, ticket.StreamPrefix)
	var subs []entry
	for _, e := range entries {
		if _, ok := e.sub.Wants(r.Type, fields.Notice); ok && e.sub.Active() && e.since < r.Position.Commit {
			subs = append(subs, e)
		}
	}
	if len(subs) == 0 {
		return nil, nil
	}
	parties, err := d.partiesOf(ctx, tk, r, fields)
	if err != nil {
		return nil, err
	}
	var out []work
	for _, e := range subs {
		if !e.sub.Receives(parties) {
			continue
		}
		typ, _ := e.sub.Wants(r.Type, fields.Notice)
		dl := webhook.Delivery{
			DeliveryID: uuid.NewSHA1(deliveryNamespace, []byte(e.sub.ID()+"\x00"+r.ID.String())).String(),
			EventID:    r.ID.String(), TicketID: tk, Sequence: r.Revision + 1, Type: typ, Position: r.Position.Commit,
		}
		d.mu.Lock()
		_, done := d.ledger(e.sub.ID()).byID[dl.DeliveryID]
		d.mu.Unlock()
		if done {
			continue // recorded by an earlier holder before its checkpoint
		}
		body, err := payload(e.sub.ID(), dl, r, meta)
		if err != nil {
			return nil, err
		}
		out = append(out, work{sub: e.sub.ID(), ticket: tk, delivery: dl, body: body})
	}
	return out, nil
}

// partiesOf returns the partners a ticket belongs to (filer, provider,
// reseller), from its opening: the event itself, the cache, or the first
// event of its stream.
func (d *Dispatcher) partiesOf(ctx context.Context, tk string, r eventstore.RecordedEvent, f ticketParties) ([]string, error) {
	if r.Revision == 0 {
		p := f.list()
		d.mu.Lock()
		d.parties[tk] = p
		d.mu.Unlock()
		return p, nil
	}
	d.mu.Lock()
	p, ok := d.parties[tk]
	d.mu.Unlock()
	if ok {
		return p, nil
	}
	first, err := d.cfg.Store.ReadStream(ctx, r.StreamID, eventstore.Forwards, eventstore.StreamStart(), 1)
	if err != nil {
		return nil, fmt.Errorf("read the opening of %s: %w", r.StreamID, err)
	}
	var of ticketParties
	if len(first) == 1 {
		_ = json.Unmarshal(first[0].Data, &of)
	}
	p = of.list()
	d.mu.Lock()
	d.parties[tk] = p
	d.mu.Unlock()
	return p, nil
}

// Body is the JSON body of a delivery (Standard Webhooks' type, timestamp
// and data).
type Body struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      BodyData  `json:"data"`
}

// BodyData is a delivery's data: which event of which ticket, its
// per-ticket sequence number, and the event's payload (without the
// contact's personal data).
type BodyData struct {
	SubscriptionID string          `json:"subscriptionId"`
	DeliveryID     string          `json:"deliveryId"`
	TicketID       string          `json:"ticketId"`
	Sequence       uint64          `json:"sequence"`
	EventID        string          `json:"eventId"`
	EventType      string          `json:"eventType"`
	Position       uint64          `json:"position"`
	OccurredAt     time.Time       `json:"occurredAt"`
	RecordedAt     time.Time       `json:"recordedAt"`
	Payload        json.RawMessage `json:"payload"`
}

func payload(sub string, dl webhook.Delivery, r eventstore.RecordedEvent, meta domain.Meta) (string, error) {
	var fields map[string]json.RawMessage
	p := json.RawMessage("{}")
	if json.Unmarshal(r.Data, &fields) == nil {
		delete(fields, "contact") // personal data stays in the ledger
		b, err := json.Marshal(fields)
		if err != nil {
			return "", err
		}
		p = b
	}
	b, err := json.Marshal(Body{Type: dl.Type, Timestamp: meta.RecordedAt.UTC(), Data: BodyData{
		SubscriptionID: sub, DeliveryID: dl.DeliveryID, TicketID: dl.TicketID, Sequence: dl.Sequence, EventID: dl.EventID,
		EventType: r.Type, Position: dl.Position, OccurredAt: meta.OccurredAt.UTC(), RecordedAt: meta.RecordedAt.UTC(), Payload: p,
	}})
	return string(b), err
}

// run delivers items: each (subscription, ticket) queue in order, up to
// Workers queues at once, while a keeper renews the lease.
func (d *Dispatcher) run(ctx context.Context, items []work) error {
	if len(items) == 0 {
		return nil
	}
	type key struct{ sub, ticket string }
	var order []key
	groups := map[key][]work{}
	for _, w := range items {
		k := key{w.sub, w.ticket}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], w)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	keeperDone := make(chan struct{})
	go func() {
		defer close(keeperDone)
		d.keep(ctx, cancel)
	}()
	sem := make(chan struct{}, d.cfg.Workers)
	var wg sync.WaitGroup
	errs := make([]error, len(order))
	for i, k := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = d.queue(ctx, groups[k])
		}()
	}
	wg.Wait()
	cancel()
	<-keeperDone
	return errors.Join(errs...)
}

// keep renews the lease while a batch is delivered; losing it cancels
// the batch.
func (d *Dispatcher) keep(ctx context.Context, cancel context.CancelFunc) {
	for sleep(ctx, d.cfg.LeaseTTL/3) {
		d.lease.Lock()
		err := d.renewLocked(ctx)
		d.lease.Unlock()
		if err != nil && ctx.Err() == nil {
			d.log.Warn("webhook dispatch lease renewal failed", "err", err)
		}
		if !d.isLeader() {
			cancel()
			return
		}
	}
}

// queue works through one (subscription, ticket) queue in order.
func (d *Dispatcher) queue(ctx context.Context, items []work) error {
	for _, w := range items {
		e, ok := d.dir.get(w.sub)
		if !ok {
			continue
		}
		if w.control {
			if err := d.drain(ctx, e, w.ticket); err != nil {
				return err
			}
			continue
		}
		d.mu.Lock()
		queued := d.ledger(w.sub).head(w.ticket) != nil
		d.mu.Unlock()
		if queued {
			if err := d.record(ctx, w.sub, webhook.Held{Delivery: w.delivery, Body: w.body}); err != nil {
				return err
			}
			continue
		}
		if _, err := d.deliver(ctx, e, w.delivery, w.body); err != nil {
			return err
		}
	}
	return nil
}

// drain delivers a ticket's queue from its head while the head is not
// waiting for an admin (held, or replay requested).
func (d *Dispatcher) drain(ctx context.Context, e entry, tk string) error {
	if !e.sub.Active() {
		return nil
	}
	for {
		d.mu.Lock()
		h := d.ledger(e.sub.ID()).head(tk)
		var v DeliveryView
		if h != nil {
			v = *h
		}
		d.mu.Unlock()
		if h == nil || v.Status == StatusParked {
			return nil
		}
		ok, err := d.deliver(ctx, e, v.Delivery, v.body)
		if err != nil || !ok {
			return err
		}
	}
}

// deliver makes up to Attempts attempts and records the outcome: delivered,
// or parked.
func (d *Dispatcher) deliver(ctx context.Context, e entry, dl webhook.Delivery, body string) (bool, error) {
	var a webhook.Attempts
	for i := 1; i <= d.cfg.Attempts; i++ {
		if i > 1 && !sleep(ctx, d.backoff(i-1)) {
			return false, ctx.Err()
		}
		// An attempt under way finishes (within Timeout) even when the
		// dispatcher is stopping, and its outcome is recorded: a delivery
		// the receiver took is not made again by the next holder.
		status, lat, err := d.post(context.WithoutCancel(ctx), e.sub, dl, body)
		a = webhook.Attempts{Attempts: i, Status: status, LatencyMS: lat.Milliseconds(), FinishedAt: d.cfg.Now().UTC()}
		if err == nil {
			d.count(func(s *Stats) { s.Delivered++ })
			return true, d.record(ctx, e.sub.ID(), webhook.Delivered{Delivery: dl, Attempts: a})
		}
		a.Error = err.Error()
		d.count(func(s *Stats) { s.FailedAttempts++ })
	}
	d.count(func(s *Stats) { s.Parked++ })
	d.log.Warn("webhook delivery parked in the dead-letter list", "subscription", e.sub.ID(), "delivery", dl.DeliveryID,
		"ticket", dl.TicketID, "sequence", dl.Sequence, "attempts", a.Attempts, "err", a.Error)
	return false, d.record(ctx, e.sub.ID(), webhook.Parked{Delivery: dl, Attempts: a, Body: body})
}

func (d *Dispatcher) count(f func(*Stats)) {
	d.mu.Lock()
	f(&d.stats)
	d.mu.Unlock()
}

// backoff is the wait before attempt n+1: Backoff·2^(n-1), at most
// MaxBackoff, with "equal jitter" (half fixed, half random).
func (d *Dispatcher) backoff(n int) time.Duration {
	b := d.cfg.Backoff << min(n-1, 20)
	if b <= 0 || b > d.cfg.MaxBackoff {
		b = d.cfg.MaxBackoff
	}
	return b/2 + rand.N(b/2+1)
}

// post makes one attempt.
func (d *Dispatcher) post(ctx context.Context, sub *webhook.Subscription, dl webhook.Delivery, body string) (int, time.Duration, error) {
	now := d.cfg.Now()
	var secrets [][]byte
	for _, g := range sub.Generations(now) {
		secrets = append(secrets, d.cfg.Key.Secret(sub.ID(), g))
	}
	msgID := "msg_" + dl.DeliveryID
	ts := now.Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Details().URL, strings.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ticketledger-webhooks/1")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Signature(secrets, msgID, ts, []byte(body)))
	req.Header.Set(SequenceHeader, strconv.FormatUint(dl.Sequence, 10))
	start := time.Now()
	resp, err := d.client.Do(req)
	lat := time.Since(start)
	if err != nil {
		return 0, lat, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, lat, fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return resp.StatusCode, lat, nil
}

// record appends a delivery record and folds it into the holder's ledger.
func (d *Dispatcher) record(ctx context.Context, sub string, ev domain.Event) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := d.j.appendLast(ctx, webhook.DeliveryStream(sub), system, ev); err != nil {
		return fmt.Errorf("record a delivery of %s: %w", sub, err)
	}
	if _, ok := ev.(webhook.Held); ok {
		d.count(func(s *Stats) { s.Held++ })
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ledgers != nil {
		d.ledger(sub).fold(domain.Recorded{Event: ev, Meta: domain.Meta{RecordedAt: d.cfg.Now().UTC()}})
	}
	return nil
}
