package pebblestore

import (
	"sync"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// tailEvents bounds how many of the most recent log positions the store
// keeps decoded in memory (a signed ledger event is about 1.5 KB: some
// 12 MiB at most).
const tailEvents = 1 << 13

// logTail holds the most recent durable records of the log, decoded, so that
// the readers that follow the log — the projector, the sealer, the webhook
// dispatcher, the deadline watcher, the token follower, each a subscription
// to $all a few events behind the appender — read what was just committed
// from memory instead of each opening a Pebble iterator and decoding the
// same records again. Only the appender writes it: after a group is durable
// and before the durable position moves past it, it pushes the group's log
// records in log order. The positions held are contiguous and are the log's
// own: a push that does not continue the last one starts the tail afresh,
// and a reopen empties it (the log may then hold a failed group that was
// never pushed). A range it does not hold whole is read from Pebble.
//
// The events handed out share their Data and Metadata with every other
// reader of the same positions: readers treat them as read-only, as the
// eventstore port says of every RecordedEvent.
type logTail struct {
	mu   sync.RWMutex
	ring []eventstore.RecordedEvent // position p at ring[p % tailEvents]
	lo   uint64                     // first position held; 0: none
	hi   uint64                     // last position held
}

// push appends the records of one durable group, positions first… in order.
func (t *logTail) push(recs []eventstore.RecordedEvent) {
	if len(recs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ring == nil {
		t.ring = make([]eventstore.RecordedEvent, tailEvents)
	}
	first := recs[0].Position.Commit
	if t.lo == 0 || first != t.hi+1 {
		t.lo = first
	}
	for i := range recs {
		t.ring[recs[i].Position.Commit%tailEvents] = recs[i]
	}
	t.hi = recs[len(recs)-1].Position.Commit
	if t.hi-t.lo+1 > tailEvents {
		t.lo = t.hi - tailEvents + 1
	}
}

// reset forgets every position.
func (t *logTail) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lo, t.hi = 0, 0
	clear(t.ring)
}

// scan is scanLog over positions start..end when the tail holds them all
// (ok false otherwise): the events m matches, at most count of them and
// after at most scanLimit positions (0: no limit), appended to out; the last
// position scanned and how many were.
func (t *logTail) scan(start, end, count uint64, m *eventstore.Matcher, scanLimit uint64, out []eventstore.RecordedEvent) (_ []eventstore.RecordedEvent, last, scanned uint64, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.lo == 0 || start < t.lo || end > t.hi {
		return out, 0, 0, false
	}
	if out == nil {
		n := min(count, end-start+1, 1024)
		if scanLimit > 0 {
			n = min(n, scanLimit)
		}
		out = make([]eventstore.RecordedEvent, 0, n)
	}
	last = start - 1
	all := m.IsAll()
	for seq := start; seq <= end; seq++ {
		ev := &t.ring[seq%tailEvents]
		scanned++
		last = seq
		if all || m.MatchStrings(ev.StreamID, ev.Type) {
			out = append(out, *ev)
			if uint64(len(out)) >= count {
				break
			}
		}
		if scanLimit > 0 && scanned >= scanLimit {
			break
		}
	}
	return out, last, scanned, true
}

// at returns the event at position seq if the tail holds it.
func (t *logTail) at(seq uint64) (eventstore.RecordedEvent, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.lo == 0 || seq < t.lo || seq > t.hi {
		return eventstore.RecordedEvent{}, false
	}
	return t.ring[seq%tailEvents], true
}
