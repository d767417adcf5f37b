package bulk_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/store/bulk"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/pebbletest"
)

// note encodes note i of stream after prevHash, signed by s (nil: unsigned).
func note(t *testing.T, stream, prevHash string, i int, s codec.Signer) (eventstore.EventData, string) {
	t.Helper()
	at := time.Date(2026, 3, 2, 9, 30, i, 0, time.UTC)
	meta := domain.Meta{EventID: uuid.NewSHA1(uuid.Nil, fmt.Appendf(nil, "%s/%d", stream, i)),
		Actor: domain.Actor{ID: "vera@vendor.example", Role: domain.RoleVendorSupport}, OccurredAt: at, RecordedAt: at}
	d, m, err := codec.Default().EncodeSigned(stream, ticket.NoteAdded{Text: fmt.Sprint("note ", i)}, meta, prevHash, s)
	if err != nil {
		t.Fatal(err)
	}
	return d, m.Hash
}

func revisions(recs []eventstore.RecordedEvent) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.Revision
	}
	return out
}

// Staged events are read back with the stored ones before a flush, and
// reach the store (ReadAll) only with it; the stored bytes are those a
// signing encoder appends one at a time.
func TestWriterStagesThenStoresSigned(t *testing.T) {
	ctx := context.Background()
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	st := pebbletest.Open(t)
	const stream = "ticket-1"
	var want [][]byte
	prev := ""
	unsigned := make([]eventstore.EventData, 5)
	for i := range unsigned {
		d, h := note(t, stream, prev, i, key)
		want = append(want, d.Metadata)
		unsigned[i], prev = note(t, stream, prev, i, nil)
		if h != prev {
			t.Fatal("signing changed the hash")
		}
	}
	// Two events stored before the writer starts, three staged after.
	must(st.Append(ctx, stream, eventstore.NoStream(), signedCopy(t, unsigned[:2], key)...))
	w := bulk.New(st, bulk.Options{Signer: key, BatchEvents: 1000})
	if _, err := w.Append(ctx, stream, eventstore.Exact(0), unsigned[2]); !eventstore.IsConflict(err) {
		t.Fatalf("append at a stale revision: %v, want a conflict", err)
	}
	for i := 2; i < 5; i++ {
		res, err := w.Append(ctx, stream, eventstore.Exact(uint64(i-1)), unsigned[i])
		if err != nil || res.NextRevision != uint64(i) {
			t.Fatalf("append %d: %+v %v", i, res, err)
		}
	}
	fwd := must(w.ReadStream(ctx, stream, eventstore.Forwards, eventstore.StreamRevision(1), 10))
	if got := revisions(fwd); fmt.Sprint(got) != "[1 2 3 4]" {
		t.Fatalf("forwards from 1: %v", got)
	}
	back := must(w.ReadStream(ctx, stream, eventstore.Backwards, eventstore.StreamEnd(), 4))
	if got := revisions(back); fmt.Sprint(got) != "[4 3 2 1]" {
		t.Fatalf("backwards from the end: %v", got)
	}
	if all := must(st.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 100, nil)); len(all) != 2 {
		t.Fatalf("the store holds %d events before the flush, want 2", len(all))
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stored := must(st.ReadStream(ctx, stream, eventstore.Forwards, eventstore.StreamStart(), 10))
	if len(stored) != 5 {
		t.Fatalf("stored %d events, want 5", len(stored))
	}
	for i, r := range stored {
		if !bytes.Equal(r.Metadata, want[i]) {
			t.Fatalf("event %d metadata\n%s\nwant\n%s", i, r.Metadata, want[i])
		}
	}
	if err := codec.Verify(stored); err != nil {
		t.Fatal(err)
	}
	// The last event is read from memory after the flush: the signed one.
	head := must(w.ReadStream(ctx, stream, eventstore.Backwards, eventstore.StreamEnd(), 1))
	if !bytes.Equal(head[0].Metadata, want[4]) || head[0].Position != stored[4].Position {
		t.Fatalf("head after the flush: %+v", head[0])
	}
	if s := w.Stats(); s.Events != 3 || s.Appends != 3 || s.Batches != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// Enough staged events start a write in the background; a write that
// fails (another writer moved a stream) makes the writer refuse
// everything, and nothing of the failed batch is stored.
func TestWriterFlushesInBatchesAndStopsOnFailure(t *testing.T) {
	ctx := context.Background()
	st := pebbletest.Open(t)
	w := bulk.New(st, bulk.Options{BatchEvents: 4})
	for i := range 8 {
		name := fmt.Sprint("ticket-", i)
		d, _ := note(t, name, "", 0, nil)
		if _, err := w.Append(ctx, name, eventstore.NoStream(), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Events != 8 || s.Batches != 2 {
		t.Fatalf("stats %+v, want 8 events in 2 batches", s)
	}
	d, _ := note(t, "late", "", 0, nil)
	if _, err := w.Append(ctx, "late", eventstore.NoStream(), d); err != nil {
		t.Fatal(err)
	}
	other, _ := note(t, "late", "", 1, nil)
	must(st.Append(ctx, "late", eventstore.NoStream(), other))
	before := must(st.Head(ctx))
	err := w.Flush(ctx)
	if !eventstore.IsConflict(err) {
		t.Fatalf("flush after another writer: %v, want a conflict", err)
	}
	if _, err := w.Append(ctx, "more", eventstore.NoStream(), d); err == nil {
		t.Fatal("the writer accepted an append after a failed flush")
	}
	if h := must(st.Head(ctx)); h != before {
		t.Fatalf("the failed batch moved the head from %v to %v", before, h)
	}
}

// Past its bound of known streams the writer forgets only the heads of
// streams it has written: the streams of the batch being staged, whose
// events the store does not have yet, keep theirs, and every stream's
// events are stored in order.
func TestWriterForgetsOnlyWrittenStreams(t *testing.T) {
	ctx := context.Background()
	st := pebbletest.Open(t)
	w := bulk.New(st, bulk.Options{BatchEvents: 4, KnownStreams: 6})
	prev := map[string]string{}
	const streams, rounds = 20, 3
	for r := range rounds {
		for i := range streams {
			name := fmt.Sprint("ticket-", i)
			d, h := note(t, name, prev[name], r, nil)
			exp := eventstore.NoStream()
			if r > 0 {
				exp = eventstore.Exact(uint64(r - 1))
			}
			if _, err := w.Append(ctx, name, exp, d); err != nil {
				t.Fatalf("round %d, %s: %v", r, name, err)
			}
			prev[name] = h
			if head := must(w.ReadStream(ctx, name, eventstore.Backwards, eventstore.StreamEnd(), 1)); len(head) != 1 || head[0].Revision != uint64(r) {
				t.Fatalf("round %d, %s: head %v, want revision %d", r, name, revisions(head), r)
			}
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range streams {
		name := fmt.Sprint("ticket-", i)
		recs := must(st.ReadStream(ctx, name, eventstore.Forwards, eventstore.StreamStart(), 10))
		if got := revisions(recs); len(got) != rounds || got[0] != 0 || got[rounds-1] != rounds-1 {
			t.Fatalf("%s stored as %v, want revisions 0..%d", name, got, rounds-1)
		}
	}
	if s := w.Stats(); s.Events != streams*rounds {
		t.Fatalf("stats %+v, want %d events", s, streams*rounds)
	}
}

// The writer refuses system streams: their metadata would not hold for
// staged events.
func TestWriterRefusesSystemStreams(t *testing.T) {
	w := bulk.New(pebbletest.Open(t), bulk.Options{})
	d, _ := note(t, "x", "", 0, nil)
	if _, err := w.Append(context.Background(), "$$ticket-1", eventstore.Any(), d); err == nil {
		t.Fatal("appended to a metadata stream")
	}
}

func signedCopy(t *testing.T, evs []eventstore.EventData, s codec.Signer) []eventstore.EventData {
	t.Helper()
	out := make([]eventstore.EventData, len(evs))
	for i, e := range evs {
		md, err := codec.Resign(e.Metadata, s)
		if err != nil {
			t.Fatal(err)
		}
		e.Metadata = md
		out[i] = e
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A batch handed over for writing is written whole even when the context
// it was started with has ended (an interrupt): what was accepted is stored.
func TestWriterWritesAfterCancel(t *testing.T) {
	st := pebbletest.Open(t)
	w := bulk.New(st, bulk.Options{BatchEvents: 2})
	ctx, cancel := context.WithCancel(context.Background())
	const name = "ticket-1"
	first, h := note(t, name, "", 0, nil)
	second, _ := note(t, name, h, 1, nil)
	if _, err := w.Append(ctx, name, eventstore.NoStream(), first); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The second event fills the batch: its write starts under the ended
	// context.
	if _, err := w.Append(ctx, name, eventstore.Exact(0), second); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if all := must(st.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllStart(), 10, nil)); len(all) != 2 {
		t.Fatalf("stored %d events, want 2", len(all))
	}
}
