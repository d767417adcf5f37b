package kurrentwire_test

import (
	"testing"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
)

// newStore is the store the wire tests run against: the embedded store in
// a temporary directory. (fakeStore is used only where a test needs to
// make the store misbehave.)
func newStore(t testing.TB) eventstore.Store {
	t.Helper()
	s, err := pebblestore.Open(t.TempDir(), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
