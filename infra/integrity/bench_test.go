package integrity

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// benchLog writes n signed events over n/20 ticket streams, seals them and
// returns the data directory.
func benchLog(b *testing.B, n int) string {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(b.TempDir(), "data")
	st, key := keyedStore(b, dir)
	defer st.Close()
	const perStream = 20
	evs := make([]domain.Event, perStream)
	metas := make([]domain.Meta, perStream)
	for s := 0; s < n/perStream; s++ {
		for i := range evs {
			evs[i] = noteEv(fmt.Sprintf("a note of a realistic length for ticket %d, number %d: the customer reports the VM is unreachable", s, i))
			metas[i] = domain.Meta{Actor: domain.Actor{ID: "agent@vendor.example", Role: domain.RoleVendorSupport}, CorrelationID: fmt.Sprint(s, i), OccurredAt: tNow, RecordedAt: tNow}
		}
		data, _, err := codec.EncodeChainSigned(fmt.Sprintf("ticket-%08d", s), "", evs, metas, key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Append(ctx, fmt.Sprintf("ticket-%08d", s), eventstore.NoStream(), data...); err != nil {
			b.Fatal(err)
		}
	}
	s := NewSealer(st, key, SealerOptions{Interval: time.Hour})
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	waitCaughtUp(b, s, st)
	if err := s.Close(ctx); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkVerifyLog reports the verify rate in events/s: sealed history
// (hashes, chains, tree) and with every signature rechecked.
func BenchmarkVerifyLog(b *testing.B) {
	const n = 50_000
	dir := benchLog(b, n)
	for _, all := range []bool{false, true} {
		b.Run(fmt.Sprintf("allSignatures=%v", all), func(b *testing.B) {
			st := openStore(b, dir)
			defer st.Close()
			var events uint64
			start := time.Now()
			for b.Loop() {
				r, err := VerifyLog(context.Background(), st, VerifyOptions{AllSignatures: all})
				if err != nil || !r.OK() {
					b.Fatalf("%v %v", err, r.Problems)
				}
				events += r.Events
			}
			b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkTreeMemory reports the heap a tree of 999,999 leaves holds
// (every perfect subtree node: 64 bytes per leaf at the least) and the cost
// of an append. The sealer of a running ledger keeps one over the whole
// log.
//
//	go test -run '^$' -bench TreeMemory -benchtime 3x ./infra/integrity/
func BenchmarkTreeMemory(b *testing.B) {
	const leaves = 999_999
	leaf := make([]byte, 32)
	var perLeaf float64
	for b.Loop() {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t := NewTree()
		for i := range leaves {
			binary.BigEndian.PutUint64(leaf, uint64(i))
			if _, err := t.Append(leaf); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		perLeaf = float64(m1.HeapAlloc-m0.HeapAlloc) / leaves
		runtime.KeepAlive(t)
	}
	b.ReportMetric(perLeaf, "heap-B/leaf")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*leaves), "ns/leaf")
}
