package kurrentwiretest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/kurrentwire"
)

// Serve serves store over the KurrentDB wire protocol on a loopback port
// until the test ends, and returns the address ("127.0.0.1:port") and the
// server. Serve's error at the end fails the test; the store stays the
// caller's to close.
func Serve(t testing.TB, store kurrentwire.Store, opts kurrentwire.Options) (string, *kurrentwire.Server) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := kurrentwire.NewServer(store, opts)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return lis.Addr().String(), srv
}

// Context is a context for one test's calls: it ends after 30 s or with the
// test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
