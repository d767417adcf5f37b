package ledger_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	dw "github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/app/apptest"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/importer"
	"github.com/ticketledger/ticketledger/infra/infratest"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/webhook"
)

// History imported from another desk fires no webhook; the same kind of
// event filed live does.
func TestWebhooksSkipImportedHistory(t *testing.T) {
	rcv := infratest.NewReceiver(t, 0)
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DataDir: t.TempDir(), ImportWindow: domain.Window{MaxBackdate: 365 * 24 * time.Hour},
		Webhooks: &ledger.WebhookConfig{UnsafeTargets: true, Dispatcher: webhook.DispatcherConfig{Poll: 20 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	apptest.Onboard(t, l.Service, domain.Actor{ID: "ops", Role: domain.RoleSystem})
	if _, err := l.Webhooks.Create(ctx, domain.Actor{ID: "ops", Role: domain.RoleAdmin}, dw.Creation{URL: rcv.URL, Types: []string{ticket.TypeOpened}}, ""); err != nil {
		t.Fatal(err)
	}
	p1 := apptest.Provider
	line, _ := json.Marshal(map[string]any{"source": "desk", "ticket": "T-1", "sourceId": "T-1/open", "command": "openTicket",
		"occurredAt": time.Now().Add(-100 * 24 * time.Hour), "actor": p1,
		"data": map[string]any{"customerId": "c1", "product": "azure", "severity": "B", "title": "old", "language": "en", "locale": "en-GB",
			"contact": map[string]any{"name": "Alice", "email": "alice@p1.example"}}})
	sum, err := importer.Run(ctx, strings.NewReader(string(line)+"\n"), l.Service, importer.Options{By: p1, Decode: server.ImportDecoder})
	if err != nil || sum.Err() != nil {
		t.Fatalf("import: %+v %v", sum, err)
	}
	live, err := l.Service.Open(ctx, app.Command{Actor: p1}, apptest.OpenRequest())
	if err != nil {
		t.Fatal(err)
	}
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = l.Dispatcher.Run(dctx) }()
	defer func() { stop(); <-done }()
	infratest.WaitFor(t, "a delivery", func() bool { return len(rcv.Bodies()) > 0 })
	time.Sleep(200 * time.Millisecond) // an imported delivery would come first: they are in log order
	var got []string
	for _, body := range rcv.Bodies() {
		var b webhook.Body
		_ = json.Unmarshal(body, &b)
		got = append(got, b.Data.TicketID)
	}
	if len(got) != 1 || got[0] != live.TicketID {
		t.Errorf("deliveries for tickets %v, want only the live one %s", got, live.TicketID)
	}
}
