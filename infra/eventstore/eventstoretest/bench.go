package eventstoretest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/tools/storebench"
)

// BenchAppend measures durable appends of one event each by writers
// concurrent appenders, each to a stream of its own with Exact expected
// revisions; b.N is the total number of events. It reports events/s.
func BenchAppend(b *testing.B, s eventstore.Store, writers int) {
	benchAppend(b, s, writers, 1)
}

// BenchAppendBatch measures durable appends of batch events each by one
// appender; b.N is the total number of events. It reports events/s.
func BenchAppendBatch(b *testing.B, s eventstore.Store, batch int) {
	benchAppend(b, s, 1, batch)
}

func benchAppend(b *testing.B, s eventstore.Store, writers, batch int) {
	var taken atomic.Int64
	b.ResetTimer()
	// Writers take batches from a shared budget of b.N events.
	appended, err := storebench.AppendLoop(context.Background(), s, writers, batch, func() bool {
		return taken.Add(int64(batch))-int64(batch) < int64(b.N)
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(appended)/b.Elapsed().Seconds(), "events/s")
}

var readAllStart sync.Map // eventstore.Store → eventstore.Position of its bench data

// BenchReadAll measures reading $all forwards in pages of 1,000 events.
// The first call for a store appends populate events (untimed, in batches of
// 500); every call then reads b.N events from the first of them, wrapping
// around. It reports events/s.
func BenchReadAll(b *testing.B, s eventstore.Store, populate int) {
	ctx := context.Background()
	v, ok := readAllStart.Load(s)
	if !ok {
		first, err := storebench.PopulateReadAll(ctx, s, populate)
		if err != nil {
			b.Fatal(err)
		}
		v, _ = readAllStart.LoadOrStore(s, first)
	}
	b.ResetTimer()
	read, err := storebench.ReadAllLoop(ctx, s, v.(eventstore.Position), func(read int64) bool { return read < int64(b.N) })
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "events/s")
}
