package pebblestore

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

var _ eventstore.BatchAppender = (*Store)(nil)

// AppendBatch implements eventstore.BatchAppender: the appends are checked
// in order against the streams as the earlier appends of the batch leave
// them, and written as one Pebble batch with one fsync (sharing the group
// commit of concurrent appends), all or none. It returns one result per
// append. Bulk writers (infra/store/bulk) use it to write large generated
// histories without an fsync per stream.
func (s *Store) AppendBatch(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	if len(appends) == 0 {
		return nil, nil
	}
	size := 0
	for i := range appends {
		n, err := appendSize(appends[i].Stream, appends[i].Events)
		if err != nil {
			return nil, &eventstore.BatchError{Index: i, Stream: appends[i].Stream, Err: err}
		}
		size += n
	}
	r := &request{ctx: ctx, op: opBatch, stream: appends[0].Stream, batch: appends, size: size, done: make(chan struct{}, 1)}
	if err := s.await(ctx, r); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.results, nil
}

// appendBatch adds the appends of r to the group's batch, all or none: they
// are written to a batch of their own, merged into the group's when every
// one passed its check. On a failure the stream heads and pending event ids
// the batch changed are put back as they were.
func (a *appender) appendBatch(r *request) {
	// Alone in its group (the usual case), the batch is written straight
	// into the group's Pebble batch, which a failure resets; otherwise
	// into one of its own, merged on success.
	group, own := a.batch, a.batch
	if !group.Empty() {
		own = a.s.db.NewBatch()
		defer own.Close()
		a.batch = own
		defer func() { a.batch = group }()
	}

	nextSeq, logged := a.nextSeq, len(a.logged)
	heads := map[string]*streamState{} // the heads touched, as they were (nil: not loaded)
	prior := map[uuid.UUID]pendingEvent{}
	var added []uuid.UUID
	undo := func() {
		if own == group {
			group.Reset()
		}
		a.nextSeq = nextSeq
		clear(a.logged[logged:])
		a.logged = a.logged[:logged]
		for name, st := range heads {
			if st == nil {
				delete(a.heads, name)
			} else {
				*a.heads[name] = *st
			}
		}
		for _, id := range added {
			delete(a.pending, id)
		}
		for id, p := range prior {
			a.pending[id] = p
		}
	}

	r.results = make([]eventstore.AppendResult, len(r.batch))
	for i := range r.batch {
		ap := &r.batch[i]
		base, isMeta := eventstore.IsMetadataStream(ap.Stream)
		if !isMeta {
			base = ap.Stream
		}
		if _, seen := heads[base]; !seen {
			if st, ok := a.heads[base]; ok {
				was := *st
				heads[base] = &was
			} else {
				heads[base] = nil
			}
		}
		for _, ev := range ap.Events {
			if p, ok := a.pending[ev.ID]; ok {
				if _, saved := prior[ev.ID]; !saved {
					prior[ev.ID] = p
				}
			} else {
				added = append(added, ev.ID)
			}
		}
		one := request{ctx: r.ctx, op: opAppend, stream: ap.Stream, expected: ap.Expected, events: ap.Events}
		a.append(&one)
		if one.err != nil {
			undo()
			r.err = &eventstore.BatchError{Index: i, Stream: ap.Stream, Err: one.err}
			return
		}
		r.results[i] = one.res
	}
	if own != group {
		if err := group.Apply(own, nil); err != nil {
			undo()
			r.err = fmt.Errorf("append batch: %w", a.s.faults.wrap(err))
			return
		}
	}
	r.res = r.results[len(r.results)-1]
}
