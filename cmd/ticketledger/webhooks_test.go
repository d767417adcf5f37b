package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/webhook"
)

// TestTwoReplicasDeliverWebhooksOnce: two serve processes on one log (the
// second through the first's KurrentDB endpoint), one webhook key: a
// subscription made on one is delivered by exactly one of them, each
// event once, and exactly one replica reports holding the lease.
func TestTwoReplicasDeliverWebhooksOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		seen[r.Header.Get("webhook-id")]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	key := filepath.Join(t.TempDir(), "webhook.key")
	baseA, baseB := startReplicas(t, "--webhooks-allow-unsafe-targets", "--webhook-key", key)

	ctx := context.Background()
	onB := tokenClient(baseB, testAdminSecret)
	var sub webhook.WithSecret
	if err := onB.Post(ctx, "/v1/webhooks", server.CreateWebhookBody{URL: rcv.URL, Types: []string{ticket.TypeOpened, ticket.TypeEscalated}}, &sub); err != nil {
		t.Fatal(err)
	}
	a := tokenClient(baseA, testAdminSecret).Target()
	onboardP1(t, a)
	const tickets = 6
	for i := range tickets {
		annOpen(t, a, fmt.Sprintf("VMs unreachable %d", i))
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n >= tickets {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries arrived", n, tickets)
		}
	}
	time.Sleep(500 * time.Millisecond) // a second dispatcher would deliver again by now
	mu.Lock()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s arrived %d times", id, n)
		}
	}
	if len(seen) != tickets {
		t.Errorf("%d deliveries, want %d", len(seen), tickets)
	}
	mu.Unlock()
	leaders := 0
	for _, base := range []string{baseA, baseB} {
		_, body := get(t, base+"/metrics")
		if strings.Contains(string(body), "\nticketledger_webhook_dispatch_leader 1\n") {
			leaders++
		}
	}
	if leaders != 1 {
		t.Errorf("%d replicas say they hold the dispatch lease, want 1", leaders)
	}
}

// webhooks create/list/deliveries/dead-letters/replay/skip against a
// ledger whose dispatcher runs, with a receiver that refuses until told
// otherwise.
func TestWebhooksCommands(t *testing.T) {
	e := newEnvWith(t, ledger.Config{Webhooks: &ledger.WebhookConfig{UnsafeTargets: true, Dispatcher: webhook.DispatcherConfig{
		Poll: 20 * time.Millisecond, Attempts: 2, Backoff: 10 * time.Millisecond, Timeout: time.Second}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.l.Dispatcher.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	var mu sync.Mutex
	up, got := false, 0
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !up {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		got++
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	e.seedPartner()

	secret := e.ok(with(provider, "webhooks", "create", "--url", rcv.URL, "--type", "ticket.opened,sla.breached")...)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("create printed %q, want the secret", secret)
	}
	list := e.ok(with(provider, "webhooks", "list")...)
	contains(t, list, "contoso")
	contains(t, list, "ticket.opened,sla.breached")
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	e.fails(exitInvalid, "webhook-type-unknown", with(provider, "webhooks", "create", "--url", rcv.URL, "--type", "ticket.note_added")...)
	e.fails(exitRefused, "role-not-allowed", with(support, "webhooks", "list")...)
	e.fails(exitNotFound, "subscription-not-found", with(provider, "webhooks", "deliveries", "wh_0000000000000000")...)

	tk := e.openTicket()
	var dead string
	for deadline := time.Now().Add(10 * time.Second); dead == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the refused delivery was never parked")
		}
		if out := e.ok(with(provider, "webhooks", "dead-letters", id)...); strings.Contains(out, tk) {
			dead = strings.Fields(strings.Split(out, "\n")[1])[0]
		}
	}
	out := e.ok(with(provider, "webhooks", "deliveries", id)...)
	contains(t, out, "parked")
	contains(t, out, "500")
	e.fails(exitRefused, "role-not-allowed", with(provider, "webhooks", "replay", id, dead)...)
	mu.Lock()
	up = true
	mu.Unlock()
	e.ok("--token-file", e.adminFile, "webhooks", "replay", id, dead)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if out := e.ok(with(provider, "webhooks", "deliveries", id)...); strings.Contains(out, "delivered") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replayed delivery was never delivered")
		}
	}
	e.fails(exitConflict, "delivery-not-parked", "--token-file", e.adminFile, "webhooks", "skip", id, dead)
	mu.Lock()
	defer mu.Unlock()
	if got != 1 {
		t.Errorf("the receiver took %d deliveries, want 1", got)
	}
}
