package metrics

import (
	"cmp"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// TicketSLA is what the SLA metrics need to know about one ticket: its labels
// (severity, product), whether it is open, its current first-response
// promise, its first response if any, and how often it was escalated, had a
// billing dispute opened and was flagged for fraud.
type TicketSLA struct {
	Severity domain.Severity
	Product  ticket.Product
	// Open: filed and not resolved or closed (a reopened ticket is open).
	Open     bool
	OpenedAt time.Time
	// Deadline is the first-response deadline in force (the latest
	// ticket.opened or ticket.severity_changed); Target its counted time.
	Deadline time.Time
	Target   time.Duration
	// Responded: a first response was recorded; FirstResponse is the time
	// from OpenedAt to it (counted time of the ticket's clock, or wall
	// time), and Met the verdict recorded with it.
	Responded     bool
	FirstResponse time.Duration
	Met           bool
	// JudgedSeverity is the severity in force when the first response was
	// given: the met/breach counters and the histogram use it, so a later
	// severity change does not move a verdict to another severity. Empty:
	// Severity.
	JudgedSeverity domain.Severity

	Escalations    int
	DisputesOpened int
	FraudFlags     int
}

// SLASource is the read model the SLA collector reads on every scrape. It is
// kept by a projection of the full event history (SLAView is one), so the
// metrics survive restarts. EachTicket calls fn once per vendor ticket (not
// for marketplace requests redirected to an ISV); fn must not retain or
// call back into the source.
type SLASource interface {
	EachTicket(fn func(TicketSLA))
}

// SLASourceFunc adapts a function to SLASource.
type SLASourceFunc func(fn func(TicketSLA))

// EachTicket calls f(fn).
func (f SLASourceFunc) EachTicket(fn func(TicketSLA)) { f(fn) }

// SLACollectorOptions tunes NewSLACollector. The zero value is ready to use.
type SLACollectorOptions struct {
	// RiskWindow says how long before its deadline an unanswered open
	// ticket counts as at risk. Default: a quarter of its target.
	RiskWindow func(TicketSLA) time.Duration
}

// Severities and Products are the label values every SLA series is exported
// for, with zeros, so that ratios and alerts have data from the first scrape.
var (
	Severities = []domain.Severity{domain.SeverityA, domain.SeverityB, domain.SeverityC}
	Products   = []ticket.Product{ticket.ProductAzure, ticket.ProductOffice365, ticket.ProductDynamics365,
		ticket.ProductEMS, ticket.ProductBilling}
)

// SLACollector is a prometheus.Collector that computes the ledger's SLA
// metrics from an SLASource on every scrape. See the package documentation
// for the definitions.
type SLACollector struct {
	src  SLASource
	now  func() time.Time
	risk func(TicketSLA) time.Duration

	met, breaches                 *prometheus.Desc
	open, atRisk, breachedOpen    *prometheus.Desc
	escalations, disputes, frauds *prometheus.Desc
	tracked                       *prometheus.Desc
	firstResponseOpts             prometheus.HistogramOpts
}

// NewSLACollector returns a collector of the SLA metrics read from src, with
// now as the clock for at-risk and breach decisions. Register it on the same
// registry as New's metrics.
func NewSLACollector(src SLASource, now func() time.Time, opts SLACollectorOptions) *SLACollector {
	if now == nil {
		now = time.Now
	}
	risk := opts.RiskWindow
	if risk == nil {
		risk = func(t TicketSLA) time.Duration { return t.Target / 4 }
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
	}
	sp := []string{"severity", "product"}
	return &SLACollector{
		src: src, now: now, risk: risk,
		met:          d("sla_met_total", "Tickets whose first response was recorded before the deadline, from the SLA read model.", sp...),
		breaches:     d("sla_breaches_total", "Tickets whose first-response deadline passed without a response in time (answered late, or still unanswered), from the SLA read model.", sp...),
		open:         d("tickets_open", "Vendor tickets open now (filed, not resolved or closed).", sp...),
		atRisk:       d("tickets_at_risk", "Open tickets without a first response whose deadline is near (less than the risk window left) but not passed.", sp...),
		breachedOpen: d("tickets_breached_unanswered", "Open tickets without a first response whose deadline has passed.", sp...),
		escalations:  d("escalations_total", "Escalations recorded, by product.", "product"),
		disputes:     d("billing_disputes_opened_total", "Billing disputes opened, by product.", "product"),
		frauds:       d("fraud_flags_total", "Fraud flags raised, by product.", "product"),
		tracked:      d("sla_tickets", "Vendor tickets known to the SLA read model (all time)."),
		firstResponseOpts: prometheus.HistogramOpts{
			Namespace:                      Namespace,
			Name:                           "first_response_seconds",
			Help:                           "Time from a ticket's creation to its first response (counted as its deadline counts), by severity and product, from the SLA read model.",
			Buckets:                        FirstResponseBuckets,
			NativeHistogramBucketFactor:    nativeFactor,
			NativeHistogramMaxBucketNumber: nativeMaxBuckets,
			// Fresh histograms are built on every scrape: no reset needed.
		},
	}
}

// Describe implements prometheus.Collector.
func (c *SLACollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.met, c.breaches, c.open, c.atRisk, c.breachedOpen,
		c.escalations, c.disputes, c.frauds, c.tracked} {
		ch <- d
	}
	prometheus.NewHistogramVec(c.firstResponseOpts, []string{"severity", "product"}).Describe(ch)
}

type sevProd struct {
	sev  domain.Severity
	prod ticket.Product
}

type sevProdCounts struct{ met, breaches, open, atRisk, breachedOpen float64 }

type prodCounts struct{ escalations, disputes, frauds float64 }

// Collect implements prometheus.Collector: it reads the whole source and
// emits every SLA series.
func (c *SLACollector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	hist := prometheus.NewHistogramVec(c.firstResponseOpts, []string{"severity", "product"})
	bySP := map[sevProd]*sevProdCounts{}
	byP := map[ticket.Product]*prodCounts{}
	for _, s := range Severities {
		for _, p := range Products {
			bySP[sevProd{s, p}] = &sevProdCounts{}
			hist.WithLabelValues(string(s), string(p))
		}
	}
	for _, p := range Products {
		byP[p] = &prodCounts{}
	}
	var tracked float64
	c.src.EachTicket(func(t TicketSLA) {
		tracked++
		k := sevProd{t.Severity, t.Product}
		sp := bySP[k]
		if sp == nil {
			sp = &sevProdCounts{}
			bySP[k] = sp
		}
		pc := byP[t.Product]
		if pc == nil {
			pc = &prodCounts{}
			byP[t.Product] = pc
		}
		pc.escalations += float64(t.Escalations)
		pc.disputes += float64(t.DisputesOpened)
		pc.frauds += float64(t.FraudFlags)
		if t.Open {
			sp.open++
		}
		switch {
		case t.Responded:
			judged := sp
			if t.JudgedSeverity != "" && t.JudgedSeverity != t.Severity {
				jk := sevProd{t.JudgedSeverity, t.Product}
				if judged = bySP[jk]; judged == nil {
					judged = &sevProdCounts{}
					bySP[jk] = judged
				}
			}
			sev := cmp.Or(t.JudgedSeverity, t.Severity)
			hist.WithLabelValues(string(sev), string(t.Product)).Observe(t.FirstResponse.Seconds())
			if t.Met {
				judged.met++
			} else {
				judged.breaches++
			}
		case t.Deadline.IsZero():
			// no promise: nothing to judge
		case !now.Before(t.Deadline):
			sp.breaches++
			if t.Open {
				sp.breachedOpen++
			}
		case t.Open && t.Deadline.Sub(now) <= c.risk(t):
			sp.atRisk++
		}
	})
	for k, v := range bySP {
		s, p := string(k.sev), string(k.prod)
		ch <- prometheus.MustNewConstMetric(c.met, prometheus.CounterValue, v.met, s, p)
		ch <- prometheus.MustNewConstMetric(c.breaches, prometheus.CounterValue, v.breaches, s, p)
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, v.open, s, p)
		ch <- prometheus.MustNewConstMetric(c.atRisk, prometheus.GaugeValue, v.atRisk, s, p)
		ch <- prometheus.MustNewConstMetric(c.breachedOpen, prometheus.GaugeValue, v.breachedOpen, s, p)
	}
	for p, v := range byP {
		ch <- prometheus.MustNewConstMetric(c.escalations, prometheus.CounterValue, v.escalations, string(p))
		ch <- prometheus.MustNewConstMetric(c.disputes, prometheus.CounterValue, v.disputes, string(p))
		ch <- prometheus.MustNewConstMetric(c.frauds, prometheus.CounterValue, v.frauds, string(p))
	}
	ch <- prometheus.MustNewConstMetric(c.tracked, prometheus.GaugeValue, tracked)
	hist.Collect(ch)
}
