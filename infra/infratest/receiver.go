package infratest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Receiver is an HTTP endpoint for tests (a webhook receiver, a witness)
// that records the body of every request it accepts. It is safe for
// concurrent use.
type Receiver struct {
	// URL is where the receiver listens.
	URL string

	mu     sync.Mutex
	calls  int
	fail   int
	bodies [][]byte
}

// NewReceiver starts a Receiver on a loopback port until t ends. It
// answers its first failFirst requests 502 Bad Gateway without recording
// them, and every later one 204 No Content.
func NewReceiver(t testing.TB, failFirst int) *Receiver {
	t.Helper()
	r := &Receiver{fail: failFirst}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.calls++; r.calls <= r.fail {
			http.Error(w, "down for a moment", http.StatusBadGateway)
			return
		}
		r.bodies = append(r.bodies, body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Bodies returns the bodies of the requests accepted so far, in the order
// they came.
func (r *Receiver) Bodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}
