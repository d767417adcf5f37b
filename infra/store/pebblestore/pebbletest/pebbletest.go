// Package pebbletest opens the embedded event store for tests of the
// packages built on it.
package pebbletest

import (
	"testing"

	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
)

// Open opens an empty embedded store in a new temporary directory of t,
// with default options, and closes it when t ends. Failing to open or to
// close fails t.
func Open(t testing.TB) *pebblestore.Store {
	t.Helper()
	st, err := pebblestore.Open(t.TempDir(), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the test store: %v", err)
		}
	})
	return st
}
