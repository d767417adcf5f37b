package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ProjectionStatus is the health of one projection at scrape time.
type ProjectionStatus struct {
	// Name is the projection's name (a bounded label: one per projection).
	Name string
	// LagEvents is how many events of the log the projection has not
	// applied yet; Lag how far its last applied event is behind the head
	// of the log in time (zero when caught up).
	LagEvents uint64
	Lag       time.Duration
	// Skipped counts events the projection skipped since the process
	// started because it did not know their type (a newer writer).
	Skipped uint64
}

// ProjectionSource reports the status of every projection; infra/projector's
// runner provides it (adapt with ProjectionSourceFunc).
type ProjectionSource interface {
	ProjectionStatus() []ProjectionStatus
}

// ProjectionSourceFunc adapts a function to ProjectionSource.
type ProjectionSourceFunc func() []ProjectionStatus

// ProjectionStatus calls f.
func (f ProjectionSourceFunc) ProjectionStatus() []ProjectionStatus { return f() }

// ProjectionCollector is a prometheus.Collector of projection lag and skipped
// events, read from a ProjectionSource on every scrape.
type ProjectionCollector struct {
	src                         ProjectionSource
	lagEvents, lagSecs, skipped *prometheus.Desc
}

// NewProjectionCollector returns a collector reading src on every scrape.
func NewProjectionCollector(src ProjectionSource) *ProjectionCollector {
	l := []string{"projection"}
	return &ProjectionCollector{
		src:       src,
		lagEvents: prometheus.NewDesc(Namespace+"_projection_lag_events", "Events of the log a projection has not applied yet.", l, nil),
		lagSecs:   prometheus.NewDesc(Namespace+"_projection_lag_seconds", "How far a projection's last applied event is behind the head of the log, in seconds.", l, nil),
		skipped:   prometheus.NewDesc(Namespace+"_projection_skipped_events_total", "Events a projection skipped because their type is unknown to this version.", l, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *ProjectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lagEvents
	ch <- c.lagSecs
	ch <- c.skipped
}

// Collect implements prometheus.Collector.
func (c *ProjectionCollector) Collect(ch chan<- prometheus.Metric) {
	seen := map[string]bool{}
	for _, s := range c.src.ProjectionStatus() {
		if seen[s.Name] {
			continue // duplicate names would make the scrape fail
		}
		seen[s.Name] = true
		ch <- prometheus.MustNewConstMetric(c.lagEvents, prometheus.GaugeValue, float64(s.LagEvents), s.Name)
		ch <- prometheus.MustNewConstMetric(c.lagSecs, prometheus.GaugeValue, s.Lag.Seconds(), s.Name)
		ch <- prometheus.MustNewConstMetric(c.skipped, prometheus.CounterValue, float64(s.Skipped), s.Name)
	}
}
