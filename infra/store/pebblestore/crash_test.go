package pebblestore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// attempt is one append a crash test tried.
type attempt struct {
	stream string
	ids    []uuid.UUID
	acked  bool
}

// ledger records what crash tests appended and which appends were
// acknowledged.
type ledger struct {
	mu       sync.Mutex
	attempts []*attempt
}

func (l *ledger) try(stream string, evs []eventstore.EventData) *attempt {
	a := &attempt{stream: stream}
	for _, ev := range evs {
		a.ids = append(a.ids, ev.ID)
	}
	l.mu.Lock()
	l.attempts = append(l.attempts, a)
	l.mu.Unlock()
	return a
}

func (l *ledger) ack(a *attempt) {
	l.mu.Lock()
	a.acked = true
	l.mu.Unlock()
}

// ackedNow returns the attempts acknowledged so far.
func (l *ledger) ackedNow() map[*attempt]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[*attempt]bool{}
	for _, a := range l.attempts {
		if a.acked {
			m[a] = true
		}
	}
	return m
}

// verifyRecovered checks a reopened store against the ledger: every append in
// mustHave is there; every other attempt is there whole or not at all; the
// log is contiguous from position 1; every stream's revisions are contiguous
// and hold only known events. It drops the attempts that did not survive
// (they never will) and marks the survivors acknowledged.
func verifyRecovered(t *testing.T, s *Store, l *ledger, mustHave map[*attempt]bool) {
	t.Helper()
	ctx := context.Background()
	all, err := s.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 1<<40, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range all {
		if ev.Position.Commit != uint64(i+1) {
			t.Fatalf("log not contiguous: event %d at position %v", i, ev.Position)
		}
	}
	if head, _ := s.Head(ctx); head.Commit != uint64(len(all)) {
		t.Fatalf("head %v, log has %d events", head, len(all))
	}
	where := map[uuid.UUID]eventstore.RecordedEvent{}
	streams := map[string]bool{}
	for _, ev := range all {
		where[ev.ID] = ev
		streams[ev.StreamID] = true
	}
	for st := range streams {
		evs, err := s.ReadStream(ctx, st, eventstore.Forwards, eventstore.StreamStart(), 1<<40)
		if err != nil {
			t.Fatalf("read %s: %v", st, err)
		}
		for i, ev := range evs {
			if ev.Revision != uint64(i) {
				t.Fatalf("stream %s: revision %d at index %d", st, ev.Revision, i)
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	kept := l.attempts[:0]
	for _, a := range l.attempts {
		present := 0
		for i, id := range a.ids {
			ev, ok := where[id]
			if !ok {
				continue
			}
			present++
			if ev.StreamID != a.stream {
				t.Fatalf("event %s is in %s, appended to %s", id, ev.StreamID, a.stream)
			}
			if i > 0 && where[a.ids[i-1]].Revision+1 != ev.Revision {
				t.Fatalf("append to %s is not contiguous", a.stream)
			}
		}
		switch {
		case present == len(a.ids):
			a.acked = true
			kept = append(kept, a)
		case present > 0:
			t.Fatalf("append of %d events to %s is half there (%d events)", len(a.ids), a.stream, present)
		case mustHave[a]:
			t.Fatalf("acknowledged append of %d events to %s is lost", len(a.ids), a.stream)
		}
	}
	l.attempts = kept
	if len(where) != len(all) {
		t.Fatalf("duplicate event ids in the log")
	}
}

// TestCrashRecovery crashes the store at random points under concurrent
// appenders, on a filesystem that keeps only what was synced (and, in some
// rounds, a random part of what was not), and checks that every acknowledged
// append survives and no append survives in part.
func TestCrashRecovery(t *testing.T) {
	seeds := 8
	if testing.Short() {
		seeds = 3
	}
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { crashRounds(t, uint64(seed)) })
	}
}

func crashRounds(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x7ed6e7))
	fs := vfs.NewCrashableMem()
	l := &ledger{}
	mustHave := map[*attempt]bool{}
	for round := range 4 {
		s, err := Open("/data", Options{FS: fs})
		if err != nil {
			t.Fatalf("round %d: reopen after crash: %v", round, err)
		}
		verifyRecovered(t, s, l, mustHave)

		// Idempotency survives the crash: retrying a stored append stores nothing.
		if len(l.attempts) > 0 {
			a := l.attempts[rng.IntN(len(l.attempts))]
			head, _ := s.Head(context.Background())
			evs := make([]eventstore.EventData, len(a.ids))
			for i, id := range a.ids {
				evs[i] = eventstore.EventData{ID: id, Type: "crash.test"}
			}
			if _, err := s.Append(context.Background(), a.stream, eventstore.Any(), evs...); err != nil {
				t.Fatalf("retry of a stored append: %v", err)
			}
			if after, _ := s.Head(context.Background()); after != head {
				t.Fatalf("retry of a stored append wrote again (head %v → %v)", head, after)
			}
		}

		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 6 {
			wrng := rand.New(rand.NewPCG(seed, uint64(round*100+w)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					stream := fmt.Sprintf("crash-%d-%d", w, wrng.IntN(3))
					evs := make([]eventstore.EventData, 1+wrng.IntN(4))
					for i := range evs {
						evs[i] = eventstore.EventData{ID: uuid.New(), Type: "crash.test", ContentType: "application/json",
							Data: fmt.Appendf(nil, `{"w":%d,"i":%d,"pad":%q}`, w, i, make([]byte, wrng.IntN(300)))}
					}
					a := l.try(stream, evs)
					_, err := s.Append(ctx, stream, eventstore.Any(), evs...)
					if err == nil {
						l.ack(a)
					} else if ctx.Err() == nil && !errors.Is(err, eventstore.ErrClosed) {
						t.Errorf("append: %v", err)
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(5+rng.IntN(40)) * time.Millisecond)

		// Crash: what was acknowledged before the crash must survive it.
		mustHave = l.ackedNow()
		cfg := vfs.CrashCloneCfg{}
		if p := rng.IntN(3) * 30; p > 0 {
			cfg = vfs.CrashCloneCfg{UnsyncedDataPercent: p, RNG: rng}
		}
		crashed := fs.CrashClone(cfg)
		stop()
		wg.Wait()
		s.Close() // the pre-crash filesystem is thrown away
		fs = crashed
		if len(mustHave) == 0 && round > 0 {
			t.Logf("round %d: nothing acknowledged before the crash", round)
		}
	}
	s, err := Open("/data", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	verifyRecovered(t, s, l, mustHave)
	if len(l.attempts) == 0 {
		t.Fatal("no append survived any round: the test tested nothing")
	}
	streams := map[string]bool{}
	for _, a := range l.attempts {
		streams[a.stream] = true
	}
	t.Logf("%d appends survive in %d streams", len(l.attempts), len(streams))
}
