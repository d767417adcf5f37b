package kurrent_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/kurrentwire/kurrentwiretest"
	"github.com/ticketledger/ticketledger/infra/store/kurrent"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/pebbletest"
)

// serveEmbedded serves a fresh pebblestore over the KurrentDB wire protocol
// on a loopback port and returns a connection string for it. The backing
// store is returned too, for benchmarks that compare with direct access.
func serveEmbedded(t testing.TB) (string, eventstore.Store) {
	t.Helper()
	backing := pebbletest.Open(t)
	addr, _ := kurrentwiretest.Serve(t, backing, kurrentwire.Options{})
	return "esdb://" + addr + "?tls=false", backing
}

func dialStore(t testing.TB, conn string) *kurrent.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := kurrent.Dial(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newWireStore is a kurrent.Store on a fresh embedded store served over
// loopback gRPC.
func newWireStore(t testing.TB) *kurrent.Store {
	conn, _ := serveEmbedded(t)
	return dialStore(t, conn)
}

func ctxT(t testing.TB) context.Context { return kurrentwiretest.Context(t) }

func events(typ string, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = eventstore.EventData{
			ID: uuid.New(), Type: typ, ContentType: "application/json",
			Data: fmt.Appendf(nil, `{"n":%d}`, i), Metadata: []byte(`{"actor":"a"}`),
		}
	}
	return out
}

func TestDialUnreachable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := kurrent.Dial(ctx, "esdb://"+addr+"?tls=false"); err == nil {
		t.Fatal("Dial to a closed port succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Dial took %v despite a 2 s context", d)
	}
	if _, err := kurrent.Dial(context.Background(), "http://nope"); err == nil {
		t.Fatal("Dial accepted an invalid connection string")
	}
}

// Error and value mapping through the official client and the wire server.
func TestMapping(t *testing.T) {
	s := newWireStore(t)
	ctx := ctxT(t)

	if _, err := s.ReadStream(ctx, "missing", eventstore.Forwards, eventstore.StreamStart(), 10); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("read missing: %v", err)
	}
	res, err := s.Append(ctx, "ticket-1", eventstore.NoStream(), events("ticket.opened", 3)...)
	if err != nil || res.NextRevision != 2 || res.Position.Commit == 0 {
		t.Fatalf("append: %+v, %v", res, err)
	}
	_, err = s.Append(ctx, "ticket-1", eventstore.Exact(0), events("x", 1)...)
	var c *eventstore.ConflictError
	if !errors.As(err, &c) || !c.HasActual || c.Actual != 2 || c.Stream != "ticket-1" {
		t.Fatalf("conflict: %#v", err)
	}
	_, err = s.Append(ctx, "nobody", eventstore.StreamExists(), events("x", 1)...)
	if !errors.As(err, &c) || c.HasActual {
		t.Fatalf("conflict on missing stream: %#v", err)
	}
	_, err = s.Delete(ctx, "ticket-1", eventstore.Exact(7))
	if !errors.As(err, &c) || !c.HasActual || c.Actual != 2 {
		t.Fatalf("delete conflict: %#v", err)
	}

	got, err := s.ReadStream(ctx, "ticket-1", eventstore.Forwards, eventstore.StreamStart(), 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("read: %d events, %v", len(got), err)
	}
	e := got[0]
	if e.StreamID != "ticket-1" || e.Revision != 0 || e.Type != "ticket.opened" || e.ContentType != "application/json" ||
		string(e.Metadata) != `{"actor":"a"}` || e.Created.IsZero() || e.Created.Location() != time.UTC {
		t.Errorf("event %+v", e)
	}

	head, err := s.Head(ctx)
	if err != nil || head != got[2].Position {
		t.Errorf("head %v (%v), want %v", head, err, got[2].Position)
	}

	pos, err := s.Delete(ctx, "ticket-1", eventstore.Exact(2))
	if err != nil || pos.Commit == 0 {
		t.Fatalf("delete: %v %v", pos, err)
	}
	if _, err := s.ReadStream(ctx, "ticket-1", eventstore.Forwards, eventstore.StreamStart(), 10); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("read soft-deleted: %v", err)
	}
	if _, err := s.Tombstone(ctx, "ticket-1", eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadStream(ctx, "ticket-1", eventstore.Forwards, eventstore.StreamStart(), 10); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("read tombstoned: %v", err)
	}
	if _, err := s.Append(ctx, "ticket-1", eventstore.Any(), events("x", 1)...); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("append tombstoned: %v", err)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Append(canceled, "s", eventstore.Any(), events("x", 1)...); !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a canceled context: %v", err)
	}

	s.Close()
	if _, err := s.Append(ctx, "s", eventstore.Any(), events("x", 1)...); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

// The client has no filtered $all reads: the adapter pages and filters.
func TestFilteredReadAll(t *testing.T) {
	s := newWireStore(t)
	ctx := ctxT(t)
	if _, err := s.Append(ctx, "ticket-1", eventstore.Any(), events("ticket.opened", 1)...); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Append(ctx, fmt.Sprintf("noise-%d", i), eventstore.Any(), events("noise", 300)...); err != nil {
			t.Fatal(err)
		}
	}
	for i := 2; i <= 4; i++ {
		if _, err := s.Append(ctx, fmt.Sprintf("ticket-%d", i), eventstore.Any(), events("ticket.opened", 1)...); err != nil {
			t.Fatal(err)
		}
	}
	f := &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{"ticket-"}}
	got, err := s.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 100, f)
	if err != nil || len(got) != 4 {
		t.Fatalf("forwards: %d events, %v", len(got), err)
	}
	from := got[1].Position
	got, err = s.ReadAll(ctx, eventstore.Forwards, eventstore.AllPosition(from), 2, f)
	if err != nil || len(got) != 2 || got[0].Position != from || got[1].StreamID != "ticket-3" {
		t.Fatalf("forwards from %v: %+v, %v", from, got, err)
	}
	got, err = s.ReadAll(ctx, eventstore.Backwards, eventstore.AllPosition(from), 10, f)
	if err != nil || len(got) != 1 || got[0].StreamID != "ticket-1" {
		t.Fatalf("backwards from %v: %+v, %v", from, got, err)
	}
	re := &eventstore.Filter{On: eventstore.FilterEventType, Regex: "^ticket\\."}
	got, err = s.ReadAll(ctx, eventstore.Backwards, eventstore.AllEnd(), 3, re)
	if err != nil || len(got) != 3 || got[0].StreamID != "ticket-4" {
		t.Fatalf("backwards by type: %+v, %v", got, err)
	}
}

func TestSubscriptions(t *testing.T) {
	s := newWireStore(t)
	ctx := ctxT(t)
	for i := range 40 {
		stream := "noise"
		if i%10 == 0 {
			stream = fmt.Sprintf("ticket-%d", i)
		}
		if _, err := s.Append(ctx, stream, eventstore.Any(), events("e", 1)...); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := s.SubscribeAll(ctx, eventstore.AllStart(), eventstore.SubscribeOptions{
		Filter:             &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{"ticket-"}},
		CheckpointInterval: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var tickets, checkpoints int
	for {
		m, err := sub.Next()
		if err != nil {
			t.Fatal(err)
		}
		if m.CaughtUp {
			break
		}
		if m.Event != nil {
			tickets++
		}
		if m.Checkpoint != nil {
			checkpoints++
		}
	}
	if tickets != 4 || checkpoints < 5 {
		t.Errorf("%d events, %d checkpoints; want 4 and ≥ 5", tickets, checkpoints)
	}

	one, err := s.SubscribeStream(ctx, "ticket-10", eventstore.StreamStart())
	if err != nil {
		t.Fatal(err)
	}
	if m, err := one.Next(); err != nil || m.Event == nil || m.Event.StreamID != "ticket-10" {
		t.Fatalf("stream subscription: %+v, %v", m, err)
	}
	if m, err := one.Next(); err != nil || !m.CaughtUp {
		t.Fatalf("stream subscription: %+v, %v", m, err)
	}
	done := make(chan error, 1)
	go func() { _, err := one.Next(); done <- err }()
	time.Sleep(50 * time.Millisecond)
	one.Close()
	select {
	case err := <-done:
		if !errors.Is(err, eventstore.ErrSubscriptionDropped) {
			t.Errorf("Next after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Next")
	}
}

// A real KurrentDB, when KURRENTDB_URL is set (e.g.
// "esdb://localhost:2113?tls=false").
func kurrentDBURL(t testing.TB) string {
	url := os.Getenv("KURRENTDB_URL")
	if url == "" {
		t.Skip("KURRENTDB_URL not set: skipping the tests against a real KurrentDB " +
			"(start one with `docker compose up kurrentdb` and set KURRENTDB_URL=esdb://localhost:2113?tls=false)")
	}
	return url
}

func TestMappingAgainstKurrentDB(t *testing.T) {
	s := dialStore(t, kurrentDBURL(t))
	ctx := ctxT(t)
	stream := "kurrent-test-" + uuid.NewString()
	if _, err := s.Append(ctx, stream, eventstore.NoStream(), events("x", 2)...); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(ctx, stream, eventstore.Exact(0), events("x", 1)...)
	var c *eventstore.ConflictError
	if !errors.As(err, &c) || c.Actual != 1 {
		t.Fatalf("conflict: %v", err)
	}
	if _, err := s.ReadStream(ctx, stream+"-missing", eventstore.Forwards, eventstore.StreamStart(), 1); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("read missing: %v", err)
	}
}
