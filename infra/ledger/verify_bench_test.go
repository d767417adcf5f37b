package ledger

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/tools/bench/benchkit"
)

// sealedLog writes the generated history of tickets tickets (benchkit),
// signed, through a ledger whose sealer seals while it is written and once
// more at Close, and returns the data directory and the number of events.
func sealedLog(b *testing.B, tickets int) (string, uint64) {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(b.TempDir(), "data")
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		b.Fatal(err)
	}
	l := openBench(b, Config{DataDir: dir, SigningKey: key, SealInterval: 250 * time.Millisecond})
	if _, err := benchkit.FillSigned(ctx, l.Raw, key, tickets, 8, nil); err != nil {
		l.Close()
		b.Fatal(err)
	}
	if err := l.Close(); err != nil { // the final seal covers every event
		b.Fatal(err)
	}
	l = openBench(b, Config{DataDir: dir})
	defer l.Close()
	r, err := integrity.VerifyLog(ctx, l.Raw, integrity.VerifyOptions{})
	if err != nil || !r.OK() || r.Unsealed != 1 {
		b.Fatalf("the fixture does not verify clean with one unsealed event (the final seal): %v, %d unsealed, %v", err, r.Unsealed, r.Problems)
	}
	return dir, r.Events
}

// openBench opens a ledger without snapshots.
func openBench(b *testing.B, cfg Config) *Ledger {
	b.Helper()
	cfg.NoSnapshots = true
	l, err := Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkVerify measures offline verification (integrity.VerifyLog, what
// `ticketledger verify --data` runs) in events/s over a freshly written,
// sealed store of about 115,000 events (30,000 tickets): the default mode
// (every chain, seal and the Merkle tree; signatures of the unsealed tail
// only) and with every signature rechecked. Target: ≥ 200,000 events/s in
// the default mode on 2 cores.
//
//	go test -run '^$' -bench Verify -benchtime 5x ./infra/ledger/
func BenchmarkVerify(b *testing.B) {
	dir, events := sealedLog(b, 30_000)
	if events < 100_000 {
		b.Fatalf("fixture of %d events, want ≥ 100,000", events)
	}
	for _, all := range []bool{false, true} {
		name := "default"
		if all {
			name = "allSignatures"
		}
		b.Run(name, func(b *testing.B) {
			l := openBench(b, Config{DataDir: dir})
			defer l.Close()
			var n uint64
			var elapsed time.Duration
			cpu0 := benchkit.CPUTime()
			for b.Loop() {
				r, err := integrity.VerifyLog(context.Background(), l.Raw, integrity.VerifyOptions{AllSignatures: all})
				if err != nil || !r.OK() {
					b.Fatalf("verify: %v %v", err, r.Problems)
				}
				if all && r.SignaturesChecked != r.Events {
					b.Fatalf("%d signatures checked of %d events", r.SignaturesChecked, r.Events)
				}
				n += r.Events
				elapsed += r.Elapsed
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
			// CPU time (every goroutine, GC included) per event: unlike the
			// rate, it does not fall when other processes share the cores.
			b.ReportMetric(float64((benchkit.CPUTime()-cpu0).Nanoseconds())/float64(n), "cpu-ns/event")
			b.ReportMetric(float64(events), "events")
		})
	}
}
