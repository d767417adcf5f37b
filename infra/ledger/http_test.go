package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ticketledger/ticketledger/infra/auth"
)

// A read right after a command sees the command's events: commands answer
// only once the read models have applied them.
func TestReadYourWrites(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	l, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	go func() { l.Runner.Run(ctx); close(ran) }()
	defer func() { cancel(); <-ran; l.Close() }()
	h, err := l.APIHandler(nil, Access{TrustProxy: auth.LoopbackPrefixes()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	call := func(method, path, role, partner string, body any) *http.Response {
		t.Helper()
		var b bytes.Buffer
		if body != nil {
			json.NewEncoder(&b).Encode(body)
		}
		req, _ := http.NewRequest(method, srv.URL+path, &b)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Actor-Id", "alice@p1.example")
		req.Header.Set("X-Actor-Role", role)
		if partner != "" {
			req.Header.Set("X-Actor-Partner", partner)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	expect := func(resp *http.Response, status int, out any) {
		t.Helper()
		defer resp.Body.Close()
		if resp.StatusCode != status {
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			t.Fatalf("%s %s: status %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, b.String())
		}
		if resp.Header.Get("X-Read-Models") == "pending" {
			t.Fatalf("%s %s: read models still pending after the command", resp.Request.Method, resp.Request.URL.Path)
		}
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
	}
	expect(call("POST", "/v1/partners", "admin", "", map[string]any{"partnerId": "p1", "name": "P1", "role": "indirect_provider", "email": "support@p1.example"}), 201, nil)
	expect(call("POST", "/v1/partners/p1/customers", "admin", "", map[string]any{"customerId": "c1", "name": "C1", "domain": "c1.example", "adminRights": true}), 200, nil)
	for i := range 30 {
		var res struct{ TicketID string }
		expect(call("POST", "/v1/tickets", "indirect_provider", "p1", map[string]any{
			"customerId": "c1", "product": "azure", "severity": "B", "title": fmt.Sprintf("ticket %d", i), "locale": "en-US", "language": "en",
			"contact": map[string]any{"name": "Alice", "email": "alice@p1.example"},
		}), 201, &res)
		var got struct{ ID string }
		expect(call("GET", "/v1/tickets/"+res.TicketID, "auditor", "", nil), 200, &got)
		var list struct{ Tickets []json.RawMessage }
		expect(call("GET", "/v1/tickets?limit=100", "auditor", "", nil), 200, &list)
		if len(list.Tickets) != i+1 {
			t.Fatalf("after %d opens the list has %d tickets", i+1, len(list.Tickets))
		}
	}
}
