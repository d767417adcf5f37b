package ledger_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	dw "github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/importer"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/webhook"
)

// History imported from another desk fires no webhook; the same kind of
// event filed live does.
func TestWebhooksSkipImportedHistory(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b webhook.Body
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &b)
		mu.Lock()
		got = append(got, b.Data.TicketID)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DataDir: t.TempDir(), ImportWindow: domain.Window{MaxBackdate: 365 * 24 * time.Hour},
		Webhooks: &ledger.WebhookConfig{UnsafeTargets: true, Dispatcher: webhook.DispatcherConfig{Poll: 20 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sys := app.Command{Actor: domain.Actor{ID: "ops", Role: domain.RoleSystem}}
	if _, err := l.Service.RegisterPartner(ctx, sys, "p1", partner.Registration{Name: "P1", Role: domain.RoleIndirectProvider, Email: "support@p1.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Service.LinkCustomer(ctx, sys, "p1", partner.Link{CustomerID: "c1", Name: "C1", Domain: "c1.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Webhooks.Create(ctx, domain.Actor{ID: "ops", Role: domain.RoleAdmin}, dw.Creation{URL: srv.URL, Types: []string{ticket.TypeOpened}}, ""); err != nil {
		t.Fatal(err)
	}
	p1 := domain.Actor{ID: "alice@p1.example", Role: domain.RoleIndirectProvider, Partner: "p1"}
	line, _ := json.Marshal(map[string]any{"source": "desk", "ticket": "T-1", "sourceId": "T-1/open", "command": "openTicket",
		"occurredAt": time.Now().Add(-100 * 24 * time.Hour), "actor": p1,
		"data": map[string]any{"customerId": "c1", "product": "azure", "severity": "B", "title": "old", "language": "en", "locale": "en-GB",
			"contact": map[string]any{"name": "Alice", "email": "alice@p1.example"}}})
	sum, err := importer.Run(ctx, strings.NewReader(string(line)+"\n"), l.Service, importer.Options{By: p1, Decode: server.ImportDecoder})
	if err != nil || sum.Err() != nil {
		t.Fatalf("import: %+v %v", sum, err)
	}
	live, err := l.Service.Open(ctx, app.Command{Actor: p1}, app.OpenTicket{OpenRequest: ticket.OpenRequest{
		Context: ticket.ContextCustomer, CustomerID: "c1", Product: ticket.ProductAzure, Severity: domain.SeverityA,
		Title: "VMs down", Channel: ticket.ChannelWeb, Route: ticket.RoutePartnerCenter,
		Contact: ticket.Contact{Name: "Alice", Email: "alice@p1.example", Organisation: "p1"}, Language: "en", Locale: "en-US",
	}})
	if err != nil {
		t.Fatal(err)
	}
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = l.Dispatcher.Run(dctx) }()
	defer func() { stop(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // an imported delivery would come first: they are in log order
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != live.TicketID {
		t.Errorf("deliveries for tickets %v, want only the live one %s", got, live.TicketID)
	}
}
