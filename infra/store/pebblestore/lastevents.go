package pebblestore

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// lastEventStreams bounds the streams whose last event the store keeps in
// memory (a signed ledger event's record is about 1.5 KB: some 12 MiB at
// most).
const lastEventStreams = 1 << 13

// lastEvents holds the last durable event of recently appended streams, as
// stored, so that a read of a stream's head (ReadStream backwards from the
// end, one event: what the application service makes before every command)
// needs no Pebble iterator. Only the appender writes it: after a group is
// durable and before its appends are answered, it puts the last event of
// every stream the group appended to, and it drops every stream the group
// deletes, tombstones or gives metadata before committing. A stream with
// metadata is never held (its metadata decides what is visible), nor one that
// was deleted; such reads, and reads of streams not held, go to Pebble.
// Past its bound it forgets the half of its streams used least recently (a
// put or a read is a use): a partner's stream, appended to once and read
// before each of its openings, stays as long as it is read.
type lastEvents struct {
	mu   sync.RWMutex
	m    map[string]*heldEvent
	tick atomic.Uint64 // the clock of uses
}

// heldEvent is a held last event and when it was last used.
type heldEvent struct {
	lastEvent
	used atomic.Uint64
}

// lastEvent is a stream's last event: its log position and the event,
// decoded once (shared with the log's tail, read-only).
type lastEvent struct {
	seq uint64
	ev  eventstore.RecordedEvent
}

// get returns the last event of stream if it is held and durable at maxSeq.
func (l *lastEvents) get(stream string, maxSeq uint64) (eventstore.RecordedEvent, bool) {
	l.mu.RLock()
	e, ok := l.m[stream]
	l.mu.RUnlock()
	if !ok || e.seq > maxSeq {
		return eventstore.RecordedEvent{}, false
	}
	e.used.Store(l.tick.Add(1))
	return e.ev, true
}

// drop forgets streams.
func (l *lastEvents) drop(streams []string) {
	if len(streams) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range streams {
		delete(l.m, s)
	}
}

// reset forgets every stream: after a reopen, the log may hold a failed
// group (whole) that was never put here.
func (l *lastEvents) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.m)
}

// update applies one durable group: put holds the streams' new last events,
// drop the streams no longer to be served from memory.
func (l *lastEvents) update(put map[string]lastEvent, drop []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]*heldEvent)
	}
	for _, s := range drop {
		delete(l.m, s)
	}
	for s, e := range put {
		h := &heldEvent{lastEvent: e}
		h.used.Store(l.tick.Add(1))
		l.m[s] = h
	}
	if len(l.m) > lastEventStreams {
		l.evictLeastUsedHalf()
	}
}

// evictLeastUsedHalf forgets the streams used less recently than the
// median one.
func (l *lastEvents) evictLeastUsedHalf() {
	uses := make([]uint64, 0, len(l.m))
	for _, e := range l.m {
		uses = append(uses, e.used.Load())
	}
	slices.Sort(uses)
	cut := uses[len(uses)/2]
	for k, e := range l.m {
		if e.used.Load() < cut {
			delete(l.m, k)
		}
	}
}
