package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/app/apptest"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/kurrentwire/kurrentwiretest"
	"github.com/ticketledger/ticketledger/infra/store/kurrent"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/pebbletest"
)

// What the tests of this package share: a fixture (a service on a hooked
// store), the cast, and the requests they file.

// hookStore wraps a store so tests can interfere with appends and reads,
// and see the reads.
type hookStore struct {
	eventstore.Store
	mu           sync.Mutex
	beforeAppend func(stream string)
	tamper       func([]eventstore.RecordedEvent)
	reads        []readCall
}

// readCall is one ReadStream call: its arguments and how many events came.
type readCall struct {
	stream string
	dir    eventstore.Direction
	from   eventstore.StreamPos
	count  uint64
	got    int
}

// takeReads returns the reads since the last call and forgets them.
func (h *hookStore) takeReads() []readCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.reads
	h.reads = nil
	return r
}

func (h *hookStore) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	h.mu.Lock()
	f := h.beforeAppend
	h.beforeAppend = nil
	h.mu.Unlock()
	if f != nil {
		f(stream)
	}
	return h.Store.Append(ctx, stream, exp, evs...)
}

func (h *hookStore) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from eventstore.StreamPos, n uint64) ([]eventstore.RecordedEvent, error) {
	evs, err := h.Store.ReadStream(ctx, stream, dir, from, n)
	if h.tamper != nil && err == nil {
		h.tamper(evs)
	}
	h.mu.Lock()
	h.reads = append(h.reads, readCall{stream: stream, dir: dir, from: from, count: n, got: len(evs)})
	h.mu.Unlock()
	return evs, err
}

// fixture is a service on a hooked store, onboarded by apptest.Onboard,
// with a clock the test sets.
type fixture struct {
	svc   *app.Service
	store *hookStore
	now   time.Time
}

// setup is a fixture on a fresh embedded store.
func setup(t *testing.T) *fixture {
	t.Helper()
	return setupOn(t, pebbletest.Open(t))
}

// setupOn is setup on a given store.
func setupOn(t *testing.T, st eventstore.Store) *fixture {
	t.Helper()
	f := &fixture{store: &hookStore{Store: st}, now: now0}
	f.svc = f.service(t, f.store, app.Config{})
	apptest.Onboard(t, f.svc, system)
	return f
}

// service returns another Service on st with the fixture's clock: with
// the store itself (not the hooked one), another process.
func (f *fixture) service(t *testing.T, st eventstore.Store, cfg app.Config) *app.Service {
	t.Helper()
	cfg.Store, cfg.Now = st, func() time.Time { return f.now }
	svc, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

var must = apptest.Must

var openReq = apptest.OpenRequest

// wireStore is the KurrentDB adapter on a fresh embedded store served over
// loopback gRPC.
func wireStore(t *testing.T) eventstore.Store {
	t.Helper()
	addr, _ := kurrentwiretest.Serve(t, pebbletest.Open(t), kurrentwire.Options{})
	ks, err := kurrent.Dial(kurrentwiretest.Context(t), "esdb://"+addr+"?tls=false")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	return ks
}

// onBothStores runs f on the embedded store and on the KurrentDB adapter.
func onBothStores(t *testing.T, f func(t *testing.T, fx *fixture)) {
	t.Run("pebble", func(t *testing.T) { f(t, setup(t)) })
	t.Run("kurrent", func(t *testing.T) { f(t, setupOn(t, wireStore(t))) })
}

// twoProcesses returns the fixture's service and a second one on the same
// store (another ledger process, with caches of its own), and a ticket the
// first one opened.
func (f *fixture) twoProcesses(t *testing.T) (a, b *app.Service, ticketID string) {
	t.Helper()
	a, b = f.svc, f.service(t, f.store.Store, app.Config{})
	return a, b, must(t)(a.Open(context.Background(), app.Command{Actor: provider}, openReq())).TicketID
}

var (
	now0     = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	system   = domain.Actor{ID: "onboarding", Role: domain.RoleSystem}
	provider = apptest.Provider
	reseller = apptest.Reseller
	vendor   = apptest.Vendor
	auditor  = domain.Actor{ID: "audrey@audit.example", Role: domain.RoleAuditor}
)
