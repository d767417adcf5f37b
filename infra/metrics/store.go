package metrics

import (
	"context"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// InstrumentStore wraps an event store so that every Append is timed into
// ticketledger_append_duration_seconds. Everything else (reads,
// subscriptions, Head, Close) passes through to s.
func InstrumentStore(s eventstore.Store, m *Metrics) eventstore.Store {
	return &instrumentedStore{Store: s, m: m}
}

type instrumentedStore struct {
	eventstore.Store
	m *Metrics
}

var _ eventstore.Store = (*instrumentedStore)(nil)

// Append times the inner Append.
func (s *instrumentedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	start := time.Now()
	res, err := s.Store.Append(ctx, stream, expected, events...)
	s.m.ObserveAppend(stream, err, time.Since(start))
	return res, err
}
