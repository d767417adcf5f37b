package pebblestore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

type opKind uint8

const (
	opAppend opKind = iota
	opDelete
	opTombstone
	opBatch // appends to many streams, all or none (AppendBatch)
)

// request is one append, delete or tombstone queued for the appender.
type request struct {
	ctx      context.Context
	op       opKind
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
	size     int
	batch    []eventstore.StreamAppend // opBatch: the appends, in order
	results  []eventstore.AppendResult // opBatch: one per append

	res  eventstore.AppendResult
	err  error
	done chan struct{} // receives one value when res/err are set
}

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan struct{}, 1)} }}

// Append implements eventstore.Store. If ctx ends while the append is queued
// or committing, Append returns the context's error and the append may or may
// not be stored: retry it with the same event ids, which is idempotent.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	size, err := appendSize(stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	res, err := s.submit(ctx, opAppend, stream, expected, events, size)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return res, nil
}

// appendSize checks an append's stream name and events and returns the
// bytes it adds to a group, roughly.
func appendSize(stream string, events []eventstore.EventData) (int, error) {
	if err := validateStream(stream); err != nil {
		return 0, fmt.Errorf("append to %q: %w", stream, err)
	}
	size := 0
	for i := range events {
		ev := &events[i]
		if ev.ID == uuid.Nil {
			return 0, fmt.Errorf("append to %s: event %d has no id", stream, i)
		}
		if ev.Type == "" {
			return 0, fmt.Errorf("append to %s: event %d (%s) has no type", stream, i, ev.ID)
		}
		size += 64 + len(stream) + len(ev.Type) + len(ev.ContentType) + len(ev.Data) + len(ev.Metadata)
	}
	return size, nil
}

// Delete implements kurrentwire.Store: it soft-deletes stream by writing
// {"$tb": DeletedStreamRevision} to its metadata stream, as KurrentDB does.
// Deleting a stream that never existed is a *ConflictError whatever expected.
func (s *Store) Delete(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error) {
	if err := validateDeletable(stream); err != nil {
		return eventstore.Position{}, fmt.Errorf("delete %q: %w", stream, err)
	}
	res, err := s.submit(ctx, opDelete, stream, expected, nil, 128)
	return res.Position, err
}

// Tombstone implements kurrentwire.Store: stream (and its metadata stream) can
// never be read or written again. A stream that never existed can be
// tombstoned.
func (s *Store) Tombstone(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error) {
	if err := validateDeletable(stream); err != nil {
		return eventstore.Position{}, fmt.Errorf("tombstone %q: %w", stream, err)
	}
	res, err := s.submit(ctx, opTombstone, stream, expected, nil, 128)
	return res.Position, err
}

func validateStream(stream string) error {
	if stream == "" {
		return errors.New("empty stream name")
	}
	if o, ok := eventstore.IsMetadataStream(stream); ok {
		if _, ok := eventstore.IsMetadataStream(o); ok {
			return errors.New("metadata of a metadata stream is not supported")
		}
		if o == "" {
			return errors.New("metadata stream of an empty stream name")
		}
	}
	return nil
}

func validateDeletable(stream string) error {
	if err := validateStream(stream); err != nil {
		return err
	}
	if _, ok := eventstore.IsMetadataStream(stream); ok {
		return errors.New("a metadata stream cannot be deleted: delete its stream")
	}
	return nil
}

func (s *Store) submit(ctx context.Context, op opKind, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData, size int) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("%s %s: %w", op, stream, err)
	}
	if p := s.failed.Load(); p != nil {
		return eventstore.AppendResult{}, fmt.Errorf("%s %s: %w", op, stream, *p)
	}
	r := requestPool.Get().(*request)
	*r = request{ctx: ctx, op: op, stream: stream, expected: expected, events: events, size: size, done: r.done}
	if err := s.await(ctx, r); err != nil {
		return eventstore.AppendResult{}, err
	}
	res, err := r.res, r.err
	*r = request{done: r.done}
	requestPool.Put(r)
	return res, err
}

// await queues r for the appender and waits for its answer. An error means
// r was not answered (the store is closed, or ctx ended): the appender may
// still own it, so it must not be reused.
func (s *Store) await(ctx context.Context, r *request) error {
	op, stream := r.op, r.stream
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return fmt.Errorf("%s %s: %w", op, stream, eventstore.ErrClosed)
	}
	select {
	case s.queue <- r:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return fmt.Errorf("%s %s: %w", op, stream, ctx.Err())
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		// The appender still owns r: do not reuse it.
		return fmt.Errorf("%s %s: %w (it may or may not have been stored; retrying with the same event ids is safe)", op, stream, ctx.Err())
	}
}

// String names the operation for error messages.
func (op opKind) String() string {
	switch op {
	case opDelete:
		return "delete"
	case opTombstone:
		return "tombstone"
	case opBatch:
		return "append batch to"
	}
	return "append to"
}

// streamState is the appender's view of a stream and of its metadata stream.
type streamState struct {
	last       int64 // last revision, -1: no event ever
	tombstoned bool
	metaLast   int64 // last revision of "$$"+stream, -1: none
	metaRaw    []byte
	meta       eventstore.StreamMetadata
}

// pendingEvent is an event of the group being built, not yet in Pebble.
type pendingEvent struct {
	stream string
	rev    uint64
	seq    uint64
}

// touchedStream is the last event the group being built writes to a stream.
type touchedStream struct {
	rev uint64
	seq uint64
}

// appender is the state owned by the single appender goroutine.
type appender struct {
	s       *Store
	nextSeq uint64
	heads   map[string]*streamState
	pending map[uuid.UUID]pendingEvent
	touched map[string]touchedStream   // streams written by the group being built
	logged  []eventstore.RecordedEvent // the group's log records in log order, decoded
	dec     decoder                    // decodes logged
	badLog  bool                       // a record of the group did not decode: logged is incomplete
	batch   *pebble.Batch              // of the group being built
	group   []*request
	nowNano int64

	evCount, byteCount int // size of the group being collected
	target             int // group size gather waits for
	timer              *time.Timer

	opened openResult // of the reopen in progress (refuseUntil)

	groups  atomic.Uint64
	appends atomic.Uint64
}

// init prepares the appender to write from sequence number nextSeq on.
func (a *appender) init(s *Store, nextSeq uint64) {
	a.s = s
	a.nextSeq = nextSeq
	a.heads = make(map[string]*streamState)
	a.pending = make(map[uuid.UUID]pendingEvent)
	a.touched = make(map[string]touchedStream)
	a.batch = s.db.NewBatch()
}

// run is the appender goroutine. It takes whatever appends are queued (a
// group), checks them against the stream heads, writes the whole group as one
// Pebble batch and commits it with pebble.Sync, so the group shares one WAL
// fsync. Only then does it publish the group's last position as durable
// (Pebble makes a batch visible to its readers before the sync completes; our
// readers and subscribers never look past the durable position) and answer.
// Appends that arrive during the fsync queue up and make the next group.
func (a *appender) run() {
	s := a.s
	defer close(s.appenderDone)
	for {
		var first *request
		select {
		case first = <-s.queue:
		case <-s.stop:
			// Close: no more enqueues can happen; commit what is queued.
			for len(s.queue) > 0 {
				a.collect(<-s.queue)
				a.drain()
				a.commit()
			}
			if s.failed.Load() == nil {
				a.batch.Close()
			}
			return
		}
		a.collect(first)
		a.drain()
		a.gather()
		if !a.commit() && !a.recoverFailure() {
			a.shutdown()
			return
		}
	}
}

// shutdown answers what is queued once the appender stops after a failure
// it did not recover from: the store is closing.
func (a *appender) shutdown() {
	for len(a.s.queue) > 0 {
		a.collect(<-a.s.queue)
		a.commit()
	}
}

// drain adds the queued requests to the group, up to the group limits.
func (a *appender) drain() {
	s := a.s
	for !a.full() {
		select {
		case r := <-s.queue:
			a.collect(r)
		default:
			return
		}
	}
}

// full reports whether the group has reached its limits.
func (a *appender) full() bool {
	o := &a.s.opts
	return len(a.group) >= o.QueueLength || a.evCount >= o.MaxGroupEvents || a.byteCount >= o.MaxGroupBytes
}

// gather holds the group open, up to GroupCommitWindow, until it has as many
// appends as the recent groups had. Appenders answered by the last commit
// usually append again at once; without the wait, the first few back would
// take the next fsync alone and the others the one after, and the appenders
// would settle into two half-size groups. When the wait times out, the
// target drops to what came (appenders come and go); a lone appender never
// waits.
func (a *appender) gather() {
	s := a.s
	window := s.opts.GroupCommitWindow
	n := len(a.group)
	if n > a.target {
		a.target = n
	}
	if window <= 0 || n >= a.target || a.full() {
		return
	}
	if a.timer == nil {
		a.timer = time.NewTimer(window)
	} else {
		a.timer.Reset(window)
	}
	defer a.timer.Stop()
	for len(a.group) < a.target && !a.full() {
		select {
		case r := <-s.queue:
			a.collect(r)
			a.drain()
		case <-a.timer.C:
			a.target = len(a.group)
			return
		case <-s.stop:
			return
		}
	}
}

// collect adds r to the group, tracking its size.
func (a *appender) collect(r *request) {
	if len(a.group) == 0 {
		a.evCount, a.byteCount = 0, 0
	}
	a.group = append(a.group, r)
	a.evCount += len(r.events) + 1
	a.byteCount += r.size
}

// commit builds the batch for the collected group, commits it durably and
// answers every request of the group. It returns false when the commit
// failed (Pebble must be reopened: recoverFailure).
func (a *appender) commit() bool {
	s := a.s
	group := a.group
	defer func() {
		for i, r := range group {
			r.done <- struct{}{}
			group[i] = nil
		}
		a.group = group[:0]
	}()
	if p := s.failed.Load(); p != nil {
		for _, r := range group {
			r.err = fmt.Errorf("%s %s: %w", r.op, r.stream, *p)
		}
		return true
	}
	if err := s.checkSpace(a.byteCount); err != nil {
		for _, r := range group {
			r.err = fmt.Errorf("%s %s: %w", r.op, r.stream, err)
		}
		return true
	}
	if n := s.now().UnixNano(); n > a.nowNano {
		a.nowNano = n // Created never goes back along the log
	}
	b := a.batch
	b.Reset()
	clear(a.pending)
	clear(a.touched)
	clear(a.logged)
	a.logged, a.badLog = a.logged[:0], false
	firstSeq := a.nextSeq
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("%s %s: %w", r.op, r.stream, err)
			continue
		}
		switch r.op {
		case opAppend:
			a.append(r)
		case opDelete, opTombstone:
			a.delete(r)
		case opBatch:
			a.appendBatch(r)
		}
	}
	if b.Count() == 0 {
		return true
	}
	drop := a.dropped()
	s.last.drop(drop) // before the group is visible
	if err := a.commitBatch(b); err != nil {
		s.failed.Store(&err)
		s.failures.Add(1)
		s.log.Error("event store commit failed: appends are refused while it reopens itself", "dir", s.dir, "err", err)
		for _, r := range group {
			if r.err == nil {
				r.err = fmt.Errorf("%s %s: %w (it may or may not have been stored, whole: retrying it with the same event ids is safe)", r.op, r.stream, err)
			}
		}
		return false
	}
	a.groups.Add(1)
	a.appends.Add(uint64(len(group)))
	recs := a.logged
	if a.badLog || (len(recs) > 0 && recs[0].Position.Commit != firstSeq) {
		recs = nil
		s.tail.reset()
	}
	s.tail.push(recs) // before the durable position moves past them
	s.advance(a.nextSeq - 1)
	s.last.update(a.lastEvents(recs, firstSeq), nil) // durable now, and not yet answered
	if len(a.heads) > s.opts.MaxCachedStreams {
		// Everything is committed: any head can be reloaded from Pebble.
		n := len(a.heads) / 2
		for k := range a.heads {
			delete(a.heads, k)
			if n--; n == 0 {
				break
			}
		}
	}
	return true
}

// dropped returns the streams of the group being built that Store.last must
// no longer hold: those given metadata, deleted or tombstoned, or whose last
// event it cannot serve.
func (a *appender) dropped() []string {
	var drop []string
	for stream, t := range a.touched {
		if base, isMeta := eventstore.IsMetadataStream(stream); isMeta {
			drop = append(drop, base)
			continue
		}
		if !a.servable(stream, t) {
			drop = append(drop, stream)
		}
	}
	return drop
}

// servable reports whether Store.last may hold t as stream's last event.
func (a *appender) servable(stream string, t touchedStream) bool {
	st := a.heads[stream]
	return st != nil && !st.tombstoned && st.metaLast < 0 && st.last >= 0 && uint64(st.last) == t.rev
}

// lastEvents returns, for the group just committed, the new last events of
// the streams that Store.last may hold, out of recs (the group's records,
// from position first).
func (a *appender) lastEvents(recs []eventstore.RecordedEvent, first uint64) map[string]lastEvent {
	if len(recs) == 0 {
		return nil
	}
	put := make(map[string]lastEvent, len(a.touched))
	for stream, t := range a.touched {
		if _, isMeta := eventstore.IsMetadataStream(stream); isMeta || !a.servable(stream, t) || t.seq < first || t.seq-first >= uint64(len(recs)) {
			continue
		}
		put[stream] = lastEvent{seq: t.seq, ev: recs[t.seq-first]}
	}
	return put
}

// commitBatch commits b durably. Pebble answers a failed WAL write with
// Logger.Fatalf, which panics (pebbleLogger): the panic is turned into the
// store's failure here instead of ending the process, and the appender
// reopens Pebble (recoverFailure).
func (a *appender) commitBatch(b *pebble.Batch) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatalPanic)
			if !ok {
				panic(r)
			}
			err = failedError(a.s.dir, f.msg)
		}
	}()
	if err := b.Commit(pebble.Sync); err != nil {
		return failedError(a.s.dir, "commit: "+a.s.faults.wrap(err).Error())
	}
	return nil
}

// head returns the state of stream (not a metadata stream), loading it from
// Pebble on a cache miss. Every stream touched by the group being built is in
// the cache, so Pebble holds everything a miss needs.
func (a *appender) head(stream string) (*streamState, error) {
	if st, ok := a.heads[stream]; ok {
		return st, nil
	}
	st := &streamState{last: -1, metaLast: -1}
	rev, _, ok, err := lastIndexEntry(a.s.db, stream, ^uint64(0))
	if err != nil {
		return nil, err
	}
	if ok {
		if rev == eventstore.DeletedStreamRevision {
			st.tombstoned = true
		} else {
			st.last = int64(rev)
		}
	}
	mrev, mseq, ok, err := lastIndexEntry(a.s.db, eventstore.MetadataStream(stream), ^uint64(0))
	if err != nil {
		return nil, err
	}
	if ok {
		st.metaLast = int64(mrev)
		raw, json, err := readRecordData(a.s.db, mseq)
		if err != nil {
			return nil, err
		}
		st.setMeta(raw, json)
	}
	a.heads[stream] = st
	return st, nil
}

// setMeta records the stream's current metadata event data (copied: it may
// be the caller's).
func (st *streamState) setMeta(raw []byte, isJSON bool) {
	st.metaRaw = append([]byte(nil), raw...)
	st.meta = eventstore.StreamMetadata{}
	if isJSON {
		st.meta, _ = eventstore.ParseStreamMetadata(raw)
	}
}

// isJSONContentType reports whether a metadata event's content type lets it
// count as metadata: JSON, or none given.
func isJSONContentType(ct string) bool { return ct == contentTypeJSON || ct == "" }

// conflict returns the *ConflictError for stream at cur (-1: no stream).
func conflict(stream string, exp eventstore.ExpectedRevision, cur int64) error {
	c := &eventstore.ConflictError{Stream: stream, Expected: exp}
	if cur >= 0 {
		c.Actual, c.HasActual = uint64(cur), true
	}
	return c
}

// check decides an append of events to stream whose last revision is cur,
// following KurrentDB (IndexWriter.CheckCommit): it returns the idempotent
// result (Deduplicated) when the events are already stored at that place, an error when
// expected does not hold, or neither when the events are to be written.
func (a *appender) check(stream string, exp eventstore.ExpectedRevision, events []eventstore.EventData, cur int64, softDeleted, existsViaMeta bool) (*eventstore.AppendResult, error) {
	weak := exp.IsAny()
	if exp.IsStreamExists() {
		if softDeleted || (cur < 0 && !existsViaMeta) {
			return nil, conflict(stream, exp, cur)
		}
		weak = true
	}
	if weak {
		// Idempotency by event id: only events already in this stream count.
		if len(events) == 0 || cur < 0 {
			return nil, nil
		}
		var end pendingEvent
		for i := range events {
			loc, ok, err := a.lookupID(events[i].ID)
			if err != nil {
				return nil, err
			}
			if ok && loc.stream == stream {
				end = loc
				continue
			}
			if i > 0 { // some of the events are stored, some not
				return nil, conflict(stream, exp, cur)
			}
			return nil, nil
		}
		return &eventstore.AppendResult{NextRevision: end.rev, Position: pos(end.seq), Deduplicated: true}, nil
	}

	e := int64(-1) // NoStream
	if r, ok := exp.Exact(); ok {
		if r >= uint64(eventstore.DeletedStreamRevision) {
			return nil, conflict(stream, exp, cur)
		}
		e = int64(r)
	}
	switch {
	case e > cur:
		return nil, conflict(stream, exp, cur)
	case e == cur:
		return nil, nil
	}
	// Writing before the end: a retry of events stored there, or a conflict.
	var lastSeq uint64
	for i := range events {
		rev := e + 1 + int64(i)
		seq, ok, err := a.idAt(stream, rev, cur, events[i].ID)
		if err != nil {
			return nil, err
		}
		if ok {
			lastSeq = seq
			continue
		}
		if i == 0 && exp.IsNoStream() && softDeleted {
			return nil, nil
		}
		return nil, conflict(stream, exp, cur)
	}
	if len(events) == 0 {
		if exp.IsNoStream() && softDeleted {
			return nil, nil
		}
		return nil, conflict(stream, exp, cur)
	}
	return &eventstore.AppendResult{NextRevision: uint64(e) + uint64(len(events)), Position: pos(lastSeq), Deduplicated: true}, nil
}

// lookupID finds where event id was stored last: in the group being built,
// or through the event-id index.
func (a *appender) lookupID(id uuid.UUID) (pendingEvent, bool, error) {
	if p, ok := a.pending[id]; ok {
		return p, true, nil
	}
	v, closer, err := a.s.db.Get(idKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return pendingEvent{}, false, nil
	}
	if err != nil {
		return pendingEvent{}, false, err
	}
	seq := binary.BigEndian.Uint64(v)
	closer.Close()
	val, closer, err := a.s.db.Get(logKey(seq))
	if err != nil {
		return pendingEvent{}, false, fmt.Errorf("event id index points at missing position %d: %w", seq, err)
	}
	defer closer.Close()
	h, err := decodeHeader(val)
	if err != nil {
		return pendingEvent{}, false, err
	}
	return pendingEvent{stream: string(h.stream), rev: h.revision, seq: seq}, true, nil
}

// idAt reports whether the event at revision rev of stream has id, and its
// sequence number.
func (a *appender) idAt(stream string, rev, cur int64, id uuid.UUID) (uint64, bool, error) {
	if rev > cur {
		return 0, false, nil
	}
	if p, ok := a.pending[id]; ok && p.stream == stream && p.rev == uint64(rev) {
		return p.seq, true, nil
	}
	v, closer, err := a.s.db.Get(streamKey(stream, uint64(rev)))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil // written in this group under another id
	}
	if err != nil {
		return 0, false, err
	}
	seq := binary.BigEndian.Uint64(v)
	closer.Close()
	val, closer, err := a.s.db.Get(logKey(seq))
	if err != nil {
		return 0, false, fmt.Errorf("stream index points at missing position %d: %w", seq, err)
	}
	defer closer.Close()
	h, err := decodeHeader(val)
	if err != nil {
		return 0, false, err
	}
	return seq, h.id == id, nil
}

func pos(seq uint64) eventstore.Position { return eventstore.Position{Commit: seq, Prepare: seq} }

func (a *appender) append(r *request) {
	name := r.stream
	base, isMeta := eventstore.IsMetadataStream(name)
	if !isMeta {
		base = name
	}
	st, err := a.head(base)
	if err != nil {
		r.err = fmt.Errorf("append to %s: %w", name, a.s.faults.wrap(err))
		return
	}
	if st.tombstoned {
		r.err = fmt.Errorf("append to %s: %w", name, eventstore.ErrStreamDeleted)
		return
	}
	cur, softDeleted, existsViaMeta := st.last, st.meta.IsSoftDeleted(), st.metaLast >= 0
	if isMeta {
		cur, softDeleted, existsViaMeta = st.metaLast, false, false
	}
	idem, err := a.check(name, r.expected, r.events, cur, softDeleted, existsViaMeta)
	if err != nil {
		r.err = a.s.faults.wrap(err)
		return
	}
	if idem != nil {
		r.res = *idem
		return
	}
	if len(r.events) == 0 {
		// A check-only append: nothing to write.
		r.res = eventstore.AppendResult{NextRevision: uint64(max(cur, 0))}
		if cur >= 0 {
			if seq, ok, err := a.idAtAny(name, cur); err == nil && ok {
				r.res.Position = pos(seq)
			}
		}
		return
	}
	baseWasSoftDeleted := st.meta.IsSoftDeleted()
	rev := uint64(cur + 1)
	var lastSeq uint64
	for i := range r.events {
		lastSeq = a.put(name, rev, &r.events[i])
		rev++
	}
	r.res = eventstore.AppendResult{NextRevision: rev - 1, Position: pos(lastSeq)}
	if isMeta {
		st.metaLast = int64(rev - 1)
		lastEv := &r.events[len(r.events)-1]
		st.setMeta(lastEv.Data, isJSONContentType(lastEv.ContentType))
		if baseWasSoftDeleted {
			// Writing metadata of a soft-deleted stream undeletes it, keeping
			// its old events hidden (KurrentDB's SoftUndeleteMetastream).
			a.undelete(base, st, uint64(st.last+1))
		}
	} else {
		st.last = int64(rev - 1)
		if softDeleted {
			// Appending to a soft-deleted stream undeletes it: its numbering
			// goes on and the events before stay hidden.
			a.undelete(base, st, uint64(cur+1))
		}
	}
}

// idAtAny returns the sequence number of revision rev of stream.
func (a *appender) idAtAny(stream string, rev int64) (uint64, bool, error) {
	v, closer, err := a.s.db.Get(streamKey(stream, uint64(rev)))
	if err != nil {
		return 0, false, err
	}
	defer closer.Close()
	return binary.BigEndian.Uint64(v), true, nil
}

// undelete rewrites the metadata of base with "$tb" set to truncateBefore,
// keeping its other keys. Metadata that is not a JSON object is left alone.
func (a *appender) undelete(base string, st *streamState, truncateBefore uint64) {
	raw, ok := setTruncateBefore(st.metaRaw, truncateBefore)
	if !ok {
		return
	}
	a.putMeta(base, st, raw)
}

func (a *appender) putMeta(base string, st *streamState, raw []byte) uint64 {
	ev := eventstore.EventData{ID: uuid.New(), Type: eventstore.MetadataEventType, ContentType: contentTypeJSON, Data: raw}
	st.metaLast++
	seq := a.put(eventstore.MetadataStream(base), uint64(st.metaLast), &ev)
	st.setMeta(raw, true)
	return seq
}

// setTruncateBefore returns the JSON object raw with "$tb" set to tb.
func setTruncateBefore(raw []byte, tb uint64) ([]byte, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, false
	}
	obj[eventstore.MetaKeyTruncateBefore] = json.RawMessage(strconv.FormatUint(tb, 10))
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, false
	}
	return out, true
}

// put adds one event to the batch: its record in the log, its stream index
// entry and its event-id index entry. It returns the event's sequence number.
func (a *appender) put(stream string, rev uint64, ev *eventstore.EventData) uint64 {
	seq := a.nextSeq
	a.nextSeq++
	rec := record{stream: stream, revision: rev, createdNano: a.nowNano, ev: ev}
	b := a.batch
	op := b.SetDeferred(9, rec.size())
	putLogKey(op.Key, seq)
	rec.encode(op.Value)
	a.touched[stream] = touchedStream{rev: rev, seq: seq}
	a.logged = append(a.logged, eventstore.RecordedEvent{})
	if err := a.dec.decode(seq, op.Value, &a.logged[len(a.logged)-1]); err != nil {
		a.badLog = true // cannot happen: it was just encoded; Pebble's readers serve it
	}
	op.Finish()

	op = b.SetDeferred(streamPrefixLen(stream)+8, 8)
	k := op.Key
	k[0] = prefixStream
	n := 1 + binary.PutUvarint(k[1:], uint64(len(stream)))
	n += copy(k[n:], stream)
	binary.BigEndian.PutUint64(k[n:], rev)
	binary.BigEndian.PutUint64(op.Value, seq)
	op.Finish()

	if ev.ID != uuid.Nil {
		op = b.SetDeferred(17, 8)
		op.Key[0] = prefixID
		copy(op.Key[1:], ev.ID[:])
		binary.BigEndian.PutUint64(op.Value, seq)
		op.Finish()
		a.pending[ev.ID] = pendingEvent{stream: stream, rev: rev, seq: seq}
	}
	return seq
}

var softDeleteMeta = []byte(`{"$tb":` + strconv.FormatUint(eventstore.DeletedStreamRevision, 10) + `}`)

// delete performs a soft delete or a tombstone.
func (a *appender) delete(r *request) {
	st, err := a.head(r.stream)
	if err != nil {
		r.err = fmt.Errorf("%s %s: %w", r.op, r.stream, a.s.faults.wrap(err))
		return
	}
	if st.tombstoned {
		r.err = fmt.Errorf("%s %s: %w", r.op, r.stream, eventstore.ErrStreamDeleted)
		return
	}
	// KurrentDB checks a delete as an append of one new event.
	probe := []eventstore.EventData{{ID: uuid.New()}}
	if _, err := a.check(r.stream, r.expected, probe, st.last, st.meta.IsSoftDeleted(), st.metaLast >= 0); err != nil {
		r.err = err
		return
	}
	if r.op == opTombstone {
		ev := eventstore.EventData{ID: uuid.New(), Type: eventstore.StreamDeletedEventType, ContentType: contentTypeJSON}
		seq := a.put(r.stream, eventstore.DeletedStreamRevision, &ev)
		st.tombstoned = true
		r.res.Position = pos(seq)
		return
	}
	if st.last < 0 && st.metaLast < 0 {
		// KurrentDB: soft-deleting a stream that never existed is a
		// wrong-expected-version error, whatever was expected.
		r.err = conflict(r.stream, r.expected, -1)
		return
	}
	r.res.Position = pos(a.putMeta(r.stream, st, softDeleteMeta))
}
