package kurrent_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/eventstore/eventstoretest"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/store/kurrent"
)

// The adapter implements the port and the wire server's larger interface.
var (
	_ eventstore.Store  = (*kurrent.Store)(nil)
	_ kurrentwire.Store = (*kurrent.Store)(nil)
)

// shared returns a factory of one store per top-level test, opened by open
// on first use: every sub-test of the suites shares it, as applications
// share one KurrentDB.
func shared(t *testing.T, open func(testing.TB) *kurrent.Store) func(*testing.T) *kurrent.Store {
	var (
		once sync.Once
		s    *kurrent.Store
	)
	return func(*testing.T) *kurrent.Store {
		once.Do(func() { s = open(t) })
		return s
	}
}

// runBoth runs the port's suite and the wire interface's suite on the store
// of one factory. Their sub-tests have different names, so they run as
// sub-tests of t together (the sleepers of both in parallel).
func runBoth(t *testing.T, store func(*testing.T) *kurrent.Store, opts eventstoretest.Options) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return store(t) }, opts)
	eventstoretest.RunWire(t, func(t *testing.T) kurrentwire.Store { return store(t) }, opts)
}

// Both suites through the official client and the wire server.
func TestConformance(t *testing.T) {
	runBoth(t, shared(t, newWireStore), eventstoretest.Options{})
}

// Both suites with subscriptions idle for 60 s: longer than the client's
// keepalive pings take to get a connection killed by a server that
// enforces gRPC's default ping policy ("too_many_pings" after ~30-40 s).
// It runs only with TICKETLEDGER_SLOW_TESTS=1 (.ci/run sets it).
func TestConformanceIdle60s(t *testing.T) {
	if testing.Short() || os.Getenv("TICKETLEDGER_SLOW_TESTS") == "" {
		t.Skip("idles 60 s: set TICKETLEDGER_SLOW_TESTS=1 to run it")
	}
	// The idle sub-tests' subscriptions live for 2 × Timeout: keep that
	// well above IdleWait.
	runBoth(t, shared(t, newWireStore), eventstoretest.Options{IdleWait: 60 * time.Second, Timeout: 45 * time.Second})
}

// Both suites against a real KurrentDB, when KURRENTDB_URL is set.
func TestConformanceKurrentDB(t *testing.T) {
	url := kurrentDBURL(t)
	runBoth(t, shared(t, func(t testing.TB) *kurrent.Store { return dialStore(t, url) }), eventstoretest.Options{})
}
