package ledger

import (
	"context"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/store/bulk"
	"github.com/ticketledger/ticketledger/infra/tools/bench/benchkit"
	"github.com/ticketledger/ticketledger/infra/tools/demo"
)

// BenchmarkDemoBulk measures what `demo --data` runs: the demo history of
// 5,000 tickets decided by the service and written, signed and sealed,
// through the bulk writer (Ledger.Bulk), in events/s and CPU per event.
// Target: ≥ 20,000 events/s on 2 cores.
//
//	go test -run '^$' -bench DemoBulk -benchtime 3x ./infra/ledger/
func BenchmarkDemoBulk(b *testing.B) {
	ctx := context.Background()
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		b.Fatal(err)
	}
	var events uint64
	var elapsed time.Duration
	defer debug.SetGCPercent(debug.SetGCPercent(200)) // as demo --data does
	cpu0 := benchkit.CPUTime()
	for b.Loop() {
		l := openBench(b, Config{DataDir: filepath.Join(b.TempDir(), "data"), SigningKey: key})
		svc, w, err := l.Bulk(bulk.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := demo.Generate(ctx, svc, demo.Options{Seed: 1, Tickets: 5000, Now: l.Now(), Tokens: l.Tokens}, nil); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		events += w.Stats().Events
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64((benchkit.CPUTime()-cpu0).Nanoseconds())/float64(events), "cpu-ns/event")
	b.ReportMetric(float64(events)/float64(b.N), "events")
}
