package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// TestMinPositionGoesWithQueries: a Client with MinPosition sends it with
// every query, beside the query's own parameters, and never with a command.
func TestMinPositionGoesWithQueries(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.RequestURI())
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := New(srv.URL)
	c.MinPosition = 42
	ctx := context.Background()
	var out map[string]any
	if err := c.Get(ctx, "/v1/tickets", url.Values{"status": {"open"}}, &out); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "/v1/audit", nil, &out); err != nil {
		t.Fatal(err)
	}
	if err := c.Post(ctx, "/v1/tickets/x/notes", map[string]string{"text": "n"}, &out); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /v1/tickets?status=open&minPosition=42", "GET /v1/audit?minPosition=42", "POST /v1/tickets/x/notes"}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("requests %q, want %q", got, want)
		}
	}
}
