package metrics

import "github.com/prometheus/client_golang/prometheus"

// StoreFaults is the fault state of the event store at scrape time (the
// embedded store's pebblestore.FaultStats).
type StoreFaults struct {
	// NoSpace is true while appends are refused for lack of disk space;
	// RefusedNoSpace counts the appends refused so since the start.
	NoSpace        bool
	RefusedNoSpace uint64
	// DamagedFiles is the number of damaged store files found.
	DamagedFiles int
	// Failed is true once the store needs a restart to accept appends.
	Failed bool
}

// StoreFaultCollector is a prometheus.Collector of the event store's
// faults, read from a function on every scrape.
type StoreFaultCollector struct {
	src                           func() StoreFaults
	noSpace, refused, damaged, ko *prometheus.Desc
}

// NewStoreFaultCollector returns a collector calling src on every scrape.
func NewStoreFaultCollector(src func() StoreFaults) *StoreFaultCollector {
	return &StoreFaultCollector{
		src:     src,
		noSpace: prometheus.NewDesc(Namespace+"_store_disk_full", "1 while the event store refuses appends because its disk has less free space than it keeps in reserve (--min-free-bytes).", nil, nil),
		refused: prometheus.NewDesc(Namespace+"_store_appends_refused_total", "Appends the event store refused for lack of disk space.", nil, nil),
		damaged: prometheus.NewDesc(Namespace+"_store_damaged_files", "Files of the event store found damaged (checksum mismatch or undecodable) since the start.", nil, nil),
		ko:      prometheus.NewDesc(Namespace+"_store_failed", "1 once the event store hit an error it cannot recover from without a restart.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StoreFaultCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.noSpace
	ch <- c.refused
	ch <- c.damaged
	ch <- c.ko
}

// Collect implements prometheus.Collector.
func (c *StoreFaultCollector) Collect(ch chan<- prometheus.Metric) {
	f := c.src()
	ch <- prometheus.MustNewConstMetric(c.noSpace, prometheus.GaugeValue, b2f(f.NoSpace))
	ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(f.RefusedNoSpace))
	ch <- prometheus.MustNewConstMetric(c.damaged, prometheus.GaugeValue, float64(f.DamagedFiles))
	ch <- prometheus.MustNewConstMetric(c.ko, prometheus.GaugeValue, b2f(f.Failed))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
