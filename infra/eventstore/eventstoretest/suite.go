// Package eventstoretest holds the conformance suites of the event store and
// the benchmark bodies the stores' benchmarks share.
//
// There are two suites, as there are two interfaces:
//
//   - Run covers the event-store port, eventstore.Store: appends with
//     expected revisions and idempotency, stream and $all reads, filters,
//     stream metadata ($maxCount, $tb, $maxAge), $all subscriptions and
//     Head. Every implementation passes it: infra/store/pebblestore
//     directly, infra/store/kurrent against the KurrentDB wire server and
//     against a real KurrentDB.
//   - RunWire covers what kurrentwire.Store adds to the port for KurrentDB
//     clients: stream subscriptions, soft deletes, tombstones, and the
//     read, append and metadata semantics of deleted streams. The same
//     implementations pass it (the embedded store is what the wire server
//     serves; KurrentDB has the operations natively).
//
// The suites use only their interface. Every test writes to streams of its
// own (names with a fresh UUID) and reads $all only from the position of its
// own first append, so it runs against a store that other tests, or other
// processes, are using at the same time.
package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
)

// Options tunes Run and RunWire.
type Options struct {
	// IdleWait is how long the idle tests leave caught-up subscriptions
	// without traffic before they append; 0 means 2 s. The KurrentDB wire
	// run uses 60 s (keep-alives and proxies must not drop idle streams).
	IdleWait time.Duration
	// Timeout bounds each wait for an expected result; 0 means 30 s.
	Timeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.IdleWait <= 0 {
		o.IdleWait = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return o
}

// env is what every conformance test gets: s is the store under test, w the
// same store as a kurrentwire.Store (RunWire's tests only; nil in Run's).
type env struct {
	t    *testing.T
	s    eventstore.Store
	w    kurrentwire.Store
	opts Options
}

type test struct {
	name     string
	suite    suite
	parallel bool // mostly sleeps: run alongside the other sleepers
	f        func(*env)
}

// suite says which entry point runs a test.
type suite int

const (
	portSuite suite = iota // Run: uses only eventstore.Store
	wireSuite              // RunWire: needs the operations kurrentwire.Store adds to the port
)

// tests is the conformance suite, Run's tests then RunWire's.
var tests = []test{
	// First: it appends, then goes parallel itself, so its events age
	// while the tests below run.
	{"StreamMetadataMaxAge", portSuite, false, testMaxAge},
	{"AppendExpectedRevision", portSuite, false, testExpectedRevision},
	{"AppendIdempotent", portSuite, false, testIdempotent},
	{"AppendPayloads", portSuite, false, testAppendPayloads},
	{"ConcurrentExactWriters", portSuite, false, testConcurrentWriters},
	{"ReadStream", portSuite, false, testReadStream},
	{"ReadStreamNotFound", portSuite, false, testReadStreamNotFound},
	{"ReadAllPaging", portSuite, false, testReadAllPaging},
	{"ReadAllFilters", portSuite, false, testReadAllFilters},
	{"SubscribeAllHandover", portSuite, false, testSubscribeAllHandover},
	{"SubscribeAllFromEnd", portSuite, false, testSubscribeAllFromEnd},
	{"SubscribeAllFilterCheckpoints", portSuite, false, testSubscribeAllCheckpoints},
	{"SubscriptionCloseAndCancel", portSuite, false, testSubscriptionCancel},
	{"StreamMetadata", portSuite, false, testStreamMetadata},
	{"Head", portSuite, false, testHead},
	{"CreatedTime", portSuite, false, testCreated},
	{"ContextCancellation", portSuite, false, testContextCancellation},
	{"SubscriptionIdle", portSuite, true, testSubscriptionIdle},
	{"SubscribeStreamHandover", wireSuite, false, testSubscribeStreamHandover},
	{"SubscribeStreamFrom", wireSuite, false, testSubscribeStreamFrom},
	{"SubscribeStreamCloseAndCancel", wireSuite, false, testSubscribeStreamCancel},
	{"SoftDelete", wireSuite, false, testSoftDelete},
	{"Tombstone", wireSuite, false, testTombstone},
	{"DeleteContextCancellation", wireSuite, false, testDeleteContextCancellation},
	{"SubscribeStreamIdle", wireSuite, true, testSubscribeStreamIdle},
}

// Run runs the conformance suite of the event-store port as sub-tests of t.
// newStore returns the store a sub-test uses: a fresh store or one shared
// by all; it owns the store's lifecycle (the suite never closes it). The
// sub-tests that mostly sleep run in parallel: the idle subscriptions with
// each other after the other sub-tests; the $maxAge test's wait, from its
// first append on, alongside everything else.
func Run(t *testing.T, newStore func(t *testing.T) eventstore.Store, opts Options) {
	run(t, portSuite, opts, func(t *testing.T) (eventstore.Store, kurrentwire.Store) { return newStore(t), nil })
}

// RunWire runs the conformance suite of what kurrentwire.Store adds to the
// port (SubscribeStream, Delete, Tombstone) as sub-tests of t, like Run.
// Its sub-test names differ from Run's, so one test may call both with the
// same store: their sleepers then run in parallel together.
func RunWire(t *testing.T, newStore func(t *testing.T) kurrentwire.Store, opts Options) {
	run(t, wireSuite, opts, func(t *testing.T) (eventstore.Store, kurrentwire.Store) {
		s := newStore(t)
		return s, s
	})
}

func run(t *testing.T, which suite, opts Options, newStore func(t *testing.T) (eventstore.Store, kurrentwire.Store)) {
	opts = opts.withDefaults()
	for _, tc := range tests {
		if tc.suite != which {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			if tc.parallel {
				t.Parallel()
			}
			s, w := newStore(t)
			tc.f(&env{t: t, s: s, w: w, opts: opts})
		})
	}
}

// ctx returns a context bounded by the suite's timeout (times n).
func (e *env) ctx(n int) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*e.opts.Timeout)
	e.t.Cleanup(cancel)
	return ctx
}

// stream returns a stream name no other test uses.
func stream(kind string) string {
	return "estest_" + kind + "-" + strings.ReplaceAll(uuid.NewString(), "-", "")
}

// events returns n new JSON events of type typ.
func events(n int, typ string) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		id := uuid.New()
		out[i] = eventstore.EventData{
			ID:          id,
			Type:        typ,
			ContentType: "application/json",
			Data:        fmt.Appendf(nil, `{"n":%d,"id":%q}`, i, id),
			Metadata:    []byte(`{"actor":"conformance"}`),
		}
	}
	return out
}

func (e *env) append(stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	e.t.Helper()
	res, err := e.s.Append(e.ctx(1), stream, exp, evs...)
	if err != nil {
		e.t.Fatalf("append %d events to %s (expected %s): %v", len(evs), stream, exp, err)
	}
	return res
}

func (e *env) read(stream string, dir eventstore.Direction, from eventstore.StreamPos, count uint64) []eventstore.RecordedEvent {
	e.t.Helper()
	evs, err := e.s.ReadStream(e.ctx(1), stream, dir, from, count)
	if err != nil {
		e.t.Fatalf("read %s: %v", stream, err)
	}
	return evs
}

// wantRevs checks that evs are the events of stream with exactly revs.
func (e *env) wantRevs(what string, evs []eventstore.RecordedEvent, stream string, revs ...uint64) {
	e.t.Helper()
	got := make([]uint64, len(evs))
	for i, ev := range evs {
		got[i] = ev.Revision
		if ev.StreamID != stream {
			e.t.Fatalf("%s: event %d is in stream %q, want %q", what, i, ev.StreamID, stream)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(revs) {
		e.t.Fatalf("%s: revisions %v, want %v", what, got, revs)
	}
}

// wantIDs checks that evs carry the ids of want, in order.
func (e *env) wantIDs(what string, evs []eventstore.RecordedEvent, want []eventstore.EventData) {
	e.t.Helper()
	if len(evs) != len(want) {
		e.t.Fatalf("%s: %d events, want %d", what, len(evs), len(want))
	}
	for i := range want {
		if evs[i].ID != want[i].ID {
			e.t.Fatalf("%s: event %d has id %s, want %s", what, i, evs[i].ID, want[i].ID)
		}
	}
}

// wantConflict checks err is a *ConflictError for stream with the given
// actual revision (-1: the stream does not exist).
func (e *env) wantConflict(what string, err error, stream string, exp eventstore.ExpectedRevision, actual int64) {
	e.t.Helper()
	var c *eventstore.ConflictError
	if !errors.As(err, &c) {
		e.t.Fatalf("%s: got %v, want a *ConflictError", what, err)
	}
	if c.Stream != stream || c.Expected != exp {
		e.t.Errorf("%s: conflict on %q expecting %s, want %q expecting %s", what, c.Stream, c.Expected, stream, exp)
	}
	if actual < 0 && c.HasActual {
		e.t.Errorf("%s: conflict says the stream is at %d, want no stream", what, c.Actual)
	}
	if actual >= 0 && (!c.HasActual || c.Actual != uint64(actual)) {
		e.t.Errorf("%s: conflict says actual %d (has %v), want %d", what, c.Actual, c.HasActual, actual)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want %v", what, err, target)
	}
}

func testExpectedRevision(e *env) {
	s := stream("exp")
	ctx := e.ctx(1)

	_, err := e.s.Append(ctx, s, eventstore.StreamExists(), events(1, "t.a")...)
	e.wantConflict("StreamExists on a new stream", err, s, eventstore.StreamExists(), -1)
	_, err = e.s.Append(ctx, s, eventstore.Exact(0), events(1, "t.a")...)
	e.wantConflict("Exact(0) on a new stream", err, s, eventstore.Exact(0), -1)

	res := e.append(s, eventstore.NoStream(), events(2, "t.a")...)
	if res.NextRevision != 1 || res.Position.Commit == 0 {
		e.t.Fatalf("NoStream append of 2: %+v, want next revision 1 and a position", res)
	}
	_, err = e.s.Append(ctx, s, eventstore.NoStream(), events(1, "t.a")...)
	e.wantConflict("NoStream on an existing stream", err, s, eventstore.NoStream(), 1)

	res2 := e.append(s, eventstore.Exact(1), events(1, "t.a")...)
	if res2.NextRevision != 2 || !res.Position.Less(res2.Position) {
		e.t.Fatalf("Exact(1) append: %+v after %+v", res2, res)
	}
	for _, exp := range []eventstore.ExpectedRevision{eventstore.Exact(0), eventstore.Exact(1), eventstore.Exact(3), eventstore.Exact(100)} {
		_, err = e.s.Append(ctx, s, exp, events(1, "t.a")...)
		e.wantConflict("stale or future Exact", err, s, exp, 2)
	}
	res3 := e.append(s, eventstore.StreamExists(), events(1, "t.a")...)
	if res3.NextRevision != 3 {
		e.t.Fatalf("StreamExists append: next revision %d, want 3", res3.NextRevision)
	}
	res4 := e.append(s, eventstore.Any(), events(3, "t.a")...)
	if res4.NextRevision != 6 {
		e.t.Fatalf("Any append of 3: next revision %d, want 6", res4.NextRevision)
	}
	any := stream("exp_any")
	if res := e.append(any, eventstore.Any(), events(1, "t.a")...); res.NextRevision != 0 {
		e.t.Fatalf("Any on a new stream: next revision %d, want 0", res.NextRevision)
	}
	e.wantRevs("stream after the appends", e.read(s, eventstore.Forwards, eventstore.StreamStart(), 100), s, 0, 1, 2, 3, 4, 5, 6)
	// A failed append writes nothing.
	_, err = e.s.Append(ctx, s, eventstore.Exact(0), events(5, "t.a")...)
	e.wantConflict("stale Exact with 5 events", err, s, eventstore.Exact(0), 6)
	if evs := e.read(s, eventstore.Backwards, eventstore.StreamEnd(), 1); evs[0].Revision != 6 {
		e.t.Fatalf("a conflicting append changed the stream: last revision %d", evs[0].Revision)
	}
}

func testIdempotent(e *env) {
	s := stream("idem")
	ctx := e.ctx(1)
	batch := events(3, "t.idem")
	first := e.append(s, eventstore.NoStream(), batch...)

	if first.Deduplicated {
		e.t.Fatalf("a fresh append reports Deduplicated: %+v", first)
	}
	// The same append again returns the same result and stores nothing.
	// (Deduplicated may be false: the events sent are the ones stored.)
	for i, exp := range []eventstore.ExpectedRevision{eventstore.NoStream(), eventstore.Any(), eventstore.StreamExists()} {
		again, err := e.s.Append(ctx, s, exp, batch...)
		if err != nil {
			e.t.Fatalf("retry %d (%s): %v", i, exp, err)
		}
		if !sameAppend(again, first) {
			e.t.Fatalf("retry %d (%s): %+v, want the original %+v", i, exp, again, first)
		}
	}
	// Still idempotent after later appends.
	more := events(2, "t.idem")
	second := e.append(s, eventstore.Exact(2), more...)
	again, err := e.s.Append(ctx, s, eventstore.NoStream(), batch...)
	if err != nil || !sameAppend(again, first) {
		e.t.Fatalf("retry after later appends: %+v, %v; want %+v", again, err, first)
	}
	again, err = e.s.Append(ctx, s, eventstore.Exact(2), more...)
	if err != nil || !sameAppend(again, second) {
		e.t.Fatalf("Exact retry of the second append: %+v, %v; want %+v", again, err, second)
	}
	// A retry of the same ids with other metadata (a twin of the command)
	// stores nothing and says so.
	twin := append([]eventstore.EventData(nil), more...)
	for i := range twin {
		twin[i].Metadata = []byte(`{"actor":"twin"}`)
	}
	again, err = e.s.Append(ctx, s, eventstore.Exact(2), twin...)
	if err != nil || !sameAppend(again, second) || !again.Deduplicated {
		e.t.Fatalf("retry with other metadata: %+v, %v; want %+v, deduplicated", again, err, second)
	}
	evs := e.read(s, eventstore.Forwards, eventstore.StreamStart(), 100)
	e.wantIDs("stream after retries", evs, append(append([]eventstore.EventData{}, batch...), more...))
	if string(evs[4].Metadata) != string(more[1].Metadata) {
		e.t.Fatalf("a deduplicated append changed what is stored: metadata %s", evs[4].Metadata)
	}

	// A retry that differs from what was stored there is a conflict.
	mixed := []eventstore.EventData{batch[0], events(1, "t.idem")[0]}
	_, err = e.s.Append(ctx, s, eventstore.NoStream(), mixed...)
	e.wantConflict("partial retry", err, s, eventstore.NoStream(), 4)
	if n := len(e.read(s, eventstore.Forwards, eventstore.StreamStart(), 100)); n != 5 {
		e.t.Fatalf("stream has %d events after the partial retry, want 5", n)
	}
}

// sameAppend reports whether two append results name the same events.
func sameAppend(a, b eventstore.AppendResult) bool {
	return a.NextRevision == b.NextRevision && a.Position == b.Position
}

func testAppendPayloads(e *env) {
	s := stream("payload")
	ev := events(1, "t.v")[0]
	// Binary payloads round-trip.
	bin := events(1, "t.bin")[0]
	bin.ContentType = "application/octet-stream"
	bin.Data = []byte{0, 1, 2, 0xff}
	bin.Metadata = nil
	e.append(s, eventstore.Any(), bin)
	got := e.read(s, eventstore.Forwards, eventstore.StreamStart(), 1)[0]
	if got.ContentType != bin.ContentType || string(got.Data) != string(bin.Data) || got.Type != "t.bin" || len(got.Metadata) != 0 {
		e.t.Fatalf("binary event came back as %+v", got)
	}
	e.append(s, eventstore.Any(), ev)
	got = e.read(s, eventstore.Backwards, eventstore.StreamEnd(), 1)[0]
	if string(got.Data) != string(ev.Data) || string(got.Metadata) != string(ev.Metadata) || got.ContentType != "application/json" {
		e.t.Fatalf("JSON event came back as %+v", got)
	}
}

func testConcurrentWriters(e *env) {
	s := stream("race")
	const writers, revisions = 4, 25
	type win struct {
		rev uint64
		id  uuid.UUID
	}
	wins := make(chan win, writers*revisions)
	errs := make(chan error, writers)
	ctx := e.ctx(2)
	for w := 0; w < writers; w++ {
		go func() {
			next := int64(-1) // expected last revision
			for next < revisions-1 {
				exp := eventstore.NoStream()
				if next >= 0 {
					exp = eventstore.Exact(uint64(next))
				}
				ev := events(1, "t.race")
				res, err := e.s.Append(ctx, s, exp, ev...)
				var c *eventstore.ConflictError
				switch {
				case err == nil:
					if res.NextRevision != uint64(next+1) {
						errs <- fmt.Errorf("append expecting %s succeeded at revision %d", exp, res.NextRevision)
						return
					}
					wins <- win{res.NextRevision, ev[0].ID}
					next++
				case errors.As(err, &c):
					if !c.HasActual && next >= 0 || c.HasActual && int64(c.Actual) == next {
						errs <- fmt.Errorf("conflict expecting %s reports %+v", exp, c)
						return
					}
					next = -1
					if c.HasActual {
						next = int64(c.Actual)
					}
				default:
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			e.t.Fatal(err)
		}
	}
	close(wins)
	byRev := map[uint64]uuid.UUID{}
	for w := range wins {
		if _, dup := byRev[w.rev]; dup {
			e.t.Fatalf("two writers won revision %d", w.rev)
		}
		byRev[w.rev] = w.id
	}
	evs := e.read(s, eventstore.Forwards, eventstore.StreamStart(), 1000)
	if len(evs) != revisions || len(byRev) != revisions {
		e.t.Fatalf("%d events stored, %d wins, want %d", len(evs), len(byRev), revisions)
	}
	for _, ev := range evs {
		if byRev[ev.Revision] != ev.ID {
			e.t.Fatalf("revision %d holds %s, but %s won it", ev.Revision, ev.ID, byRev[ev.Revision])
		}
	}
}

func testReadStream(e *env) {
	s := stream("read")
	evs := events(10, "t.read")
	e.append(s, eventstore.NoStream(), evs[:4]...)
	e.append(s, eventstore.Exact(3), evs[4:]...)
	F, B := eventstore.Forwards, eventstore.Backwards
	at := eventstore.StreamRevision
	all := e.read(s, F, eventstore.StreamStart(), 100)
	e.wantRevs("forwards from start", all, s, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	e.wantIDs("forwards from start", all, evs)
	for i := 1; i < len(all); i++ {
		if !all[i-1].Position.Less(all[i].Position) {
			e.t.Fatalf("positions not increasing: %v then %v", all[i-1].Position, all[i].Position)
		}
	}
	e.wantRevs("forwards from start, 3", e.read(s, F, eventstore.StreamStart(), 3), s, 0, 1, 2)
	e.wantRevs("forwards from 4, 3", e.read(s, F, at(4), 3), s, 4, 5, 6)
	e.wantRevs("forwards from 8, 5", e.read(s, F, at(8), 5), s, 8, 9)
	e.wantRevs("forwards from 9", e.read(s, F, at(9), 1), s, 9)
	e.wantRevs("forwards past the end", e.read(s, F, at(10), 5), s)
	e.wantRevs("forwards from end", e.read(s, F, eventstore.StreamEnd(), 5), s)
	e.wantRevs("backwards from end, 3", e.read(s, B, eventstore.StreamEnd(), 3), s, 9, 8, 7)
	e.wantRevs("backwards from 4, 3", e.read(s, B, at(4), 3), s, 4, 3, 2)
	e.wantRevs("backwards from 2, 10", e.read(s, B, at(2), 10), s, 2, 1, 0)
	e.wantRevs("backwards from start", e.read(s, B, eventstore.StreamStart(), 10), s, 0)
	back := e.read(s, B, eventstore.StreamEnd(), 100)
	for i, ev := range back {
		if ev.ID != all[len(all)-1-i].ID || ev.Position != all[len(all)-1-i].Position {
			e.t.Fatalf("backwards read differs from the forwards one at %d", i)
		}
	}
}

func testReadStreamNotFound(e *env) {
	s := stream("missing")
	ctx := e.ctx(1)
	for _, dir := range []eventstore.Direction{eventstore.Forwards, eventstore.Backwards} {
		_, err := e.s.ReadStream(ctx, s, dir, eventstore.StreamStart(), 10)
		wantErr(e.t, "read of a stream that never existed", err, eventstore.ErrStreamNotFound)
		_, err = e.s.ReadStream(ctx, s, dir, eventstore.StreamEnd(), 10)
		wantErr(e.t, "read from end of a stream that never existed", err, eventstore.ErrStreamNotFound)
	}
}

// readAllPage reads $all with filter f.
func (e *env) readAll(dir eventstore.Direction, from eventstore.AllPos, count uint64, f *eventstore.Filter) []eventstore.RecordedEvent {
	e.t.Helper()
	evs, err := e.s.ReadAll(e.ctx(1), dir, from, count, f)
	if err != nil {
		e.t.Fatalf("read $all: %v", err)
	}
	return evs
}

func testReadAllPaging(e *env) {
	s := stream("all")
	evs := events(10, "t.all")
	var pos []eventstore.Position
	for i := 0; i < 10; i += 2 {
		e.append(s, eventstore.Any(), evs[i:i+2]...)
	}
	mine := &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{s}}
	stored := e.read(s, eventstore.Forwards, eventstore.StreamStart(), 100)
	for _, ev := range stored {
		pos = append(pos, ev.Position)
	}
	p0 := eventstore.AllPosition(pos[0])

	// Unfiltered: from our first event, positions strictly increase and our
	// events come in order.
	var seen []eventstore.RecordedEvent
	var prev eventstore.Position
	for _, ev := range e.readAll(eventstore.Forwards, p0, 10_000, nil) {
		if ev.Position.Commit == 0 || !prev.Less(ev.Position) {
			e.t.Fatalf("$all position %v after %v", ev.Position, prev)
		}
		prev = ev.Position
		if ev.StreamID == s {
			seen = append(seen, ev)
		}
	}
	e.wantIDs("$all forwards from our first position", seen, evs)
	for i, ev := range seen {
		if ev.Position != pos[i] || ev.Revision != uint64(i) {
			e.t.Fatalf("$all event %d: position %v revision %d, the stream read says %v %d", i, ev.Position, ev.Revision, pos[i], i)
		}
	}

	// Forwards is inclusive, backwards exclusive.
	e.wantRevs("forwards from event 3", e.readAll(eventstore.Forwards, eventstore.AllPosition(pos[3]), 2, mine), s, 3, 4)
	e.wantRevs("backwards from event 3", e.readAll(eventstore.Backwards, eventstore.AllPosition(pos[3]), 2, mine), s, 2, 1)
	e.wantRevs("backwards from end", e.readAll(eventstore.Backwards, eventstore.AllEnd(), 2, mine), s, 9, 8)
	e.wantRevs("forwards from end", e.readAll(eventstore.Forwards, eventstore.AllEnd(), 5, mine), s)

	// Paging forwards: each page starts at the last event of the previous one.
	var fwd []eventstore.RecordedEvent
	from := p0
	for page := 0; len(fwd) < 10; page++ {
		if page > 10 {
			e.t.Fatal("forward paging does not end")
		}
		got := e.readAll(eventstore.Forwards, from, 4, mine)
		if page > 0 {
			if len(got) == 0 || got[0].ID != fwd[len(fwd)-1].ID {
				e.t.Fatal("a forward page does not start with the event it was read from")
			}
			got = got[1:]
		}
		if len(got) == 0 {
			break
		}
		fwd = append(fwd, got...)
		from = eventstore.AllPosition(got[len(got)-1].Position)
	}
	e.wantIDs("forward pages", fwd, evs)

	// Paging backwards: each page starts before the last event of the previous one.
	var bwd []eventstore.RecordedEvent
	from = eventstore.AllEnd()
	for len(bwd) < 10 {
		got := e.readAll(eventstore.Backwards, from, 5, mine)
		if len(got) == 0 {
			break
		}
		bwd = append(bwd, got...)
		from = eventstore.AllPosition(got[len(got)-1].Position)
	}
	e.wantRevs("backward pages", bwd, s, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
}

func testReadAllFilters(e *env) {
	base := stream("filt")
	typ := "t" + strings.ReplaceAll(uuid.NewString(), "-", "")
	a1, a2, b := base+"-a1", base+"-a2", base+"-b"
	r := e.append(a1, eventstore.NoStream(), events(2, typ+".opened")...)
	e.append(b, eventstore.NoStream(), events(2, typ+".closed")...)
	e.append(a2, eventstore.NoStream(), events(1, typ+".opened")...)
	e.append(a1, eventstore.Exact(1), events(1, typ+".closed")...)
	first := e.read(a1, eventstore.Forwards, eventstore.StreamStart(), 1)[0].Position
	if first.Commit == 0 || r.Position.Less(first) {
		e.t.Fatalf("first position %v after the append's %v", first, r.Position)
	}
	from := eventstore.AllPosition(first)
	type key struct {
		stream string
		rev    uint64
	}
	check := func(what string, f *eventstore.Filter, want ...key) {
		e.t.Helper()
		got := e.readAll(eventstore.Forwards, from, 100, f)
		var gotKeys []key
		for _, ev := range got {
			gotKeys = append(gotKeys, key{ev.StreamID, ev.Revision})
		}
		if fmt.Sprint(gotKeys) != fmt.Sprint(want) {
			e.t.Fatalf("%s: got %v, want %v", what, gotKeys, want)
		}
	}
	check("stream prefix", &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{base + "-a"}},
		key{a1, 0}, key{a1, 1}, key{a2, 0}, key{a1, 2})
	check("two stream prefixes", &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{a2, b}},
		key{b, 0}, key{b, 1}, key{a2, 0})
	check("event type prefix", &eventstore.Filter{On: eventstore.FilterEventType, Prefixes: []string{typ + ".clo"}},
		key{b, 0}, key{b, 1}, key{a1, 2})
	check("stream regex", &eventstore.Filter{On: eventstore.FilterStreamName, Regex: "^" + base + "-(a2|b)$"},
		key{b, 0}, key{b, 1}, key{a2, 0})
	check("event type regex", &eventstore.Filter{On: eventstore.FilterEventType, Regex: "^" + typ + `\.opened$`},
		key{a1, 0}, key{a1, 1}, key{a2, 0})
	back := e.readAll(eventstore.Backwards, eventstore.AllEnd(), 2, &eventstore.Filter{On: eventstore.FilterEventType, Prefixes: []string{typ + ".opened"}})
	e.wantRevs("backwards with a type filter", back[:1], a2, 0)
	e.wantRevs("backwards with a type filter", back[1:], a1, 1)
}

// collector consumes a subscription, checking the contract as it goes.
type collector struct {
	e        *env
	sub      eventstore.Subscription
	stream   string // events of other streams are ignored
	events   []eventstore.RecordedEvent
	caughtUp int // index in events at which CaughtUp came, -1: not yet
	nCaught  int // CaughtUp messages seen
	last     eventstore.Position
	all      bool // a $all subscription: positions must increase
}

func newCollector(e *env, sub eventstore.Subscription, stream string, all bool) *collector {
	e.t.Cleanup(func() { sub.Close() })
	return &collector{e: e, sub: sub, stream: stream, caughtUp: -1, all: all}
}

// until reads messages until stop says so. onCaughtUp runs when CaughtUp
// comes. It may run on any goroutine: it returns what went wrong.
func (c *collector) until(stop func() bool, onCaughtUp func()) error {
	for !stop() {
		msg, err := c.sub.Next()
		if err != nil {
			return fmt.Errorf("subscription: %w (after %d events of %s)", err, len(c.events), c.stream)
		}
		switch {
		case msg.CaughtUp:
			c.nCaught++
			if c.nCaught > 1 {
				return errors.New("a second CaughtUp message")
			}
			c.caughtUp = len(c.events)
			if onCaughtUp != nil {
				onCaughtUp()
			}
		case msg.Checkpoint != nil:
		case msg.Event != nil:
			ev := msg.Event
			if c.all {
				if !c.last.Less(ev.Position) {
					return fmt.Errorf("$all subscription delivered position %v after %v", ev.Position, c.last)
				}
				c.last = ev.Position
			}
			if ev.StreamID == c.stream {
				// The stream is written in order from revision 0: anything
				// else is a gap, a duplicate or a reordering.
				if ev.Revision != uint64(len(c.events)) {
					return fmt.Errorf("subscription delivered revision %d of %s after %d events (a gap, a duplicate or out of order)", ev.Revision, c.stream, len(c.events))
				}
				c.events = append(c.events, *ev)
			}
		default:
			return fmt.Errorf("empty subscription message %+v", msg)
		}
	}
	return nil
}

// handover checks catch-up → CaughtUp → live under concurrent appends: the
// subscriber gets the history, the events appended while it catches up, one
// CaughtUp, then the events appended after it, all once and in order.
func (e *env) handover(s string, subscribe func() []*collector) {
	const history, during, live = 30, 200, 30
	evs := events(history+during+live, "t.sub")
	for i := 0; i < history; i += 3 {
		e.append(s, eventstore.Any(), evs[i:i+3]...)
	}
	cols := subscribe()
	ctx := e.ctx(2)
	writeErr := make(chan error, 1)
	go func() {
		// Appends while the subscriptions catch up (small appends, each its
		// own commit, so the handover happens among them).
		for i := history; i < history+during; {
			n := min(1+i%3, history+during-i)
			if _, err := e.s.Append(ctx, s, eventstore.Exact(uint64(i-1)), evs[i:i+n]...); err != nil {
				writeErr <- err
				return
			}
			i += n
		}
		writeErr <- nil
	}()
	caught := make([]chan struct{}, len(cols))
	for i := range caught {
		caught[i] = make(chan struct{})
	}
	liveErr := make(chan error, 1)
	go func() {
		if err := <-writeErr; err != nil {
			liveErr <- err
			return
		}
		for _, ch := range caught {
			select {
			case <-ch:
			case <-ctx.Done():
				liveErr <- errors.New("no CaughtUp in time")
				return
			}
		}
		for i := history + during; i < len(evs); i++ {
			if _, err := e.s.Append(ctx, s, eventstore.Exact(uint64(i-1)), evs[i]); err != nil {
				liveErr <- err
				return
			}
		}
		liveErr <- nil
	}()
	colErr := make(chan error, len(cols))
	for i, c := range cols {
		go func() {
			colErr <- c.until(func() bool { return len(c.events) >= len(evs) && c.nCaught == 1 }, func() { close(caught[i]) })
		}()
	}
	for range cols {
		if err := <-colErr; err != nil {
			e.t.Fatal(err)
		}
	}
	if err := <-liveErr; err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cols {
		e.wantIDs("subscription", c.events, evs)
		for i, ev := range c.events {
			if ev.Revision != uint64(i) {
				e.t.Fatalf("subscription event %d has revision %d", i, ev.Revision)
			}
		}
		if c.caughtUp < history || c.caughtUp > history+during {
			e.t.Fatalf("CaughtUp came after %d events, want between the history (%d) and the live part (%d)", c.caughtUp, history, history+during)
		}
	}
}

func testSubscribeAllHandover(e *env) {
	s := stream("suball")
	marker := e.append(stream("marker"), eventstore.Any(), events(1, "t.marker")...)
	e.handover(s, func() []*collector {
		plain, err := e.s.SubscribeAll(e.ctx(2), eventstore.AllPosition(marker.Position), eventstore.SubscribeOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		filtered, err := e.s.SubscribeAll(e.ctx(2), eventstore.AllPosition(marker.Position), eventstore.SubscribeOptions{
			Filter: &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{s}},
		})
		if err != nil {
			e.t.Fatal(err)
		}
		return []*collector{newCollector(e, plain, s, true), newCollector(e, filtered, s, true)}
	})
}

// nextEvent returns the next event of the subscription, skipping CaughtUp,
// checkpoints and events of other streams than s.
func (e *env) nextEvent(sub eventstore.Subscription, s string) *eventstore.RecordedEvent {
	e.t.Helper()
	for {
		msg, err := sub.Next()
		if err != nil {
			e.t.Fatalf("subscription: %v", err)
		}
		if msg.Event != nil && msg.Event.StreamID == s {
			return msg.Event
		}
	}
}

func testSubscribeAllFromEnd(e *env) {
	s := stream("allend")
	e.append(s, eventstore.Any(), events(3, "t.end")...)
	sub, err := e.s.SubscribeAll(e.ctx(1), eventstore.AllEnd(), eventstore.SubscribeOptions{
		Filter: &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{s}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	defer sub.Close()
	ev := events(1, "t.end")
	e.append(s, eventstore.Exact(2), ev...)
	if got := e.nextEvent(sub, s); got.ID != ev[0].ID || got.Revision != 3 {
		e.t.Fatalf("subscription from the end delivered revision %d, want only the new event (3)", got.Revision)
	}
}

func testSubscribeAllCheckpoints(e *env) {
	s, other := stream("ckpt"), stream("ckpt_other")
	marker := e.append(other, eventstore.Any(), events(1, "t.ckpt")...)
	for range 5 {
		e.append(other, eventstore.Any(), events(10, "t.ckpt")...)
	}
	want := events(1, "t.ckpt")
	res := e.append(s, eventstore.Any(), want...)
	sub, err := e.s.SubscribeAll(e.ctx(1), eventstore.AllPosition(marker.Position), eventstore.SubscribeOptions{
		Filter:             &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{s}},
		CheckpointInterval: 1,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	defer sub.Close()
	// Checkpoints are optional here (servers choose their interval) but must
	// never pass an event not yet delivered, nor go back.
	var last eventstore.Position
	for {
		msg, err := sub.Next()
		if err != nil {
			e.t.Fatal(err)
		}
		if msg.Checkpoint != nil {
			if msg.Checkpoint.Less(last) {
				e.t.Fatalf("checkpoint %v after %v", *msg.Checkpoint, last)
			}
			last = *msg.Checkpoint
		}
		if msg.Event != nil {
			if msg.Event.StreamID != s || msg.Event.ID != want[0].ID {
				e.t.Fatalf("filtered subscription delivered %s/%d", msg.Event.StreamID, msg.Event.Revision)
			}
			if last != (eventstore.Position{}) && !last.Less(res.Position) {
				e.t.Fatalf("a checkpoint (%v) came before an event it passed (%v)", last, res.Position)
			}
			return
		}
	}
}

func testSubscriptionCancel(e *env) {
	e.cancelAndClose(func(ctx context.Context) (eventstore.Subscription, error) {
		return e.s.SubscribeAll(ctx, eventstore.AllEnd(), eventstore.SubscribeOptions{})
	})
}

// cancelAndClose checks that Next returns an error once the subscription's
// context is cancelled, and once it is closed, for subscriptions open
// returns.
func (e *env) cancelAndClose(open func(ctx context.Context) (eventstore.Subscription, error)) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, err := open(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	defer sub.Close()
	sub2, err := open(e.ctx(1))
	if err != nil {
		e.t.Fatal(err)
	}
	drainUntilErr := func(sub eventstore.Subscription) chan error {
		done := make(chan error, 1)
		go func() {
			for {
				if _, err := sub.Next(); err != nil {
					done <- err
					return
				}
			}
		}()
		return done
	}
	done := drainUntilErr(sub)
	done2 := drainUntilErr(sub2)
	time.Sleep(50 * time.Millisecond)
	cancel()
	e.wantNextErr(done, "the context was cancelled", "the subscription's context was cancelled")
	sub2.Close()
	e.wantNextErr(done2, "Close", "Close")
}

// wantNextErr fails the test unless done, fed by a subscription's Next,
// yields an error within the timeout. noErr and timedOut say what was done
// to the subscription, as the failure message puts it when Next returned
// no error and when it did not return.
func (e *env) wantNextErr(done <-chan error, noErr, timedOut string) {
	select {
	case err := <-done:
		if err == nil {
			e.t.Fatal("Next returned no error after " + noErr)
		}
	case <-time.After(e.opts.Timeout):
		e.t.Fatal("Next did not return after " + timedOut)
	}
}

func testSubscriptionIdle(e *env) {
	s := stream("idle")
	e.idle(s, func(ctx context.Context) (eventstore.Subscription, error) {
		return e.s.SubscribeAll(ctx, eventstore.AllEnd(), eventstore.SubscribeOptions{
			Filter: &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{s}},
		})
	})
}

// idle leaves the caught-up subscription open returns without traffic for
// IdleWait, then checks that it delivers the next event of s.
func (e *env) idle(s string, open func(ctx context.Context) (eventstore.Subscription, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.IdleWait+2*e.opts.Timeout)
	defer cancel()
	sub, err := open(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	defer sub.Close()
	msg, err := sub.Next()
	if err != nil || !msg.CaughtUp {
		e.t.Fatalf("first message of an idle subscription: %+v, %v; want CaughtUp", msg, err)
	}
	time.Sleep(e.opts.IdleWait)
	ev := events(1, "t.idle")
	e.append(s, eventstore.NoStream(), ev...)
	if got := e.nextEvent(sub, s); got.ID != ev[0].ID {
		e.t.Fatalf("after %v idle: got %s, want %s", e.opts.IdleWait, got.ID, ev[0].ID)
	}
}

func metadataEvent(json string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: eventstore.MetadataEventType, ContentType: "application/json", Data: []byte(json)}
}

func testStreamMetadata(e *env) {
	s := stream("meta")
	meta := eventstore.MetadataStream(s)
	e.append(s, eventstore.NoStream(), events(5, "t.meta")...)
	F, B := eventstore.Forwards, eventstore.Backwards
	start, end := eventstore.StreamStart(), eventstore.StreamEnd()

	e.append(meta, eventstore.NoStream(), metadataEvent(`{"$maxCount":2}`))
	e.wantRevs("$maxCount 2 forwards", e.read(s, F, start, 10), s, 3, 4)
	e.wantRevs("$maxCount 2 forwards, 1", e.read(s, F, eventstore.StreamRevision(0), 1), s, 3)
	e.wantRevs("$maxCount 2 backwards", e.read(s, B, end, 10), s, 4, 3)
	e.wantRevs("$maxCount 2 backwards from 3", e.read(s, B, eventstore.StreamRevision(3), 10), s, 3)

	e.append(meta, eventstore.Exact(0), metadataEvent(`{"$tb":1}`))
	e.wantRevs("$tb 1", e.read(s, F, start, 10), s, 1, 2, 3, 4)
	e.wantRevs("$tb 1 backwards", e.read(s, B, end, 10), s, 4, 3, 2, 1)

	e.append(meta, eventstore.Exact(1), metadataEvent(`{"$tb":3,"$maxCount":4,"custom":"kept"}`))
	e.wantRevs("$tb 3 with $maxCount 4", e.read(s, F, start, 10), s, 3, 4)
	e.append(s, eventstore.Exact(4), events(3, "t.meta")...)
	e.wantRevs("$maxCount 4 after more events", e.read(s, F, start, 10), s, 4, 5, 6, 7)

	// The metadata stream shows only its latest event.
	latest := e.read(meta, B, end, 10)
	if len(latest) != 1 || latest[0].Revision != 2 || !strings.Contains(string(latest[0].Data), `"custom"`) || latest[0].Type != eventstore.MetadataEventType {
		e.t.Fatalf("metadata stream read backwards: %+v, want only its latest event (revision 2)", latest)
	}
	e.wantRevs("metadata stream forwards", e.read(meta, F, start, 10), meta, 2)

	// Metadata that is not valid is ignored as a whole.
	e.append(meta, eventstore.Exact(2), metadataEvent(`{"$maxCount":"two","$tb":6}`))
	e.wantRevs("invalid metadata", e.read(s, F, start, 10), s, 0, 1, 2, 3, 4, 5, 6, 7)

	// Metadata before the stream exists: StreamExists accepts the stream.
	s2 := stream("meta_first")
	e.append(eventstore.MetadataStream(s2), eventstore.NoStream(), metadataEvent(`{"$maxCount":1}`))
	e.append(s2, eventstore.StreamExists(), events(2, "t.meta")...)
	e.wantRevs("metadata written first", e.read(s2, F, start, 10), s2, 1)
}

func testHead(e *env) {
	// The store may be shared: other events can come between the reads, so
	// the head is checked against bounds, not for equality.
	s := stream("head")
	res := e.append(s, eventstore.NoStream(), events(2, "t.head")...)
	before, err := e.s.Head(e.ctx(1))
	if err != nil {
		e.t.Fatalf("head: %v", err)
	}
	if before.Commit == 0 || before.Less(res.Position) {
		e.t.Fatalf("head %v right after an append at %v, want at or after it", before, res.Position)
	}
	last := e.readAll(eventstore.Backwards, eventstore.AllEnd(), 1, nil)
	after, err := e.s.Head(e.ctx(1))
	if err != nil {
		e.t.Fatalf("head: %v", err)
	}
	if len(last) != 1 || last[0].Position.Less(before) || after.Less(last[0].Position) {
		e.t.Fatalf("the last event of $all (%v) is not between the heads read before (%v) and after (%v)", last, before, after)
	}
	res2 := e.append(s, eventstore.Exact(1), events(1, "t.head")...)
	if h, err := e.s.Head(e.ctx(1)); err != nil || h.Less(res2.Position) || !before.Less(h) {
		e.t.Fatalf("head after another append at %v: %v, %v; want at or after it, and after %v", res2.Position, h, err, before)
	}
}

func testMaxAge(e *env) {
	s := stream("maxage")
	e.append(s, eventstore.NoStream(), events(2, "t.age")...)
	// Old enough to expire under a 3 s $maxAge, with a margin for clocks.
	aged := time.Now().Add(4500 * time.Millisecond)
	// Wait in parallel with the other tests: the events age meanwhile.
	e.t.Parallel()
	time.Sleep(time.Until(aged))
	e.append(s, eventstore.Exact(1), events(2, "t.age")...)
	e.append(eventstore.MetadataStream(s), eventstore.Any(), metadataEvent(`{"$maxAge":3}`))
	e.wantRevs("$maxAge forwards", e.read(s, eventstore.Forwards, eventstore.StreamStart(), 10), s, 2, 3)
	e.wantRevs("$maxAge backwards", e.read(s, eventstore.Backwards, eventstore.StreamEnd(), 10), s, 3, 2)
}

func testCreated(e *env) {
	s := stream("created")
	before := time.Now()
	e.append(s, eventstore.NoStream(), events(1, "t.created")...)
	after := time.Now()
	ev := e.read(s, eventstore.Forwards, eventstore.StreamStart(), 1)[0]
	// A remote store has its own clock: allow some skew.
	const skew = 2 * time.Minute
	if ev.Created.Before(before.Add(-skew)) || ev.Created.After(after.Add(skew)) {
		e.t.Fatalf("Created %v, want within %v of [%v, %v]", ev.Created, skew, before, after)
	}
	if ev.Created.Location() != time.UTC {
		e.t.Fatalf("Created %v is not in UTC", ev.Created)
	}
}

func testContextCancellation(e *env) {
	s := stream("ctx")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.s.Append(ctx, s, eventstore.Any(), events(1, "t.ctx")...)
	wantErr(e.t, "append with a cancelled context", err, context.Canceled)
	_, err = e.s.ReadStream(e.ctx(1), s, eventstore.Forwards, eventstore.StreamStart(), 1)
	wantErr(e.t, "read after an append with a cancelled context", err, eventstore.ErrStreamNotFound)
	e.append(s, eventstore.NoStream(), events(1, "t.ctx")...)
	_, err = e.s.ReadStream(ctx, s, eventstore.Forwards, eventstore.StreamStart(), 1)
	wantErr(e.t, "read stream with a cancelled context", err, context.Canceled)
	_, err = e.s.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 1, nil)
	wantErr(e.t, "read $all with a cancelled context", err, context.Canceled)
	_, err = e.s.Head(ctx)
	wantErr(e.t, "head with a cancelled context", err, context.Canceled)
	dl, cancel2 := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel2()
	<-dl.Done()
	_, err = e.s.Append(dl, s, eventstore.Any(), events(1, "t.ctx")...)
	wantErr(e.t, "append past its deadline", err, context.DeadlineExceeded)
}
