package pebblestore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// A batch is checked append by append, later appends seeing what earlier
// ones wrote, and stored with consecutive positions.
func TestAppendBatchWritesInOrder(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, Options{})
	must(s.Append(ctx, "b", eventstore.NoStream(), ev("x")))
	res, err := s.AppendBatch(ctx, []eventstore.StreamAppend{
		{Stream: "a", Expected: eventstore.NoStream(), Events: evs(2, "x")},
		{Stream: "b", Expected: eventstore.Exact(0), Events: evs(1, "x")},
		{Stream: "a", Expected: eventstore.Exact(1), Events: evs(1, "x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].NextRevision != 1 || res[1].NextRevision != 1 || res[2].NextRevision != 2 {
		t.Fatalf("results %+v", res)
	}
	if !(res[0].Position.Less(res[1].Position) && res[1].Position.Less(res[2].Position)) {
		t.Fatalf("positions out of order: %+v", res)
	}
	if got := revs(must(s.ReadStream(ctx, "a", eventstore.Forwards, eventstore.StreamStart(), 10))); len(got) != 3 {
		t.Fatalf("stream a holds revisions %v", got)
	}
	head := must(s.Head(ctx))
	if head != res[2].Position {
		t.Fatalf("head %v, want the batch's last position %v", head, res[2].Position)
	}
}

// A failed check stores nothing of the batch, names the append, and leaves
// the streams as they were for the next append.
func TestAppendBatchIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, Options{})
	must(s.Append(ctx, "b", eventstore.NoStream(), ev("x")))
	head := must(s.Head(ctx))
	first := evs(2, "x")
	_, err := s.AppendBatch(ctx, []eventstore.StreamAppend{
		{Stream: "a", Expected: eventstore.NoStream(), Events: first},
		{Stream: "b", Expected: eventstore.Exact(5), Events: evs(1, "x")},
	})
	var be *eventstore.BatchError
	if !errors.As(err, &be) || be.Index != 1 || be.Stream != "b" || !eventstore.IsConflict(err) {
		t.Fatalf("err = %v, want a *BatchError for append 1 (b) wrapping a conflict", err)
	}
	if _, err := s.ReadStream(ctx, "a", eventstore.Forwards, eventstore.StreamStart(), 10); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("stream a after a failed batch: %v, want not found", err)
	}
	if h := must(s.Head(ctx)); h != head {
		t.Fatalf("head moved from %v to %v", head, h)
	}
	// The heads and event ids of the failed batch were put back: the same
	// events append as new, at the revisions they were meant for.
	res := must(s.Append(ctx, "a", eventstore.NoStream(), first...))
	if res.NextRevision != 1 || res.Deduplicated {
		t.Fatalf("append after the failed batch: %+v", res)
	}
	res = must(s.Append(ctx, "b", eventstore.Exact(0), ev("x")))
	if res.NextRevision != 1 || res.Position.Commit != head.Commit+3 {
		t.Fatalf("append to b after the failed batch: %+v (head before %v)", res, head)
	}
}

// Appending a batch again is idempotent: every append is deduplicated.
func TestAppendBatchRetryIsDeduplicated(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, Options{})
	batch := []eventstore.StreamAppend{
		{Stream: "a", Expected: eventstore.NoStream(), Events: evs(2, "x")},
		{Stream: "b", Expected: eventstore.NoStream(), Events: evs(1, "x")},
	}
	first := must(s.AppendBatch(ctx, batch))
	again := must(s.AppendBatch(ctx, batch))
	for i := range again {
		if !again[i].Deduplicated || again[i].Position != first[i].Position {
			t.Fatalf("retry %d: %+v, first %+v", i, again[i], first[i])
		}
	}
}

// BenchmarkAppendBatchStreams measures AppendBatch as the bulk writer uses
// it: batches of 1,000 new streams of 4 events of ~1 KB each, one fsync per
// batch, in events/s.
//
//	go test -run '^$' -bench AppendBatchStreams -benchtime 20x ./infra/store/pebblestore/
func BenchmarkAppendBatchStreams(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b, Options{})
	data := make([]byte, 1000)
	n := 0
	for b.Loop() {
		batch := make([]eventstore.StreamAppend, 1000)
		for i := range batch {
			evs := evs(4, "bench")
			for j := range evs {
				evs[j].Data = data
			}
			batch[i] = eventstore.StreamAppend{Stream: fmt.Sprintf("s-%d-%d", n, i), Expected: eventstore.NoStream(), Events: evs}
		}
		n++
		if _, err := s.AppendBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*4000)/b.Elapsed().Seconds(), "events/s")
}
