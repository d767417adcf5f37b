package pebblestore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Subscriptions pull: Next reads the log (or the stream index) from Pebble
// after the last position it delivered, up to the durable position, and when
// there is nothing left waits for the appender's notification that the
// durable position moved. The appender never waits for a subscriber, a slow
// subscriber only reads further behind, and catch-up and live are the same
// loop, so the handover cannot lose or repeat an event.

const subPage = 512 // events read per Pebble visit

var errSubClosed = fmt.Errorf("subscription closed: %w", eventstore.ErrSubscriptionDropped)

// subBase is what both kinds of subscription share.
type subBase struct {
	s        *Store
	ctx      context.Context
	cancel   context.CancelFunc
	closed   atomic.Bool
	caughtUp bool
	buf      []eventstore.RecordedEvent
	next     int
}

// loop is the loop behind both Next methods: buffered events first, then
// whatever pending yields (nil for none), then fill from the durable position
// (more reports that it read something and the loop goes round again); once
// nothing is left it says caught-up once and then waits for new commits.
func (b *subBase) loop(pending func() (eventstore.Message, bool), fill func(durable uint64) (more bool, err error)) (eventstore.Message, error) {
	for {
		if msg, ok := b.pop(); ok {
			return msg, nil
		}
		if pending != nil {
			if msg, ok := pending(); ok {
				return msg, nil
			}
		}
		if err := b.stopped(); err != nil {
			return eventstore.Message{}, err
		}
		ch := b.s.changed()
		more, err := fill(b.s.durable.Load())
		if errors.Is(err, errReopening) {
			// Pebble is being reopened after a failure: the reopen moves
			// the durable position (or wakes ch) when it is done.
			if err := b.wait(ch); err != nil {
				return eventstore.Message{}, err
			}
			continue
		}
		if err != nil {
			return eventstore.Message{}, b.s.faults.wrap(err)
		}
		if more {
			continue
		}
		if !b.caughtUp {
			b.caughtUp = true
			return eventstore.Message{CaughtUp: true}, nil
		}
		if err := b.wait(ch); err != nil {
			return eventstore.Message{}, err
		}
	}
}

// Close ends the subscription; a blocked Next returns.
func (b *subBase) Close() error {
	b.closed.Store(true)
	b.cancel()
	return nil
}

func (b *subBase) stopped() error {
	if b.closed.Load() {
		return errSubClosed
	}
	if err := b.ctx.Err(); err != nil {
		return fmt.Errorf("subscription: %w", err)
	}
	return nil
}

// wait blocks until the durable position moves past seen, through ch.
func (b *subBase) wait(ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-b.ctx.Done():
		return b.stopped()
	case <-b.s.closedCh:
		return eventstore.ErrClosed
	}
}

func (b *subBase) pop() (eventstore.Message, bool) {
	if b.next < len(b.buf) {
		ev := &b.buf[b.next]
		b.next++
		return eventstore.Message{Event: ev}, true
	}
	return eventstore.Message{}, false
}

// SubscribeAll implements eventstore.Store. Next is not safe for concurrent
// use; Close may be called from any goroutine.
func (s *Store) SubscribeAll(ctx context.Context, from eventstore.AllPos, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	m, err := opts.Filter.Compile()
	if err != nil {
		return nil, fmt.Errorf("subscribe to $all: %w", err)
	}
	if err := s.readLock(ctx); err != nil {
		return nil, fmt.Errorf("subscribe to $all: %w", err)
	}
	defer s.readUnlock()
	sub := &allSub{m: m, interval: uint64(opts.CheckpointInterval)}
	if m.IsAll() {
		sub.interval = 0
	}
	switch {
	case from.IsStart():
	case from.IsEnd():
		sub.cursor = s.durable.Load()
	default:
		p, _ := from.Position()
		sub.cursor = p.Commit
	}
	sub.s = s
	sub.ctx, sub.cancel = context.WithCancel(ctx)
	return sub, nil
}

type allSub struct {
	subBase
	m         *eventstore.Matcher
	interval  uint64
	cursor    uint64 // last sequence number scanned
	sinceCkpt uint64
	ckpt      *eventstore.Position // due after buf
	ahead     []*aheadPage         // pages being read ahead, in log order
	aheadTo   uint64               // last sequence number requested ahead
}

// Reading ahead. A subscription to all of $all (no filter, so no
// checkpoints) that is far behind reads the log in pages of aheadEvents
// sequence numbers on aheadPages goroutines at once, ahead of its
// subscriber: decoding Pebble's blocks is most of the cost of a catch-up,
// and on a machine with several cores the pages are read in parallel. The
// pages are contiguous ranges of sequence numbers bounded by the durable
// position, consumed in order, so the subscriber sees exactly what the
// one-page-at-a-time loop would show it.
const (
	aheadEvents = 1024
	aheadPages  = 2
	aheadMin    = 4 * aheadEvents // backlog from which reading ahead starts
)

// aheadPage is the read of sequence numbers from..to (inclusive).
type aheadPage struct {
	from, to uint64
	done     chan struct{}
	evs      []eventstore.RecordedEvent
	err      error
}

// Next implements eventstore.Subscription.
func (sub *allSub) Next() (eventstore.Message, error) {
	checkpoint := func() (eventstore.Message, bool) {
		if sub.ckpt == nil {
			return eventstore.Message{}, false
		}
		p := sub.ckpt
		sub.ckpt = nil
		return eventstore.Message{Checkpoint: p}, true
	}
	return sub.loop(checkpoint, func(durable uint64) (bool, error) {
		if sub.cursor >= durable {
			return false, nil
		}
		return true, sub.fill(durable)
	})
}

func (sub *allSub) fill(durable uint64) error {
	if sub.interval == 0 && sub.m.IsAll() && (len(sub.ahead) > 0 || durable-sub.cursor >= aheadMin) {
		return sub.fillAhead(durable)
	}
	s := sub.s
	if err := s.readLock(sub.ctx); err != nil {
		if errors.Is(err, eventstore.ErrClosed) || errors.Is(err, errReopening) {
			return err
		}
		return sub.stopped()
	}
	defer s.readUnlock()
	limit := uint64(8 * subPage) // bounds one visit when the filter rejects most events
	if sub.interval > 0 {
		limit = min(limit, sub.interval-sub.sinceCkpt)
	}
	evs, last, scanned, err := s.scanLog(sub.ctx, sub.cursor+1, durable, subPage, sub.m, limit, nil)
	if err != nil {
		if sub.ctx.Err() != nil {
			return sub.stopped()
		}
		return fmt.Errorf("subscription to $all: %w", err)
	}
	sub.buf, sub.next = evs, 0
	sub.cursor = last
	if sub.interval > 0 {
		sub.sinceCkpt += scanned
		if sub.sinceCkpt >= sub.interval {
			p := pos(last)
			sub.ckpt = &p
			sub.sinceCkpt = 0
		}
	}
	return nil
}

// fillAhead delivers the next page read ahead, and keeps aheadPages pages
// being read.
func (sub *allSub) fillAhead(durable uint64) error {
	sub.readAhead(durable)
	p := sub.ahead[0]
	select {
	case <-p.done:
	case <-sub.ctx.Done():
		return sub.stopped()
	}
	copy(sub.ahead, sub.ahead[1:])
	sub.ahead[len(sub.ahead)-1] = nil
	sub.ahead = sub.ahead[:len(sub.ahead)-1]
	if p.err != nil {
		// Drop the pages read after this one: a retry reads on from the
		// cursor, which has not moved.
		for _, q := range sub.ahead {
			<-q.done
		}
		sub.ahead, sub.aheadTo = sub.ahead[:0], sub.cursor
		switch {
		case errors.Is(p.err, eventstore.ErrClosed):
			return p.err
		case sub.ctx.Err() != nil:
			return sub.stopped()
		}
		return fmt.Errorf("subscription to $all: %w", p.err)
	}
	sub.buf, sub.next = p.evs, 0
	sub.cursor = p.to
	sub.readAhead(durable)
	return nil
}

// readAhead starts reading the pages after those requested, up to durable.
func (sub *allSub) readAhead(durable uint64) {
	next := max(sub.aheadTo, sub.cursor) + 1
	for len(sub.ahead) < aheadPages && next <= durable {
		p := &aheadPage{from: next, to: min(next+aheadEvents-1, durable), done: make(chan struct{})}
		sub.ahead = append(sub.ahead, p)
		sub.aheadTo, next = p.to, p.to+1
		go sub.readPage(p)
	}
}

func (sub *allSub) readPage(p *aheadPage) {
	defer close(p.done)
	s := sub.s
	if p.err = s.readLock(sub.ctx); p.err != nil {
		return
	}
	defer s.readUnlock()
	p.evs, _, _, p.err = s.scanLog(sub.ctx, p.from, p.to, p.to-p.from+1, sub.m, 0, nil)
}

// SubscribeStream implements kurrentwire.Store. The history it delivers before
// CaughtUp honours the stream's metadata as reads do; live events are
// delivered as appended. A tombstoned stream returns ErrStreamDeleted, here or
// from Next.
func (s *Store) SubscribeStream(ctx context.Context, stream string, from eventstore.StreamPos) (eventstore.Subscription, error) {
	if err := validateStream(stream); err != nil {
		return nil, fmt.Errorf("subscribe to %q: %w", stream, err)
	}
	if err := s.readLock(ctx); err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", stream, err)
	}
	defer s.readUnlock()
	durable := s.durable.Load()
	sub := &streamSub{stream: stream, cursor: -1}
	v, err := s.view(stream, durable)
	lastRev, _, exists, lerr := lastIndexEntry(s.db, stream, durable)
	switch {
	case lerr != nil:
		return nil, fmt.Errorf("subscribe to %s: %w", stream, lerr)
	case errors.Is(err, eventstore.ErrStreamDeleted):
		return nil, fmt.Errorf("subscribe to %s: %w", stream, err)
	case errors.Is(err, eventstore.ErrStreamNotFound):
		if exists { // soft-deleted: its history stays hidden
			sub.hiddenThrough = int64(lastRev)
		} else {
			sub.hiddenThrough = -1
		}
	case err != nil:
		return nil, fmt.Errorf("subscribe to %s: %w", stream, err)
	default:
		sub.hiddenThrough = int64(v.md.FirstVisibleRevision(v.last)) - 1
		sub.md, sub.mdLast = v.md, v.last
	}
	switch {
	case from.IsStart():
	case from.IsEnd():
		if exists {
			sub.cursor = int64(lastRev)
		}
	default:
		r, _ := from.Revision()
		if r >= eventstore.DeletedStreamRevision {
			return nil, fmt.Errorf("subscribe to %s: revision %d out of range", stream, r)
		}
		sub.cursor = int64(r)
	}
	sub.s = s
	sub.ctx, sub.cancel = context.WithCancel(ctx)
	return sub, nil
}

type streamSub struct {
	subBase
	stream        string
	cursor        int64 // last revision delivered or skipped
	hiddenThrough int64 // history up to here is truncated or soft-deleted
	md            eventstore.StreamMetadata
	mdLast        uint64
}

// Next implements eventstore.Subscription.
func (sub *streamSub) Next() (eventstore.Message, error) {
	return sub.loop(nil, func(durable uint64) (bool, error) {
		n, err := sub.fill(durable)
		return n > 0, err
	})
}

// fill reads the revisions after the cursor, up to the durable position, and
// returns how many it scanned.
func (sub *streamSub) fill(durable uint64) (int, error) {
	s := sub.s
	if err := s.readLock(sub.ctx); err != nil {
		if errors.Is(err, eventstore.ErrClosed) || errors.Is(err, errReopening) {
			return 0, err
		}
		return 0, sub.stopped()
	}
	defer s.readUnlock()
	if sub.cursor >= int64(eventstore.DeletedStreamRevision)-1 {
		return 0, nil
	}
	lower, upper := streamBounds(sub.stream)
	lower = binary.BigEndian.AppendUint64(lower[:len(lower)-8], uint64(sub.cursor+1))
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var dec decoder
	now := s.now()
	var evs []eventstore.RecordedEvent
	n := 0
	for valid := it.First(); valid && n < subPage; valid = it.Next() {
		k := it.Key()
		rev := binary.BigEndian.Uint64(k[len(k)-8:])
		seq := binary.BigEndian.Uint64(it.Value())
		if seq > durable {
			break
		}
		if rev == eventstore.DeletedStreamRevision {
			return 0, fmt.Errorf("subscription to %s: %w", sub.stream, eventstore.ErrStreamDeleted)
		}
		n++
		sub.cursor = int64(rev)
		if !sub.caughtUp && int64(rev) <= sub.hiddenThrough {
			continue
		}
		v, closer, err := s.db.Get(logKey(seq))
		if err != nil {
			return 0, fmt.Errorf("subscription to %s: position %d: %w", sub.stream, seq, err)
		}
		h, err := decodeHeader(v)
		if err == nil && (sub.caughtUp || sub.md.MaxAge <= 0 || sub.md.Visible(rev, max(sub.mdLast, rev), unixNanoUTC(h.createdNano), now)) {
			if evs == nil {
				evs = make([]eventstore.RecordedEvent, 0, 16)
			}
			evs = append(evs, eventstore.RecordedEvent{})
			err = dec.decodeWith(seq, &h, &evs[len(evs)-1])
		}
		closer.Close()
		if err != nil {
			return 0, fmt.Errorf("subscription to %s: %w", sub.stream, err)
		}
	}
	if err := it.Error(); err != nil {
		return 0, err
	}
	sub.buf, sub.next = evs, 0
	return n, nil
}
