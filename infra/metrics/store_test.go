package metrics

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// headStore answers Head only.
type headStore struct {
	eventstore.Store
	head eventstore.Position
	err  error
}

func (h headStore) Head(context.Context) (eventstore.Position, error) { return h.head, h.err }

// Head is part of the port: the instrumented store must answer it with the
// wrapped store's head (and error).
func TestInstrumentStoreForwardsHead(t *testing.T) {
	m := New(prometheus.NewPedanticRegistry())
	want := eventstore.Position{Commit: 42, Prepare: 41}
	got, err := InstrumentStore(headStore{head: want}, m).Head(context.Background())
	if err != nil || got != want {
		t.Fatalf("head %v, %v; want %v", got, err, want)
	}
	_, err = InstrumentStore(headStore{err: eventstore.ErrClosed}, m).Head(context.Background())
	if !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("head error %v, want the wrapped store's %v", err, eventstore.ErrClosed)
	}
}
