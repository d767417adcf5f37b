package pebblestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/infratest"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/tmpfstest"
)

// reopenLedger tracks, across a store failure, what was acknowledged and
// what was tried and refused.
type reopenLedger struct {
	acked   []uuid.UUID   // event ids of appends that returned success
	refused [][]uuid.UUID // the events of each append that failed
}

// append appends n events to stream and records the outcome.
func (l *reopenLedger) append(s *Store, stream string, n, size int) error {
	evs := make([]eventstore.EventData, n)
	ids := make([]uuid.UUID, n)
	for i := range evs {
		evs[i] = ev("x")
		evs[i].Data = []byte(fmt.Sprintf(`{"pad":%q}`, strings.Repeat("p", size)))
		ids[i] = evs[i].ID
	}
	_, err := s.Append(context.Background(), stream, eventstore.Any(), evs...)
	if err != nil {
		l.refused = append(l.refused, ids)
		return err
	}
	l.acked = append(l.acked, ids...)
	return nil
}

// check asserts that every acknowledged event is in the log, and that each
// refused append is there whole or not at all; it returns how many of the
// refused appends are there.
func (l *reopenLedger) check(t *testing.T, s *Store) int {
	t.Helper()
	all, err := s.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllStart(), 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	have := make(map[uuid.UUID]bool, len(all))
	lastOf := make(map[string]uuid.UUID)
	for i, e := range all {
		if e.Position.Commit != uint64(i+1) {
			t.Fatalf("the log has position %d at index %d: a gap", e.Position.Commit, i)
		}
		have[e.ID] = true
		lastOf[e.StreamID] = e.ID
	}
	// A stream's head read (answered from memory where the store holds
	// it) agrees with the log, also for a failed group found whole.
	for stream, id := range lastOf {
		head, err := s.ReadStream(context.Background(), stream, eventstore.Backwards, eventstore.StreamEnd(), 1)
		if err != nil || len(head) != 1 || head[0].ID != id {
			got := make([]string, len(head))
			for i, h := range head {
				got[i] = fmt.Sprintf("%s@%d", h.ID, h.Revision)
			}
			t.Fatalf("head read of %s: %v (err %v), but the log's last event of it is %s", stream, got, err, id)
		}
	}
	for _, id := range l.acked {
		if !have[id] {
			t.Fatalf("acknowledged event %s is missing (log of %d events)", id, len(all))
		}
	}
	present := 0
	for _, ids := range l.refused {
		n := 0
		for _, id := range ids {
			if have[id] {
				n++
			}
		}
		switch n {
		case 0:
		case len(ids):
			present++
		default:
			t.Fatalf("a refused append of %d events is half there: %d of them", len(ids), n)
		}
	}
	return present
}

// openSeeded opens a store in dir, subscribes to $all from the start
// (collect) and appends 20 events of about size bytes over three streams.
func openSeeded(t *testing.T, dir string, opts Options, size int) (*Store, *reopenLedger, func() []uuid.UUID) {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	delivered := collect(t, s)
	l := &reopenLedger{}
	for i := range 20 {
		if err := l.append(s, fmt.Sprintf("s-%d", i%3), 1+i%3, size); err != nil {
			t.Fatal(err)
		}
	}
	return s, l, delivered
}

// failedAttempts reads from the store's fault how many reopen attempts
// have failed: "reopen attempt N failed", or N-1 while attempt N is under
// way.
func failedAttempts(f error) int {
	if f == nil {
		return 0
	}
	if m := regexp.MustCompile(`reopen attempt (\d+) failed`).FindStringSubmatch(f.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if m := regexp.MustCompile(`\(attempt (\d+)\)`).FindStringSubmatch(f.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n - 1
	}
	return 0
}

// collect runs a subscription to $all from the start and returns the ids it
// delivers, in order, through get.
func collect(t *testing.T, s *Store) (get func() []uuid.UUID) {
	t.Helper()
	sub, err := s.SubscribeAll(context.Background(), eventstore.AllStart(), eventstore.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ids []uuid.UUID
	var subErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			m, err := sub.Next()
			if err != nil {
				if !errors.Is(err, eventstore.ErrSubscriptionDropped) && !errors.Is(err, eventstore.ErrClosed) {
					mu.Lock()
					subErr = err
					mu.Unlock()
				}
				return
			}
			if m.Event != nil {
				mu.Lock()
				ids = append(ids, m.Event.ID)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { sub.Close(); <-done })
	return func() []uuid.UUID {
		mu.Lock()
		defer mu.Unlock()
		if subErr != nil {
			t.Fatalf("the subscription ended: %v", subErr)
		}
		return append([]uuid.UUID(nil), ids...)
	}
}

// TestFatalWALWriteIsNotAPanic: Pebble answers a failed WAL write with
// Logger.Fatalf; the store turns it into ErrFailed for the appends of the
// group and every later one until it has reopened Pebble, and reads of what
// was durable go on until the reopen starts.
func TestFatalWALWriteIsNotAPanic(t *testing.T) {
	var fail atomic.Bool
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
		if fail.Load() && strings.HasSuffix(op.Path, ".log") && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return syscall.ENOSPC
		}
		return nil
	}))
	// The reopen (TestReopenAfterFatalError) is put off for this test.
	s, err := Open("/data", Options{FS: fs, ReopenBackoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Append(ctx, "a", eventstore.NoStream(), ev("x")); err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	_, err = s.Append(ctx, "a", eventstore.Exact(0), ev("x"))
	if !errors.Is(err, eventstore.ErrFailed) || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "reopens by itself") {
		t.Fatalf("append with a failing WAL: %v", err)
	}
	if _, err := s.Append(ctx, "b", eventstore.Any(), ev("y")); !errors.Is(err, eventstore.ErrFailed) {
		t.Fatalf("append after the failure: %v", err)
	}
	if !s.Stats().Faults.Failed || !errors.Is(s.Fault(), eventstore.ErrFailed) {
		t.Errorf("the failure is not reported: %+v %v", s.Stats().Faults, s.Fault())
	}
	if evs, err := s.ReadStream(ctx, "a", eventstore.Forwards, eventstore.StreamStart(), 10); err != nil || len(evs) != 1 {
		t.Errorf("read after the failure: %d events, %v", len(evs), err)
	}
	// Pebble's commit pipeline is broken now; Close still returns.
	_ = s.Close()
}

// TestReopenAfterFatalError: a Pebble whose WAL write (or sync) fails, and
// then every file operation, on a failing vfs.FS under a real Pebble: the append of
// the failed group and those after it get ErrFailed (no panic), the
// store retries reopening with backoff while writes still fail, and once
// they work it reopens Pebble in the same process: appends succeed again,
// every acknowledged event is there, the failed group is whole or absent,
// the failure and the recovery are one log line each, and a subscription
// opened before the failure goes on delivering the log in order.
func TestReopenAfterFatalError(t *testing.T) {
	for _, tc := range []struct {
		name string
		// first is the fault that fails the commit, on the newest WAL.
		first func(op errorfs.Op) bool
	}{
		{"write", func(op errorfs.Op) bool { return op.Kind == errorfs.OpFileWrite }},
		{"sync", func(op errorfs.Op) bool { return op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mode atomic.Int32 // 0: no fault, 1: the first fault, 2: every operation fails
			fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
				switch mode.Load() {
				case 1:
					if strings.HasSuffix(op.Path, ".log") && tc.first(op) {
						return syscall.EIO
					}
				case 2:
					return syscall.EIO
				}
				return nil
			}))
			var logs bytes.Buffer
			var logMu sync.Mutex
			logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil))
			s, l, delivered := openSeeded(t, "/data", Options{FS: fs, Logger: logger, ReopenBackoff: time.Millisecond, ReopenMaxBackoff: 5 * time.Millisecond}, 100)
			var err error
			mode.Store(1)
			err = l.append(s, "s-0", 3, 100)
			if !errors.Is(err, eventstore.ErrFailed) || !strings.Contains(err.Error(), "may or may not have been stored") {
				t.Fatalf("append with a failing WAL: %v", err)
			}
			mode.Store(2)
			infratest.WaitFor(t, "two failed reopen attempts", func() bool { return failedAttempts(s.Fault()) >= 2 })
			if st := s.Stats().Faults; !st.Failed || st.Failures != 1 || st.Reopens != 0 {
				t.Fatalf("stats while reopening: %+v", st)
			}
			if err := l.append(s, "s-1", 2, 100); !errors.Is(err, eventstore.ErrFailed) || !strings.Contains(err.Error(), "reopens itself") {
				t.Fatalf("append while reopening: %v", err)
			}

			mode.Store(0)
			infratest.WaitFor(t, "the reopen", func() bool { return !s.Stats().Faults.Failed })
			if st := s.Stats().Faults; st.Failures != 1 || st.Reopens != 1 || s.Fault() != nil {
				t.Fatalf("stats after the reopen: %+v, fault %v", st, s.Fault())
			}
			l.check(t, s) // before any new append moves a stream's head
			for i := range 10 {
				if err := l.append(s, fmt.Sprintf("s-%d", i%4), 2, 100); err != nil {
					t.Fatalf("append %d after the reopen: %v", i, err)
				}
			}
			present := l.check(t, s)
			t.Logf("%s fault: %d of %d refused appends are in the log (whole)", tc.name, present, len(l.refused))

			head := must(s.Head(context.Background())).Commit
			infratest.WaitFor(t, "the subscription to reach the head", func() bool { return uint64(len(delivered())) == head })
			all := must(s.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllStart(), 1<<20, nil))
			for i, id := range delivered() {
				if all[i].ID != id {
					t.Fatalf("the subscription delivered %s at position %d, the log has %s", id, i+1, all[i].ID)
				}
			}

			logMu.Lock()
			out := logs.String()
			logMu.Unlock()
			if n := strings.Count(out, "event store commit failed"); n != 1 {
				t.Errorf("%d log lines for the failure, want 1:\n%s", n, out)
			}
			if n := strings.Count(out, "event store reopened after a failure"); n != 1 {
				t.Errorf("%d log lines for the recovery, want 1:\n%s", n, out)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = Open("/data", Options{FS: fs})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := l.check(t, s); got != present {
				t.Errorf("after a restart %d refused appends are there, before it %d", got, present)
			}
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// TestReopenAfterDiskFull runs the store on a real 16 MiB tmpfs with its
// free-space check bypassed (FreeSpace reports plenty), fills the tmpfs and
// appends until Pebble's own WAL write fails with ENOSPC: that append gets
// ErrFailed. With the check bypassed throughout, the reopen waits in
// Pebble's open (which retries its flush) while the disk stays full; with
// the real free space known after the failure, the reopen waits for space
// with the failed Pebble still serving reads. Once the ballast is removed,
// appends succeed in the same Store without a restart, every acknowledged
// append is there, and the failed group is there whole or not at all, then
// and after a restart.
func TestReopenAfterDiskFull(t *testing.T) {
	for _, tc := range []struct {
		name       string
		spaceKnown bool // FreeSpace tells the truth once the store has failed
		waiting    string
	}{
		{"bypassed", false, "reopening Pebble"},
		{"known", true, "waiting for disk space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mnt := tmpfstest.Mount(t, "16m")
			dir := filepath.Join(mnt, "data")
			var store atomic.Pointer[Store] // the store, once open
			free := func(string) (uint64, error) {
				if st := store.Load(); tc.spaceKnown && st != nil && st.Stats().Faults.Failures > 0 {
					return tmpfstest.Free(t, mnt), nil
				}
				return 1 << 40, nil
			}
			opts := Options{FreeSpace: free, MinFreeBytes: 1 << 20, ReopenBackoff: time.Millisecond, ReopenMaxBackoff: 20 * time.Millisecond}
			s, l, delivered := openSeeded(t, dir, opts, 1000)
			store.Store(s)
			var err error
			ballast := tmpfstest.Fill(t, mnt, 256<<10)
			var failure error
			for i := 0; i < 400 && failure == nil; i++ {
				if err := l.append(s, fmt.Sprintf("t-%d", i%3), 2, 16<<10); err != nil {
					failure = err
				}
			}
			if !errors.Is(failure, eventstore.ErrFailed) || !strings.Contains(failure.Error(), "no space left on device") {
				t.Fatalf("appends on a full tmpfs: %v, want ErrFailed with ENOSPC (%d acknowledged)", failure, len(l.acked))
			}
			t.Logf("%d events acknowledged, then: %v", len(l.acked), failure)
			infratest.WaitFor(t, "the reopen to wait on the full disk", func() bool {
				f := s.Fault()
				return f != nil && strings.Contains(f.Error(), tc.waiting)
			})
			time.Sleep(100 * time.Millisecond) // it goes on waiting
			t.Logf("while full: %v", s.Fault())
			if err := l.append(s, "t-0", 1, 10); !errors.Is(err, eventstore.ErrFailed) {
				t.Fatalf("append while the disk stays full: %v", err)
			}
			if tc.spaceKnown {
				l.check(t, s) // reads go on, on the failed Pebble
			}

			if err := os.Remove(ballast); err != nil {
				t.Fatal(err)
			}
			infratest.WaitFor(t, "the reopen once space is back", func() bool { return !s.Stats().Faults.Failed })
			for i := range 10 {
				if err := l.append(s, fmt.Sprintf("t-%d", i%3), 1, 1000); err != nil {
					t.Fatalf("append %d once space is back: %v", i, err)
				}
			}
			present := l.check(t, s)
			head := must(s.Head(context.Background())).Commit
			infratest.WaitFor(t, "the subscription to reach the head", func() bool { return uint64(len(delivered())) == head })
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := l.check(t, s); got != present {
				t.Errorf("after a restart %d refused appends are there, before it %d", got, present)
			}
			s.Close()
			if r := must(Check(context.Background(), dir, nil)); len(r.Files) > 0 || len(r.Unreadable) > 0 || r.OpenErr != nil || r.Head != head {
				t.Errorf("check after the full disk: %+v (head %d)", r, head)
			}
		})
	}
}

// TestCheckTail: the check a reopen makes before it resumes appends accepts
// a log holding everything acknowledged (and a whole group after it), and
// refuses one that ends before the acknowledged position or has an event
// without its stream index entry (half a group).
func TestCheckTail(t *testing.T) {
	s := openTemp(t, Options{})
	var l reopenLedger
	for i := range 6 {
		if err := l.append(s, fmt.Sprintf("c-%d", i%2), 2, 10); err != nil {
			t.Fatal(err)
		}
	}
	db := s.db
	for _, tc := range []struct {
		acked, last uint64
		ok          bool
	}{{12, 12, true}, {8, 12, true}, {0, 12, true}, {0, 0, true}, {13, 12, false}} {
		if err := checkTail(db, tc.acked, tc.last); (err == nil) != tc.ok {
			t.Errorf("checkTail(acked %d, last %d) = %v", tc.acked, tc.last, err)
		}
	}
	// Half a group: position 11's stream index entry is gone.
	all := must(s.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllStart(), 100, nil))
	if err := db.Delete(streamKey(all[10].StreamID, all[10].Revision), nil); err != nil {
		t.Fatal(err)
	}
	if err := checkTail(db, 10, 12); err == nil || !strings.Contains(err.Error(), "no stream index entry") {
		t.Errorf("checkTail with half a group after the acknowledged position: %v", err)
	}
	var lost error = &lostError{dir: "d", err: errors.New("x")}
	if !errors.Is(lost, eventstore.ErrFailed) || !strings.Contains(lost.Error(), "restore the data directory from a backup") {
		t.Errorf("lostError: %v", lost)
	}
}
