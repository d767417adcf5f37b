package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
)

// POST /v1/subjects/{subject}/forget erases the contact of a ticket: its
// history reads [erased] afterwards; an unknown subject is a 404 problem
// with its rule, and nothing is appended.
func TestForgetSubject(t *testing.T) {
	e := newEnv(t)
	id := e.seed()
	contact := func() ticket.Contact {
		r := e.must(200, e.do("GET", "/v1/tickets/"+id+"/history", prov, nil))
		var raw struct {
			Entries []struct{ Payload json.RawMessage }
		}
		r.json(t, &raw)
		var opened ticket.Opened
		if err := json.Unmarshal(raw.Entries[0].Payload, &opened); err != nil {
			t.Fatalf("history %s: %v", r.body, err)
		}
		return opened.Contact
	}
	if c := contact(); c.Email != "alice@p1.example" || c.Name != "Alice" {
		t.Fatalf("contact before forget: %v", c)
	}

	head := func() uint64 { h, _ := e.store.Head(t.Context()); return h.Commit }
	before := head()
	for _, who := range []string{"nobody@p1.example", "sub-0123456789abcdef0123456789abcdef", "not-a-subject"} {
		r := e.do("POST", "/v1/subjects/"+who+"/forget", sys, map[string]any{"reason": "request 17"})
		var p Problem
		r.json(t, &p)
		if r.code != http.StatusNotFound || p.Rule != string(domain.RuleSubjectNotFound) || p.Field != "subject" || !strings.Contains(p.Detail, "give the contact's e-mail") {
			t.Fatalf("forget %s: %d %s", who, r.code, r.body)
		}
	}
	if head() != before {
		t.Fatal("a refused forget appended")
	}

	var res CommandResult[json.RawMessage]
	e.must(200, e.do("POST", "/v1/subjects/ALICE@p1.example/forget", sys, map[string]any{"reason": "request 17"})).json(t, &res)
	if !res.Changed || len(res.Events) != 1 || res.Events[0].Type != "subject.erased" || !strings.HasPrefix(res.Stream, "subject-sub-") {
		t.Fatalf("forget: %+v", res)
	}
	if c := contact(); c.Email != app.ErasedValue || c.Name != app.ErasedValue || c.Organisation != "p1" {
		t.Fatalf("contact after forget: %v", c)
	}
	r := e.do("POST", "/v1/subjects/"+strings.TrimPrefix(res.Stream, "subject-")+"/forget", sys, map[string]any{})
	if r.code != http.StatusConflict || !strings.Contains(string(r.body), string(domain.RuleSubjectErased)) {
		t.Fatalf("forget again: %d %s", r.code, r.body)
	}
}
