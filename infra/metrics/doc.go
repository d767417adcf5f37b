// Package metrics exposes the ledger's Prometheus metrics, built with
// client_golang on an injected registry (never the global one).
//
// Two kinds of metrics live here, and the difference matters after a restart:
//
//   - Process metrics are counted as things happen in this process: HTTP
//     requests (ObserveHTTP, the infra/http/server Observer), event-store
//     appends (ObserveAppend, InstrumentStore) and refused authentications
//     (AuthDenied: ticketledger_auth_denied_total{method,reason}, fed by
//     infra/auth's Config.OnDenied and the server's OnDenied). They start from zero when the
//     process starts, as Prometheus expects of counters and histograms.
//
//   - Ledger metrics (first-response times, SLA met and breached, open,
//     at-risk and breached-unanswered tickets, escalations, billing disputes,
//     fraud flags) are NOT counted from commands handled by this process. They
//     are computed on every scrape from the per-ticket SLA facts of
//     projections.Tickets (SLASource, Tickets.EachSLA), the read model the
//     SLA reports use, which the projector keeps by folding the whole event
//     history and snapshots with the other read models. So they are right
//     after a restart, agree with the SLA reports, and include history
//     written by other processes or imported late. The collector is
//     NewSLACollector; projection health (lag, skipped events) is
//     NewProjectionCollector.
//
// Wiring (cmd/ticketledger via infra/ledger):
//
//	reg := prometheus.NewRegistry()
//	m := metrics.New(reg)                          // HTTP and append metrics
//	store = metrics.InstrumentStore(store, m)      // times every Append
//	tickets := projections.NewTickets(projections.TicketsOptions{Clock: policies.Counter()})
//	// give tickets to the projector, then:
//	reg.MustRegister(metrics.NewSLACollector(tickets, now, metrics.SLACollectorOptions{}))
//	reg.MustRegister(metrics.NewProjectionCollector(statusFunc))
//	// the API serves metrics.Handler(reg) at GET /metrics (server.Config.Metrics)
//	// m is the server.Observer (ObserveHTTP).
//
// Labels are bounded: severity (A, B, C), product (the product families),
// stream category, outcome, projection name, the registered HTTP route
// pattern (never the raw path), method and status code, authentication
// method and denial reason. Never a ticket,
// partner or customer id.
//
// Definitions used by the SLA metrics (documented here because the dashboards,
// rules and SLA reports rely on them):
//
//   - Time to first response runs from the request's creation (the start of
//     its deadline, i.e. the occurred-at of ticket.opened) to the first
//     response's RespondedAt, counted the way its deadline counts: business
//     time for business-hours tickets when Tickets is given the SLA clock
//     (sla.Policies.Counter), wall-clock time otherwise. Met or breached is
//     always the verdict recorded in ticket.first_response_recorded, counted
//     (with the histogram) under the severity in force at the response; the
//     open, at-risk and breached-unanswered gauges use the current severity.
//   - A ticket counts in ticketledger_sla_met_total once its first response
//     was recorded in time, and in ticketledger_sla_breaches_total once its
//     first response was late or its deadline passed with no response yet
//     (so a breach is visible when it happens, not when someone answers).
//     A severity change that moves an unanswered ticket's deadline later can
//     take a breach back; Prometheus sees that rare decrease as a counter
//     reset.
//   - Verdicts and at risk follow package sla: a deadline has passed once
//     now is after it (sla.Judge); at risk means open, unanswered, deadline
//     not yet passed, and at most a quarter of the target left before it
//     (sla.GaugeRisk, or SLACollectorOptions.Risk).
//   - Marketplace requests redirected to an ISV have no vendor ticket and no
//     deadline: they are in none of the SLA metrics.
package metrics
