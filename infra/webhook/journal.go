package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// journal appends and reads the webhook streams: events encoded, chained
// and signed like every other event of the ledger.
type journal struct {
	store  eventstore.Store
	signer codec.Signer
	now    func() time.Time
}

// tail is where a stream ends: its last revision and hash.
type tail struct {
	exists bool
	rev    uint64
	hash   string
}

func (t tail) expected() eventstore.ExpectedRevision {
	if !t.exists {
		return eventstore.NoStream()
	}
	return eventstore.Exact(t.rev)
}

// read returns a stream's events, decoded (none for a missing stream).
func (j journal) read(ctx context.Context, stream string) ([]domain.Recorded, tail, error) {
	raw, err := eventstore.ReadWholeStream(ctx, j.store, stream)
	if err != nil {
		return nil, tail{}, fmt.Errorf("read %s: %w", stream, err)
	}
	var out []domain.Recorded
	for _, r := range raw {
		rec, err := codec.Decode(r)
		if err != nil {
			return nil, tail{}, fmt.Errorf("read %s: %w", stream, err)
		}
		out = append(out, rec)
	}
	if len(out) == 0 {
		return nil, tail{}, nil
	}
	last := out[len(out)-1]
	return out, tail{exists: true, rev: last.Revision, hash: last.Meta.Hash}, nil
}

// last returns the tail of stream and its last event (nil when empty).
func (j journal) last(ctx context.Context, stream string) (tail, *domain.Recorded, error) {
	raw, err := eventstore.ReadLast(ctx, j.store, stream)
	if err != nil {
		return tail{}, nil, fmt.Errorf("read %s: %w", stream, err)
	}
	if raw == nil {
		return tail{}, nil, nil
	}
	rec, err := codec.Decode(*raw)
	if err != nil {
		return tail{}, nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return tail{exists: true, rev: rec.Revision, hash: rec.Meta.Hash}, &rec, nil
}

// append appends events to stream after t as actor and returns the new
// tail. A stale t is an *eventstore.ConflictError.
func (j journal) append(ctx context.Context, stream string, t tail, actor domain.Actor, events ...domain.Event) (eventstore.AppendResult, tail, error) {
	now := j.now().UTC()
	corr := uuid.NewString()
	metas := make([]domain.Meta, len(events))
	for i := range metas {
		id, err := uuid.NewV7()
		if err != nil {
			id = uuid.New()
		}
		metas[i] = domain.Meta{EventID: id, Actor: actor, CorrelationID: corr, CausationID: corr, OccurredAt: now, RecordedAt: now}
	}
	data, done, err := codec.EncodeChainSigned(stream, t.hash, events, metas, j.signer)
	if err != nil {
		return eventstore.AppendResult{}, t, fmt.Errorf("%s: %w", stream, err)
	}
	res, err := j.store.Append(ctx, stream, t.expected(), data...)
	if err != nil {
		return res, t, err
	}
	return res, tail{exists: true, rev: res.NextRevision, hash: done[len(done)-1].Hash}, nil
}

// appendLast appends events at the end of stream, whatever it holds,
// reading its tail again after a concurrent append.
func (j journal) appendLast(ctx context.Context, stream string, actor domain.Actor, events ...domain.Event) (eventstore.AppendResult, error) {
	for try := 0; ; try++ {
		t, _, err := j.last(ctx, stream)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		res, _, err := j.append(ctx, stream, t, actor, events...)
		if err == nil || !eventstore.IsConflict(err) || try == 10 {
			return res, err
		}
	}
}

// system is the actor of what the dispatcher records.
var system = domain.Actor{ID: "ticketledger-webhooks", Role: domain.RoleSystem, Auth: domain.AuthInternal}
