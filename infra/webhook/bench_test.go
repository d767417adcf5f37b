package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain/ticket"
	dw "github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/webhook"
)

// BenchmarkDeliver: b.N ticket openings in the log, one subscription to a
// local receiver answering 204 at once; the time from starting the
// dispatcher to the last delivery recorded. Reports deliveries/s.
func BenchmarkDeliver(b *testing.B) {
	st := openStore(b, b.TempDir())
	defer st.Close()
	ctx := context.Background()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { n.Add(1); w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	svc := webhook.NewService(st, nil, testKey, webhook.Guard{Unsafe: true}, nil)
	if _, err := svc.Create(ctx, admin, dw.Creation{URL: srv.URL, Types: []string{ticket.TypeOpened}}, ""); err != nil {
		b.Fatal(err)
	}
	tk := newTickets(b, st)
	for range b.N {
		tk.open("contoso")
	}
	cfg := fastConfig(st, "bench")
	cfg.Logger = nil
	d := webhook.NewDispatcher(cfg)
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	go func() { defer close(done); _ = d.Run(dctx) }()
	for d.Stats().Delivered < uint64(b.N) {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
}
