package pebblestore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/damagetest"
)

// TestAppendsRefusedWhileDiskFull: below MinFreeBytes a group is refused
// whole (nothing of it stored, the positions it would have taken are
// taken by the next append), reads go on, and once space returns appends
// succeed in the same store.
func TestAppendsRefusedWhileDiskFull(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 30)
	s := openTemp(t, Options{MinFreeBytes: 1 << 20, FreeSpace: func(string) (uint64, error) { return free.Load(), nil }})
	ctx := context.Background()
	if _, err := s.Append(ctx, "a", eventstore.NoStream(), ev("x")); err != nil {
		t.Fatal(err)
	}
	free.Store(1<<20 + 10) // the reserve plus less than a group
	_, err := s.Append(ctx, "a", eventstore.Exact(0), evs(3, "x")...)
	if !errors.Is(err, eventstore.ErrNoSpace) {
		t.Fatalf("append on a full disk: %v, want ErrNoSpace", err)
	}
	for _, want := range []string{"1048586 bytes free", "1048576 bytes in reserve (--min-free-bytes)", "appends resume by themselves"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := s.Append(ctx, "b", eventstore.Any(), ev("y")); !errors.Is(err, eventstore.ErrNoSpace) {
		t.Fatalf("second append: %v", err)
	}
	st := s.Stats()
	if !st.Faults.NoSpace || st.Faults.RefusedNoSpace != 2 || st.Head.Commit != 1 {
		t.Errorf("stats while full: %+v", st)
	}
	if f := s.Fault(); !errors.Is(f, eventstore.ErrNoSpace) {
		t.Errorf("Fault() = %v", f)
	}
	all := must(s.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 100, nil))
	if len(all) != 1 {
		t.Fatalf("read while full: %d events, want 1", len(all))
	}

	free.Store(1 << 30)
	res, err := s.Append(ctx, "a", eventstore.Exact(0), evs(3, "x")...)
	if err != nil {
		t.Fatalf("append once space is back: %v", err)
	}
	if res.NextRevision != 3 || res.Position.Commit != 4 {
		t.Errorf("append after the refusal: %+v, want revision 3 at position 4", res)
	}
	if f := s.Fault(); f != nil || s.Stats().Faults.NoSpace {
		t.Errorf("still faulted after space returned: %v", f)
	}
	all = must(s.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 100, nil))
	if len(all) != 4 {
		t.Errorf("log after recovery: %d events, want 4", len(all))
	}
}

// writeDir fills a store in a real directory with n events over a few
// streams, then closes and reopens it once so that Pebble flushes the WAL
// into an sstable, and returns the directory.
func writeDir(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range n {
		e := ev("x")
		e.Data = bytes.Repeat([]byte{'a' + byte(i%26)}, 200) // not all alike: keeps blocks from compressing to nothing
		if _, err := s.Append(ctx, []string{"ticket-a", "ticket-b", "ticket-c"}[i%3], eventstore.Any(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{}) // replays the WAL into an sstable
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDamagedSSTable: 8 flipped bytes in the middle of the sstable make a
// read of the data there a DamageError naming the file (no panic), the
// store reports it, and Check isolates the damaged log positions, reads on
// past them and names the streams whose events were there.
func TestDamagedSSTable(t *testing.T) {
	dir := writeDir(t, 3000)
	sst := damagetest.Newest(t, dir, ".sst")
	fi, _ := os.Stat(sst)
	damagetest.Flip(t, sst, fi.Size()/3, 8)

	s, err := Open(dir, Options{})
	if err != nil {
		// The damage may hold the log's last key, which Open reads.
		if !errors.Is(err, eventstore.ErrDamaged) || !strings.Contains(err.Error(), sst) {
			t.Fatalf("Open: %v", err)
		}
	} else {
		_, rerr := s.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllStart(), 10000, nil)
		var de *DamageError
		if !errors.As(rerr, &de) || de.File != sst || !errors.Is(rerr, eventstore.ErrDamaged) {
			t.Fatalf("ReadAll over the damage: %v", rerr)
		}
		for _, want := range []string{sst, "checksum mismatch", "restore the data directory from a backup", "ticketledger verify --data " + dir} {
			if !strings.Contains(rerr.Error(), want) {
				t.Errorf("error %q lacks %q", rerr, want)
			}
		}
		if st := s.Stats().Faults; st.DamagedFiles != 1 || !errors.Is(s.Fault(), eventstore.ErrDamaged) {
			t.Errorf("damage not reported: %+v, %v", st, s.Fault())
		}
		s.Close()
	}

	rep, err := Check(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || len(rep.Files) != 1 || rep.Files[0].File != sst {
		t.Fatalf("Check: %+v", rep)
	}
	var logRange *Unreadable
	for i, u := range rep.Unreadable {
		if u.Part == "log" {
			logRange = &rep.Unreadable[i]
		}
	}
	if logRange == nil {
		t.Fatalf("no unreadable log range: %+v", rep.Unreadable)
	}
	lost := logRange.ToPos - logRange.FromPos + 1
	if logRange.ToPos == 0 || lost == 0 || lost > 500 || rep.Events+lost != 3000 {
		t.Errorf("unreadable %s and %d readable: want a block's worth isolated, the rest read", logRange, rep.Events)
	}
	if len(rep.Streams) == 0 || !strings.HasPrefix(rep.Streams[0], "ticket-") {
		t.Errorf("affected streams: %v", rep.Streams)
	}
}

// TestDamagedWAL: a flipped record in the middle of the WAL makes Open
// fail with a DamageError naming the log file; a torn tail (a crash in the
// middle of a write) is no error.
func TestDamagedWAL(t *testing.T) {
	write := func() string {
		dir := t.TempDir()
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for range 500 {
			if _, err := s.Append(context.Background(), "ticket-a", eventstore.Any(), ev("x")); err != nil {
				t.Fatal(err)
			}
		}
		s.Close() // Close does not flush: the events are in the WAL only
		return dir
	}

	dir := write()
	wal := damagetest.Newest(t, dir, ".log")
	fi, _ := os.Stat(wal)
	damagetest.Flip(t, wal, fi.Size()/2, 8)
	_, err := Open(dir, Options{})
	var de *DamageError
	if !errors.As(err, &de) || de.File != wal || !strings.Contains(err.Error(), "write-ahead log damaged") ||
		!strings.Contains(err.Error(), "restore the data directory from a backup") {
		t.Fatalf("Open with a damaged WAL: %v", err)
	}
	if strings.Contains(err.Error(), "writable") {
		t.Errorf("wrong hint: %v", err)
	}
	rep, err := Check(context.Background(), dir, nil)
	if err != nil || rep.OpenErr == nil || len(rep.Files) != 1 || rep.Files[0].File != wal {
		t.Fatalf("Check with a damaged WAL: %+v, %v", rep, err)
	}

	dir = write()
	wal = damagetest.Newest(t, dir, ".log")
	fi, _ = os.Stat(wal)
	if err := os.Truncate(wal, fi.Size()-100); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open with a torn WAL tail: %v", err)
	}
	defer s.Close()
	if h := s.Stats().Head.Commit; h == 0 || h > 500 {
		t.Errorf("head after a torn tail: %d", h)
	}
	if f := s.Fault(); f != nil {
		t.Errorf("a torn tail is reported as a fault: %v", f)
	}
}

// TestDamageFoundWhileRunning: a block damaged under an open store is
// found by the read that needs it: a DamageError for that read (every
// time), one log line, Fault and Stats say so, and other reads go on.
func TestDamageFoundWhileRunning(t *testing.T) {
	dir := t.TempDir()
	logFile, err := os.Create(filepath.Join(t.TempDir(), "store.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	s, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(logFile, nil)), CacheSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := range 2000 {
		e := ev("x")
		e.Data = bytes.Repeat([]byte{'a' + byte(i%26)}, 200)
		if _, err := s.Append(ctx, []string{"ticket-a", "ticket-b"}[i%2], eventstore.Any(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	sst := damagetest.Newest(t, dir, ".sst")
	fi, _ := os.Stat(sst)
	damagetest.Flip(t, sst, fi.Size()/3, 8)
	// The recent events are also in memory (the log's tail), which a read
	// of them needs no file for: empty it so the read goes to the files.
	s.tail.reset()

	var first error
	for range 2 {
		_, err := s.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 5000, nil)
		var de *DamageError
		if !errors.As(err, &de) || de.File != sst {
			t.Fatalf("read over the damaged block: %v", err)
		}
		first = err
	}
	logs, _ := os.ReadFile(logFile.Name())
	if n := strings.Count(string(logs), "event store file damaged"); n != 1 {
		t.Errorf("%d log lines about the damage, want 1:\n%s", n, logs)
	}
	if !errors.Is(s.Fault(), eventstore.ErrDamaged) || s.Stats().Faults.DamagedFiles != 1 {
		t.Errorf("damage not reported: %v %+v", s.Fault(), s.Stats().Faults)
	}
	if !strings.Contains(first.Error(), "restore the data directory from a backup") {
		t.Errorf("no hint: %v", first)
	}
	// The head of the log is elsewhere in the file: still readable.
	if _, err := s.ReadAll(ctx, eventstore.Backwards, eventstore.AllEnd(), 1, nil); err != nil {
		t.Errorf("read of an intact block: %v", err)
	}
}
