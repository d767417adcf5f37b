package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
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

// TestREADMEExitCodes: the README's exit-code table is exitClasses, row by
// row, and every exit code the CLI uses has a row.
func TestREADMEExitCodes(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for i, c := range exitClasses {
		if c.code != i {
			t.Errorf("exitClasses[%d] is code %d: keep them in order, one per code", i, c.code)
		}
		row := fmt.Sprintf("| `%d` | %s | %s |", c.code, c.name, strings.ReplaceAll(c.when, "|", `\|`))
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row %s", row)
		}
	}
	if n := len(exitClasses); n != exitUnauthenticated+1 {
		t.Errorf("%d classes for codes 0..%d", n, exitUnauthenticated)
	}
}

// TestExitCodeClasses runs one real failure of each class against a ledger:
// the code goes by the kind, whatever the rule.
func TestExitCodeClasses(t *testing.T) {
	e := newPartnerEnv(t)
	id := e.openTicket()
	e.caughtUp()
	for _, c := range []struct {
		code int
		want string
		args []string
	}{
		{exitUsage, "unknown flag", with(provider, "open", "--colour", "red")},
		{exitInvalid, "no-phone-channel", openArgs("--channel", "phone")},
		{exitInvalid, "escalation-needs-reason-and-criteria", with(provider, "escalate", id, "--reason", "x")},
		{exitInvalid, "required-field", with(provider, "open", "--customer", "fabrikam")},
		{exitNotFound, "ticket-not-found", with(auditor, "show", "00000000-0000-4000-8000-000000000000")},
		// Another partner's ticket is not found, not forbidden: its existence is not told.
		{exitNotFound, "ticket-not-found", with([]string{"--proxy-actor", "olga@other.example", "--proxy-role", "indirect_provider", "--proxy-partner", "other"}, "note", id, "--text", "x")},
		{exitConflict, "stale-revision", with(provider, "note", id, "--text", "x", "--expected-revision", "7")},
		{exitConflict, "invalid-transition", with(provider, "reopen", id, "--reason", "x")},
		{exitRefused, "auditor-read-only", with(auditor, "note", id, "--text", "x")},
		{exitRefused, "role-not-allowed", with(system, "note", id, "--text", "x")},
	} {
		r := e.run(c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.want) {
			t.Errorf("%v: exit %d, want %d (%s); stderr %s", c.args, r.code, c.code, c.want, r.err)
		}
	}
	if r := runCLI(t, "show", id, "--server", "http://127.0.0.1:1"); r.code != exitUnreachable {
		t.Errorf("unreachable: exit %d %s", r.code, r.err)
	}
	if r := e.run("show", id); r.code != exitUnauthenticated {
		t.Errorf("no token: exit %d %s", r.code, r.err)
	}
}
