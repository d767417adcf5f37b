package codec

import (
	"math/rand/v2"
	"testing"
)

func TestPlainRun(t *testing.T) {
	slow := func(b []byte) int {
		i := 0
		for i < len(b) && plainASCII[b[i]] {
			i++
		}
		return i
	}
	rng := rand.New(rand.NewPCG(1, 2))
	special := []byte{'"', '\\', 0, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xff, 0x5b, 0x5d, 'a'}
	for n := 0; n < 200_000; n++ {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(' ' + rng.IntN(95))
			if rng.IntN(12) == 0 {
				b[i] = special[rng.IntN(len(special))]
			}
			if rng.IntN(50) == 0 {
				b[i] = byte(rng.IntN(256))
			}
		}
		if got, want := plainRun(b), slow(b); got != want {
			t.Fatalf("plainRun(%q) = %d, want %d", b, got, want)
		}
	}
}
