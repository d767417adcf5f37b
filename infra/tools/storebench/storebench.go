// Package storebench holds the measuring loops of the event-store
// benchmarks, shared by the go test benchmarks (eventstoretest.Bench*) and
// the bench command, without importing package testing.
package storebench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Event returns an event shaped like a ledger event: ~300 bytes of JSON
// data and ~150 bytes of metadata.
func Event() eventstore.EventData {
	id := uuid.New()
	return eventstore.EventData{
		ID:          id,
		Type:        "ticket.severity_changed",
		ContentType: "application/json",
		Data: fmt.Appendf(nil, `{"schema":2,"ticket_id":%q,"from":"S3","to":"S1","reason":"customer reports production outage affecting checkout",`+
			`"first_response_due":"2025-03-04T10:15:00Z","policy_version":"sla-2025.1","calendar":"eu-business-hours"}`, id),
		Metadata: []byte(`{"actor":{"principal":"agent-4711","role":"agent","partner":"acme"},"correlation_id":"7d1e9a8e-5f57-4a59-9d43-0c0d8f4e7c11","occurred_at":"2025-03-04T09:15:00Z"}`),
	}
}

// AppendLoop runs writers concurrent appenders,
// each to a fresh stream of its own with Exact expected revisions, append
// batch events per call (ledger-shaped events with fresh ids) for as long
// as more returns true. more is called by every writer before each append,
// concurrently. It returns the number of events appended and the first
// error, which stops every writer.
func AppendLoop(ctx context.Context, s eventstore.Store, writers, batch int, more func() bool) (int64, error) {
	prefix := stream("bench")
	tmpl := Event() // payload shared by every event; ids are fresh
	var appended atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("%s-%d", prefix, w)
			exp := eventstore.NoStream()
			evs := make([]eventstore.EventData, batch)
			for !failed.Load() && more() {
				for i := range evs {
					evs[i] = tmpl
					evs[i].ID = uuid.New()
				}
				res, err := s.Append(ctx, name, exp, evs...)
				if err != nil {
					failed.Store(true)
					errs <- err
					return
				}
				exp = eventstore.Exact(res.NextRevision)
				appended.Add(int64(batch))
			}
		}()
	}
	wg.Wait()
	close(errs)
	return appended.Load(), <-errs
}

// PopulateReadAll appends n ledger-shaped events to a fresh stream of s in
// batches of 500 and returns the position of the first, where ReadAllLoop
// starts.
func PopulateReadAll(ctx context.Context, s eventstore.Store, n int) (eventstore.Position, error) {
	return PopulateReadAllProgress(ctx, s, n, nil)
}

// PopulateReadAllProgress is PopulateReadAll reporting the events appended
// so far to progress (which may be nil) after every batch.
func PopulateReadAllProgress(ctx context.Context, s eventstore.Store, n int, progress func(done int)) (eventstore.Position, error) {
	name := stream("benchread")
	var first eventstore.Position
	exp := eventstore.NoStream()
	for i := 0; i < n; i += 500 {
		evs := make([]eventstore.EventData, min(500, n-i))
		for j := range evs {
			evs[j] = Event()
		}
		res, err := s.Append(ctx, name, exp, evs...)
		if err != nil {
			return first, err
		}
		exp = eventstore.Exact(res.NextRevision)
		if i == 0 {
			got, err := s.ReadStream(ctx, name, eventstore.Forwards, eventstore.StreamStart(), 1)
			if err != nil {
				return first, err
			}
			first = got[0].Position
		}
		if progress != nil {
			progress(i + len(evs))
		}
	}
	return first, nil
}

// ReadAllLoop reads $all forwards in pages
// of 1,000 events from first to the end of the log, wrapping around to
// first, for as long as more(events read so far) returns true, and returns
// the number of events read.
func ReadAllLoop(ctx context.Context, s eventstore.Store, first eventstore.Position, more func(read int64) bool) (int64, error) {
	start := eventstore.AllPosition(first)
	var read int64
	from := start
	wrapped := false
	for more(read) {
		evs, err := s.ReadAll(ctx, eventstore.Forwards, from, 1000, nil)
		if err != nil {
			return read, err
		}
		if len(evs) <= 1 {
			if wrapped {
				return read, fmt.Errorf("read $all: nothing to read from %s", first)
			}
			from, wrapped = start, true // wrap around
			continue
		}
		wrapped = false
		// Forward reads are inclusive: the next page starts at this one's last.
		read += int64(len(evs) - 1)
		from = eventstore.AllPosition(evs[len(evs)-1].Position)
	}
	return read, nil
}

// stream returns a fresh stream name with the given prefix.
func stream(prefix string) string { return prefix + "-" + uuid.NewString() }
