package projections

import (
	"io"
	"sync"

	"github.com/ticketledger/ticketledger/domain"
)

// chunkBits sizes the chunks read models keep their records in: growing
// never copies a record, so a pointer to one stays valid.
const (
	chunkBits = 12
	chunkSize = 1 << chunkBits
)

// model is what the read models share: the lock Apply takes for writing and
// queries take for reading, the position of the last applied event, the
// counters, the records (of type R) in the order they were added, and
// Apply, ApplyBatch and Reset over the read model's own fold and reset.
type model[R any] struct {
	mu     sync.RWMutex
	pos    uint64
	stats  Stats
	chunks [][]R
	n      int

	fold  func(domain.Recorded) // applies one event past pos (by value: a pointer would escape)
	empty func()                // empties the whole read model
}

// init sets the read model's own fold and reset and empties it.
func (m *model[R]) init(fold func(domain.Recorded), reset func()) {
	m.fold, m.empty = fold, reset
	reset()
}

// Reset empties the read model.
func (m *model[R]) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.empty()
}

// Apply folds one event (see Projection).
func (m *model[R]) Apply(e domain.Recorded) {
	m.mu.Lock()
	m.apply(&e)
	m.mu.Unlock()
}

// ApplyBatch folds events in order under one lock acquisition.
func (m *model[R]) ApplyBatch(es []domain.Recorded) {
	m.mu.Lock()
	for i := range es {
		m.apply(&es[i])
	}
	m.mu.Unlock()
}

// apply folds e unless it is at or before the last applied position (a
// redelivery, counted as a duplicate); the write lock is held.
func (m *model[R]) apply(e *domain.Recorded) {
	if e.Position <= m.pos && m.pos != 0 {
		m.stats.Duplicates++
		return
	}
	m.pos = e.Position
	m.fold(*e)
}

// Position returns the position of the last applied event.
func (m *model[R]) Position() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.pos
}

// Stats returns the counters.
func (m *model[R]) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.stats
	s.Position = m.pos
	return s
}

// Len returns the number of records: tickets, or indexed events.
func (m *model[R]) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.n
}

// clear empties the model; the caller holds the write lock.
func (m *model[R]) clear() {
	m.pos, m.stats, m.chunks, m.n = 0, Stats{}, nil, 0
}

func (m *model[R]) at(i int) *R { return &m.chunks[i>>chunkBits][i&(chunkSize-1)] }

// add appends a zero record and returns its index and address.
func (m *model[R]) add() (int, *R) {
	if m.n>>chunkBits == len(m.chunks) {
		m.chunks = append(m.chunks, make([]R, chunkSize))
	}
	i := m.n
	m.n++
	return i, m.at(i)
}

// snapshot writes a snapshot of the read model to w under the read lock:
// the format header, the position and the counters, then what body writes.
func (m *model[R]) snapshot(w io.Writer, format string, version uint64, body func(e *enc)) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := newEnc(w)
	e.header(format, version)
	e.uvarint(m.pos)
	e.uvarint(m.stats.Applied)
	e.uvarint(m.stats.Duplicates)
	e.uvarint(m.stats.Unknown)
	e.uvarint(m.stats.Orphans)
	body(e)
	return e.flush()
}

// decodeHead reads what snapshot wrote before the body.
func (m *model[R]) decodeHead(d *dec, format string, version uint64) {
	d.header(format, version)
	m.pos = d.uvarint()
	m.stats.Applied, m.stats.Duplicates = d.uvarint(), d.uvarint()
	m.stats.Unknown, m.stats.Orphans = d.uvarint(), d.uvarint()
}
