package pebblestore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/eventstore/eventstoretest"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
)

func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The embedded store is what the wire server serves: it implements the
// wire server's interface as well as the port.
var _ kurrentwire.Store = (*Store)(nil)

// Both suites, each sub-test on a fresh store. Their sub-tests have
// different names, so the sleepers of both run in parallel.
func TestConformance(t *testing.T) {
	opts := eventstoretest.Options{IdleWait: 2 * time.Second}
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return openTemp(t, Options{}) }, opts)
	eventstoretest.RunWire(t, func(t *testing.T) kurrentwire.Store { return openTemp(t, Options{}) }, opts)
}

func ev(typ string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: typ, ContentType: "application/json", Data: []byte(`{}`)}
}

func evs(n int, typ string) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = ev(typ)
	}
	return out
}

func meta(json string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: eventstore.MetadataEventType, ContentType: "application/json", Data: []byte(json)}
}

// must returns v, or panics (failing the test) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func revs(evs []eventstore.RecordedEvent) []uint64 {
	var out []uint64
	for _, e := range evs {
		out = append(out, e.Revision)
	}
	return out
}

var bg = context.Background()

func TestMaxAgeWithClock(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := openTemp(t, Options{Now: clock})
	must(s.Append(bg, "a", eventstore.NoStream(), evs(2, "x")...))
	advance(90 * time.Second)
	must(s.Append(bg, "a", eventstore.Exact(1), evs(2, "x")...))
	must(s.Append(bg, "$$a", eventstore.NoStream(), meta(`{"$maxAge":60}`)))
	got := must(s.ReadStream(bg, "a", eventstore.Forwards, eventstore.StreamStart(), 10))
	if fmt.Sprint(revs(got)) != "[2 3]" || !got[0].Created.Equal(now) {
		t.Fatalf("$maxAge 60 s: %v created %v", revs(got), got[0].Created)
	}
	advance(61 * time.Second)
	got = must(s.ReadStream(bg, "a", eventstore.Backwards, eventstore.StreamEnd(), 10))
	if len(got) != 0 {
		t.Fatalf("all expired: got %v", revs(got))
	}
}

func TestSoftDeleteMetadata(t *testing.T) {
	s := openTemp(t, Options{})
	must(s.Append(bg, "$$a", eventstore.NoStream(), meta(`{"$maxCount":10,"owner":"x"}`)))
	must(s.Append(bg, "a", eventstore.NoStream(), evs(3, "x")...))
	must(s.Delete(bg, "a", eventstore.Any()))
	last := func() string {
		t.Helper()
		m := must(s.ReadStream(bg, "$$a", eventstore.Backwards, eventstore.StreamEnd(), 1))
		return string(m[0].Data)
	}
	if got := last(); got != `{"$tb":9223372036854775807}` {
		t.Fatalf("metadata after soft delete: %s", got)
	}
	must(s.Append(bg, "a", eventstore.Any(), ev("x")))
	if got := last(); got != `{"$tb":3}` {
		t.Fatalf("metadata after recreation: %s", got)
	}
	// Writing metadata to a soft-deleted stream undeletes it too, keeping
	// the old events hidden and the new keys.
	must(s.Append(bg, "b", eventstore.NoStream(), evs(3, "x")...))
	must(s.Delete(bg, "b", eventstore.Any()))
	must(s.Append(bg, "$$b", eventstore.Any(), meta(`{"$maxCount":5,"k":"v"}`)))
	got := must(s.ReadStream(bg, "b", eventstore.Forwards, eventstore.StreamStart(), 10))
	if len(got) != 0 {
		t.Fatalf("undeleted by metadata: %v, want no visible events", revs(got))
	}
	m := must(s.ReadStream(bg, "$$b", eventstore.Backwards, eventstore.StreamEnd(), 1))
	if string(m[0].Data) != `{"$maxCount":5,"$tb":3,"k":"v"}` {
		t.Fatalf("metadata after undelete by metadata: %s", m[0].Data)
	}
	must(s.Append(bg, "b", eventstore.Exact(2), ev("x")))
	if got := must(s.ReadStream(bg, "b", eventstore.Forwards, eventstore.StreamStart(), 10)); fmt.Sprint(revs(got)) != "[3]" {
		t.Fatalf("after append: %v", revs(got))
	}
}

func TestSubscriptionsAndTombstones(t *testing.T) {
	s := openTemp(t, Options{})
	must(s.Append(bg, "a", eventstore.NoStream(), evs(2, "x")...))
	sub := must(s.SubscribeStream(bg, "a", eventstore.StreamStart()))
	defer sub.Close()
	for i := range 3 {
		msg := must(sub.Next())
		if (i < 2) != (msg.Event != nil) || (i == 2) != msg.CaughtUp {
			t.Fatalf("message %d: %+v", i, msg)
		}
	}
	must(s.Tombstone(bg, "a", eventstore.Any()))
	if _, err := sub.Next(); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("live subscription to a stream tombstoned: %v", err)
	}
	if _, err := s.SubscribeStream(bg, "a", eventstore.StreamStart()); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("subscribe to a tombstoned stream: %v", err)
	}
	// $all shows the tombstone record.
	last := must(s.ReadAll(bg, eventstore.Backwards, eventstore.AllEnd(), 1, nil))[0]
	if last.StreamID != "a" || last.Type != eventstore.StreamDeletedEventType || last.Revision != eventstore.DeletedStreamRevision {
		t.Fatalf("tombstone record: %+v", last)
	}
}

func TestFilteredCheckpoints(t *testing.T) {
	s := openTemp(t, Options{})
	first := must(s.Append(bg, "other", eventstore.NoStream(), evs(25, "x")...))
	want := must(s.Append(bg, "mine", eventstore.NoStream(), ev("x")))
	sub := must(s.SubscribeAll(bg, eventstore.AllStart(), eventstore.SubscribeOptions{
		Filter:             &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{"mine"}},
		CheckpointInterval: 10,
	}))
	defer sub.Close()
	var got []string
	for {
		msg := must(sub.Next())
		switch {
		case msg.Checkpoint != nil:
			got = append(got, fmt.Sprint("ckpt ", msg.Checkpoint.Commit))
		case msg.Event != nil:
			got = append(got, fmt.Sprint("event ", msg.Event.Position.Commit))
		case msg.CaughtUp:
			got = append(got, "caughtup")
		}
		if msg.CaughtUp {
			break
		}
	}
	wantMsgs := fmt.Sprintf("[ckpt 10 ckpt 20 event %d caughtup]", want.Position.Commit)
	if fmt.Sprint(got) != wantMsgs || first.Position.Commit != 25 {
		t.Fatalf("messages %v, want %s", got, wantMsgs)
	}
}

func TestSlowSubscriberDoesNotBlockAppends(t *testing.T) {
	s := openTemp(t, Options{})
	sub := must(s.SubscribeAll(bg, eventstore.AllStart(), eventstore.SubscribeOptions{}))
	defer sub.Close()
	for range 40 {
		must(s.Append(bg, "a", eventstore.Any(), evs(100, "x")...))
	}
	var n uint64
	for n < 4000 {
		msg := must(sub.Next())
		if msg.Event != nil {
			n++
			if msg.Event.Position.Commit != n {
				t.Fatalf("event %d at position %d", n, msg.Event.Position.Commit)
			}
		}
	}
}

func TestReopenAndClose(t *testing.T) {
	dir := t.TempDir()
	s := must(Open(dir, Options{MaxCachedStreams: 4}))
	// More streams than the head cache holds, with exact expectations.
	for round := range 3 {
		for i := range 10 {
			exp := eventstore.NoStream()
			if round > 0 {
				exp = eventstore.Exact(uint64(round - 1))
			}
			must(s.Append(bg, fmt.Sprint("s", i), exp, ev("x")))
		}
	}
	if st := s.Stats(); st.Head.Commit != 30 || st.Appends != 30 {
		t.Fatalf("stats %+v", st)
	}
	sub := must(s.SubscribeAll(bg, eventstore.AllEnd(), eventstore.SubscribeOptions{}))
	if msg := must(sub.Next()); !msg.CaughtUp {
		t.Fatalf("first message from the end: %+v", msg)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Next(); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("subscription after Close: %v", err)
	}
	if _, err := s.Append(bg, "s0", eventstore.Any(), ev("x")); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("append after Close: %v", err)
	}
	if _, err := s.ReadAll(bg, eventstore.Forwards, eventstore.AllStart(), 1, nil); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("read after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s = must(Open(dir, Options{}))
	defer s.Close()
	if h := must(s.Head(bg)); h.Commit != 30 {
		t.Fatalf("head after reopen: %v", h)
	}
	res := must(s.Append(bg, "s3", eventstore.Exact(2), ev("x")))
	if res.NextRevision != 3 || res.Position.Commit != 31 {
		t.Fatalf("append after reopen: %+v", res)
	}
	// A check-only append writes nothing.
	res = must(s.Append(bg, "s3", eventstore.Exact(3)))
	if res.NextRevision != 3 || res.Position.Commit != 31 {
		t.Fatalf("empty append: %+v", res)
	}
	if _, err := s.Append(bg, "s3", eventstore.Exact(1)); !eventstore.IsConflict(err) {
		t.Fatalf("empty append with a wrong expectation: %v", err)
	}
	for _, bad := range []string{"", "$$$$x", "$$"} {
		if _, err := s.Append(bg, bad, eventstore.Any(), ev("x")); err == nil {
			t.Errorf("append to %q succeeded", bad)
		}
	}
	if _, err := s.Delete(bg, "$$s3", eventstore.Any()); err == nil {
		t.Error("delete of a metadata stream succeeded")
	}
	if _, err := s.Append(bg, "s3", eventstore.Any(), eventstore.EventData{Type: "x"}); err == nil {
		t.Error("append of an event without id succeeded")
	}
}

// Every kind of stream is found as it is once its keys are on the bottom
// level, where lookups go through the bloom filters (neverWritten) and
// nothing is cached: a live stream, one tombstoned before any event, one
// soft-deleted, a metadata stream, and one never written.
func TestLookupsOnTheBottomLevel(t *testing.T) {
	dir := t.TempDir()
	s := must(Open(dir, Options{}))
	must(s.Append(bg, "live", eventstore.NoStream(), evs(3, "x")...))
	must(s.Tombstone(bg, "gone", eventstore.NoStream()))
	must(s.Append(bg, "soft", eventstore.NoStream(), evs(2, "x")...))
	must(s.Delete(bg, "soft", eventstore.Any()))
	must(s.Append(bg, "$$meta", eventstore.NoStream(), meta(`{"$maxCount":1}`)))
	must(s.Append(bg, "meta", eventstore.NoStream(), evs(2, "x")...))
	if err := s.db.Compact(bg, []byte{0}, []byte{0xff}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = must(Open(dir, Options{}))
	defer s.Close()

	if got := must(s.ReadStream(bg, "live", eventstore.Backwards, eventstore.StreamEnd(), 1)); fmt.Sprint(revs(got)) != "[2]" {
		t.Fatalf("head of live: %v", revs(got))
	}
	if got := must(s.ReadStream(bg, "meta", eventstore.Forwards, eventstore.StreamStart(), 10)); fmt.Sprint(revs(got)) != "[1]" {
		t.Fatalf("meta with $maxCount 1: %v", revs(got))
	}
	for stream, want := range map[string]error{"gone": eventstore.ErrStreamDeleted, "soft": eventstore.ErrStreamNotFound, "never": eventstore.ErrStreamNotFound, "$$never": eventstore.ErrStreamNotFound} {
		if _, err := s.ReadStream(bg, stream, eventstore.Forwards, eventstore.StreamStart(), 10); !errors.Is(err, want) {
			t.Errorf("read %s: %v, want %v", stream, err, want)
		}
	}
	if _, err := s.Append(bg, "gone", eventstore.Any(), ev("x")); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Errorf("append to the tombstoned stream: %v", err)
	}
	if _, err := s.Append(bg, "live", eventstore.NoStream(), ev("x")); !eventstore.IsConflict(err) {
		t.Errorf("append to live expecting no stream: %v", err)
	}
	if res := must(s.Append(bg, "live", eventstore.Exact(2), ev("x"))); res.NextRevision != 3 {
		t.Errorf("append to live: %+v", res)
	}
	if res := must(s.Append(bg, "never", eventstore.NoStream(), ev("x"))); res.NextRevision != 0 {
		t.Errorf("append to a new stream: %+v", res)
	}
	if res := must(s.Append(bg, "soft", eventstore.Exact(1), ev("x"))); res.NextRevision != 2 {
		t.Errorf("append to the soft-deleted stream: %+v", res)
	}
}
