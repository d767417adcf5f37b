package codec_test

import (
	"encoding/json"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/tools/bench/benchkit"
)

// BenchmarkDecode decodes a stream with one of every event type, in turn;
// ns/op is per event. A projection rebuild needs ≥ 300,000 events/s, i.e.
// well under 3.3 µs/op on one core.
func BenchmarkDecode(b *testing.B) {
	recs := encodeStream(b, "ticket-0b3f6d4e-0000-4000-8000-000000000001", samples())
	var size int
	for _, r := range recs {
		size += len(r.Data) + len(r.Metadata)
	}
	b.SetBytes(int64(size / len(recs)))
	b.ReportAllocs()
	c := codec.Default()
	cpu0 := benchkit.CPUTime()
	n := 0
	for i := 0; b.Loop(); i++ {
		if _, err := c.Decode(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	// CPU time (user+system, GC included) per event: unlike ns/op, it
	// does not grow when other processes compete for the cores.
	b.ReportMetric(float64((benchkit.CPUTime()-cpu0).Nanoseconds())/float64(n), "cpu-ns/op")
}

// BenchmarkDecodeParallel is BenchmarkDecode on every core.
func BenchmarkDecodeParallel(b *testing.B) {
	recs := encodeStream(b, "ticket-0b3f6d4e-0000-4000-8000-000000000001", samples())
	c := codec.Default()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if _, err := c.Decode(recs[i%len(recs)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDecodeMeta compares the metadata fast path with encoding/json.
func BenchmarkDecodeMeta(b *testing.B) {
	md := encodeStream(b, "ticket-x", samples()[:2])[1].Metadata
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := codec.DecodeMeta(md); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m domain.Meta
			if err := json.Unmarshal(md, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEncode encodes one note event.
func BenchmarkEncode(b *testing.B) {
	ev := samples()[11]
	m := sampleMeta(0)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := codec.Encode("ticket-x", ev, m, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeAll decodes batches of 4096 records on 2 goroutines; ns/op
// is per event.
func BenchmarkDecodeAll(b *testing.B) {
	var evs []domain.Event
	for len(evs) < 4096 {
		evs = append(evs, samples()...)
	}
	recs := encodeStream(b, "ticket-0b3f6d4e-0000-4000-8000-000000000001", evs[:4096])
	c := codec.Default()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.DecodeAll(recs, 2); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/4096, "ns/event")
}
