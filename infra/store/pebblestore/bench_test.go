package pebblestore

import (
	"context"
	"fmt"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/eventstore/eventstoretest"
	"github.com/ticketledger/ticketledger/infra/tools/storebench"
)

// Run with:
//
//	go test -run '^$' -bench . -benchtime 3s ./infra/store/pebblestore/
//
// Durable appends are bounded by the disk's fsync latency: W writers of one
// event each make at most W events durable per fsync. The append benchmarks
// also report Pebble's mean WAL fsync latency (wal-fsync-ms) and the events
// each fsync made durable (events/fsync), to read the figures against.

func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := openTemp(b, Options{})
			before := walSyncs(b, s)
			eventstoretest.BenchAppend(b, s, writers)
			reportWAL(b, s, before)
		})
	}
}

func BenchmarkAppendBatch(b *testing.B) {
	b.Run("events=100", func(b *testing.B) {
		s := openTemp(b, Options{})
		before := walSyncs(b, s)
		eventstoretest.BenchAppendBatch(b, s, 100)
		reportWAL(b, s, before)
	})
}

func BenchmarkReadAll(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Run("forwards", func(b *testing.B) {
		eventstoretest.BenchReadAll(b, s, 200_000)
	})
}

type walStats struct {
	syncs  uint64
	sumSec float64
	events uint64
}

// walSyncs reads Pebble's WAL fsync histogram and the store's head.
func walSyncs(b *testing.B, s *Store) walStats {
	var m dto.Metric
	if err := s.db.Metrics().LogWriter.FsyncLatency.Write(&m); err != nil {
		b.Fatal(err)
	}
	h := m.GetHistogram()
	return walStats{syncs: h.GetSampleCount(), sumSec: h.GetSampleSum() / 1e9, events: s.durable.Load()}
}

// reportWAL reports the WAL fsyncs of the benchmark: their mean latency
// (wal-fsync-ms, the disk's part) and the events each made durable
// (events/fsync, the group commit's part).
func reportWAL(b *testing.B, s *Store, before walStats) {
	after := walSyncs(b, s)
	n := after.syncs - before.syncs
	if n == 0 {
		return
	}
	b.ReportMetric((after.sumSec-before.sumSec)/float64(n)*1000, "wal-fsync-ms")
	b.ReportMetric(float64(after.events-before.events)/float64(n), "events/fsync")
}

// BenchmarkReadStreamHead reads the last event of one of many short
// streams, as the application service does before every command to check
// its cache.
func BenchmarkReadStreamHead(b *testing.B) {
	s := openTemp(b, Options{})
	ctx := context.Background()
	streams := make([]string, 1000)
	for i := range streams {
		streams[i] = fmt.Sprintf("ticket-%d", i)
		evs := []eventstore.EventData{storebench.Event(), storebench.Event(), storebench.Event()}
		if _, err := s.Append(ctx, streams[i], eventstore.NoStream(), evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		evs, err := s.ReadStream(ctx, streams[i%len(streams)], eventstore.Backwards, eventstore.StreamEnd(), 1)
		if err != nil || len(evs) != 1 || evs[0].Revision != 2 {
			b.Fatalf("%d events, %v", len(evs), err)
		}
	}
}
