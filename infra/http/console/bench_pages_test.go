package console_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain/sla"
)

// The SLA, audit and integrity pages on the million-ticket read model (see
// bench_test.go).

func BenchmarkSLAPage(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/sla" })
}

func BenchmarkSLAPageGrouped(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/sla?groupBy=severity&groupBy=product&groupBy=partner" })
}

func BenchmarkAtRiskPage(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/sla/at-risk?includeBreached=true&horizon=4h" })
}

func BenchmarkWhatIfForm(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/sla/what-if" })
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
		// A new period each time: the same question would be answered from the cache.
		ask := url.Values{"csrf": {csrfOf(b, form)}, "policy": {sla.CurrentVersion}, "from": {"2000-01-01"},
			"to": {time.Date(2100, 1, 1, 0, 0, 0, i, time.UTC).Format(time.RFC3339Nano)}}
		loc := br.post("/sla/what-if", ask).header.Get("Location")
		for br.get(loc).header.Get("Refresh") != "" {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func BenchmarkAuditPage(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/audit?order=newest" })
}

func BenchmarkAuditPageFiltered(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/audit?partnerId=thames-digital&type=ticket.opened" })
}

func BenchmarkIntegrityPage(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/integrity" })
}

func BenchmarkEvidencePage(b *testing.B) {
	benchPage(b, func(f *fixture) string { return "/tickets/" + busiest(f) + "/evidence" })
}
