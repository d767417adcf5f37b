// Package benchkit holds what the ledger's benchmarks (the bench tool, the
// projector's and the codec's benchmarks) share: the generated ticket history
// they measure against, appended to an event store by Fill, and the CPU
// clock they report by. It imports no read model, so the projector's own
// tests can use it.
package benchkit

import (
	"context"
	"fmt"
	"sync"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/projections/projectionstest"
)

// Appender is the part of eventstore.Store that Fill writes through.
type Appender interface {
	Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error)
}

// Fill generates the history of tickets tickets (projectionstest: partners,
// tickets with first responses, severity changes, resolutions…) and appends
// every stream, hash-chained by the codec, to st as a new stream, with
// writers concurrent appenders. progress, when not nil, is called one call
// at a time with the events appended so far and the total. The first
// failure stops the rest and is returned; otherwise Fill returns the number
// of events appended.
func Fill(ctx context.Context, st Appender, tickets, writers int, progress func(done, total int64)) (int, error) {
	return FillSigned(ctx, st, nil, tickets, writers, progress)
}

// FillSigned is Fill with every event signed by signer, as the ledger signs
// what it appends (nil: unsigned, like Fill).
func FillSigned(ctx context.Context, st Appender, signer codec.Signer, tickets, writers int, progress func(done, total int64)) (int, error) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: tickets})
	byStream := map[string][]domain.Recorded{}
	var order []string
	for _, e := range evs {
		if _, ok := byStream[e.Stream]; !ok {
			order = append(order, e.Stream)
		}
		byStream[e.Stream] = append(byStream[e.Stream], e)
	}
	total := int64(len(evs))
	evs = nil

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string, 1024)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int64
	)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				recs := byStream[s]
				evs := make([]domain.Event, len(recs))
				metas := make([]domain.Meta, len(recs))
				for i, rec := range recs {
					evs[i], metas[i] = rec.Event, rec.Meta
				}
				data, _, err := codec.EncodeChainSigned(s, "", evs, metas, signer)
				if err == nil {
					_, err = st.Append(ctx, s, eventstore.NoStream(), data...)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("fill stream %s: %w", s, err)
					cancel()
				}
				done += int64(len(recs))
				if progress != nil {
					progress(done, total)
				}
				mu.Unlock()
			}
		}()
	}
	for _, s := range order {
		if ctx.Err() != nil {
			break
		}
		work <- s
	}
	close(work)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return 0, firstErr
	}
	return int(total), nil
}
