package app

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// DefaultCacheEvents is how many decoded events the stream cache holds when
// Config.CacheEvents is 0.
const DefaultCacheEvents = 1 << 16

// snapshot is a stream as read and decoded: every visible event up to some
// revision. It is immutable once built and shared by the commands and
// queries that read the stream; extend returns a new one.
type snapshot struct {
	name    string
	ids     []uuid.UUID // record ids, as stored
	recs    []domain.Recorded
	history []domain.Event

	// The partner a partner stream rebuilds to, built once, for the facts
	// of ticket.Open, which only reads it. Partner commands rebuild their
	// own copy: their commands change the aggregate.
	partnerOnce sync.Once
	partner     *partner.Partner
	partnerErr  error
}

func (sn *snapshot) exists() bool { return len(sn.recs) > 0 }

// last returns the revision and hash of the last event (0, "" when empty).
func (sn *snapshot) last() (rev uint64, hash string) {
	if len(sn.recs) == 0 {
		return 0, ""
	}
	r := &sn.recs[len(sn.recs)-1]
	return r.Revision, r.Meta.Hash
}

// records returns a copy of the records of sn that the caller may change.
func (sn *snapshot) records() []domain.Recorded { return slices.Clone(sn.recs) }

// extend returns sn followed by the records raw, which must continue it
// revision by revision (an empty sn takes any first revision).
func (sn *snapshot) extend(c *codec.Codec, raw []eventstore.RecordedEvent) (*snapshot, error) {
	n, k := len(sn.recs), len(raw)
	next := &snapshot{name: sn.name,
		ids:     append(make([]uuid.UUID, 0, n+k), sn.ids...),
		recs:    append(make([]domain.Recorded, 0, n+k), sn.recs...),
		history: append(make([]domain.Event, 0, n+k), sn.history...),
	}
	for i := range raw {
		ev := &raw[i]
		if m := len(next.recs); m > 0 && ev.Revision != next.recs[m-1].Revision+1 {
			return nil, fmt.Errorf("read %s: revision %d follows revision %d", sn.name, ev.Revision, next.recs[m-1].Revision)
		}
		rec, err := c.Decode(*ev)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", sn.name, err)
		}
		next.ids, next.recs, next.history = append(next.ids, ev.ID), append(next.recs, rec), append(next.history, rec.Event)
	}
	return next, nil
}

// partnerFacts returns the partner the stream rebuilds to, with window w,
// for reading only.
func (sn *snapshot) partnerFacts(id string, w domain.Window) (*partner.Partner, error) {
	sn.partnerOnce.Do(func() {
		sn.partner, sn.partnerErr = partner.Rebuild(id, sn.history)
		if sn.partnerErr == nil {
			sn.partner.WithWindow(w)
		}
	})
	return sn.partner, sn.partnerErr
}

// state returns stream as it is now. A stream in the cache is checked
// against the store's head and read forwards only from the last revision
// it holds (re-reading that event to check it is still the one cached); a
// stream not cached, or whose cached events the store no longer shows as
// they were (deleted, truncated, recreated), is read whole. A missing
// stream is empty.
func (s *Service) state(ctx context.Context, stream string) (*snapshot, error) {
	base := s.cache.get(stream)
	var from uint64
	if base != nil {
		from, _ = base.last()
	}
	raw, err := s.readTail(ctx, stream, from)
	if err != nil || len(raw) == 0 {
		s.cache.drop(stream)
		if err != nil {
			return nil, err
		}
		return &snapshot{name: stream}, nil
	}
	if base != nil {
		if raw[0].Revision == from && raw[0].ID == base.ids[len(base.ids)-1] {
			if len(raw) == 1 {
				return base, nil
			}
			if next, err := base.extend(s.codec, raw[1:]); err == nil {
				s.cache.put(next)
				return next, nil
			}
		}
		if raw, err = s.readTail(ctx, stream, 0); err != nil {
			s.cache.drop(stream)
			return nil, err
		}
	}
	sn, err := (&snapshot{name: stream}).extend(s.codec, raw)
	if err != nil {
		s.cache.drop(stream)
		return nil, err
	}
	if sn.exists() {
		s.cache.put(sn)
	} else {
		s.cache.drop(stream)
	}
	return sn, nil
}

// remember puts into the cache the stream sn followed by the one event the
// command appended, as the store acknowledged it (its revision and
// position), decoded from the bytes sent, which are the bytes stored. An
// append of several events is left for the next read to fetch: the store
// gave the position of its last event only.
func (s *Service) remember(sn *snapshot, sent []eventstore.EventData, ar eventstore.AppendResult) {
	if s.cache == nil || len(sent) != 1 {
		return
	}
	ev := &sent[0]
	rec := eventstore.RecordedEvent{StreamID: sn.name, Revision: ar.NextRevision, Position: ar.Position,
		ID: ev.ID, Type: ev.Type, ContentType: ev.ContentType, Data: ev.Data, Metadata: ev.Metadata}
	if next, err := sn.extend(s.codec, []eventstore.RecordedEvent{rec}); err == nil {
		s.cache.put(next)
	}
}

// readPage bounds one read of a stream.
const readPage = 1024

// readTail reads stream as stored from revision from (inclusive) to its
// last event, sizing every read to what is there: the last event first,
// then the events between from and it. Events before from that metadata
// hides are skipped; a missing stream is empty.
func (s *Service) readTail(ctx context.Context, stream string, from uint64) ([]eventstore.RecordedEvent, error) {
	head, err := s.store.ReadStream(ctx, stream, eventstore.Backwards, eventstore.StreamEnd(), 1)
	if err != nil || len(head) == 0 {
		return nil, readErr(stream, err)
	}
	h := head[0]
	if h.Revision <= from {
		return head, nil
	}
	out := make([]eventstore.RecordedEvent, 0, min(h.Revision-from, readPage)+1)
	for next := from; next < h.Revision; {
		page, err := s.store.ReadStream(ctx, stream, eventstore.Forwards, eventstore.StreamRevision(next), min(h.Revision-next, readPage))
		if err != nil {
			return nil, readErr(stream, err)
		}
		for _, ev := range page {
			if ev.Revision < h.Revision {
				out = append(out, ev)
			}
		}
		if len(page) == 0 {
			break
		}
		next = page[len(page)-1].Revision + 1
	}
	return append(out, h), nil
}

// readErr maps a failed stream read: a missing stream is no error (nil).
func readErr(stream string, err error) error {
	switch {
	case err == nil, errors.Is(err, eventstore.ErrStreamNotFound):
		return nil
	case errors.Is(err, eventstore.ErrStreamDeleted):
		return domain.Errorf(domain.KindNotFound, domain.RuleTicketNotFound, "stream", "stream %s was deleted for good", stream)
	}
	return fmt.Errorf("read %s: %w", stream, err)
}

// streamCache holds the latest snapshots of recently used streams, bounded
// by the number of events they hold together; the least recently used go
// first. A nil *streamCache holds nothing. Safe for concurrent use.
type streamCache struct {
	mu      sync.Mutex
	max     int // events
	events  int
	entries map[string]*list.Element // of *snapshot
	lru     list.List                // front: most recent
}

func newStreamCache(maxEvents int) *streamCache {
	if maxEvents < 0 {
		return nil
	}
	if maxEvents == 0 {
		maxEvents = DefaultCacheEvents
	}
	return &streamCache{max: maxEvents, entries: make(map[string]*list.Element)}
}

// get returns the cached snapshot of stream, or nil.
func (c *streamCache) get(stream string) *snapshot {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[stream]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(e)
	return e.Value.(*snapshot)
}

// put caches sn unless a snapshot further along the stream is cached.
func (c *streamCache) put(sn *snapshot) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rev, _ := sn.last()
	if e, ok := c.entries[sn.name]; ok {
		if cur, _ := e.Value.(*snapshot).last(); cur > rev {
			c.lru.MoveToFront(e)
			return
		}
		c.remove(e)
	}
	if len(sn.recs) > c.max {
		return
	}
	c.entries[sn.name] = c.lru.PushFront(sn)
	c.events += len(sn.recs)
	for c.events > c.max {
		c.remove(c.lru.Back())
	}
}

// drop forgets stream.
func (c *streamCache) drop(stream string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[stream]; ok {
		c.remove(e)
	}
}

func (c *streamCache) remove(e *list.Element) {
	sn := c.lru.Remove(e).(*snapshot)
	delete(c.entries, sn.name)
	c.events -= len(sn.recs)
}
