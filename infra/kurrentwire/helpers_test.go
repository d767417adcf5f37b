package kurrentwire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/kurrentwire/kurrentwiretest"
)

// startServer serves store on a loopback port and returns its address.
func startServer(t testing.TB, store kurrentwire.Store, opts kurrentwire.Options) (string, *kurrentwire.Server) {
	t.Helper()
	return kurrentwiretest.Serve(t, store, opts)
}

// dial connects the official client to addr; params are appended to the
// connection string ("&k=v").
func dial(t testing.TB, addr, params string) *esdb.Client {
	t.Helper()
	return dialURL(t, fmt.Sprintf("esdb://%s?tls=false%s", addr, params))
}

// dialURL connects the official client with a connection string.
func dialURL(t testing.TB, url string) *esdb.Client {
	t.Helper()
	cfg, err := esdb.ParseConnectionString(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t testing.TB) context.Context { return kurrentwiretest.Context(t) }

func jsonEvent(typ string, i int) esdb.EventData {
	return esdb.EventData{
		EventID:     uuid.New(),
		EventType:   typ,
		ContentType: esdb.ContentTypeJson,
		Data:        fmt.Appendf(nil, `{"n":%d}`, i),
		Metadata:    fmt.Appendf(nil, `{"actor":"agent-%d"}`, i),
	}
}

func appendN(t testing.TB, c *esdb.Client, stream string, n int) *esdb.WriteResult {
	t.Helper()
	evs := make([]esdb.EventData, n)
	for i := range evs {
		evs[i] = jsonEvent("ticket.noted", i)
	}
	res, err := c.AppendToStream(testCtx(t), stream, esdb.AppendToStreamOptions{}, evs...)
	if err != nil {
		t.Fatalf("append to %s: %v", stream, err)
	}
	return res
}

// readAll drains a read; it returns the events and the terminating error
// (nil on a clean end).
func drain(rs *esdb.ReadStream, err error) ([]*esdb.ResolvedEvent, error) {
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*esdb.ResolvedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// subscribeStream subscribes c to stream; failing to fails t, and the
// subscription is closed when t ends.
func subscribeStream(t testing.TB, ctx context.Context, c *esdb.Client, stream string, opts esdb.SubscribeToStreamOptions) *esdb.Subscription {
	t.Helper()
	sub, err := c.SubscribeToStream(ctx, stream, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}

// subscribeAll subscribes c to $all; failing to fails t, and the
// subscription is closed when t ends.
func subscribeAll(t testing.TB, ctx context.Context, c *esdb.Client, opts esdb.SubscribeToAllOptions) *esdb.Subscription {
	t.Helper()
	sub, err := c.SubscribeToAll(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}

func errCode(err error) esdb.ErrorCode {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return -1
}

// recvSub returns the next subscription event or fails after timeout.
func recvSub(t testing.TB, sub *esdb.Subscription, timeout time.Duration) *esdb.SubscriptionEvent {
	t.Helper()
	ch := make(chan *esdb.SubscriptionEvent, 1)
	go func() { ch <- sub.Recv() }()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(timeout):
		t.Fatalf("no subscription message within %v", timeout)
		return nil
	}
}
