package eventstoretest

import (
	"context"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// The tests of RunWire: what kurrentwire.Store adds to the port.

func testSubscribeStreamHandover(e *env) {
	s := stream("substream")
	e.handover(s, func() []*collector {
		sub, err := e.w.SubscribeStream(e.ctx(2), s, eventstore.StreamStart())
		if err != nil {
			e.t.Fatal(err)
		}
		return []*collector{newCollector(e, sub, s, false)}
	})
}

func testSubscribeStreamFrom(e *env) {
	s := stream("subfrom")
	evs := events(6, "t.from")
	e.append(s, eventstore.NoStream(), evs[:4]...)
	ctx := e.ctx(1)
	fromRev, err := e.w.SubscribeStream(ctx, s, eventstore.StreamRevision(1))
	if err != nil {
		e.t.Fatal(err)
	}
	defer fromRev.Close()
	fromEnd, err := e.w.SubscribeStream(ctx, s, eventstore.StreamEnd())
	if err != nil {
		e.t.Fatal(err)
	}
	defer fromEnd.Close()
	newStream := stream("subfrom_new")
	fresh, err := e.w.SubscribeStream(ctx, newStream, eventstore.StreamStart())
	if err != nil {
		e.t.Fatalf("subscribe to a stream that does not exist yet: %v", err)
	}
	defer fresh.Close()
	e.append(s, eventstore.Exact(3), evs[4:]...)
	for i := 2; i < 6; i++ {
		if got := e.nextEvent(fromRev, s); got.Revision != uint64(i) || got.ID != evs[i].ID {
			e.t.Fatalf("from revision 1 (exclusive): got revision %d, want %d", got.Revision, i)
		}
	}
	for i := 4; i < 6; i++ {
		if got := e.nextEvent(fromEnd, s); got.Revision != uint64(i) {
			e.t.Fatalf("from the end: got revision %d, want %d", got.Revision, i)
		}
	}
	ev := e.append(newStream, eventstore.NoStream(), events(1, "t.from")...)
	if got := e.nextEvent(fresh, newStream); got.Revision != 0 || got.Position != ev.Position {
		e.t.Fatalf("new stream: got revision %d at %v, want 0 at %v", got.Revision, got.Position, ev.Position)
	}
}

func testSoftDelete(e *env) {
	ctx := e.ctx(1)
	// Delete, then reads say not found; Any continues the numbering and the
	// events before the delete stay hidden.
	for _, exp := range []eventstore.ExpectedRevision{eventstore.Any(), eventstore.NoStream(), eventstore.Exact(2)} {
		s := stream("soft")
		e.append(s, eventstore.NoStream(), events(3, "t.soft")...)
		p, err := e.w.Delete(ctx, s, eventstore.Any())
		if err != nil || p.Commit == 0 {
			e.t.Fatalf("soft delete: %v, %v", p, err)
		}
		for _, dir := range []eventstore.Direction{eventstore.Forwards, eventstore.Backwards} {
			_, err = e.s.ReadStream(ctx, s, dir, eventstore.StreamStart(), 10)
			wantErr(e.t, "read after soft delete", err, eventstore.ErrStreamNotFound)
		}
		_, err = e.s.Append(ctx, s, eventstore.StreamExists(), events(1, "t.soft")...)
		if !eventstore.IsConflict(err) {
			e.t.Fatalf("StreamExists on a soft-deleted stream: %v, want a conflict", err)
		}
		ev := events(1, "t.soft")
		res := e.append(s, exp, ev...)
		if res.NextRevision != 3 {
			e.t.Fatalf("append (%s) after soft delete: revision %d, want 3", exp, res.NextRevision)
		}
		got := e.read(s, eventstore.Forwards, eventstore.StreamStart(), 10)
		e.wantRevs("forwards after recreation", got, s, 3)
		e.wantIDs("forwards after recreation", got, ev)
		e.wantRevs("backwards after recreation", e.read(s, eventstore.Backwards, eventstore.StreamEnd(), 10), s, 3)
		e.append(s, eventstore.Exact(3), events(1, "t.soft")...)
		e.wantRevs("after a second append", e.read(s, eventstore.Forwards, eventstore.StreamStart(), 10), s, 3, 4)
	}

	s := stream("soft_exp")
	e.append(s, eventstore.NoStream(), events(3, "t.soft")...)
	_, err := e.w.Delete(ctx, s, eventstore.Exact(5))
	e.wantConflict("delete expecting a wrong revision", err, s, eventstore.Exact(5), 2)
	if _, err := e.w.Delete(ctx, s, eventstore.Exact(2)); err != nil {
		e.t.Fatalf("delete expecting the right revision: %v", err)
	}
	missing := stream("soft_missing")
	_, err = e.w.Delete(ctx, missing, eventstore.Any())
	e.wantConflict("delete of a stream that never existed", err, missing, eventstore.Any(), -1)
}

func testTombstone(e *env) {
	ctx := e.ctx(1)
	s := stream("tomb")
	e.append(s, eventstore.NoStream(), events(2, "t.tomb")...)
	_, err := e.w.Tombstone(ctx, s, eventstore.NoStream())
	e.wantConflict("tombstone expecting no stream", err, s, eventstore.NoStream(), 1)
	p, err := e.w.Tombstone(ctx, s, eventstore.Exact(1))
	if err != nil || p.Commit == 0 {
		e.t.Fatalf("tombstone: %v, %v", p, err)
	}
	check := func(s string) {
		e.t.Helper()
		for _, dir := range []eventstore.Direction{eventstore.Forwards, eventstore.Backwards} {
			_, err := e.s.ReadStream(ctx, s, dir, eventstore.StreamStart(), 10)
			wantErr(e.t, "read of a tombstoned stream", err, eventstore.ErrStreamDeleted)
		}
		for _, exp := range []eventstore.ExpectedRevision{eventstore.Any(), eventstore.NoStream(), eventstore.StreamExists(), eventstore.Exact(1)} {
			_, err := e.s.Append(ctx, s, exp, events(1, "t.tomb")...)
			wantErr(e.t, "append ("+exp.String()+") to a tombstoned stream", err, eventstore.ErrStreamDeleted)
		}
		_, err := e.w.Delete(ctx, s, eventstore.Any())
		wantErr(e.t, "delete of a tombstoned stream", err, eventstore.ErrStreamDeleted)
		_, err = e.w.Tombstone(ctx, s, eventstore.Any())
		wantErr(e.t, "tombstone of a tombstoned stream", err, eventstore.ErrStreamDeleted)
		_, err = e.s.ReadStream(ctx, eventstore.MetadataStream(s), eventstore.Forwards, eventstore.StreamStart(), 10)
		wantErr(e.t, "read of the metadata of a tombstoned stream", err, eventstore.ErrStreamDeleted)
	}
	check(s)
	never := stream("tomb_never")
	if _, err := e.w.Tombstone(ctx, never, eventstore.NoStream()); err != nil {
		e.t.Fatalf("tombstone of a stream that never existed: %v", err)
	}
	check(never)
	soft := stream("tomb_soft")
	e.append(soft, eventstore.NoStream(), events(1, "t.tomb")...)
	if _, err := e.w.Delete(ctx, soft, eventstore.Any()); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.w.Tombstone(ctx, soft, eventstore.Any()); err != nil {
		e.t.Fatalf("tombstone of a soft-deleted stream: %v", err)
	}
	check(soft)
}

func testSubscribeStreamCancel(e *env) {
	s := stream("cancel")
	e.cancelAndClose(func(ctx context.Context) (eventstore.Subscription, error) {
		return e.w.SubscribeStream(ctx, s, eventstore.StreamEnd())
	})
}

func testSubscribeStreamIdle(e *env) {
	s := stream("idle_stream")
	e.idle(s, func(ctx context.Context) (eventstore.Subscription, error) {
		return e.w.SubscribeStream(ctx, s, eventstore.StreamStart())
	})
}

func testDeleteContextCancellation(e *env) {
	s := stream("ctx_delete")
	e.append(s, eventstore.NoStream(), events(1, "t.ctx")...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.w.Delete(ctx, s, eventstore.Any())
	wantErr(e.t, "delete with a cancelled context", err, context.Canceled)
	_, err = e.w.Tombstone(ctx, s, eventstore.Any())
	wantErr(e.t, "tombstone with a cancelled context", err, context.Canceled)
	if _, err := e.s.ReadStream(e.ctx(1), s, eventstore.Forwards, eventstore.StreamStart(), 1); err != nil {
		e.t.Fatalf("a delete or tombstone with a cancelled context deleted the stream: %v", err)
	}
}
