package kurrent

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// maxSearchWindow bounds how many events KurrentDB scans per page for a
// filtered subscription; larger checkpoint intervals use a multiplier.
const maxSearchWindow = 1024

// SubscribeAll subscribes to $all after from. With a filter and a
// CheckpointInterval of n, KurrentDB sends a checkpoint at least every n
// scanned events (window × multiplier ≤ n); without an interval the
// checkpoints KurrentDB always sends for filtered subscriptions are dropped.
func (s *Store) SubscribeAll(ctx context.Context, from eventstore.AllPos, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	o := esdb.SubscribeToAllOptions{From: toAllPosition(from)}
	keepCheckpoints := false
	if f := opts.Filter; f != nil && (len(f.Prefixes) > 0 || f.Regex != "") {
		if _, err := f.Compile(); err != nil {
			return nil, fmt.Errorf("kurrent: subscribe to $all: %w", err)
		}
		o.Filter = toFilter(f)
		if len(f.Prefixes) > 0 && f.Regex != "" {
			// KurrentDB takes prefixes or a regex, not both: fold the
			// prefixes into the expression.
			o.Filter.Regex = prefixesRegex(f.Prefixes) + "|(?:" + f.Regex + ")"
			o.Filter.Prefixes = nil
		}
		if n := opts.CheckpointInterval; n > 0 {
			keepCheckpoints = true
			if n <= maxSearchWindow {
				o.MaxSearchWindow, o.CheckpointInterval = int(n), 1
			} else {
				o.MaxSearchWindow, o.CheckpointInterval = maxSearchWindow, int(n/maxSearchWindow)
			}
		}
	}
	sub, err := s.client.SubscribeToAll(s.call(ctx), o)
	if err != nil {
		return nil, mapError(ctx, "subscribe to $all", "$all", eventstore.Any(), err)
	}
	return &subscription{store: s, sub: sub, ctx: ctx, keepCheckpoints: keepCheckpoints}, nil
}

func prefixesRegex(prefixes []string) string {
	q := make([]string, len(prefixes))
	for i, p := range prefixes {
		q[i] = regexp.QuoteMeta(p)
	}
	return "^(?:" + strings.Join(q, "|") + ")"
}

// SubscribeStream implements kurrentwire.Store: it subscribes to one stream
// after from (a revision, exclusive) or from its start or end.
func (s *Store) SubscribeStream(ctx context.Context, stream string, from eventstore.StreamPos) (eventstore.Subscription, error) {
	sub, err := s.client.SubscribeToStream(s.call(ctx), stream, esdb.SubscribeToStreamOptions{From: toStreamPosition(from)})
	if err != nil {
		return nil, mapError(ctx, "subscribe to "+stream, stream, eventstore.Any(), err)
	}
	return &subscription{store: s, sub: sub, ctx: ctx}, nil
}

// subscription adapts an esdb.Subscription to the port: one CaughtUp (the
// server may send more after falling behind), no FellBehind, checkpoints
// only when asked for.
type subscription struct {
	store           *Store
	sub             *esdb.Subscription
	ctx             context.Context
	keepCheckpoints bool
	caughtUp        bool
	closed          atomic.Bool
}

// Next returns the next message. It is not safe for concurrent use; Close
// may be called from any goroutine.
func (s *subscription) Next() (eventstore.Message, error) {
	for {
		ev := s.sub.Recv()
		switch {
		case ev.EventAppeared != nil:
			e := fromRecorded(ev.EventAppeared.OriginalEvent())
			return eventstore.Message{Event: &e}, nil
		case ev.CheckPointReached != nil:
			if !s.keepCheckpoints {
				continue
			}
			p := eventstore.Position{Commit: ev.CheckPointReached.Commit, Prepare: ev.CheckPointReached.Prepare}
			return eventstore.Message{Checkpoint: &p}, nil
		case ev.CaughtUp != nil:
			if s.caughtUp {
				continue
			}
			s.caughtUp = true
			return eventstore.Message{CaughtUp: true}, nil
		case ev.SubscriptionDropped != nil:
			return eventstore.Message{}, s.dropped(ev.SubscriptionDropped.Error)
		}
	}
}

func (s *subscription) dropped(err error) error {
	switch {
	case s.closed.Load():
		return fmt.Errorf("kurrent: subscription closed: %w", eventstore.ErrSubscriptionDropped)
	case s.ctx.Err() != nil:
		return fmt.Errorf("kurrent: subscription: %w", s.ctx.Err())
	case s.store.closed.Load():
		return fmt.Errorf("kurrent: subscription: %w", eventstore.ErrClosed)
	}
	if st, ok := status.FromError(err); ok && st.Code() == codes.FailedPrecondition && strings.Contains(st.Message(), "is deleted") {
		return fmt.Errorf("kurrent: subscription: %s: %w", st.Message(), eventstore.ErrStreamDeleted)
	}
	return fmt.Errorf("kurrent: %w: %v", eventstore.ErrSubscriptionDropped, err)
}

// Close ends the subscription; a blocked Next returns.
func (s *subscription) Close() error {
	s.closed.Store(true)
	return s.sub.Close()
}
