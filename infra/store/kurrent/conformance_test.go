package kurrent_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/eventstore/eventstoretest"
)

// sharedWireStore returns one kurrent.Store per top-level test, on one
// embedded store served over loopback gRPC: every sub-test of the suite
// shares it, as applications share one KurrentDB.
func sharedWireStore(t *testing.T) func(*testing.T) eventstore.Store {
	var (
		once sync.Once
		s    eventstore.Store
	)
	return func(*testing.T) eventstore.Store {
		once.Do(func() { s = newWireStore(t) })
		return s
	}
}

// The conformance suite through the official client and the wire server.
func TestConformance(t *testing.T) {
	eventstoretest.Run(t, sharedWireStore(t), eventstoretest.Options{})
}

// The suite with subscriptions idle for 60 s: longer than the client's
// keepalive pings take to get a connection killed by a server that
// enforces gRPC's default ping policy ("too_many_pings" after ~30-40 s).
// It runs only with TICKETLEDGER_SLOW_TESTS=1 (.ci/run sets it).
func TestConformanceIdle60s(t *testing.T) {
	if testing.Short() || os.Getenv("TICKETLEDGER_SLOW_TESTS") == "" {
		t.Skip("idles 60 s: set TICKETLEDGER_SLOW_TESTS=1 to run it")
	}
	// The idle sub-test's subscriptions live for 2 × Timeout: keep that
	// well above IdleWait.
	eventstoretest.Run(t, sharedWireStore(t), eventstoretest.Options{IdleWait: 60 * time.Second, Timeout: 45 * time.Second})
}

// The suite against a real KurrentDB, when KURRENTDB_URL is set.
func TestConformanceKurrentDB(t *testing.T) {
	url := kurrentDBURL(t)
	var (
		once sync.Once
		s    eventstore.Store
	)
	eventstoretest.Run(t, func(*testing.T) eventstore.Store {
		once.Do(func() { s = dialStore(t, url) })
		return s
	}, eventstoretest.Options{})
}
