package pebblestore

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Reads of $all served from the log's tail in memory answer exactly what
// Pebble answers, through appends, metadata, deletes, tombstones, refused
// appends and batches (whole and refused) committed in the same groups.
func TestLogTailReadsAsPebble(t *testing.T) {
	s := openTemp(t, Options{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				stream := fmt.Sprintf("s%d-%d", w, i%5)
				s.Append(bg, stream, eventstore.Any(), evs(1+i%3, "x")...)
				switch i % 10 {
				case 3:
					s.Append(bg, stream, eventstore.Exact(1000), ev("refused"))
				case 5:
					s.AppendBatch(bg, []eventstore.StreamAppend{
						{Stream: stream + "-b1", Expected: eventstore.Any(), Events: evs(2, "b")},
						{Stream: stream + "-b2", Expected: eventstore.Any(), Events: evs(1, "b")},
					})
				case 6: // refused as a whole: its first append would pass
					s.AppendBatch(bg, []eventstore.StreamAppend{
						{Stream: stream + "-b3", Expected: eventstore.Any(), Events: evs(2, "b")},
						{Stream: stream, Expected: eventstore.Exact(9999), Events: evs(1, "b")},
					})
				case 7:
					s.Append(bg, "$$"+stream, eventstore.Any(), meta(`{"$maxCount":2}`))
				case 8:
					s.Delete(bg, stream+"-b1", eventstore.Any())
				case 9:
					s.Tombstone(bg, stream+"-b2", eventstore.Any())
				}
			}
		}()
	}
	wg.Wait()
	durable := s.durable.Load()
	if s.tail.lo == 0 || s.tail.hi != durable {
		t.Fatalf("tail holds %d..%d, durable %d", s.tail.lo, s.tail.hi, durable)
	}
	filter := &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{"s3-"}}
	m, err := filter.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name         string
		start, count uint64
		m            *eventstore.Matcher
		limit        uint64
	}{
		{"everything", 1, durable, nil, 0},
		{"from the middle", durable / 2, durable, nil, 0},
		{"a page", 3, 7, nil, 0},
		{"filtered", 1, durable, m, 0},
		{"filtered, bounded scan", 2, durable, m, 17},
	} {
		got, gl, gs, ok := s.tail.scan(c.start, durable, c.count, c.m, c.limit, nil)
		if !ok {
			t.Fatalf("%s: the tail does not hold %d..%d (it holds %d..%d)", c.name, c.start, durable, s.tail.lo, s.tail.hi)
		}
		saved := s.tail.lo
		s.tail.lo = 0 // Pebble's answer
		want, wl, ws, err := s.scanLog(bg, c.start, durable, c.count, c.m, c.limit, nil)
		s.tail.lo = saved
		if err != nil {
			t.Fatal(err)
		}
		if gl != wl || gs != ws || len(got) != len(want) {
			t.Fatalf("%s: tail %d events (last %d, scanned %d), Pebble %d (last %d, scanned %d)", c.name, len(got), gl, gs, len(want), wl, ws)
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.StreamID != w.StreamID || g.Revision != w.Revision || g.ID != w.ID || g.Position != w.Position || g.Type != w.Type ||
				g.ContentType != w.ContentType || string(g.Data) != string(w.Data) || string(g.Metadata) != string(w.Metadata) || !g.Created.Equal(w.Created) {
				t.Fatalf("%s: event %d: tail %+v, Pebble %+v", c.name, i, g, w)
			}
		}
	}
	// A range older than the tail is Pebble's.
	if _, _, _, ok := s.tail.scan(0, durable, durable, nil, 0, nil); ok {
		t.Fatal("the tail answered for position 0")
	}
}

// The tail holds at most tailEvents positions, the latest, contiguous; a
// push that does not continue it starts it afresh; reset empties it.
func TestLogTailBounds(t *testing.T) {
	var tl logTail
	at := func(p uint64) eventstore.RecordedEvent {
		return eventstore.RecordedEvent{Position: eventstore.Position{Commit: p, Prepare: p}}
	}
	var group []eventstore.RecordedEvent
	for p := uint64(1); p <= tailEvents+10; p++ {
		group = append(group, at(p))
		if len(group) == 100 {
			tl.push(group)
			group = nil
		}
	}
	tl.push(group)
	if tl.lo != 11 || tl.hi != tailEvents+10 {
		t.Fatalf("holds %d..%d, want 11..%d", tl.lo, tl.hi, tailEvents+10)
	}
	if ev, ok := tl.at(11); !ok || ev.Position.Commit != 11 {
		t.Fatalf("at 11: %v %v", ev.Position, ok)
	}
	if _, ok := tl.at(10); ok {
		t.Fatal("position 10 is no longer held")
	}
	tl.push([]eventstore.RecordedEvent{at(tailEvents + 20)}) // a gap: 11 positions missing
	if tl.lo != tailEvents+20 || tl.hi != tailEvents+20 {
		t.Fatalf("after a gap holds %d..%d", tl.lo, tl.hi)
	}
	tl.reset()
	if _, ok := tl.at(tailEvents + 20); ok {
		t.Fatal("reset kept a position")
	}
}
