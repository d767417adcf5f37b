package projector

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// memLog is an in-memory $all with live subscriptions, for tests.
type memLog struct {
	mu     sync.Mutex
	cond   *sync.Cond
	events []eventstore.RecordedEvent
	hashes map[string]string
	froms  []eventstore.AllPos // every subscription's start
	drop   int                 // drop the next subscription after this many events
}

func newMemLog() *memLog {
	l := &memLog{hashes: map[string]string{}}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// add encodes domain events with the real codec and appends them.
func (l *memLog) add(recs ...domain.Recorded) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range recs {
		d, m, err := codec.Encode(r.Stream, r.Event, r.Meta, l.hashes[r.Stream])
		if err != nil {
			panic(err)
		}
		l.hashes[r.Stream] = m.Hash
		l.appendRaw(r.Stream, r.Revision, d)
	}
	l.cond.Broadcast()
}

func (l *memLog) addRaw(stream string, d eventstore.EventData) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.appendRaw(stream, 0, d)
	l.cond.Broadcast()
}

func (l *memLog) appendRaw(stream string, rev uint64, d eventstore.EventData) {
	p := uint64(len(l.events) + 1)
	l.events = append(l.events, eventstore.RecordedEvent{StreamID: stream, Revision: rev, Position: eventstore.Position{Commit: p, Prepare: p},
		ID: d.ID, Type: d.Type, ContentType: d.ContentType, Data: d.Data, Metadata: d.Metadata, Created: time.Unix(int64(p), 0)})
}

func (l *memLog) Head(context.Context) (eventstore.Position, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := uint64(len(l.events))
	return eventstore.Position{Commit: n, Prepare: n}, nil
}

func (l *memLog) SubscribeAll(ctx context.Context, from eventstore.AllPos, _ eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.froms = append(l.froms, from)
	next := 0
	if p, ok := from.Position(); ok {
		next = int(p.Commit)
	}
	s := &memSub{l: l, next: next, ctx: ctx, dropAfter: l.drop}
	l.drop = 0
	go func() { // wake Next on cancel
		<-ctx.Done()
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
	}()
	return s, nil
}

type memSub struct {
	l         *memLog
	next      int
	ctx       context.Context
	caught    bool
	closed    bool
	sent      int
	dropAfter int
}

func (s *memSub) Next() (eventstore.Message, error) {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	for {
		if s.closed {
			return eventstore.Message{}, eventstore.ErrClosed
		}
		if err := s.ctx.Err(); err != nil {
			return eventstore.Message{}, err
		}
		if s.dropAfter > 0 && s.sent >= s.dropAfter {
			return eventstore.Message{}, eventstore.ErrSubscriptionDropped
		}
		if s.next < len(s.l.events) {
			e := s.l.events[s.next]
			s.next++
			s.sent++
			return eventstore.Message{Event: &e}, nil
		}
		if !s.caught {
			s.caught = true
			return eventstore.Message{CaughtUp: true}, nil
		}
		s.l.cond.Wait()
	}
}

func (s *memSub) Close() error {
	s.l.mu.Lock()
	s.closed = true
	s.l.cond.Broadcast()
	s.l.mu.Unlock()
	return nil
}

func isUnknown(err error) bool {
	return errors.Is(err, codec.ErrUnknownType) || errors.Is(err, codec.ErrSchemaVersion)
}
