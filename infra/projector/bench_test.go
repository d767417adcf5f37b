package projector

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
	"github.com/ticketledger/ticketledger/infra/tools/bench/benchkit"
	"github.com/ticketledger/ticketledger/projections"
	"github.com/ticketledger/ticketledger/projections/projectionstest"
)

// benchSize reads a ticket count from the environment (e.g.
// TL_BENCH_TICKETS=1000000), else def.
func benchSize(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchStore opens (and fills, the first time) an embedded store holding the
// generated history of n tickets. It is kept under the system temp dir
// between runs, as filling it takes a while.
func benchStore(b *testing.B, n int) (*pebblestore.Store, int) {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("ticketledger-projector-bench-%d", n))
	done := filepath.Join(dir, "filled")
	_, err := os.Stat(done)
	filled := err == nil
	if !filled {
		os.RemoveAll(dir)
	}
	st, err := pebblestore.Open(filepath.Join(dir, "store"), pebblestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if !filled {
		events, err := benchkit.Fill(context.Background(), st, n, 64, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(done, []byte(strconv.Itoa(events)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	cnt, _ := os.ReadFile(done)
	events, _ := strconv.Atoi(string(cnt))
	return st, events
}

// BenchmarkColdRebuild: every event of the embedded store decoded (codec)
// and applied to all read models, from zero (target ≥ 300,000 events/s).
// TL_BENCH_TICKETS sets the ticket count (default 200,000).
func BenchmarkColdRebuild(b *testing.B) {
	benchEvents(b, "audit holds", func(st *pebblestore.Store) (int, error) {
		m := newModels()
		r, err := New(Options{Store: st, Decode: codec.Decode, IsUnknown: isUnknown, Projections: m.list(), Logger: quiet})
		if err != nil {
			return 0, err
		}
		if err := r.Rebuild(context.Background(), nil); err != nil {
			return 0, err
		}
		return m.au.Len(), nil
	})
}

// benchEvents runs pass over the bench store of TL_BENCH_TICKETS tickets
// (default 200,000) in a benchmark loop, wants every pass to have handled
// (what: "read") every event of the store, and reports the rates.
func benchEvents(b *testing.B, what string, pass func(st *pebblestore.Store) (int, error)) {
	b.Helper()
	st, events := benchStore(b, benchSize("TL_BENCH_TICKETS", 200_000))
	defer st.Close()
	var total uint64
	cpu0 := benchkit.CPUTime()
	for b.Loop() {
		n, err := pass(st)
		if err != nil {
			b.Fatal(err)
		}
		if n != events {
			b.Fatalf("%s %d events, want %d", what, n, events)
		}
		total += uint64(n)
	}
	cpu := benchkit.CPUTime() - cpu0
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(total)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(events), "events")
}

// BenchmarkDecodeOnly: the codec alone over the same records, for
// comparison with BenchmarkColdRebuild.
func BenchmarkDecodeOnly(b *testing.B) {
	st, _ := benchStore(b, benchSize("TL_BENCH_TICKETS", 200_000))
	defer st.Close()
	recs, err := st.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllStart(), 200_000, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var n int
	for b.Loop() {
		for _, r := range recs {
			if _, err := codec.Decode(r); err != nil {
				b.Fatal(err)
			}
		}
		n += len(recs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s/core")
}

// BenchmarkRestartFromSnapshot1M: a new runner restoring the tickets and
// audit read models of one million tickets from its snapshot file (target
// ≤ 2 s).
func BenchmarkRestartFromSnapshot1M(b *testing.B) {
	n := benchSize("TL_BENCH_SNAPSHOT_TICKETS", 1_000_000)
	m := newModels()
	evs := projectionstest.Generate(projectionstest.Options{Tickets: n})
	for _, p := range m.list() {
		p.(interface{ ApplyBatch([]domain.Recorded) }).ApplyBatch(evs)
	}
	ck := eventstore.Position{Commit: uint64(len(evs)), Prepare: uint64(len(evs))}
	evs = nil
	path := filepath.Join(b.TempDir(), "projections.snap")
	t0 := time.Now()
	if err := writeSnapshot(path, ck, m.list()); err != nil {
		b.Fatal(err)
	}
	write := time.Since(t0)
	fi, _ := os.Stat(path)
	m = models{}
	runtime.GC()
	b.ResetTimer()
	cpu0 := benchkit.CPUTime()
	for b.Loop() {
		fresh := newModels()
		r, err := New(Options{Store: newMemLog(), Decode: codec.Decode, Projections: fresh.list(), SnapshotPath: path, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		if !r.Stats().Restored || fresh.tk.Len() != n {
			b.Fatalf("not restored: %+v, %d tickets", r.Stats(), fresh.tk.Len())
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "restart-s")
	b.ReportMetric((benchkit.CPUTime()-cpu0).Seconds()/float64(b.N), "restart-cpu-s")
	b.ReportMetric(write.Seconds(), "snapshot-write-s")
	b.ReportMetric(float64(fi.Size())/(1<<20), "snapshot-MiB")
}

var _ = projections.TicketsName

// BenchmarkScanOnly: the subscription's catch-up read of the same store
// alone (no decoding, no folds), for comparison with BenchmarkColdRebuild.
func BenchmarkScanOnly(b *testing.B) {
	benchEvents(b, "read", func(st *pebblestore.Store) (int, error) {
		sub, err := st.SubscribeAll(context.Background(), eventstore.AllStart(), eventstore.SubscribeOptions{})
		if err != nil {
			return 0, err
		}
		defer sub.Close()
		n := 0
		for {
			m, err := sub.Next()
			if err != nil {
				return n, err
			}
			if m.CaughtUp {
				return n, nil
			}
			if m.Event != nil {
				n++
			}
		}
	})
}
