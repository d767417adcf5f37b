package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WebhookStats is the webhook dispatcher's state at scrape time
// (infra/webhook.Stats).
type WebhookStats struct {
	Delivered      uint64 // deliveries answered 2xx since the start
	FailedAttempts uint64 // attempts that failed
	Parked         uint64 // deliveries parked in the dead-letter list
	Held           uint64 // deliveries held behind a parked one
	Leader         bool   // this replica holds the dispatch lease
	Lag            time.Duration
}

// WebhookCollectors returns the counters and gauges of webhook delivery,
// each calling src on every scrape; register them all. The counters count
// what this replica did while it held the lease.
func WebhookCollectors(src func() WebhookStats) []prometheus.Collector {
	counter := func(name, help string, v func(WebhookStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, func() float64 { return float64(v(src())) })
	}
	gauge := func(name, help string, v func(WebhookStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, func() float64 { return v(src()) })
	}
	return []prometheus.Collector{
		counter("webhook_deliveries_total", "Webhook deliveries the receiver answered with 2xx.", func(s WebhookStats) uint64 { return s.Delivered }),
		counter("webhook_attempts_failed_total", "Webhook delivery attempts that failed (non-2xx, refused address, timeout, connection error).", func(s WebhookStats) uint64 { return s.FailedAttempts }),
		counter("webhook_parked_total", "Webhook deliveries parked in the dead-letter list after their last attempt failed.", func(s WebhookStats) uint64 { return s.Parked }),
		counter("webhook_held_total", "Webhook deliveries held back behind a parked delivery of the same ticket.", func(s WebhookStats) uint64 { return s.Held }),
		gauge("webhook_dispatch_leader", "1 while this replica holds the webhook dispatch lease.", func(s WebhookStats) float64 { return b2f(s.Leader) }),
		gauge("webhook_lag_seconds", "How long ago the oldest event not yet settled by the webhook dispatcher was stored (0: caught up, or not the lease holder).",
			func(s WebhookStats) float64 { return s.Lag.Seconds() }),
	}
}
