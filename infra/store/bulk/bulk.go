// Package bulk writes large histories fast: a Writer is an eventstore.Store
// that takes appends into memory, checked against the streams' heads as a
// store would check them, and writes them to the store under it in large
// multi-stream batches (eventstore.BatchAppender: atomic, one fsync each),
// signing the staged events on every core just before. The events stored
// are the bytes a signing service appending one command at a time would
// have stored: same encoding, same hash chain, same signatures (the
// service encodes unsigned through the Writer and the Writer adds each
// signature, which the hash does not cover, with codec.Resign).
//
// It is for one writer that owns the store (`demo --data`): reads of a
// stream see its staged events, but ReadAll, SubscribeAll and Head see only
// what is flushed, and an append is durable only once Flush has returned.
// A Writer is not safe for concurrent use.
package bulk

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// DefaultBatchEvents is how many staged events make a Writer flush when
// Options.BatchEvents is 0.
const DefaultBatchEvents = 8192

// DefaultKnownStreams bounds the stream heads a Writer remembers when
// Options.KnownStreams is 0 (each with its last event, about 1.5 KB).
const DefaultKnownStreams = 1 << 16

// Options tunes a Writer.
type Options struct {
	// Signer signs every staged event at flush time (nil: stored as
	// appended). The service appending through the Writer must then encode
	// unsigned events.
	Signer codec.Signer
	// BatchEvents is how many staged events trigger a flush (0:
	// DefaultBatchEvents).
	BatchEvents int
	// Workers sign in parallel (0: GOMAXPROCS).
	Workers int
	// KnownStreams bounds the stream heads the Writer remembers (0:
	// DefaultKnownStreams): past it, after a write, the heads of streams
	// with nothing staged are forgotten and read again from the store when
	// needed.
	KnownStreams int
}

// Stats counts what a Writer stored.
type Stats struct {
	Events, Appends, Batches uint64
}

// Writer stages appends and writes them in batches; see the package
// documentation.
type Writer struct {
	under   eventstore.Store
	batcher eventstore.BatchAppender // nil: one Append per staged append
	opts    Options

	streams map[string]*stream
	appends []eventstore.StreamAppend // staged, in order
	events  int
	err     error // sticky: a failed flush loses its batch
	stats   Stats

	// The batch being written in the background, if any: its appends and
	// where its answer comes.
	inflight []eventstore.StreamAppend
	done     chan flushed
}

// flushed is the answer of a background write.
type flushed struct {
	results []eventstore.AppendResult
	err     error
}

// stream is a stream's head as the Writer sees it: its events staged or
// being written, in revision order, and the last one written.
type stream struct {
	last   int64 // last revision, staged events included; -1: none
	staged []eventstore.RecordedEvent
	tail   *eventstore.RecordedEvent // the last event, once written (nil: not known)
}

var _ eventstore.Store = (*Writer)(nil)

// New returns a Writer over under, which it writes to but does not close.
func New(under eventstore.Store, opts Options) *Writer {
	if opts.BatchEvents <= 0 {
		opts.BatchEvents = DefaultBatchEvents
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.KnownStreams <= 0 {
		opts.KnownStreams = DefaultKnownStreams
	}
	w := &Writer{under: under, opts: opts, streams: make(map[string]*stream)}
	w.batcher, _ = under.(eventstore.BatchAppender)
	return w
}

// Stats returns what the Writer has stored so far.
func (w *Writer) Stats() Stats { return w.stats }

// Append stages events after checking expected against the stream's head
// (its staged events included); a mismatch is a *eventstore.ConflictError.
// The result has the revision the events will be stored at and no position
// (that is known once written). When enough events are staged they are
// signed and written in the background while the next ones are staged; an
// error of that write is returned by a later Append or by Flush.
func (w *Writer) Append(ctx context.Context, name string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if w.err != nil {
		return eventstore.AppendResult{}, w.err
	}
	if eventstore.IsSystemStream(name) {
		return eventstore.AppendResult{}, fmt.Errorf("bulk: append to %s: the bulk writer writes no system or metadata streams", name)
	}
	st, err := w.stream(ctx, name)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := check(name, expected, st.last); err != nil {
		return eventstore.AppendResult{}, err
	}
	if len(events) == 0 {
		return eventstore.AppendResult{NextRevision: uint64(max(st.last, 0))}, nil
	}
	evs := slices.Clone(events)
	now := time.Now().UTC()
	for i := range evs {
		ev := &evs[i]
		st.last++
		st.staged = append(st.staged, eventstore.RecordedEvent{StreamID: name, Revision: uint64(st.last), ID: ev.ID, Type: ev.Type,
			ContentType: ev.ContentType, Data: ev.Data, Metadata: ev.Metadata, Created: now})
	}
	w.appends = append(w.appends, eventstore.StreamAppend{Stream: name, Expected: expected, Events: evs})
	w.events += len(evs)
	res := eventstore.AppendResult{NextRevision: uint64(st.last)}
	if w.events >= w.opts.BatchEvents {
		if err := w.start(ctx); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
	return res, nil
}

// check is the expected-revision check of an append to a stream whose last
// revision is cur (-1: none).
func check(name string, exp eventstore.ExpectedRevision, cur int64) error {
	ok := true
	switch r, exact := exp.Exact(); {
	case exact:
		ok = cur >= 0 && uint64(cur) == r
	case exp.IsNoStream():
		ok = cur < 0
	case exp.IsStreamExists():
		ok = cur >= 0
	}
	if ok {
		return nil
	}
	c := &eventstore.ConflictError{Stream: name, Expected: exp}
	if cur >= 0 {
		c.Actual, c.HasActual = uint64(cur), true
	}
	return c
}

// stream returns the Writer's view of name, reading its head from the
// store the first time.
func (w *Writer) stream(ctx context.Context, name string) (*stream, error) {
	if st, ok := w.streams[name]; ok {
		return st, nil
	}
	st := &stream{last: -1}
	head, err := w.under.ReadStream(ctx, name, eventstore.Backwards, eventstore.StreamEnd(), 1)
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
	case err != nil:
		return nil, fmt.Errorf("bulk: read the head of %s: %w", name, err)
	case len(head) == 1:
		st.last, st.tail = int64(head[0].Revision), &head[0]
	}
	w.streams[name] = st
	return st, nil
}

// ReadStream reads a stream as the store holds it followed by its staged
// events. The last event of a stream the Writer knows is read from memory.
func (w *Writer) ReadStream(ctx context.Context, name string, dir eventstore.Direction, from eventstore.StreamPos, count uint64) ([]eventstore.RecordedEvent, error) {
	if eventstore.IsSystemStream(name) {
		return w.under.ReadStream(ctx, name, dir, from, count)
	}
	st, err := w.stream(ctx, name)
	if err != nil {
		return nil, err
	}
	if st.last < 0 {
		return nil, fmt.Errorf("bulk: read %s: %w", name, eventstore.ErrStreamNotFound)
	}
	if len(st.staged) == 0 {
		if dir == eventstore.Backwards && from.IsEnd() && count == 1 && st.tail != nil {
			return []eventstore.RecordedEvent{*st.tail}, nil
		}
		return w.under.ReadStream(ctx, name, dir, from, count)
	}
	stored := int64(st.staged[0].Revision) - 1 // the last revision in the store
	rev := uint64(st.last)
	switch r, at := from.Revision(); {
	case at:
		rev = r
	case from.IsStart():
		rev = 0
	}
	var out []eventstore.RecordedEvent
	if dir == eventstore.Forwards {
		if stored >= 0 && rev <= uint64(stored) {
			got, err := w.under.ReadStream(ctx, name, dir, eventstore.StreamRevision(rev), count)
			if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
				return nil, err
			}
			out = got
		}
		for _, ev := range st.staged {
			if uint64(len(out)) >= count {
				break
			}
			if ev.Revision >= rev {
				out = append(out, ev)
			}
		}
		return out, nil
	}
	for i := len(st.staged) - 1; i >= 0 && uint64(len(out)) < count; i-- {
		if ev := st.staged[i]; ev.Revision <= rev {
			out = append(out, ev)
		}
	}
	if n := count - uint64(len(out)); n > 0 && stored >= 0 {
		got, err := w.under.ReadStream(ctx, name, dir, eventstore.StreamRevision(min(rev, uint64(stored))), n)
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// start hands the staged appends to a background write (after the one
// before it has finished): signed on Options.Workers goroutines, then
// written as one atomic batch when the store is an
// eventstore.BatchAppender, otherwise one Append per staged append.
func (w *Writer) start(ctx context.Context) error {
	if err := w.wait(); err != nil {
		return err
	}
	if len(w.appends) == 0 {
		return nil
	}
	w.inflight, w.appends, w.events = w.appends, nil, 0
	w.done = make(chan flushed, 1)
	// A batch once handed over is written whole, even if ctx ends: what
	// was accepted before an interrupt is stored.
	ctx = context.WithoutCancel(ctx)
	go func(batch []eventstore.StreamAppend, done chan<- flushed) {
		res, err := w.write(ctx, batch)
		done <- flushed{res, err}
	}(w.inflight, w.done)
	return nil
}

// wait waits for the background write, if any, and takes in its answer:
// its events leave the staged ones, their stream's last event is known.
// After an error the Writer refuses everything: the batch is lost (nothing
// of it is stored with a BatchAppender).
func (w *Writer) wait() error {
	if w.done == nil {
		return w.err
	}
	f := <-w.done
	batch := w.inflight
	w.inflight, w.done = nil, nil
	if f.err == nil {
		f.err = w.settle(batch, f.results)
	}
	if f.err != nil {
		w.err = fmt.Errorf("bulk: %w", f.err)
		return w.err
	}
	w.stats.Batches++
	w.stats.Appends += uint64(len(batch))
	if len(w.streams) > w.opts.KnownStreams {
		w.forgetWritten()
	}
	return nil
}

// forgetWritten forgets the heads of the streams with nothing staged: their
// last event is in the store. A stream with staged events (of the next
// batch) keeps its view: the store does not have those events yet.
func (w *Writer) forgetWritten() {
	for name, st := range w.streams {
		if len(st.staged) == 0 {
			delete(w.streams, name)
		}
	}
}

// settle checks that the store numbered a written batch's events as they
// were staged and takes them out of the staged events, with the signed
// metadata and the position the store gave.
func (w *Writer) settle(batch []eventstore.StreamAppend, results []eventstore.AppendResult) error {
	for i, ap := range batch {
		st := w.streams[ap.Stream]
		n := len(ap.Events)
		res := results[i]
		if len(st.staged) < n || res.Deduplicated || res.NextRevision != st.staged[n-1].Revision {
			return fmt.Errorf("%s was stored up to revision %d (deduplicated: %t), not as staged: is another process writing to the store?",
				ap.Stream, res.NextRevision, res.Deduplicated)
		}
		tail := st.staged[n-1]
		tail.Metadata, tail.Position = ap.Events[n-1].Metadata, res.Position
		st.tail = &tail
		st.staged = slices.Delete(st.staged, 0, n)
		if len(st.staged) == 0 {
			st.staged = nil
		}
		w.stats.Events += uint64(n)
	}
	return nil
}

// Flush writes every staged event and returns once they are durable.
func (w *Writer) Flush(ctx context.Context) error {
	if err := w.start(ctx); err != nil {
		return err
	}
	return w.wait()
}

func (w *Writer) write(ctx context.Context, batch []eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	if err := w.sign(batch); err != nil {
		return nil, err
	}
	if w.batcher != nil {
		return w.batcher.AppendBatch(ctx, batch)
	}
	results := make([]eventstore.AppendResult, 0, len(batch))
	for _, ap := range batch {
		res, err := w.under.Append(ctx, ap.Stream, ap.Expected, ap.Events...)
		if err != nil {
			return nil, fmt.Errorf("append to %s: %w", ap.Stream, err)
		}
		results = append(results, res)
	}
	return results, nil
}

// sign replaces the metadata of every event of batch with its signed form,
// on Options.Workers goroutines.
func (w *Writer) sign(batch []eventstore.StreamAppend) error {
	if w.opts.Signer == nil {
		return nil
	}
	var all []*eventstore.EventData
	for i := range batch {
		for j := range batch[i].Events {
			all = append(all, &batch[i].Events[j])
		}
	}
	workers := min(w.opts.Workers, max(1, len(all)/64))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() {
			for i := k; i < len(all); i += workers {
				md, err := codec.Resign(all[i].Metadata, w.opts.Signer)
				if err != nil {
					errs[k] = err
					return
				}
				all[i].Metadata = md
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ReadAll reads the store: staged events are not in it yet.
func (w *Writer) ReadAll(ctx context.Context, dir eventstore.Direction, from eventstore.AllPos, count uint64, filter *eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	return w.under.ReadAll(ctx, dir, from, count, filter)
}

// SubscribeAll subscribes to the store: staged events come once flushed.
func (w *Writer) SubscribeAll(ctx context.Context, from eventstore.AllPos, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	return w.under.SubscribeAll(ctx, from, opts)
}

// Head is the store's head: staged events are not in it yet.
func (w *Writer) Head(ctx context.Context) (eventstore.Position, error) { return w.under.Head(ctx) }

// Close flushes; it leaves the store under the Writer open.
func (w *Writer) Close() error { return w.Flush(context.Background()) }
