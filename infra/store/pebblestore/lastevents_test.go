package pebblestore

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// A stream's head read from memory answers what Pebble answers, through
// every change that makes the last event another one or hides it.
func TestHeadReadFollowsTheStream(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	s := openTemp(t, Options{Now: func() time.Time { return now }})
	head := func(stream string) ([]eventstore.RecordedEvent, error) {
		return s.ReadStream(bg, stream, eventstore.Backwards, eventstore.StreamEnd(), 1)
	}
	// The same read with the memory bypassed: Pebble's answer.
	stored := func(stream string) ([]eventstore.RecordedEvent, error) {
		return s.readStream(bg, stream, eventstore.Backwards, eventstore.StreamEnd(), 1, s.durable.Load(), true)
	}
	same := func(step, stream string) {
		t.Helper()
		got, gerr := head(stream)
		want, werr := stored(stream)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("%s: head %v, stored %v", step, gerr, werr)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: head %v, stored %v", step, revs(got), revs(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.Revision != w.Revision || g.ID != w.ID || g.Position != w.Position || string(g.Data) != string(w.Data) ||
				string(g.Metadata) != string(w.Metadata) || g.Type != w.Type || !g.Created.Equal(w.Created) || g.StreamID != w.StreamID {
				t.Fatalf("%s: head %+v, stored %+v", step, g, w)
			}
		}
	}
	appended := must(s.Append(bg, "a", eventstore.NoStream(), evs(3, "x")...))
	if _, ok := s.last.get("a", s.durable.Load()); !ok {
		t.Fatal("the head of a stream just appended to is not held")
	}
	got := must(head("a"))
	if len(got) != 1 || got[0].Revision != 2 || got[0].Position != appended.Position {
		t.Fatalf("head %+v, append %+v", got, appended)
	}
	same("after the append", "a")
	must(s.Append(bg, "a", eventstore.Exact(2), ev("y")))
	same("after a second append", "a")

	// Metadata decides visibility: the stream is read from Pebble.
	must(s.Append(bg, "$$a", eventstore.NoStream(), meta(`{"$maxAge":60}`)))
	if _, ok := s.last.get("a", s.durable.Load()); ok {
		t.Fatal("a stream with metadata is still held")
	}
	now = now.Add(2 * time.Minute)
	if got := must(head("a")); len(got) != 0 {
		t.Fatalf("expired head still read: %v", revs(got))
	}
	must(s.Append(bg, "a", eventstore.Any(), ev("z")))
	same("append after metadata", "a")

	must(s.Append(bg, "b", eventstore.NoStream(), evs(2, "x")...))
	must(s.Delete(bg, "b", eventstore.Any()))
	if _, err := head("b"); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("head of a soft-deleted stream: %v", err)
	}
	must(s.Append(bg, "c", eventstore.NoStream(), evs(2, "x")...))
	must(s.Tombstone(bg, "c", eventstore.Any()))
	if _, err := head("c"); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("head of a tombstoned stream: %v", err)
	}
	// A conflicting append changes nothing.
	must(s.Append(bg, "d", eventstore.NoStream(), ev("x")))
	if _, err := s.Append(bg, "d", eventstore.Exact(7), ev("x")); err == nil {
		t.Fatal("conflict accepted")
	}
	same("after a conflict", "d")
}

// Past its bound the memory keeps the streams used most recently: a stream
// commands append to, and one only read (a partner's, before each opening),
// stay held while new streams arrive.
func TestHeadMemoryKeepsTheRecentlyUsedStreams(t *testing.T) {
	var l lastEvents
	seq := uint64(0)
	put := func(stream string) {
		seq++
		l.update(map[string]lastEvent{stream: {seq: seq}}, nil)
	}
	put("read-only")
	for i := range 3 * lastEventStreams {
		put("new-" + strconv.Itoa(i))
		if i%64 == 0 {
			put("appended")
			if _, ok := l.get("read-only", seq); !ok {
				t.Fatalf("after %d new streams, the stream read every 64 appends was forgotten", i)
			}
		}
		if len(l.m) > lastEventStreams {
			t.Fatalf("%d streams held, bound %d", len(l.m), lastEventStreams)
		}
	}
	if _, ok := l.get("appended", seq); !ok {
		t.Fatal("the stream appended to every 64 appends was forgotten")
	}
	for i := 3*lastEventStreams - lastEventStreams/4; i < 3*lastEventStreams; i++ {
		if _, ok := l.get("new-"+strconv.Itoa(i), seq); !ok {
			t.Fatalf("stream new-%d, among the latest quarter, was forgotten", i)
		}
	}
	if _, ok := l.get("new-0", seq); ok {
		t.Fatal("the oldest stream is still held")
	}
}
