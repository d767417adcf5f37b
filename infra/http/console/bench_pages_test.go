package console_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain/sla"
)

// BenchmarkPages renders the SLA, audit and integrity pages on the
// million-ticket read model (see bench_test.go), one sub-benchmark each.
func BenchmarkPages(b *testing.B) {
	for _, pg := range []struct {
		name string
		path func(*fixture) string
	}{
		{"SLA", func(*fixture) string { return "/sla" }},
		{"SLAGrouped", func(*fixture) string { return "/sla?groupBy=severity&groupBy=product&groupBy=partner" }},
		{"AtRisk", func(*fixture) string { return "/sla/at-risk?includeBreached=true&horizon=4h" }},
		{"WhatIfForm", func(*fixture) string { return "/sla/what-if" }},
		{"Audit", func(*fixture) string { return "/audit?order=newest" }},
		{"AuditFiltered", func(*fixture) string { return "/audit?partnerId=thames-digital&type=ticket.opened" }},
		{"Integrity", func(*fixture) string { return "/integrity" }},
		{"Evidence", func(f *fixture) string { return "/tickets/" + busiest(f) + "/evidence" }},
	} {
		b.Run(pg.name, func(b *testing.B) { benchPage(b, pg.path) })
	}
}

// BenchmarkWhatIfJob is a what-if over the whole generated history, the
// job from start to result (not a page render: the job runs in the
// background while its page shows progress).
func BenchmarkWhatIfJob(b *testing.B) {
	f := bigFixture(b)
	br := f.browser(b)
	br.signIn("vendor")
	form := br.get("/sla/what-if")
	for i := 0; b.Loop(); i++ {
		// A new period each time: the same question is answered from the cache.
		ask := url.Values{"csrf": {csrfOf(b, form)}, "policy": {sla.CurrentVersion}, "from": {"2000-01-01"},
			"to": {time.Date(2100, 1, 1, 0, 0, 0, i, time.UTC).Format(time.RFC3339Nano)}}
		loc := br.post("/sla/what-if", ask).header.Get("Location")
		for br.get(loc).header.Get("Refresh") != "" {
			time.Sleep(5 * time.Millisecond)
		}
	}
}
