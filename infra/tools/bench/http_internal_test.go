package bench

import (
	"testing"
	"time"
)

func TestMetricLine(t *testing.T) {
	for _, c := range []struct {
		line, name, labels string
		value              float64
		ok                 bool
	}{
		{`ticketledger_append_duration_seconds_count{category="ticket",outcome="ok"} 17480`, "ticketledger_append_duration_seconds_count", `category="ticket",outcome="ok"`, 17480, true},
		{`ticketledger_projection_lag_events{projection="audit"} 3 1700000000000`, "ticketledger_projection_lag_events", `projection="audit"`, 3, true},
		{`go_goroutines 148`, "go_goroutines", "", 148, true},
		{`a{route="GET /v1/tickets/{id}"} 2.5`, "a", `route="GET /v1/tickets/{id}"`, 2.5, true},
		{`# HELP go_goroutines Number of goroutines.`, "", "", 0, false},
		{``, "", "", 0, false},
		{`broken{`, "", "", 0, false},
	} {
		name, labels, v, ok := metricLine(c.line)
		if name != c.name || labels != c.labels || v != c.value || ok != c.ok {
			t.Errorf("%q: %q %q %v %v", c.line, name, labels, v, ok)
		}
	}
}

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.9: 90 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := quantile(d, q); got != want {
			t.Errorf("q%v = %v, want %v", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 || quantile(d[:1], 0.99) != time.Millisecond {
		t.Error("edge cases")
	}
}
