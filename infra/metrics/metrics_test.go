package metrics

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/projections"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func opened(stream string, sev domain.Severity, prod ticket.Product, at time.Time, target time.Duration) domain.Recorded {
	return domain.Recorded{Stream: stream, Type: ticket.TypeOpened, Meta: domain.Meta{OccurredAt: at},
		Event: ticket.Opened{TicketID: stream, Severity: sev, Product: prod,
			Deadline: sla.Deadline{At: at.Add(target), Target: target, From: at, Severity: sev}}}
}

func rec(stream string, e domain.Event) domain.Recorded {
	return domain.Recorded{Stream: stream, Type: e.EventType(), Event: e}
}

// history: four tickets, now = t0+3h.
//   - a: A/azure, answered after 30m (met), resolved.
//   - b: A/azure, answered after 2h30m (late): a breach; escalated twice.
//   - c: B/office365, unanswered, opened at t0+0 with 4h: 1h left of 4h → at risk.
//   - d: A/billing, unanswered, deadline passed → breach, breached-unanswered;
//     billing dispute and fraud flag.
//   - e: C/azure, opened late, target 8h, nothing due → open only; then severity
//     raised to A with a deadline in the past → breach.
func history() []domain.Recorded {
	return []domain.Recorded{
		opened("ticket-a", domain.SeverityA, ticket.ProductAzure, t0, 2*time.Hour),
		rec("ticket-a", ticket.FirstResponseRecorded{RespondedAt: t0.Add(30 * time.Minute), Met: true}),
		rec("ticket-a", ticket.SeverityChanged{From: domain.SeverityA, To: domain.SeverityC, AfterFirstResponse: true,
			Deadline: sla.Deadline{At: t0.Add(8 * time.Hour), Target: 8 * time.Hour}}),
		rec("ticket-a", ticket.Resolved{Resolution: "fixed"}),
		opened("ticket-b", domain.SeverityA, ticket.ProductAzure, t0, 2*time.Hour),
		rec("ticket-b", ticket.Escalated{Level: 1}),
		rec("ticket-b", ticket.Escalated{Level: 2}),
		rec("ticket-b", ticket.FirstResponseRecorded{RespondedAt: t0.Add(150 * time.Minute), Met: false}),
		opened("ticket-c", domain.SeverityB, ticket.ProductOffice365, t0, 4*time.Hour),
		opened("ticket-d", domain.SeverityA, ticket.ProductBilling, t0, 2*time.Hour),
		rec("ticket-d", ticket.BillingDisputeOpened{DisputeID: "d1"}),
		rec("ticket-d", ticket.FraudFlagged{Reason: "card"}),
		opened("ticket-e", domain.SeverityC, ticket.ProductAzure, t0, 8*time.Hour),
		rec("ticket-e", ticket.SeverityChanged{From: domain.SeverityC, To: domain.SeverityA,
			Deadline: sla.Deadline{At: t0.Add(2 * time.Hour), Target: 2 * time.Hour}}),
		// marketplace redirect: not a vendor ticket, ignored
		rec("ticket-m", ticket.RedirectedToISV{TicketID: "m", ProductName: "x"}),
		rec("ticket-m", ticket.NoteAdded{Text: "ignored"}),
	}
}

// newView folds history into the read model the collector reads.
func newView(t *testing.T) *projections.Tickets {
	t.Helper()
	v := projections.NewTickets(projections.TicketsOptions{})
	for _, r := range history() {
		v.Apply(r)
	}
	return v
}

func clock() time.Time { return t0.Add(3 * time.Hour) }

const wantSLA = `
# HELP ticketledger_sla_breaches_total Tickets whose first-response deadline passed without a response in time (answered late, or still unanswered), from the SLA read model.
# TYPE ticketledger_sla_breaches_total counter
ticketledger_sla_breaches_total{product="azure",severity="A"} 2
ticketledger_sla_breaches_total{product="billing",severity="A"} 1
# HELP ticketledger_sla_met_total Tickets whose first response was recorded before the deadline, from the SLA read model.
# TYPE ticketledger_sla_met_total counter
ticketledger_sla_met_total{product="azure",severity="A"} 1
# HELP ticketledger_tickets_at_risk Open tickets without a first response whose deadline is near (less than the risk window left) but not passed.
# TYPE ticketledger_tickets_at_risk gauge
ticketledger_tickets_at_risk{product="office365",severity="B"} 1
# HELP ticketledger_tickets_breached_unanswered Open tickets without a first response whose deadline has passed.
# TYPE ticketledger_tickets_breached_unanswered gauge
ticketledger_tickets_breached_unanswered{product="azure",severity="A"} 1
ticketledger_tickets_breached_unanswered{product="billing",severity="A"} 1
# HELP ticketledger_tickets_open Vendor tickets open now (filed, not resolved or closed).
# TYPE ticketledger_tickets_open gauge
ticketledger_tickets_open{product="azure",severity="A"} 2
ticketledger_tickets_open{product="billing",severity="A"} 1
ticketledger_tickets_open{product="office365",severity="B"} 1
# HELP ticketledger_escalations_total Escalations recorded, by product.
# TYPE ticketledger_escalations_total counter
ticketledger_escalations_total{product="azure"} 2
# HELP ticketledger_billing_disputes_opened_total Billing disputes opened, by product.
# TYPE ticketledger_billing_disputes_opened_total counter
ticketledger_billing_disputes_opened_total{product="billing"} 1
# HELP ticketledger_fraud_flags_total Fraud flags raised, by product.
# TYPE ticketledger_fraud_flags_total counter
ticketledger_fraud_flags_total{product="billing"} 1
# HELP ticketledger_sla_tickets Vendor tickets known to the SLA read model (all time).
# TYPE ticketledger_sla_tickets gauge
ticketledger_sla_tickets 5
`

var slaNames = []string{"ticketledger_sla_breaches_total", "ticketledger_sla_met_total", "ticketledger_tickets_at_risk",
	"ticketledger_tickets_breached_unanswered", "ticketledger_tickets_open", "ticketledger_escalations_total",
	"ticketledger_billing_disputes_opened_total", "ticketledger_fraud_flags_total", "ticketledger_sla_tickets",
	"ticketledger_first_response_seconds"}

func TestSLACollectorFromReadModel(t *testing.T) {
	c := NewSLACollector(newView(t), clock, SLACollectorOptions{})
	if err := testutil.GatherAndCompare(nonZeroGatherer{c}, strings.NewReader(wantSLA), slaNames[:9]...); err != nil {
		t.Fatal(err)
	}
	// every severity × product series exists from the first scrape
	if n := testutil.CollectAndCount(c, "ticketledger_sla_met_total"); n != len(Severities)*len(Products) {
		t.Fatalf("met series = %d, want %d", n, len(Severities)*len(Products))
	}
}

func TestFirstResponseHistogram(t *testing.T) {
	c := NewSLACollector(newView(t), clock, SLACollectorOptions{})
	const want = `
# HELP ticketledger_first_response_seconds Time from a ticket's creation to its first response (counted as its deadline counts), by severity and product, from the SLA read model.
# TYPE ticketledger_first_response_seconds histogram
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="900"} 0
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="1800"} 1
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="3600"} 1
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="5400"} 1
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="7200"} 1
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="10800"} 2
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="14400"} 2
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="21600"} 2
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="28800"} 2
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="43200"} 2
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="86400"} 2
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="172800"} 2
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="259200"} 2
ticketledger_first_response_seconds_bucket{product="azure",severity="A",le="+Inf"} 2
ticketledger_first_response_seconds_sum{product="azure",severity="A"} 10800
ticketledger_first_response_seconds_count{product="azure",severity="A"} 2
`
	if err := testutil.GatherAndCompare(nonZeroGatherer{c}, strings.NewReader(want), "ticketledger_first_response_seconds"); err != nil {
		t.Fatal(err)
	}
	// native buckets are there too (schema set, spans present)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "ticketledger_first_response_seconds" {
			continue
		}
		for _, m := range mf.Metric {
			if m.Histogram.GetSampleCount() > 0 && len(m.Histogram.PositiveSpan) == 0 {
				t.Fatalf("no native-histogram spans in %v", m)
			}
		}
	}
}

func TestSLAMetricsSurviveRestart(t *testing.T) {
	v := newView(t)
	var snap bytes.Buffer
	if err := v.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	restored := projections.NewTickets(projections.TicketsOptions{})
	if err := restored.Restore(&snap); err != nil {
		t.Fatal(err)
	}
	a, err := testutil.CollectAndFormat(NewSLACollector(v, clock, SLACollectorOptions{}), expfmt.TypeTextPlain, slaNames...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := testutil.CollectAndFormat(NewSLACollector(restored, clock, SLACollectorOptions{}), expfmt.TypeTextPlain, slaNames...)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || len(a) == 0 {
		t.Fatalf("restored view differs:\n%s\n---\n%s", a, b)
	}
	if err := projections.NewTickets(projections.TicketsOptions{}).Restore(strings.NewReader(`{"version":99}`)); err == nil {
		t.Fatal("unknown snapshot version accepted")
	}
}

func TestHTTPMetricsUseRoutePattern(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg)
	m.ObserveHTTP("GET /v1/tickets/{id}", http.StatusTeapot, time.Millisecond)
	m.ObserveHTTP("GET /v1/tickets/{id}", http.StatusTeapot, time.Millisecond)
	m.ObserveHTTP("", http.StatusNotFound, 0)
	m.ObserveHTTP("POST /v1/tickets", 201, 10*time.Millisecond)
	m.ObserveHTTP("/v1/audit", 200, time.Millisecond)
	m.ObserveHTTPMethod("BREW", "/v1/audit", 200, time.Millisecond)
	const want = `
# HELP ticketledger_http_requests_total HTTP requests handled, by registered route pattern, method and status code.
# TYPE ticketledger_http_requests_total counter
ticketledger_http_requests_total{code="200",method="any",route="/v1/audit"} 1
ticketledger_http_requests_total{code="200",method="other",route="/v1/audit"} 1
ticketledger_http_requests_total{code="201",method="POST",route="/v1/tickets"} 1
ticketledger_http_requests_total{code="404",method="any",route="unmatched"} 1
ticketledger_http_requests_total{code="418",method="GET",route="/v1/tickets/{id}"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ticketledger_http_requests_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.httpDuration); n != 5 {
		t.Fatalf("duration series = %d, want 5", n)
	}
	var nilM *Metrics
	nilM.ObserveHTTP("/x", 200, 0) // no panic
	nilM.ObserveAppend("ticket-1", nil, 0)
}

func TestDeniedCounter(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg)
	m.ObserveDenied("GET /v1/tickets/{id}", "tenancy", domain.RoleIndirectReseller)
	m.ObserveDenied("GET /v1/tickets/{id}", "tenancy", domain.RoleIndirectReseller)
	m.ObserveDenied("POST /v1/tickets/{id}/notes", "role", domain.RoleAuditor)
	const want = `
# HELP ticketledger_http_denied_total Requests denied for the caller's role or tenancy (tenancy denials are answered as for an id never used), by registered route pattern, reason and role.
# TYPE ticketledger_http_denied_total counter
ticketledger_http_denied_total{reason="role",role="auditor",route="POST /v1/tickets/{id}/notes"} 1
ticketledger_http_denied_total{reason="tenancy",role="indirect_reseller",route="GET /v1/tickets/{id}"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ticketledger_http_denied_total"); err != nil {
		t.Fatal(err)
	}
	var nilM *Metrics
	nilM.ObserveDenied("/x", "role", domain.RoleAdmin) // no panic
}

type fakeStore struct {
	eventstore.Store
	err error
}

func (f fakeStore) Append(context.Context, string, eventstore.ExpectedRevision, ...eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{}, f.err
}

func TestInstrumentStore(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg)
	ctx := context.Background()
	_, _ = InstrumentStore(fakeStore{}, m).Append(ctx, "ticket-1", eventstore.Any())
	_, _ = InstrumentStore(fakeStore{}, m).Append(ctx, "partner-p1", eventstore.Any())
	_, _ = InstrumentStore(fakeStore{err: &eventstore.ConflictError{Stream: "ticket-1"}}, m).Append(ctx, "ticket-1", eventstore.NoStream())
	_, _ = InstrumentStore(fakeStore{err: eventstore.ErrClosed}, m).Append(ctx, "$$ticket-1", eventstore.Any())
	for _, c := range []struct{ cat, outcome string }{{"ticket", "ok"}, {"partner", "ok"}, {"ticket", "conflict"}, {"system", "error"}} {
		h := m.appendDur.WithLabelValues(c.cat, c.outcome).(prometheus.Histogram)
		if n := histCount(t, h); n != 1 {
			t.Errorf("%s/%s count = %d, want 1", c.cat, c.outcome, n)
		}
	}
}

func histCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs[0].Metric[0].Histogram.GetSampleCount()
}

func TestProjectionCollector(t *testing.T) {
	src := ProjectionSourceFunc(func() []ProjectionStatus {
		return []ProjectionStatus{{Name: "tickets", LagEvents: 3, Lag: 1500 * time.Millisecond, Skipped: 2}, {Name: "tickets"}}
	})
	c := NewProjectionCollector(src)
	const want = `
# HELP ticketledger_projection_lag_events Events of the log a projection has not applied yet.
# TYPE ticketledger_projection_lag_events gauge
ticketledger_projection_lag_events{projection="tickets"} 3
# HELP ticketledger_projection_lag_seconds How far a projection's last applied event is behind the head of the log, in seconds.
# TYPE ticketledger_projection_lag_seconds gauge
ticketledger_projection_lag_seconds{projection="tickets"} 1.5
# HELP ticketledger_projection_skipped_events_total Events a projection skipped because their type is unknown to this version.
# TYPE ticketledger_projection_skipped_events_total counter
ticketledger_projection_skipped_events_total{projection="tickets"} 2
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

func TestStoreFaultCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(StoreFaultCollectors(func() StoreFaults {
		return StoreFaults{NoSpace: true, RefusedNoSpace: 7, DamagedFiles: 1, Failed: true, Failures: 2, Reopens: 1}
	})...)
	const want = `
# HELP ticketledger_store_appends_refused_total Appends the event store refused for lack of disk space.
# TYPE ticketledger_store_appends_refused_total counter
ticketledger_store_appends_refused_total 7
# HELP ticketledger_store_damaged_files Files of the event store found damaged (checksum mismatch or undecodable) since the start.
# TYPE ticketledger_store_damaged_files gauge
ticketledger_store_damaged_files 1
# HELP ticketledger_store_disk_full 1 while the event store refuses appends because its disk has less free space than it keeps in reserve (--min-free-bytes).
# TYPE ticketledger_store_disk_full gauge
ticketledger_store_disk_full 1
# HELP ticketledger_store_failed 1 while the event store refuses appends after a failed commit, until it has reopened itself.
# TYPE ticketledger_store_failed gauge
ticketledger_store_failed 1
# HELP ticketledger_store_failures_total Commits of the event store that failed (a fatal storage error), each followed by a reopen.
# TYPE ticketledger_store_failures_total counter
ticketledger_store_failures_total 2
# HELP ticketledger_store_reopens_total Reopens of the event store after a failure that succeeded: appends were accepted again.
# TYPE ticketledger_store_reopens_total counter
ticketledger_store_reopens_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

// TestMetricNamesLint runs promlint over every metric the package exports,
// with data in each, so naming follows Prometheus conventions.
func TestMetricNamesLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg)
	m.ObserveHTTP("GET /v1/tickets/{id}", 200, time.Millisecond)
	m.ObserveAppend("ticket-1", nil, time.Millisecond)
	reg.MustRegister(NewSLACollector(newView(t), clock, SLACollectorOptions{}))
	reg.MustRegister(NewProjectionCollector(ProjectionSourceFunc(func() []ProjectionStatus {
		return []ProjectionStatus{{Name: "tickets"}}
	})))
	reg.MustRegister(StoreFaultCollectors(func() StoreFaults { return StoreFaults{} })...)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 26 {
		t.Errorf("only %d metric families", len(mfs))
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "ticketledger_") {
			t.Errorf("%s lacks the namespace", mf.GetName())
		}
		for _, mm := range mf.Metric {
			for _, l := range mm.Label {
				switch l.GetName() {
				case "severity", "product", "route", "method", "code", "category", "outcome", "projection",
					"notice": // at_risk or breached
				default:
					t.Errorf("%s has unexpected label %s", mf.GetName(), l.GetName())
				}
			}
		}
	}
}

// nonZeroGatherer gathers a collector and drops zero-valued counter/gauge
// series and empty histograms, so expectations list only what matters.
type nonZeroGatherer struct{ c prometheus.Collector }

func (g nonZeroGatherer) Gather() ([]*dto.MetricFamily, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(g.c); err != nil {
		return nil, err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	out := mfs[:0]
	for _, mf := range mfs {
		keep := mf.Metric[:0]
		for _, m := range mf.Metric {
			switch {
			case m.Counter != nil && m.Counter.GetValue() == 0,
				m.Gauge != nil && m.Gauge.GetValue() == 0,
				m.Histogram != nil && m.Histogram.GetSampleCount() == 0:
				continue
			}
			keep = append(keep, m)
		}
		if mf.Metric = keep; len(keep) > 0 {
			out = append(out, mf)
		}
	}
	return out, nil
}

// TestSLAMetricsIgnoreReplayedPositions: a replay after a crash before the
// checkpoint changes no metric, and the first response is counted by the
// read model's clock.
func TestSLAMetricsIgnoreReplayedPositions(t *testing.T) {
	v := projections.NewTickets(projections.TicketsOptions{Clock: projections.ClockFunc(func(d sla.Deadline, to time.Time) time.Duration { return to.Sub(d.From) / 2 })})
	for i, r := range history() {
		r.Position = uint64(i + 1)
		v.Apply(r)
		v.Apply(r) // a replay after a crash before the checkpoint
	}
	st := v.Stats()
	if st.Applied != uint64(len(history())) || st.Duplicates != st.Applied || v.Position() != st.Applied {
		t.Fatalf("stats = %+v", st)
	}
	var esc int
	var fr time.Duration
	v.EachSLA(func(x projections.SLAFacts) {
		esc += x.Escalations
		if x.Met {
			fr = x.FirstResponse
		}
	})
	if esc != 2 || fr != 15*time.Minute {
		t.Fatalf("escalations %d, first response %v (the injected clock halves time)", esc, fr)
	}
	c := NewSLACollector(v, clock, SLACollectorOptions{})
	if err := testutil.GatherAndCompare(nonZeroGatherer{c}, strings.NewReader(wantSLA), slaNames[:9]...); err != nil {
		t.Fatal(err)
	}
	v.Reset()
	if v.Len() != 0 || v.Position() != 0 {
		t.Fatal("reset kept state")
	}
}

// TestSLACollectorRiskThreshold: the at-risk gauge counts an open,
// unanswered ticket with less than a quarter of its target left by default,
// and follows another threshold when given one.
func TestSLACollectorRiskThreshold(t *testing.T) {
	v := newView(t) // ticket-c: B/office365, 1h of 4h left at clock()
	const one = `
# HELP ticketledger_tickets_at_risk Open tickets without a first response whose deadline is near (less than the risk window left) but not passed.
# TYPE ticketledger_tickets_at_risk gauge
ticketledger_tickets_at_risk{product="office365",severity="B"} 1
`
	fifth, err := sla.TargetFraction(0.2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		risk sla.RiskThreshold
		want string
	}{
		{"default", sla.RiskThreshold{}, one},
		{"1h lead", sla.LeadTime(time.Hour), one},
		{"59m lead", sla.LeadTime(59 * time.Minute), ""},
		{"a fifth", fifth, ""},
	} {
		c := NewSLACollector(v, clock, SLACollectorOptions{Risk: tc.risk})
		if err := testutil.GatherAndCompare(nonZeroGatherer{c}, strings.NewReader(tc.want), "ticketledger_tickets_at_risk"); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestAuthDeniedCounter(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.AuthDenied("token", "revoked")
	m.AuthDenied("token", "revoked")
	m.AuthDenied("", "missing")
	if got := testutil.ToFloat64(m.authDenied.WithLabelValues("token", "revoked")); got != 2 {
		t.Fatalf("token/revoked = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.authDenied.WithLabelValues("none", "missing")); got != 1 {
		t.Fatalf("none/missing = %v, want 1", got)
	}
}

func TestSLANoticesByKind(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.SLANoticed("breached")
	m.SLANoticed("breached")
	m.SLANoticed("at_risk")
	want := `
# HELP ticketledger_sla_notices_total SLA notices (ticket.sla_noticed) this process recorded, by notice (at_risk, breached); a notice another replica recorded first is not counted here.
# TYPE ticketledger_sla_notices_total counter
ticketledger_sla_notices_total{notice="at_risk"} 1
ticketledger_sla_notices_total{notice="breached"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ticketledger_sla_notices_total"); err != nil {
		t.Error(err)
	}
	var nilM *Metrics
	nilM.SLANoticed("breached") // records nothing, does not panic
}
