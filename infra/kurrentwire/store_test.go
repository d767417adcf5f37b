package kurrentwire_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
)

// The embedded store is what the server serves in production
// (`ticketledger serve --kurrent-listen`).
var _ kurrentwire.Store = (*pebblestore.Store)(nil)

// newStore is the store the wire tests run against: the embedded store, on
// an in-memory filesystem of its own.
func newStore(t testing.TB) *pebblestore.Store {
	t.Helper()
	s, err := pebblestore.Open("ledger", pebblestore.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// dropStore is a store whose subscriptions each fail with
// eventstore.ErrSubscriptionDropped after `after` events and checkpoints,
// as a store that drops slow subscribers would. Everything else is the
// wrapped store's.
type dropStore struct {
	kurrentwire.Store
	after int
}

func (d dropStore) SubscribeAll(ctx context.Context, from eventstore.AllPos, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	return d.wrap(d.Store.SubscribeAll(ctx, from, opts))
}

func (d dropStore) SubscribeStream(ctx context.Context, stream string, from eventstore.StreamPos) (eventstore.Subscription, error) {
	return d.wrap(d.Store.SubscribeStream(ctx, stream, from))
}

func (d dropStore) wrap(sub eventstore.Subscription, err error) (eventstore.Subscription, error) {
	if err != nil {
		return nil, err
	}
	return &dropSub{Subscription: sub, left: d.after}, nil
}

type dropSub struct {
	eventstore.Subscription
	left int // events and checkpoints to deliver before the drop
}

func (s *dropSub) Next() (eventstore.Message, error) {
	if s.left <= 0 {
		return eventstore.Message{}, fmt.Errorf("slow subscriber: %w", eventstore.ErrSubscriptionDropped)
	}
	m, err := s.Subscription.Next()
	if err == nil && !m.CaughtUp {
		s.left--
	}
	return m, err
}
