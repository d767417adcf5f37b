package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/http/client"
)

func TestProblemsMapToExitCodes(t *testing.T) {
	cases := []struct {
		status int
		body   string
		code   int
	}{
		{422, `{"status":422,"detail":"phone support is not offered","rule":"no-phone-channel","field":"channel"}`, 3},
		{400, `{"status":400,"detail":"bad JSON"}`, 3},
		{403, `{"status":403,"detail":"Dynamics 365 needs ASfP","rule":"dynamics-needs-asfp"}`, 6},
		{404, `{"status":404,"detail":"no ticket 42"}`, 4},
		{409, `{"status":409,"detail":"stale","currentRevision":7}`, 5},
		{412, `{"status":412,"detail":"precondition"}`, 5},
		{500, `oops`, 1},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(c.status)
			w.Write([]byte(c.body))
		}))
		err := client.New(srv.URL).Post(context.Background(), "/v1/x", map[string]string{"a": "b"}, nil)
		srv.Close()
		if got := exitCode(err); got != c.code {
			t.Errorf("status %d: exit code %d, want %d (err %v)", c.status, got, c.code, err)
		}
		if got := exitCode(refused(err)); got != c.code {
			t.Errorf("status %d: refused: exit code %d, want %d", c.status, got, c.code)
		}
	}
}

func TestOtherErrorsMapToExitCodes(t *testing.T) {
	if got := exitCode(client.New("http://127.0.0.1:1").Get(context.Background(), "/v1/tickets", nil, nil)); got != 7 {
		t.Errorf("unreachable server: exit code %d, want 7", got)
	}
	if got := exitCode(fmt.Errorf("wrapped: %w", domain.Errorf(domain.KindForbidden, "r", "", "x"))); got != 6 {
		t.Errorf("domain errors map by kind: exit code %d, want 6", got)
	}
	if got := exitCode(fmt.Errorf("disk full")); got != 1 {
		t.Errorf("other error: exit code %d, want 1", got)
	}
	if got := exitCode(nil); got != 0 {
		t.Errorf("no error: exit code %d, want 0", got)
	}
}
