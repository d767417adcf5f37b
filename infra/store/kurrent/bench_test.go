package kurrent_test

import (
	"fmt"
	"testing"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/eventstore/eventstoretest"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
)

// Side by side: the embedded store called directly ("direct") and the same
// kind of store reached through kurrent.Store, the official client, loopback
// gRPC and kurrentwire ("wire"). Run with
//
//	go test -run '^$' -bench . ./infra/store/kurrent/

func openDirect(b *testing.B) eventstore.Store {
	b.Helper()
	s, err := pebblestore.Open(b.TempDir(), pebblestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		direct, wire := openDirect(b), newWireStore(b)
		b.Run(fmt.Sprintf("writers=%d/direct", writers), func(b *testing.B) {
			eventstoretest.BenchAppend(b, direct, writers)
		})
		b.Run(fmt.Sprintf("writers=%d/wire", writers), func(b *testing.B) {
			eventstoretest.BenchAppend(b, wire, writers)
		})
	}
}

func BenchmarkReadAll(b *testing.B) {
	const populate = 50_000
	direct, wire := openDirect(b), newWireStore(b)
	b.Run("direct", func(b *testing.B) { eventstoretest.BenchReadAll(b, direct, populate) })
	b.Run("wire", func(b *testing.B) { eventstoretest.BenchReadAll(b, wire, populate) })
}
