package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
)

func TestTargetSendsTheCommandsHeadersAndBody(t *testing.T) {
	var got *http.Request
	var body map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ticketId":"t1","stream":"ticket-t1","revision":3,"position":9,"changed":true,"replayed":true,
			"events":[{"revision":3,"type":"ticket.note_added","meta":{"eventId":"01a20a97-f745-74ed-8954-6662aeb99c1e"},"payload":{"text":"x"}}]}`)
	}))
	defer srv.Close()

	c := New(srv.URL)
	c.Actor = domain.Actor{ID: "default", Role: domain.RoleAuditor} // replaced per call
	rev := uint64(2)
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	res, err := c.Target().Act(context.Background(), app.Command{
		Actor:      domain.Actor{ID: "alice", Role: domain.RoleIndirectProvider, Partner: "contoso"},
		OnBehalfOf: "fabrikam", IdempotencyKey: "k1", ExpectedRevision: &rev, CorrelationID: "c1", OccurredAt: at,
	}, "t1", ticket.Note{Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if got.URL.Path != "/v1/tickets/t1/notes" || got.Method != http.MethodPost {
		t.Fatalf("request %s %s", got.Method, got.URL.Path)
	}
	for h, want := range map[string]string{"X-Actor-Id": "alice", "X-Actor-Role": "indirect_provider", "X-Actor-Partner": "contoso",
		"X-On-Behalf-Of": "fabrikam", "Idempotency-Key": "k1", "If-Match": `"2"`, "X-Correlation-Id": "c1"} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	if body["text"] != "x" || body["occurredAt"] != "2026-03-02T09:30:00Z" {
		t.Errorf("body %v", body)
	}
	if res.TicketID != "t1" || res.Revision != 3 || !res.HasRevision || !res.Replayed || len(res.Events) != 1 || res.Events[0].Type != "ticket.note_added" {
		t.Errorf("result %+v", res)
	}
}
