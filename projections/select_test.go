package projections

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPercentilesMatchSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 3, 10, 17, 100, 1001, 50000} {
		for _, spread := range []int64{1, 3, 1000, 1 << 40} {
			v := make([]int64, n)
			for i := range v {
				v[i] = rng.Int64N(spread)
			}
			s := slices.Clone(v)
			slices.Sort(s)
			rank := func(p float64) float64 { return seconds(s[min(max(int(p*float64(n)+0.999999)-1, 0), n-1)]) }
			got := percentiles(v)
			want := Percentiles{Count: n, P50: rank(.5), P90: rank(.9), P99: rank(.99), Max: seconds(s[n-1])}
			if got != want {
				t.Fatalf("n=%d spread=%d: got %+v want %+v", n, spread, got, want)
			}
		}
	}
}
