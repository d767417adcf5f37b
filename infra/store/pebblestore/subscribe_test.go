package pebblestore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// appendMany appends n events of small payloads to streams s0…s(k-1), 100
// per append, and returns nothing: positions are 1… in append order.
func appendMany(t testing.TB, s *Store, prefix string, n int) {
	t.Helper()
	for i := 0; i < n; i += 100 {
		batch := make([]eventstore.EventData, 0, 100)
		for j := i; j < min(i+100, n); j++ {
			e := ev("test.e")
			e.Data = []byte(fmt.Sprintf(`{"n":%d,"p":%q}`, j, prefix))
			batch = append(batch, e)
		}
		must(s.Append(context.Background(), fmt.Sprintf("%s-%d", prefix, (i/100)%7), eventstore.Any(), batch...))
	}
}

// TestSubscribeAllReadAhead: a catch-up long enough to read ahead in
// parallel pages, with appends going on meanwhile, delivers every event
// exactly once, in log order, with its own data, then CaughtUp, then live
// events.
func TestSubscribeAllReadAhead(t *testing.T) {
	s := openTemp(t, Options{})
	const before, during, after = 3*aheadMin + 517, 5000, 300
	appendMany(t, s, "a", before)
	sub := must(s.SubscribeAll(context.Background(), eventstore.AllStart(), eventstore.SubscribeOptions{}))
	defer sub.Close()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		appendMany(t, s, "b", during)
	}()
	var want uint64 = 1
	caught := false
	check := func(m eventstore.Message) {
		t.Helper()
		e := m.Event
		if e.Position.Commit != want {
			t.Fatalf("event at %d, want %d", e.Position.Commit, want)
		}
		one := must(s.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllPosition(e.Position), 1, nil))
		if string(one[0].Data) != string(e.Data) || one[0].StreamID != e.StreamID || one[0].Revision != e.Revision || one[0].Type != e.Type {
			t.Fatalf("event at %d: %s %s@%d, stored %s %s@%d", want, e.Data, e.StreamID, e.Revision, one[0].Data, one[0].StreamID, one[0].Revision)
		}
		want++
	}
	for !caught || want <= before+during {
		m := must(sub.Next())
		switch {
		case m.CaughtUp:
			if want <= before {
				t.Fatalf("CaughtUp after %d events, before the %d there were", want-1, before)
			}
			caught = true
		case m.Event != nil:
			check(m)
		}
		if want == before+during+1 {
			wg.Wait()
		}
	}
	appendMany(t, s, "c", after)
	for want <= before+during+after {
		if m := must(sub.Next()); m.Event != nil {
			check(m)
		}
	}
}

// TestSubscribeAllReadAheadStops: closing a subscription, cancelling its
// context or closing the store while pages are being read ahead ends it
// cleanly.
func TestSubscribeAllReadAheadStops(t *testing.T) {
	s := openTemp(t, Options{})
	appendMany(t, s, "a", 4*aheadMin)

	sub := must(s.SubscribeAll(context.Background(), eventstore.AllStart(), eventstore.SubscribeOptions{}))
	must(sub.Next())
	sub.Close()
	var n int
	var err error
	for ; err == nil; n++ { // what was read before Close may still come
		_, err = sub.Next()
	}
	if n > aheadEvents+1 {
		t.Fatalf("%d messages after Close", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	sub = must(s.SubscribeAll(ctx, eventstore.AllStart(), eventstore.SubscribeOptions{}))
	must(sub.Next())
	cancel()
	for err = nil; err == nil; {
		_, err = sub.Next()
	}

	sub = must(s.SubscribeAll(context.Background(), eventstore.AllStart(), eventstore.SubscribeOptions{}))
	must(sub.Next())
	done := make(chan error, 1)
	go func() {
		var err error
		for err == nil {
			_, err = sub.Next()
		}
		done <- err
	}()
	time.Sleep(time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("subscription still running after the store closed")
	}
}
