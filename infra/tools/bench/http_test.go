package bench

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/tools/bench/benchkit"
)

// BenchmarkHTTPCommands runs the support desk's command mix (see RunHTTP)
// over HTTP against an in-process ledger with authentication, signatures
// and the sealer on, from 64 concurrent clients; one op is one command or
// query. Besides the rate it reports the process CPU per op (the ledger and
// the clients together), the figure to compare levers by on a busy machine.
//
//	go test -run '^$' -bench HTTPCommands -benchtime 2000x ./infra/tools/bench/
func BenchmarkHTTPCommands(b *testing.B) {
	ctx := context.Background()
	srv, err := startLedger(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.close()
	// RunParallel starts parallelism × GOMAXPROCS goroutines: one client
	// each, about 64 in all.
	parallelism := max(1, 64/runtime.GOMAXPROCS(0))
	clients := parallelism * runtime.GOMAXPROCS(0)
	d, err := newDesk(ctx, adminClient(srv.url, srv.token, clients), clients)
	if err != nil {
		b.Fatal(err)
	}
	var next, failed atomic.Int64
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	cpu0 := benchkit.CPUTime()
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := d.clients[next.Add(1)-1]
		for pb.Next() {
			if _, err := d.do(ctx, c, c.pick()); err != nil {
				if failed.Add(1) == 1 {
					b.Error(err)
				}
			}
		}
	})
	b.StopTimer()
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "ops/s")
	b.ReportMetric(float64((benchkit.CPUTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
