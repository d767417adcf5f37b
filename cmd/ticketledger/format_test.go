package main

import (
	"testing"
	"time"
)

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                "0s",
		45 * time.Second: "45s",
		2 * time.Hour:    "2h",
		90 * time.Minute: "1h30m",
		2*time.Hour + 38*time.Minute + 10*time.Second: "2h38m10s",
		2*time.Hour + 5*time.Second:                   "2h0m5s",
		10*time.Minute + 20*time.Second:               "10m20s",
		-(3*time.Hour + 500*time.Millisecond):         "-3h0m1s",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
}
