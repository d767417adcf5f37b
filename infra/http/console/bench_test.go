package console_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/projections"
	"github.com/ticketledger/ticketledger/projections/projectionstest"
)

// The page benchmarks render the console's pages server-side, through the
// whole handler (session, CSRF, the API in process, templates), on a
// ledger whose tickets read model holds a million generated tickets
// (TICKETLEDGER_CONSOLE_BENCH_TICKETS changes the count) besides a demo
// history whose streams the ticket page reads. Run them with
//
//	go test -run '^$' -bench . -benchtime 20x ./infra/http/console/
var (
	bigFixOnce sync.Once
	bigFix     *fixture
	bigFixErr  error
)

func bigFixture(b *testing.B) *fixture {
	b.Helper()
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("TICKETLEDGER_CONSOLE_BENCH_TICKETS")); err == nil && v > 0 {
		n = v
	}
	bigFixOnce.Do(func() {
		bigFix, bigFixErr = newFixture(200, func(l *ledger.Ledger) {
			evs := projectionstest.Generate(projectionstest.Options{Tickets: n})
			// After the demo's events: the read model applies only
			// positions past the last it applied.
			shift := l.Tickets.Stats().Position
			for i := range evs {
				evs[i].Position += shift
			}
			l.Tickets.ApplyBatch(evs)
		})
	})
	if bigFixErr != nil {
		b.Fatal(bigFixErr)
	}
	return bigFix
}

// benchPage renders path for a signed-in vendor-support session.
func benchPage(b *testing.B, path func(f *fixture) string) {
	f := bigFixture(b)
	br := f.browser(b)
	br.signIn("vendor")
	u := path(f)
	h := f.srv.Config.Handler
	req := httptest.NewRequest(http.MethodGet, u, nil)
	for _, c := range br.jar.Cookies(mustURL(f.srv.URL)) {
		req.AddCookie(c)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d", u, w.Code)
		}
	}
}

// A ticket of the demo history with the most events.
func busiest(f *fixture) string {
	pg, _ := f.l.Tickets.List(projections.TicketFilter{Scope: projections.Scope{PartnerID: "atlantic-channel"}}, projections.Page{Limit: 10000})
	best := pg.Tickets[0]
	for _, t := range pg.Tickets {
		if t.Events > best.Events {
			best = t
		}
	}
	return best.ID
}

func BenchmarkTicketsPage(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/tickets" })
}

func BenchmarkTicketsPageFiltered(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/tickets?severity=A&sla=breached_unanswered&status=open" })
}

func BenchmarkTicketsPageSearch(b *testing.B) {
	benchPage(b, func(*fixture) string { return "/tickets?q=service+problem+ff" })
}

func BenchmarkTicketPage(b *testing.B) {
	benchPage(b, func(f *fixture) string { return "/tickets/" + busiest(f) })
}

func BenchmarkTicketPageAsOf(b *testing.B) {
	benchPage(b, func(f *fixture) string {
		id := busiest(f)
		t, _ := f.l.Tickets.Get(id)
		return "/tickets/" + id + "?axis=occurred&asOf=" + t.OpenedAt.Add(3600e9).Format("2006-01-02T15:04:05Z")
	})
}
