package app

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
)

// snap returns a snapshot of stream holding revisions 0..n-1.
func snap(stream string, n int) *snapshot {
	sn := &snapshot{name: stream}
	for i := range n {
		sn.ids = append(sn.ids, uuid.New())
		sn.recs = append(sn.recs, domain.Recorded{Stream: stream, Revision: uint64(i)})
		sn.history = append(sn.history, nil)
	}
	return sn
}

func TestStreamCacheIsBounded(t *testing.T) {
	c := newStreamCache(10)
	for i := range 8 {
		c.put(snap(fmt.Sprint("s", i), 3))
		if c.events > 10 || len(c.entries) != c.lru.Len() {
			t.Fatalf("after %d puts: %d events, %d entries, %d in the list", i+1, c.events, len(c.entries), c.lru.Len())
		}
	}
	// The three most recent streams are kept, the others were evicted.
	for i := range 8 {
		if got := c.get(fmt.Sprint("s", i)) != nil; got != (i >= 5) {
			t.Fatalf("s%d cached: %v", i, got)
		}
	}
	// Using a stream keeps it: s5 was read last above, s6 and s7 before it...
	c.get("s5")
	c.put(snap("s8", 3))
	if c.get("s5") == nil || c.get("s6") != nil {
		t.Fatal("the least recently used stream was not the one evicted")
	}
	// A stream longer than the whole cache is not kept.
	c.put(snap("big", 11))
	if c.get("big") != nil || c.events > 10 {
		t.Fatalf("a stream of 11 events cached in a cache of 10 (%d events)", c.events)
	}
	// An older snapshot does not replace a newer one; a newer one does.
	newer := snap("s5", 4)
	c.put(newer)
	c.put(snap("s5", 2))
	if c.get("s5") != newer {
		t.Fatal("an older snapshot replaced a newer one")
	}
	c.drop("s5")
	if c.get("s5") != nil || c.events != 3*len(c.entries) {
		t.Fatalf("after drop: %d events in %d entries", c.events, len(c.entries))
	}
	var none *streamCache = newStreamCache(-1)
	none.put(snap("x", 1))
	if none.get("x") != nil {
		t.Fatal("a disabled cache holds a stream")
	}
}
