package kurrentwire

import (
	"context"
	"errors"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// reader serves one Read call.
type reader struct {
	s        *Server
	srv      api.Streams_ReadServer
	asString bool // event ids as strings rather than structured
	fast     bool // send eventMsg (wireCodec installed)
	msg      eventMsg
}

// send sends one event. With wireCodec the message is encoded before
// SendMsg returns, so r.msg is reused.
func (r *reader) send(e *eventstore.RecordedEvent) error {
	if r.fast {
		r.msg = eventMsg{e: e, asString: r.asString}
		return r.srv.SendMsg(&r.msg)
	}
	return r.srv.Send(eventResp(e, r.asString))
}

// readStream streams up to count events of one stream, fetching them from
// the store a page at a time. A page shorter than asked ends the read.
func (r *reader) readStream(stream string, dir eventstore.Direction, from eventstore.StreamPos, count uint64) error {
	batch := r.pageSizes()
	sent := uint64(0)
	fetch := func(ctx context.Context) ([]eventstore.RecordedEvent, bool, error) {
		n := min(count-sent, batch())
		evs, err := r.s.store.ReadStream(ctx, stream, dir, from, n)
		if err != nil {
			return nil, false, err
		}
		sent += uint64(len(evs))
		more := uint64(len(evs)) == n && sent < count
		if more {
			last := evs[len(evs)-1].Revision
			switch {
			case dir == eventstore.Forwards:
				from = eventstore.StreamRevision(last + 1)
			case last == 0:
				more = false
			default:
				from = eventstore.StreamRevision(last - 1)
			}
		}
		return evs, more, nil
	}
	pages := 0
	err := r.sendPages(count, fetch, func() { pages++ })
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		if pages == 0 {
			return r.srv.Send(streamNotFoundResp(stream))
		}
		return nil // deleted while we were reading it
	}
	if err != nil {
		return r.s.streamError(r.srv, "Read", stream, err)
	}
	return nil
}

// readAll streams up to count events of $all. Forwards pages restart at the
// last event fetched (inclusive) and skip it, so no assumption is made about
// how positions are spaced; backwards reads are exclusive already.
func (r *reader) readAll(dir eventstore.Direction, from eventstore.AllPos, count uint64, filter *eventstore.Filter) error {
	batch := r.pageSizes()
	sent := uint64(0)
	var last *eventstore.Position
	fetch := func(ctx context.Context) ([]eventstore.RecordedEvent, bool, error) {
		n := min(count-sent, batch())
		ask := n
		if last != nil && dir == eventstore.Forwards {
			ask++
		}
		evs, err := r.s.store.ReadAll(ctx, dir, from, ask, filter)
		if err != nil {
			return nil, false, err
		}
		got := uint64(len(evs))
		if last != nil && dir == eventstore.Forwards {
			for len(evs) > 0 && !last.Less(evs[0].Position) {
				evs = evs[1:]
			}
		}
		if uint64(len(evs)) > n {
			evs = evs[:n]
		}
		sent += uint64(len(evs))
		more := got == ask && len(evs) > 0 && sent < count
		if more {
			p := evs[len(evs)-1].Position
			last = &p
			from = eventstore.AllPosition(p)
		}
		return evs, more, nil
	}
	if err := r.sendPages(count, fetch, nil); err != nil {
		return r.s.streamError(r.srv, "Read", "$all", err)
	}
	return nil
}

// firstPage is the size of a read's first page: small, so that the client
// starts decoding early; later pages double up to Options.ReadBatchSize.
const firstPage = 64

// pageSizes returns the successive page sizes of one read.
func (r *reader) pageSizes() func() uint64 {
	size, limit := uint64(min(firstPage, r.s.opts.ReadBatchSize)), uint64(r.s.opts.ReadBatchSize)
	return func() uint64 {
		n := size
		size = min(2*size, limit)
		return n
	}
}

// sendPages sends the events of the pages fetch returns, fetching the next
// page while the current one is being sent. fetch runs on another
// goroutine, one call at a time; it reports whether more pages may follow.
// sendPages returns fetch's error (unconverted) or the first send error.
// onPage, if not nil, is called before each page is sent.
func (r *reader) sendPages(count uint64, fetch func(context.Context) ([]eventstore.RecordedEvent, bool, error), onPage func()) error {
	if count == 0 {
		return nil
	}
	type page struct {
		evs []eventstore.RecordedEvent
		err error
	}
	ctx, cancel := context.WithCancel(r.srv.Context())
	defer cancel()
	pages := make(chan page, 1)
	go func() {
		defer close(pages)
		for {
			evs, more, err := fetch(ctx)
			select {
			case pages <- page{evs, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || !more {
				return
			}
		}
	}()
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		if onPage != nil {
			onPage()
		}
		for i := range p.evs {
			if err := r.send(&p.evs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// subscriptionContext is the call's context, also cancelled when the server
// shuts down.
func (r *reader) subscriptionContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.srv.Context())
	go func() {
		select {
		case <-r.s.shutdown:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (r *reader) subscribeAll(from eventstore.AllPos, opts eventstore.SubscribeOptions) error {
	ctx, cancel := r.subscriptionContext()
	defer cancel()
	// Pin "End" to the current head, so that a resubscription after the
	// store drops a slow subscriber resumes without a gap.
	if from.IsEnd() {
		head, err := r.s.store.ReadAll(ctx, eventstore.Backwards, eventstore.AllEnd(), 1, nil)
		if err != nil {
			return r.subscriptionError("$all", err)
		}
		from = eventstore.AllStart()
		if len(head) > 0 {
			from = eventstore.AllPosition(head[0].Position)
		}
	}
	var resume *eventstore.Position
	open := func() (eventstore.Subscription, error) {
		if resume != nil {
			return r.s.store.SubscribeAll(ctx, eventstore.AllPosition(*resume), opts)
		}
		return r.s.store.SubscribeAll(ctx, from, opts)
	}
	advance := func(m eventstore.Message) {
		var p eventstore.Position
		switch {
		case m.Event != nil:
			p = m.Event.Position
		case m.Checkpoint != nil:
			p = *m.Checkpoint
		default:
			return
		}
		if resume == nil || resume.Less(p) {
			resume = &p
		}
	}
	return r.pump(ctx, "$all", open, advance)
}

func (r *reader) subscribeStream(stream string, from eventstore.StreamPos) error {
	ctx, cancel := r.subscriptionContext()
	defer cancel()
	if from.IsEnd() {
		last, err := r.s.store.ReadStream(ctx, stream, eventstore.Backwards, eventstore.StreamEnd(), 1)
		switch {
		case err == nil && len(last) > 0:
			from = eventstore.StreamRevision(last[0].Revision)
		case err == nil, errors.Is(err, eventstore.ErrStreamNotFound), errors.Is(err, eventstore.ErrStreamDeleted):
			// Keep End: the store decides what subscribing to an empty,
			// deleted or tombstoned stream means.
		default:
			return r.subscriptionError(stream, err)
		}
	}
	open := func() (eventstore.Subscription, error) {
		return r.s.store.SubscribeStream(ctx, stream, from)
	}
	advance := func(m eventstore.Message) {
		if m.Event != nil {
			from = eventstore.StreamRevision(m.Event.Revision)
		}
	}
	return r.pump(ctx, stream, open, advance)
}

// subReadAhead is how many subscription messages are fetched from the
// store ahead of the client.
const subReadAhead = 256

type subItem struct {
	m   eventstore.Message
	err error
}

// readAhead calls sub.Next on its own goroutine so that store reads overlap
// with sends. The channel closes after the first error.
func readAhead(ctx context.Context, sub eventstore.Subscription) <-chan subItem {
	ch := make(chan subItem, subReadAhead)
	go func() {
		defer close(ch)
		for {
			m, err := sub.Next()
			select {
			case ch <- subItem{m, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// pump confirms the subscription and forwards its messages until the
// client goes away, the server shuts down or the store fails. When the
// store drops a slow subscriber, pump resubscribes from the last message
// sent (the client never sees the drop); a second CaughtUp is not
// forwarded.
func (r *reader) pump(ctx context.Context, name string,
	open func() (eventstore.Subscription, error), advance func(eventstore.Message)) error {
	sub, err := open()
	if err != nil {
		return r.subscriptionError(name, err)
	}
	confirm := &api.ReadResp{Content: &api.ReadResp_Confirmation{
		Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: newSubscriptionID()},
	}}
	if err := r.srv.Send(confirm); err != nil {
		_ = sub.Close()
		return err
	}
	caughtUp := false
	for {
		err := r.forward(ctx, sub, &caughtUp, advance)
		_ = sub.Close()
		if !errors.Is(err, errResubscribe) {
			return r.subscriptionError(name, err)
		}
		if sub, err = open(); err != nil {
			return r.subscriptionError(name, err)
		}
	}
}

// errResubscribe tells pump the store dropped the subscription after it
// made progress, so subscribing again from the last message sent is safe.
var errResubscribe = errors.New("resubscribe")

// forward sends sub's messages until an error. Send errors are returned
// as they are.
func (r *reader) forward(ctx context.Context, sub eventstore.Subscription, caughtUp *bool, advance func(eventstore.Message)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	progressed := false
	for it := range readAhead(ctx, sub) {
		if it.err != nil {
			if errors.Is(it.err, eventstore.ErrSubscriptionDropped) && progressed && ctx.Err() == nil {
				return errResubscribe
			}
			return it.err
		}
		progressed = true
		m := it.m
		var err error
		switch {
		case m.Event != nil:
			err = r.send(m.Event)
		case m.Checkpoint != nil:
			err = r.srv.Send(checkpointResp(*m.Checkpoint))
		case m.CaughtUp:
			if *caughtUp {
				continue
			}
			*caughtUp = true
			err = r.srv.Send(caughtUpResp)
		default:
			continue
		}
		if err != nil {
			return sendError{err}
		}
		advance(m)
	}
	return ctx.Err()
}

// sendError marks a failure to send to the client: it is returned as is.
type sendError struct{ err error }

func (e sendError) Error() string { return e.err.Error() }
func (e sendError) Unwrap() error { return e.err }

func (r *reader) subscriptionError(name string, err error) error {
	var se sendError
	if errors.As(err, &se) {
		return se.err
	}
	select {
	case <-r.s.shutdown:
		return status.Error(codes.Unavailable, "Server Is Not Ready: shutting down")
	default:
	}
	if cerr := r.srv.Context().Err(); cerr != nil {
		return status.FromContextError(cerr).Err()
	}
	return r.s.streamError(r.srv, "Read", name, err)
}
