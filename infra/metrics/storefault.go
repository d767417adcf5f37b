package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// StoreFaults is the fault state of the event store at scrape time (the
// embedded store's pebblestore.FaultStats).
type StoreFaults = eventstore.FaultStats

// StoreFaultCollectors returns the gauges and the counter of the event
// store's faults, each calling src on every scrape; register them all.
func StoreFaultCollectors(src func() StoreFaults) []prometheus.Collector {
	gauge := func(name, help string, v func(StoreFaults) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, func() float64 { return v(src()) })
	}
	counter := func(name, help string, v func(StoreFaults) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, func() float64 { return v(src()) })
	}
	return []prometheus.Collector{
		gauge("store_disk_full", "1 while the event store refuses appends because its disk has less free space than it keeps in reserve (--min-free-bytes).", func(f StoreFaults) float64 { return b2f(f.NoSpace) }),
		counter("store_appends_refused_total", "Appends the event store refused for lack of disk space.", func(f StoreFaults) float64 { return float64(f.RefusedNoSpace) }),
		gauge("store_damaged_files", "Files of the event store found damaged (checksum mismatch or undecodable) since the start.", func(f StoreFaults) float64 { return float64(f.DamagedFiles) }),
		gauge("store_failed", "1 while the event store refuses appends after a failed commit, until it has reopened itself.", func(f StoreFaults) float64 { return b2f(f.Failed) }),
		counter("store_failures_total", "Commits of the event store that failed (a fatal storage error), each followed by a reopen.", func(f StoreFaults) float64 { return float64(f.Failures) }),
		counter("store_reopens_total", "Reopens of the event store after a failure that succeeded: appends were accepted again.", func(f StoreFaults) float64 { return float64(f.Reopens) }),
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
