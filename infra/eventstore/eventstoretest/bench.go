package eventstoretest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// benchEvent returns an event shaped like a ledger event: ~300 bytes of JSON
// data and ~150 bytes of metadata.
func benchEvent() eventstore.EventData {
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
	ctx := context.Background()
	prefix := stream("bench")
	tmpl := benchEvent() // payload shared by every event; ids are fresh
	var taken, appended atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	b.ResetTimer()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("%s-%d", prefix, w)
			exp := eventstore.NoStream()
			evs := make([]eventstore.EventData, batch)
			// Writers take batches from a shared budget of b.N events.
			for taken.Add(int64(batch))-int64(batch) < int64(b.N) {
				for i := range evs {
					evs[i] = tmpl
					evs[i].ID = uuid.New()
				}
				res, err := s.Append(ctx, name, exp, evs...)
				if err != nil {
					errs <- err
					return
				}
				exp = eventstore.Exact(res.NextRevision)
				appended.Add(int64(batch))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(appended.Load())/b.Elapsed().Seconds(), "events/s")
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
		name := stream("benchread")
		var first eventstore.Position
		exp := eventstore.NoStream()
		for i := 0; i < populate; i += 500 {
			evs := make([]eventstore.EventData, min(500, populate-i))
			for j := range evs {
				evs[j] = benchEvent()
			}
			res, err := s.Append(ctx, name, exp, evs...)
			if err != nil {
				b.Fatal(err)
			}
			exp = eventstore.Exact(res.NextRevision)
			if i == 0 {
				got, err := s.ReadStream(ctx, name, eventstore.Forwards, eventstore.StreamStart(), 1)
				if err != nil {
					b.Fatal(err)
				}
				first = got[0].Position
			}
		}
		v, _ = readAllStart.LoadOrStore(s, first)
	}
	start := eventstore.AllPosition(v.(eventstore.Position))
	b.ResetTimer()
	read, from := 0, start
	for read < b.N {
		evs, err := s.ReadAll(ctx, eventstore.Forwards, from, 1000, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) <= 1 {
			from = start // wrap around
			continue
		}
		// Forward reads are inclusive: the next page starts at this one's last.
		read += len(evs) - 1
		from = eventstore.AllPosition(evs[len(evs)-1].Position)
	}
	b.StopTimer()
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "events/s")
}
