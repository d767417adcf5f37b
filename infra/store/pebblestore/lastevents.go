package pebblestore

import (
	"slices"
	"sync"

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
type lastEvents struct {
	mu sync.RWMutex
	m  map[string]lastEvent
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
		l.m = make(map[string]lastEvent)
	}
	for _, s := range drop {
		delete(l.m, s)
	}
	for s, e := range put {
		l.m[s] = e
	}
	if len(l.m) > lastEventStreams {
		l.evictOlderHalf()
	}
}

// evictOlderHalf forgets the streams whose last append is older than the
// median's, keeping those that commands are working on now (a command reads
// the head of a stream it or another command just appended to).
func (l *lastEvents) evictOlderHalf() {
	seqs := make([]uint64, 0, len(l.m))
	for _, e := range l.m {
		seqs = append(seqs, e.seq)
	}
	slices.Sort(seqs)
	cut := seqs[len(seqs)/2]
	for k, e := range l.m {
		if e.seq < cut {
			delete(l.m, k)
		}
	}
}
