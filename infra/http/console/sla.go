package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/ticketledger/ticketledger/projections"
)

// slaDims are the report's grouping dimensions, in the form's order.
var slaDims = []string{projections.DimSeverity, projections.DimProduct, projections.DimPartner, projections.DimCustomer, projections.DimLocale}

// Period defaults and the compliance chart's resolution.
const (
	defaultPeriod = 28 * 24 * time.Hour
	overBuckets   = 8
	listed        = 20  // breaches and near misses listed
	nearMissScan  = 500 // met tickets looked through for near misses
	maxBarGroups  = 12
)

// periodForm is the period and scope every SLA page takes: from and to
// (dates or datetime-local values in the viewer's zone, RFC 3339 too),
// partnerId and customerId.
type periodForm struct {
	From, To              time.Time
	FromInput, ToInput    string
	PartnerID, CustomerID string
}

// periodOf reads the period (default: the last four weeks) and scope.
func periodOf(r *http.Request, now time.Time) (periodForm, error) {
	q, loc := r.URL.Query(), zoneOf(r)
	p := periodForm{PartnerID: q.Get("partnerId"), CustomerID: q.Get("customerId"), FromInput: q.Get("from"), ToInput: q.Get("to")}
	var err error
	if p.From, err = inputTime("from", p.FromInput, loc); err != nil {
		return p, err
	}
	if p.To, err = inputTime("to", p.ToInput, loc); err != nil {
		return p, err
	}
	if p.To.IsZero() {
		p.To = now
	}
	if p.From.IsZero() {
		p.From = p.To.Add(-defaultPeriod)
	}
	if !p.From.Before(p.To) {
		return p, &pageError{Status: http.StatusBadRequest, Title: "Empty period", Field: "to",
			Detail: "the period ends before it starts: set To after From"}
	}
	if p.FromInput == "" {
		p.FromInput = p.From.In(loc).Format("2006-01-02")
	}
	return p, nil
}

// inputTime reads a time field: RFC 3339, or a datetime-local or date
// value in the viewer's zone; empty is the zero time.
func inputTime(field, v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &pageError{Status: http.StatusBadRequest, Title: "Not a time", Field: field,
		Detail: field + " " + clip(v, 40) + " is not a date or time: use the date picker, or YYYY-MM-DD"}
}

// api is the period and scope as the API's query parameters (names given
// for the period's bounds).
func (p periodForm) api(from, to string) url.Values {
	q := url.Values{from: {rfc3339(p.From)}, to: {rfc3339(p.To)}}
	if p.PartnerID != "" {
		q.Set("partnerId", p.PartnerID)
	}
	if p.CustomerID != "" {
		q.Set("customerId", p.CustomerID)
	}
	return q
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// slaData is the SLA page.
type slaData struct {
	Period  periodForm
	Dims    []string
	GroupBy map[string]bool
	Report  projections.Report
	// Over is compliance in equal slices of the period, oldest first.
	Over                 []overPoint
	OverChart, TTFRChart template.HTML
	// Bars are the groups the percentile chart shows (the largest first).
	Bars                         []projections.ReportGroup
	Breaches, NearMisses         []projections.Ticket
	BreachesURL                  string
	NearMissScanned, NearMissMax int
	Now                          time.Time
}

// overPoint is one slice of the compliance-over-time chart.
type overPoint struct {
	From, To               time.Time
	Label                  string
	Pct                    float64
	Met, Breached, Tickets int
}

// sla is the SLA report, from one API call: compliance grouped by the
// chosen dimensions, compliance over time and time-to-first-response percentiles as charts,
// and the period's breaches and near misses.
func (c *Console) sla(w http.ResponseWriter, r *http.Request, s *session) error {
	now := c.now()
	p, err := periodOf(r, now)
	if err != nil {
		return err
	}
	d := slaData{Period: p, Dims: slaDims, GroupBy: map[string]bool{}, Now: now, NearMissMax: nearMissScan}
	q := p.api("from", "to")
	q.Set("slices", fmt.Sprint(overBuckets))
	for _, g := range r.URL.Query()["groupBy"] {
		d.GroupBy[g] = true
		q.Add("groupBy", g)
	}
	if err := c.get(r, s, "/v1/reports/sla", q, &d.Report); err != nil {
		return err
	}
	c.complianceOver(r, &d)
	c.ttfrChart(&d)
	if err := c.breachesAndNearMisses(r, s, &d); err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "sla", s, "SLA report", d)
}

// complianceOver charts the report's slices of the period.
func (c *Console) complianceOver(r *http.Request, d *slaData) {
	loc := zoneOf(r)
	pts := make([]chartPoint, 0, len(d.Report.Over))
	for _, sl := range d.Report.Over {
		pt := overPoint{From: sl.From, To: sl.To, Label: sliceLabel(sl.From.In(loc), sl.To.Sub(sl.From)), Pct: sl.CompliancePct,
			Met: sl.Met, Breached: sl.Breached, Tickets: sl.Tickets}
		d.Over = append(d.Over, pt)
		pts = append(pts, chartPoint{Label: pt.Label, Value: pt.Pct})
	}
	d.OverChart = lineChart("chart-over", "Compliance over time",
		fmt.Sprintf("First-response compliance (met of met and breached) in %d equal slices of the period, oldest first; the table below has the figures.", len(pts)), pts)
}

// sliceLabel names a slice by its start, as precisely as its length asks.
func sliceLabel(t time.Time, length time.Duration) string {
	switch {
	case length < 24*time.Hour:
		return t.Format("2 Jan 15:04")
	case length < 180*24*time.Hour:
		return t.Format("2 Jan")
	}
	return t.Format("Jan 2006")
}

// ttfrSeries are the percentile chart's bars.
var ttfrSeries = []chartSeries{{"p50", "#0a4fb3"}, {"p90", "#7a4a00"}, {"p99", "#a4161a"}}

// ttfrChart charts the time-to-first-response percentiles of the groups
// (the total without grouping), the largest groups first.
func (c *Console) ttfrChart(d *slaData) {
	d.Bars = d.Report.Groups
	if len(d.Report.GroupBy) == 0 {
		d.Bars = []projections.ReportGroup{d.Report.Total}
	}
	d.Bars = d.Bars[:min(len(d.Bars), maxBarGroups)]
	names := make([]string, len(d.Bars))
	vals := make([][]float64, len(d.Bars))
	for i, g := range d.Bars {
		names[i] = groupName(g, d.Report.GroupBy)
		t := g.TimeToFirstResponse
		vals[i] = []float64{t.P50, t.P90, t.P99}
	}
	d.TTFRChart = barChart("chart-ttfr", "Time to first response",
		"Wall-clock time from opening to the first response, 50th, 90th and 99th percentile, per group; the table below has the figures.",
		names, ttfrSeries, vals, func(v float64) string { return words(seconds(v)) })
}

// groupName is a report group's key in words ("Sev A · contoso").
func groupName(g projections.ReportGroup, dims []string) string {
	if len(dims) == 0 {
		return "all tickets"
	}
	name := ""
	for i, dim := range dims {
		v := g.Key[dim]
		if v == "" {
			v = "(none)"
		}
		if dim == projections.DimSeverity {
			v = "Sev " + v
		}
		if i > 0 {
			name += " · "
		}
		name += v
	}
	return name
}

// breachesAndNearMisses lists the period's newest breaches and, from its
// newest met tickets, the near misses.
func (c *Console) breachesAndNearMisses(r *http.Request, s *session, d *slaData) error {
	list := func(state string, limit int) ([]projections.Ticket, error) {
		q := d.Period.api("openedFrom", "openedTo")
		q.Set("order", "newest")
		q.Set("sla", state)
		q.Set("limit", fmt.Sprint(limit))
		var p projections.TicketPage
		err := c.get(r, s, "/v1/tickets", q, &p)
		return p.Tickets, err
	}
	var err error
	if d.Breaches, err = list(projections.SLABreached, listed); err != nil {
		return err
	}
	lq := d.Period.api("openedFrom", "openedTo")
	lq.Set("sla", projections.SLABreached)
	d.BreachesURL = "/tickets?" + lq.Encode()
	met, err := list(projections.SLAMet, nearMissScan)
	if err != nil {
		return err
	}
	d.NearMissScanned = len(met)
	for _, t := range met {
		if t.SLA != nil && t.SLA.NearMiss && len(d.NearMisses) < listed {
			d.NearMisses = append(d.NearMisses, t)
		}
	}
	return nil
}

// pageFuncs are the template functions of the SLA, audit and integrity
// pages.
var pageFuncs = template.FuncMap{
	"groupName": groupName,
	"shift":     shift,
	"margin":    margin,
}
