package projector

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/infratest"
	"github.com/ticketledger/ticketledger/projections"
	"github.com/ticketledger/ticketledger/projections/projectionstest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type models struct {
	tk *projections.Tickets
	au *projections.Audit
}

func newModels() models {
	return models{projections.NewTickets(projections.TicketsOptions{}), projections.NewAudit()}
}

func (m models) list() []projections.Projection { return []projections.Projection{m.tk, m.au} }

func newRunner(t testing.TB, l *memLog, m models, snap string) *Runner {
	t.Helper()
	r, err := New(Options{Store: l, Decode: codec.Decode, IsUnknown: isUnknown, Projections: m.list(),
		SnapshotPath: snap, Logger: quiet, BatchSize: 64, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// start runs r until the returned stop is called.
func start(t testing.TB, r *Runner) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return func() error {
		cancel()
		err := <-done
		if err == context.Canceled {
			return nil
		}
		return err
	}
}

func state(t testing.TB, m models) []any {
	t.Helper()
	now := projectionstest.Epoch.Add(24 * time.Hour)
	tp, _ := m.tk.List(projections.TicketFilter{}, projections.Page{Limit: projections.MaxLimit})
	rep, _ := m.tk.Report(projections.ReportQuery{GroupBy: []string{"severity", "product"}, Now: now, Horizon: time.Hour})
	ap, _ := m.au.Query(projections.AuditQuery{}, projections.Page{Limit: projections.MaxLimit})
	ts, as := m.tk.Stats(), m.au.Stats()
	ts.Duplicates, as.Duplicates = 0, 0
	return []any{tp, rep, ap, ts, as}
}

func TestRunnerFollowsLogAndServesQueriesConcurrently(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 400, Partners: 5, Customers: 20})
	l := newMemLog()
	l.add(evs[:len(evs)/2]...)
	m := newModels()
	r := newRunner(t, l, m, "")
	stop := start(t, r)
	// readers hammer the models while events apply (run with -race)
	var wg sync.WaitGroup
	quit := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-quit:
					return
				default:
				}
				m.tk.List(projections.TicketFilter{Severity: "A"}, projections.Page{Limit: 10})
				m.tk.Report(projections.ReportQuery{GroupBy: []string{"partner"}, Now: projectionstest.Epoch})
				m.au.Query(projections.AuditQuery{PartnerID: "p0001"}, projections.Page{Limit: 10, Order: projections.NewestFirst})
				r.Stats()
				r.Status()
			}
		}()
	}
	select {
	case <-r.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("never ready")
	}
	l.add(evs[len(evs)/2:]...)
	infratest.WaitFor(t, "all events", func() bool { return m.au.Position() == uint64(len(evs)) })
	lag, err := r.Lag(context.Background())
	if err != nil || lag.Events != 0 || !lag.CaughtUp {
		t.Errorf("lag %+v %v", lag, err)
	}
	close(quit)
	wg.Wait()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	ref := newModels()
	for _, e := range evs {
		ref.tk.Apply(e)
		ref.au.Apply(e)
	}
	if !reflect.DeepEqual(state(t, m), state(t, ref)) {
		t.Error("runner state differs from a direct fold")
	}
}

func TestRunnerSkipsUnknownAndForeignEvents(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 20, Partners: 2})
	l := newMemLog()
	l.add(evs[:10]...)
	l.addRaw("ticket-x", eventstore.EventData{Type: "ticket.teleported", ContentType: "application/json", Data: []byte(`{}`), Metadata: []byte(`{}`)})
	l.addRaw("ticket-y", eventstore.EventData{Type: "ticket.opened", ContentType: "application/json", Data: []byte(`{not json`), Metadata: []byte(`{}`)})
	l.addRaw("$settings", eventstore.EventData{Type: "$settings", Data: []byte(`{}`)})
	l.addRaw("invoice-1", eventstore.EventData{Type: "invoice.sent", Data: []byte(`{}`)})
	l.add(evs[10:]...)
	m := newModels()
	r := newRunner(t, l, m, "")
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := r.Stats()
	if s.SkippedUnknown != 1 || s.DecodeErrors != 1 || s.Filtered != 2 || s.Applied != uint64(len(evs)) {
		t.Errorf("stats %+v", s)
	}
	if s.Checkpoint.Commit != uint64(len(evs)+4) {
		t.Errorf("checkpoint %v", s.Checkpoint)
	}
	if st := r.Status(); len(st) != 2 || st[0].Skipped != 1 || st[0].Name != projections.TicketsName {
		t.Errorf("status %+v", st)
	}
}

// Restarts resume from the snapshot's checkpoint, never double-count, and
// end in the same state as a rebuild from zero.
func TestRunnerRestartsFromSnapshot(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 300, Partners: 5, Customers: 30})
	dir := t.TempDir()
	snap := filepath.Join(dir, "projections.snap")
	l := newMemLog()
	third := len(evs) / 3
	l.add(evs[:third]...)

	m1 := newModels()
	r1 := newRunner(t, l, m1, snap)
	stop := start(t, r1)
	<-r1.Ready()
	infratest.WaitFor(t, "first third", func() bool { return m1.au.Position() == uint64(third) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}

	l.add(evs[third:]...)
	m2 := newModels()
	r2 := newRunner(t, l, m2, snap)
	if !r2.Stats().Restored || m2.tk.Position() != uint64(third) {
		t.Fatalf("not restored: %+v pos %d", r2.Stats(), m2.tk.Position())
	}
	l.mu.Lock()
	l.drop = 50 // the next subscription drops: the runner resubscribes
	l.mu.Unlock()
	stop = start(t, r2)
	infratest.WaitFor(t, "all events", func() bool { return m2.au.Position() == uint64(len(evs)) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	froms := append([]eventstore.AllPos(nil), l.froms...)
	l.mu.Unlock()
	if p, ok := froms[1].Position(); !ok || p.Commit != uint64(third) {
		t.Errorf("second run subscribed from %+v, want the checkpoint %d", froms[1], third)
	}
	if r2.Stats().Resubscriptions != 1 {
		t.Errorf("resubscriptions %d", r2.Stats().Resubscriptions)
	}

	ref := newModels()
	rr := newRunner(t, l, ref, "")
	var calls, lastDone, lastTotal uint64
	if err := rr.Rebuild(context.Background(), func(done, total uint64) { calls++; lastDone, lastTotal = done, total }); err != nil {
		t.Fatal(err)
	}
	if calls < 2 || lastDone != uint64(len(evs)) || lastTotal != uint64(len(evs)) {
		t.Errorf("progress: %d calls, last %d/%d", calls, lastDone, lastTotal)
	}
	if !reflect.DeepEqual(state(t, m2), state(t, ref)) {
		t.Error("restarted state differs from a rebuild from zero")
	}
}

func TestRunnerIgnoresCorruptSnapshot(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 100, Partners: 3})
	snap := filepath.Join(t.TempDir(), "p.snap")
	l := newMemLog()
	l.add(evs...)
	m := newModels()
	r := newRunner(t, l, m, snap)
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	want := state(t, m)
	cases := map[string][]byte{
		"torn":      good[:len(good)/2],
		"empty":     nil,
		"bit flip":  flip(good, len(good)/3),
		"header":    flip(good, 9),
		"trailer":   flip(good, len(good)-2),
		"extra":     append(append([]byte(nil), good...), 0),
		"sec. name": flip(good, 30),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(snap, b, 0o644); err != nil {
				t.Fatal(err)
			}
			m := newModels()
			r := newRunner(t, l, m, snap)
			if r.Stats().Restored || m.au.Len() != 0 {
				t.Fatal("corrupt snapshot restored")
			}
			if err := r.CatchUp(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(state(t, m), want) {
				t.Error("rebuild after a corrupt snapshot differs")
			}
		})
	}
	// a snapshot without one of the projections: that one rebuilds from
	// zero, the other keeps its state and ignores what it has seen
	only := newModels()
	ro, _ := New(Options{Store: l, Decode: codec.Decode, Projections: []projections.Projection{only.tk}, SnapshotPath: snap, Logger: quiet})
	if err := ro.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	m2 := newModels()
	r2 := newRunner(t, l, m2, snap)
	if !r2.Stats().Restored || m2.tk.Len() == 0 || m2.au.Len() != 0 {
		t.Fatal("partial snapshot not restored as expected")
	}
	if err := r2.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(state(t, m2), want) {
		t.Error("state after a partial snapshot differs")
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

func TestRebuildWhileRunning(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 200, Partners: 3})
	l := newMemLog()
	l.add(evs...)
	m := newModels()
	r := newRunner(t, l, m, filepath.Join(t.TempDir(), "s"))
	stop := start(t, r)
	<-r.Ready()
	want := state(t, m)
	var last uint64
	if err := r.Rebuild(context.Background(), func(done, total uint64) { last = done }); err != nil {
		t.Fatal(err)
	}
	if last != uint64(len(evs)) {
		t.Errorf("progress ended at %d", last)
	}
	if !reflect.DeepEqual(state(t, m), want) {
		t.Error("state after rebuild differs")
	}
	// still live after the rebuild
	more := projectionstest.Generate(projectionstest.Options{Tickets: 1, Partners: 1, Seed: 9})
	g := projectionstest.NewGenerator(1)
	g.Pos = uint64(len(evs))
	for _, e := range more[1:] {
		g.Add(e.Stream+"-new", e.Meta, e.Event)
	}
	l.add(g.Events...)
	infratest.WaitFor(t, "live event after rebuild", func() bool { return m.au.Len() == len(evs)+len(g.Events) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if r.Stats().Snapshots < 2 {
		t.Errorf("snapshots %d", r.Stats().Snapshots)
	}
}

var _ = domain.Recorded{}

func TestLogWorthy(t *testing.T) {
	var got []uint64
	for n := uint64(1); n <= 100000; n++ {
		if logWorthy(n) {
			got = append(got, n)
		}
	}
	want := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 1000, 10000, 100000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("logged at %v", got)
	}
}

func TestLagAndStatus(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 50, Partners: 2})
	l := newMemLog()
	l.add(evs[:100]...)
	m := newModels()
	now := time.Unix(1000, 0)
	r, err := New(Options{Store: l, Decode: codec.Decode, Projections: m.list(), Logger: quiet, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.add(evs[100:]...) // not applied yet
	lag, err := r.Lag(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// the fake store stamps event n with Created = Unix(n)
	if lag.Events != uint64(len(evs)-100) || lag.CaughtUp || lag.Seconds != 900 {
		t.Errorf("lag %+v", lag)
	}
	st := r.Status()
	if len(st) != 2 || st[1].LagEvents != uint64(len(evs)-100) || st[1].Lag != 900*time.Second || st[1].Position != 100 {
		t.Errorf("status %+v", st)
	}
}

// TestRebuildWritesOneSnapshot: a rebuild that catches up past
// SnapshotEvery writes its snapshot once, at the end, not also on catching
// up; CatchUp still snapshots when due.
func TestRebuildWritesOneSnapshot(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 50})
	l := newMemLog()
	l.add(evs...)
	m := newModels()
	r, err := New(Options{Store: l, Decode: codec.Decode, IsUnknown: isUnknown, Projections: m.list(),
		SnapshotPath: filepath.Join(t.TempDir(), "p.snap"), SnapshotEvery: 10, Logger: quiet, BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Rebuild(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Snapshots != 1 || st.Checkpoint.Commit != uint64(len(evs)) || m.au.Len() != len(evs) {
		t.Fatalf("after Rebuild: %d snapshots (want 1), checkpoint %d, %d audit entries (want %d)", st.Snapshots, st.Checkpoint.Commit, m.au.Len(), len(evs))
	}
	l.add(projectionstest.Generate(projectionstest.Options{Tickets: 60, Seed: 2})[len(evs):]...)
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Snapshots != 2 {
		t.Fatalf("after CatchUp: %d snapshots, want 2", st.Snapshots)
	}
}

// retired is a read model this version no longer has: it writes an
// arbitrary payload under its own section name.
type retired struct {
	projections.Projection
	name string
}

func (p retired) Name() string { return p.name }

func (p retired) Snapshot(w io.Writer) error {
	_, err := w.Write([]byte("TLSV\x02 payload of a read model that is gone"))
	return err
}

// TestSnapshotWithRetiredSectionRestores: a snapshot written by an older
// version with a section of a read model that no longer exists (the former
// "metrics_sla" SLA view) restores the current read models and skips that
// section, so a restart after an upgrade needs no rebuild.
func TestSnapshotWithRetiredSectionRestores(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 50, Partners: 3, Customers: 10})
	l := newMemLog()
	l.add(evs...)
	old := newModels()
	rr := newRunner(t, l, old, "")
	if err := rr.Rebuild(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "projections.snap")
	ck := eventstore.Position{Commit: uint64(len(evs)), Prepare: uint64(len(evs))}
	gone := retired{Projection: old.tk, name: "metrics_sla"}
	if err := writeSnapshot(snap, ck, []projections.Projection{old.tk, gone, old.au}); err != nil {
		t.Fatal(err)
	}
	m := newModels()
	r := newRunner(t, l, m, snap)
	if st := r.Stats(); !st.Restored || st.Checkpoint != ck {
		t.Fatalf("not restored: %+v", st)
	}
	if m.tk.Position() != uint64(len(evs)) || !reflect.DeepEqual(state(t, m), state(t, old)) {
		t.Fatal("restored state differs from the one snapshotted")
	}
}

// TestAppliedWakesWaiters: a channel taken from Applied is closed once the
// runner has applied events appended after it was taken, and by then the
// projections' positions show them; it stays open while nothing arrives.
func TestAppliedWakesWaiters(t *testing.T) {
	evs := projectionstest.Generate(projectionstest.Options{Tickets: 20, Partners: 2, Customers: 4})
	l := newMemLog()
	l.add(evs[:10]...)
	m := newModels()
	r := newRunner(t, l, m, "")
	stop := start(t, r)
	defer stop()
	<-r.Ready()
	infratest.WaitFor(t, "the first events", func() bool { return m.au.Position() == 10 })
	ch := r.Applied()
	select {
	case <-ch:
		t.Fatal("Applied closed with nothing new applied")
	default:
	}
	l.add(evs[10:]...)
	for m.au.Position() < uint64(len(evs)) {
		select {
		case <-ch:
			ch = r.Applied()
		case <-time.After(10 * time.Second):
			t.Fatalf("Applied not closed: audit at %d of %d", m.au.Position(), len(evs))
		}
	}
	if m.tk.Position() != uint64(len(evs)) {
		t.Fatalf("tickets at %d of %d after the wake-up", m.tk.Position(), len(evs))
	}
}
