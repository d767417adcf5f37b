// Package infratest holds small helpers the tests of the infra packages
// share. It depends on the standard library only, so that any package's
// own tests may use it.
package infratest

import (
	"testing"
	"time"
)

// WaitFor polls cond every 5 ms until it holds, and fails t, naming what it
// waited for, when it still does not after 20 s.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
