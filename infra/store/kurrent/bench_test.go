package kurrent_test

import (
	"fmt"
	"testing"

	"github.com/ticketledger/ticketledger/infra/eventstore/eventstoretest"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/pebbletest"
)

// Side by side: the embedded store called directly ("direct") and the same
// kind of store reached through kurrent.Store, the official client, loopback
// gRPC and kurrentwire ("wire"). Run with
//
//	go test -run '^$' -bench . ./infra/store/kurrent/

func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		direct, wire := pebbletest.Open(b), newWireStore(b)
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
	direct, wire := pebbletest.Open(b), newWireStore(b)
	b.Run("direct", func(b *testing.B) { eventstoretest.BenchReadAll(b, direct, populate) })
	b.Run("wire", func(b *testing.B) { eventstoretest.BenchReadAll(b, wire, populate) })
}
