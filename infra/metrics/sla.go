package metrics

import (
	"cmp"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/projections"
)

// SLASource is the read model the SLA collector reads on every scrape:
// *projections.Tickets, which folds the full event history (and is
// snapshotted with the other read models), so the metrics survive restarts
// and agree with the SLA reports. EachSLA calls fn once per vendor ticket
// (not for marketplace requests redirected to an ISV); fn must not retain
// or call back into the source.
type SLASource interface {
	EachSLA(fn func(projections.SLAFacts))
}

var _ SLASource = (*projections.Tickets)(nil)

// SLACollectorOptions tunes NewSLACollector. The zero value is ready to use.
type SLACollectorOptions struct {
	// Risk says how close to its deadline an unanswered open ticket must be
	// to count as at risk. Zero: sla.GaugeRisk, less than a quarter of its
	// target left.
	Risk sla.RiskThreshold
}

// Severities and Products are the label values every SLA series is exported
// for, with zeros, so that ratios and alerts have data from the first scrape.
var (
	Severities = []domain.Severity{domain.SeverityA, domain.SeverityB, domain.SeverityC}
	Products   = []ticket.Product{ticket.ProductAzure, ticket.ProductOffice365, ticket.ProductDynamics365,
		ticket.ProductEMS, ticket.ProductBilling}
)

// SLACollector is a prometheus.Collector that computes the ledger's SLA
// metrics from an SLASource on every scrape, judging tickets by the rules of
// package sla (sla.Judge, sla.RiskThreshold). See the package documentation
// for the definitions.
type SLACollector struct {
	src  SLASource
	now  func() time.Time
	risk sla.RiskThreshold

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
	risk := opts.Risk
	if risk == (sla.RiskThreshold{}) {
		risk = sla.GaugeRisk
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
		// Fresh histograms are built on every scrape: the reset duration
		// never comes into play.
		firstResponseOpts: histogramOpts("first_response_seconds",
			"Time from a ticket's creation to its first response (counted as its deadline counts), by severity and product, from the SLA read model.",
			FirstResponseBuckets),
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
	c.src.EachSLA(func(t projections.SLAFacts) {
		tracked++
		prod := ticket.Product(t.Product)
		k := sevProd{t.Severity, prod}
		sp := bySP[k]
		if sp == nil {
			sp = &sevProdCounts{}
			bySP[k] = sp
		}
		pc := byP[prod]
		if pc == nil {
			pc = &prodCounts{}
			byP[prod] = pc
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
				jk := sevProd{t.JudgedSeverity, prod}
				if judged = bySP[jk]; judged == nil {
					judged = &sevProdCounts{}
					bySP[jk] = judged
				}
			}
			sev := cmp.Or(t.JudgedSeverity, t.Severity)
			hist.WithLabelValues(string(sev), t.Product).Observe(t.FirstResponse.Seconds())
			if t.Met {
				judged.met++
			} else {
				judged.breaches++
			}
		case t.Deadline.IsZero():
			// no promise: nothing to judge
		case sla.Judge(t.Deadline, now, false, false) == sla.VerdictBreached:
			sp.breaches++
			if t.Open {
				sp.breachedOpen++
			}
		case t.Open && c.risk.AtRisk(t.Deadline, t.Target, now):
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
