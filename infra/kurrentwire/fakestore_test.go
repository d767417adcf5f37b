package kurrentwire_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// fakeStore is a small in-memory eventstore.Store for tests.
type fakeStore struct {
	mu      sync.Mutex
	log     []eventstore.RecordedEvent
	streams map[string]*fakeStream
	notify  chan struct{} // closed and replaced on every append
	closed  bool
	// dropAfter, when > 0, makes subscriptions fail with
	// ErrSubscriptionDropped after that many messages (to test resumption).
	dropAfter int
}

type fakeStream struct {
	events      []int // indexes into log
	next        uint64
	truncBefore uint64
	deleted     bool // soft-deleted and not written since
	tombstoned  bool
}

func newFakeStore() *fakeStore {
	return &fakeStore{streams: map[string]*fakeStream{}, notify: make(chan struct{})}
}

func (f *fakeStore) check(name string, st *fakeStream, exp eventstore.ExpectedRevision) error {
	if st != nil && st.tombstoned {
		return eventstore.ErrStreamDeleted
	}
	exists := st != nil && st.next > 0 && !st.deleted
	conflict := &eventstore.ConflictError{Stream: name, Expected: exp}
	if exists {
		conflict.Actual, conflict.HasActual = st.next-1, true
	}
	switch {
	case exp.IsAny():
		return nil
	case exp.IsNoStream():
		if exists {
			return conflict
		}
	case exp.IsStreamExists():
		if !exists {
			return conflict
		}
	default:
		r, _ := exp.Exact()
		if !exists || st.next-1 != r {
			return conflict
		}
	}
	return nil
}

func (f *fakeStore) Append(ctx context.Context, name string, exp eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	st := f.streams[name]
	if err := f.check(name, st, exp); err != nil {
		return eventstore.AppendResult{}, err
	}
	if st == nil {
		st = &fakeStream{}
		f.streams[name] = st
	}
	if len(events) > 0 {
		st.deleted = false
	}
	var res eventstore.AppendResult
	for _, e := range events {
		p := uint64(len(f.log)+1) * 10
		f.log = append(f.log, eventstore.RecordedEvent{
			StreamID: name, Revision: st.next, Position: eventstore.Position{Commit: p, Prepare: p},
			ID: e.ID, Type: e.Type, ContentType: e.ContentType, Data: e.Data, Metadata: e.Metadata,
			Created: time.Now().UTC(),
		})
		st.events = append(st.events, len(f.log)-1)
		res = eventstore.AppendResult{NextRevision: st.next, Position: eventstore.Position{Commit: p, Prepare: p}}
		st.next++
	}
	close(f.notify)
	f.notify = make(chan struct{})
	return res, nil
}

func (f *fakeStore) ReadStream(ctx context.Context, name string, dir eventstore.Direction, from eventstore.StreamPos, count uint64) ([]eventstore.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.streams[name]
	if st != nil && st.tombstoned {
		return nil, eventstore.ErrStreamDeleted
	}
	if st == nil || st.next == 0 || st.deleted {
		return nil, eventstore.ErrStreamNotFound
	}
	var out []eventstore.RecordedEvent
	if dir == eventstore.Forwards {
		start := uint64(0)
		if r, ok := from.Revision(); ok {
			start = r
		} else if from.IsEnd() {
			start = st.next
		}
		start = max(start, st.truncBefore)
		for r := start; r < st.next && uint64(len(out)) < count; r++ {
			out = append(out, f.log[st.events[r]])
		}
		return out, nil
	}
	start := int64(st.next) - 1
	if r, ok := from.Revision(); ok && int64(r) < start {
		start = int64(r)
	} else if from.IsStart() {
		start = 0
	}
	for r := start; r >= int64(st.truncBefore) && uint64(len(out)) < count; r-- {
		out = append(out, f.log[st.events[r]])
	}
	return out, nil
}

func fakeMatch(f *eventstore.Filter, e *eventstore.RecordedEvent) bool {
	if f == nil {
		return true
	}
	s := e.StreamID
	if f.On == eventstore.FilterEventType {
		s = e.Type
	}
	if f.Regex != "" {
		return regexp.MustCompile(f.Regex).MatchString(s)
	}
	for _, p := range f.Prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (f *fakeStore) ReadAll(ctx context.Context, dir eventstore.Direction, from eventstore.AllPos, count uint64, filter *eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []eventstore.RecordedEvent
	p, at := from.Position()
	if dir == eventstore.Forwards {
		for i := range f.log {
			if uint64(len(out)) >= count || from.IsEnd() {
				break
			}
			if at && f.log[i].Position.Less(p) {
				continue
			}
			if fakeMatch(filter, &f.log[i]) {
				out = append(out, f.log[i])
			}
		}
		return out, nil
	}
	for i := len(f.log) - 1; i >= 0 && uint64(len(out)) < count; i-- {
		if from.IsStart() {
			break
		}
		if at && !f.log[i].Position.Less(p) {
			continue
		}
		if fakeMatch(filter, &f.log[i]) {
			out = append(out, f.log[i])
		}
	}
	return out, nil
}

type fakeSub struct {
	f        *fakeStore
	ctx      context.Context
	cancel   context.CancelFunc
	stream   string // "" for $all
	next     int    // index into log
	filter   *eventstore.Filter
	interval uint32
	scanned  uint32
	caughtUp bool
	sent     int
}

func (f *fakeStore) SubscribeAll(ctx context.Context, from eventstore.AllPos, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &fakeSub{f: f, filter: opts.Filter, interval: opts.CheckpointInterval}
	s.ctx, s.cancel = context.WithCancel(ctx)
	if from.IsEnd() {
		s.next = len(f.log)
	} else if p, ok := from.Position(); ok {
		for s.next < len(f.log) && !p.Less(f.log[s.next].Position) {
			s.next++
		}
	}
	return s, nil
}

func (f *fakeStore) SubscribeStream(ctx context.Context, name string, from eventstore.StreamPos) (eventstore.Subscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st := f.streams[name]; st != nil && st.tombstoned {
		return nil, eventstore.ErrStreamDeleted
	}
	s := &fakeSub{f: f, stream: name}
	s.ctx, s.cancel = context.WithCancel(ctx)
	switch r, ok := from.Revision(); {
	case from.IsEnd():
		s.next = len(f.log)
	case ok:
		for s.next < len(f.log) && !(f.log[s.next].StreamID == name && f.log[s.next].Revision > r) {
			s.next++
		}
	}
	return s, nil
}

func (s *fakeSub) Next() (eventstore.Message, error) {
	for {
		s.f.mu.Lock()
		if s.f.dropAfter > 0 && s.sent >= s.f.dropAfter {
			s.f.mu.Unlock()
			return eventstore.Message{}, eventstore.ErrSubscriptionDropped
		}
		for s.next < len(s.f.log) {
			e := s.f.log[s.next]
			s.next++
			if s.stream != "" {
				if e.StreamID == s.stream {
					s.sent++
					s.f.mu.Unlock()
					return eventstore.Message{Event: &e}, nil
				}
				continue
			}
			s.scanned++
			if fakeMatch(s.filter, &e) {
				s.scanned = 0
				s.sent++
				s.f.mu.Unlock()
				return eventstore.Message{Event: &e}, nil
			}
			if s.interval > 0 && s.scanned >= s.interval {
				s.scanned = 0
				s.sent++
				s.f.mu.Unlock()
				p := e.Position
				return eventstore.Message{Checkpoint: &p}, nil
			}
		}
		if !s.caughtUp {
			s.caughtUp = true
			s.f.mu.Unlock()
			return eventstore.Message{CaughtUp: true}, nil
		}
		wait := s.f.notify
		s.f.mu.Unlock()
		select {
		case <-wait:
		case <-s.ctx.Done():
			return eventstore.Message{}, s.ctx.Err()
		}
	}
}

func (s *fakeSub) Close() error { s.cancel(); return nil }

func (f *fakeStore) head() eventstore.Position {
	if len(f.log) == 0 {
		return eventstore.Position{}
	}
	return f.log[len(f.log)-1].Position
}

func (f *fakeStore) Delete(ctx context.Context, name string, exp eventstore.ExpectedRevision) (eventstore.Position, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.streams[name]
	if err := f.check(name, st, exp); err != nil {
		return eventstore.Position{}, err
	}
	if st == nil || st.next == 0 || st.deleted {
		return eventstore.Position{}, eventstore.ErrStreamNotFound
	}
	st.truncBefore, st.deleted = st.next, true
	return f.head(), nil
}

func (f *fakeStore) Tombstone(ctx context.Context, name string, exp eventstore.ExpectedRevision) (eventstore.Position, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.streams[name]
	if err := f.check(name, st, exp); err != nil {
		return eventstore.Position{}, err
	}
	if st == nil {
		st = &fakeStream{}
		f.streams[name] = st
	}
	st.tombstoned = true
	return f.head(), nil
}

func (f *fakeStore) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}
