package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/projections"
)

func TestOpenReturnsDeadlineLocationETag(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.must(201, e.do("POST", "/v1/tickets", with(prov, HeaderCorrelationID, "corr-9"), openBody()))
	var res clientResult
	r.json(t, &res)
	if res.TicketID == "" || res.Revision != 0 || !res.Changed || res.Replayed || res.Deadline == nil || len(res.Events) != 1 {
		t.Fatalf("result %s", r.body)
	}
	if !res.Deadline.At.Equal(t0.Add(2*time.Hour)) || res.Deadline.PolicyVersion == "" {
		t.Fatalf("deadline %+v", res.Deadline)
	}
	if r.h.Get("Location") != "/v1/tickets/"+res.TicketID || r.h.Get("ETag") != `"0"` || r.h.Get(HeaderCorrelationID) != "corr-9" {
		t.Fatalf("headers %v", r.h)
	}
	ev := res.Events[0]
	if ev.Type != "ticket.opened" || ev.Meta.Actor.ID != "alice@p1.example" || ev.Meta.OnBehalfOf != "c1" || ev.Meta.CorrelationID != "corr-9" || ev.Meta.Hash == "" {
		t.Fatalf("event %+v", ev)
	}
	// A generated correlation id is echoed too.
	r = e.do("GET", "/healthz", nil, nil)
	if r.h.Get(HeaderCorrelationID) == "" {
		t.Fatal("no correlation id generated")
	}
}

func TestEveryTicketCommand(t *testing.T) {
	e := newEnv(t)
	id := e.seed()
	p := "/v1/tickets/" + id
	steps := []struct {
		path string
		h    hdr
		body map[string]any
		typ  string
	}{
		{p + "/severity", prov, map[string]any{"severity": "B", "reason": "partly back"}, "ticket.severity_changed"},
		{p + "/first-response", vend, map[string]any{"summary": "on it"}, "ticket.first_response_recorded"},
		{p + "/escalations", prov, map[string]any{"reason": "no progress", "criteriaMet": []string{"business-impact"}}, "ticket.escalated"},
		{p + "/info-requests", vend, map[string]any{"question": "logs?"}, "ticket.info_requested"},
		{p + "/info-responses", prov, map[string]any{"answer": "attached"}, "ticket.info_provided"},
		{p + "/disputes", prov, map[string]any{"disputeId": "d1", "invoiceRef": "inv-1", "amountCents": 1250, "currency": "EUR", "reason": "double charge"}, "ticket.billing_dispute_opened"},
		{p + "/disputes/d1/resolution", vend, map[string]any{"outcome": "upheld", "creditAmountCents": 1250, "explanation": "refunded"}, "ticket.billing_dispute_resolved"},
		{p + "/fraud-flags", prov, map[string]any{"reason": "odd sign-ins", "indicators": []string{"geo"}}, "ticket.fraud_flagged"},
		{p + "/fraud-clearance", vend, map[string]any{"reason": "was us"}, "ticket.fraud_cleared"},
		{p + "/notes", prov, map[string]any{"text": "fyi"}, "ticket.note_added"},
		{p + "/assignment", vend, map[string]any{"to": "queue-2", "reason": "expertise"}, "ticket.reassigned"},
		{p + "/resolution", vend, map[string]any{"resolution": "rebooted"}, "ticket.resolved"},
		{p + "/reopening", prov, map[string]any{"reason": "back again"}, "ticket.reopened"},
		{p + "/resolution", vend, map[string]any{"resolution": "patched"}, "ticket.resolved"},
		{p + "/closure", prov, map[string]any{"reason": "done"}, "ticket.closed"},
	}
	for i, s := range steps {
		e.now = t0.Add(time.Duration(i+1) * time.Minute)
		r := e.do("POST", s.path, s.h, s.body)
		if r.code != 200 {
			t.Fatalf("%s: %d %s", s.path, r.code, r.body)
		}
		var res clientResult
		r.json(t, &res)
		if len(res.Events) == 0 || res.Events[len(res.Events)-1].Type != s.typ {
			t.Fatalf("%s: events %s", s.path, r.body)
		}
		if s.typ == "ticket.severity_changed" && res.Deadline == nil {
			t.Fatalf("severity change without deadline: %s", r.body)
		}
	}
	// The read model followed, and the chain verifies.
	var view projections.AsOfView
	e.must(200, e.do("GET", p, auditorH, nil)).json(t, &view)
	if view.Ticket == nil || view.Ticket.Status != projections.StatusClosed {
		t.Fatalf("ticket %+v", view.Ticket)
	}
	var v Verification
	e.must(200, e.do("GET", p+"/evidence/verification", auditorH, nil)).json(t, &v)
	if !v.Verified || v.Events != 16 {
		t.Fatalf("verification %+v", v)
	}
}

func TestPartnerCommands(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.must(201, e.do("POST", "/v1/partners", prov, map[string]any{"partnerId": "r1", "name": "Reseller", "role": "indirect_reseller", "providerId": "p1", "email": "help@r1.example"}))
	res := hdr{HeaderActorID: "rob@r1.example", HeaderActorRole: "indirect_reseller", HeaderActorPartner: "r1"}
	e.must(200, e.do("POST", "/v1/partners/r1/customers", res, map[string]any{"customerId": "c7", "name": "Fabrikam", "domain": "fabrikam.example"}))
	e.must(200, e.do("POST", "/v1/partners/p1/support-plans", sys, map[string]any{"planId": "pl1", "kind": "asfp", "reference": "ASFP-1", "validFrom": "2026-01-01T00:00:00Z"}))
	e.must(200, e.do("POST", "/v1/partners/r1/azure-access", prov, map[string]any{"customerId": "c7"}))
	e.must(200, e.do("POST", "/v1/partners/r1/azure-access/c7/revocation", prov, map[string]any{"reason": "contract ended"}))
	e.must(200, e.do("POST", "/v1/partners/p1/support-plans/pl1/end", sys, map[string]any{"reason": "expired"}))

	var pv PartnerView
	e.must(200, e.do("GET", "/v1/partners/r1", prov, nil)).json(t, &pv)
	if pv.ProviderID != "p1" || pv.Role != domain.RoleIndirectReseller || pv.Revision != 3 {
		t.Fatalf("partner %+v", pv)
	}
	e.must(200, e.do("GET", "/v1/partners/p1", res, nil)) // a reseller reads its provider
	if p := e.must(404, e.do("GET", "/v1/partners/p1", otherP, nil)).problem(t); p.Rule != string(domain.RulePartnerNotFound) {
		t.Fatalf("unrelated partner: %+v", p)
	}
}

func TestProblems(t *testing.T) {
	e := newEnv(t)
	id := e.seed()
	cases := []struct {
		name          string
		method, path  string
		h             hdr
		body          any
		status        int
		rule, field   string
		detailContain string
	}{
		{"unknown field", "POST", "/v1/tickets/" + id + "/notes", prov, `{"text":"x","colour":"red"}`, 400, "malformed-request", "colour", "unknown field"},
		{"wrong type", "POST", "/v1/tickets/" + id + "/disputes", prov, `{"disputeId":"d","invoiceRef":"i","amountCents":"12","currency":"EUR","reason":"r"}`, 400, "malformed-request", "amountCents", ""},
		{"nested wrong type", "POST", "/v1/tickets", prov, `{"contact":{"email":42}}`, 400, "malformed-request", "contact.email", ""},
		{"bad time", "POST", "/v1/tickets/" + id + "/notes", prov, `{"text":"x","occurredAt":"yesterday"}`, 400, "malformed-request", "occurredAt", "RFC 3339"},
		{"bad JSON", "POST", "/v1/tickets/" + id + "/notes", prov, `{"text":`, 400, "malformed-request", "body", ""},
		{"two values", "POST", "/v1/tickets/" + id + "/notes", prov, `{"text":"a"}{"text":"b"}`, 400, "malformed-request", "body", ""},
		{"no actor", "POST", "/v1/tickets/" + id + "/notes", nil, `{"text":"x"}`, 401, string(RuleUnauthenticated), "Authorization", "Bearer"},
		{"bad role", "GET", "/v1/tickets", hdr{HeaderActorID: "x", HeaderActorRole: "boss"}, nil, 401, string(RuleUnauthenticated), "Authorization", ""},
		{"bad If-Match", "POST", "/v1/tickets/" + id + "/notes", with(prov, HeaderIfMatch, "abc"), `{"text":"x"}`, 400, "malformed-request", HeaderIfMatch, ""},
		{"If-Match on create", "POST", "/v1/tickets", with(prov, HeaderIfMatch, `"1"`), openBody(), 400, "malformed-request", HeaderIfMatch, ""},
		{"phone channel", "POST", "/v1/tickets", prov, func() any { b := openBody(); b["channel"] = "phone"; return b }(), 422, string(domain.RuleNoPhoneChannel), "channel", ""},
		{"auditor writes", "POST", "/v1/tickets/" + id + "/notes", auditorH, `{"text":"x"}`, 403, string(domain.RuleAuditorReadOnly), "actor.role", ""},
		{"unknown ticket", "POST", "/v1/tickets/0b3f6d4e-0000-4000-8000-000000000001/notes", prov, `{"text":"x"}`, 404, string(domain.RuleTicketNotFound), "ticketId", ""},
		{"not a uuid", "GET", "/v1/tickets/nope", auditorH, nil, 422, string(domain.RuleRequiredField), "ticketId", ""},
		{"state conflict", "POST", "/v1/tickets/" + id + "/info-responses", prov, `{"answer":"x"}`, 409, "", "", ""},
		{"unknown query param", "GET", "/v1/tickets?colour=red", auditorH, nil, 400, "malformed-request", "colour", ""},
		{"bad asOf", "GET", "/v1/tickets/" + id + "?asOf=noon", auditorH, nil, 400, "malformed-request", "asOf", ""},
		{"bad axis", "GET", "/v1/tickets/" + id + "?asOf=2026-03-02T10:00:00Z&axis=sideways", auditorH, nil, 400, "malformed-request", "axis", ""},
		{"bad horizon", "GET", "/v1/reports/sla?horizon=soon", auditorH, nil, 400, "malformed-request", "horizon", ""},
		{"bad groupBy", "GET", "/v1/reports/sla?groupBy=colour", auditorH, nil, 400, "malformed-request", "groupBy", ""},
		{"repeated param", "GET", "/v1/tickets?status=open&status=closed", auditorH, nil, 400, "malformed-request", "status", ""},
		{"not JSON", "POST", "/v1/tickets/" + id + "/notes", with(prov, "Content-Type", "text/plain"), `text=x`, 415, "unsupported-media-type", "Content-Type", ""},
		{"no route", "GET", "/v2/nothing", nil, nil, 404, "no-such-route", "", ""},
		{"wrong method", "DELETE", "/v1/tickets/" + id, auditorH, nil, 405, "method-not-allowed", "", ""},
		{"partner reads foreign ticket", "GET", "/v1/tickets/" + id + "/history", otherP, nil, 404, string(domain.RuleTicketNotFound), "", ""},
		{"what-if without policy", "POST", "/v1/reports/what-if", auditorH, `{}`, 400, "malformed-request", "policyVersion", ""},
		{"what-if unknown version", "POST", "/v1/reports/what-if", auditorH, `{"policyVersion":"1999-01"}`, 404, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r resp
			if s, ok := tc.body.(string); ok && tc.h != nil && tc.h["Content-Type"] != "" {
				req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(s))
				for k, v := range tc.h {
					req.Header.Set(k, v)
				}
				w := httptest.NewRecorder()
				e.h.ServeHTTP(w, req)
				r = resp{code: w.Code, h: w.Header(), body: w.Body.Bytes()}
			} else {
				r = e.do(tc.method, tc.path, tc.h, tc.body)
			}
			if r.code != tc.status {
				t.Fatalf("status %d, want %d: %s", r.code, tc.status, r.body)
			}
			p := r.problem(t)
			if p.Status != tc.status || p.Title == "" || p.Type == "" || p.Instance == "" || p.CorrelationID == "" {
				t.Fatalf("problem %+v", p)
			}
			if tc.rule != "" && p.Rule != tc.rule {
				t.Fatalf("rule %q, want %q (%+v)", p.Rule, tc.rule, p)
			}
			if tc.field != "" && p.Field != tc.field {
				t.Fatalf("field %q, want %q (%+v)", p.Field, tc.field, p)
			}
			if !strings.Contains(p.Detail, tc.detailContain) {
				t.Fatalf("detail %q lacks %q", p.Detail, tc.detailContain)
			}
		})
	}
}

func TestIdempotentRetryAndStaleRevision(t *testing.T) {
	e := newEnv(t)
	e.seed()
	h := with(prov, HeaderIdempotencyKey, "9b1e7c9e-open")
	var first, again clientResult
	e.must(201, e.do("POST", "/v1/tickets", h, openBody())).json(t, &first)
	e.must(201, e.do("POST", "/v1/tickets", h, openBody())).json(t, &again)
	if again.TicketID != first.TicketID || again.Revision != first.Revision || !again.Replayed ||
		again.Events[0].Meta.EventID != first.Events[0].Meta.EventID || again.Deadline == nil {
		t.Fatalf("retry %+v\nfirst %+v", again, first)
	}
	var page projections.AuditPage
	e.must(200, e.do("GET", "/v1/audit?ticketId="+first.TicketID, auditorH, nil)).json(t, &page)
	if len(page.Entries) != 1 {
		t.Fatalf("retry appended: %d events", len(page.Entries))
	}

	p := "/v1/tickets/" + first.TicketID + "/notes"
	r := e.must(200, e.do("POST", p, with(prov, HeaderIfMatch, `"0"`), map[string]any{"text": "one"}))
	if r.h.Get("ETag") != `"1"` {
		t.Fatalf("ETag %q", r.h.Get("ETag"))
	}
	pr := e.must(409, e.do("POST", p, with(prov, HeaderIfMatch, `"0"`), map[string]any{"text": "two"})).problem(t)
	if pr.CurrentRevision == nil || *pr.CurrentRevision != 1 || pr.Rule != string(app.RuleStaleRevision) {
		t.Fatalf("409 problem %+v", pr)
	}
	e.must(200, e.do("POST", p, with(prov, HeaderIfMatch, `W/"1"`), map[string]any{"text": "two"}))
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 1024 })
	id := e.seed()
	big := map[string]any{"text": strings.Repeat("x", 2048)}
	p := e.must(413, e.do("POST", "/v1/tickets/"+id+"/notes", prov, big)).problem(t)
	if p.Rule != string(RuleBodyTooLarge) {
		t.Fatalf("problem %+v", p)
	}
}

func TestQueries(t *testing.T) {
	e := newEnv(t)
	id := e.seed()
	e.now = t0.Add(30 * time.Minute)
	e.must(200, e.do("POST", "/v1/tickets/"+id+"/first-response", vend, map[string]any{"summary": "hi"}))
	// A late entry: occurred at 09:10, recorded at 10:00.
	e.now = t0.Add(time.Hour)
	e.must(200, e.do("POST", "/v1/tickets/"+id+"/notes", prov, map[string]any{"text": "called earlier", "occurredAt": "2026-03-02T09:10:00Z"}))

	var list projections.TicketPage
	e.must(200, e.do("GET", "/v1/tickets?severity=A&limit=10&order=newest", auditorH, nil)).json(t, &list)
	if len(list.Tickets) != 1 || list.Tickets[0].ID != id {
		t.Fatalf("list %+v", list)
	}
	e.must(200, e.do("GET", "/v1/tickets?partnerId=p2", auditorH, nil)).json(t, &list)
	if len(list.Tickets) != 0 {
		t.Fatalf("filter: %+v", list)
	}
	e.must(200, e.do("GET", "/v1/tickets", prov, nil)).json(t, &list) // scoped to p1
	if len(list.Tickets) != 1 {
		t.Fatalf("partner list %+v", list)
	}

	var now projections.AsOfView
	r := e.must(200, e.do("GET", "/v1/tickets/"+id, prov, nil))
	r.json(t, &now)
	if now.Ticket == nil || now.Ticket.Status != projections.StatusInProgress || now.SLA == nil || now.SLA.Verdict != "met" || r.h.Get("ETag") != `"2"` {
		t.Fatalf("current %s", r.body)
	}
	var rec, occ projections.AsOfView
	e.must(200, e.do("GET", "/v1/tickets/"+id+"?asOf=2026-03-02T09:15:00Z&axis=recorded", auditorH, nil)).json(t, &rec)
	e.must(200, e.do("GET", "/v1/tickets/"+id+"?asOf=2026-03-02T09:15:00Z&axis=occurred", auditorH, nil)).json(t, &occ)
	if rec.Events != 1 || occ.Events != 2 || len(occ.NotYetRecorded) != 1 {
		t.Fatalf("as of: recorded %d events, occurred %d events (%d not yet recorded)", rec.Events, occ.Events, len(occ.NotYetRecorded))
	}

	var hist struct {
		Entries []struct {
			Type string `json:"type"`
			Hash string `json:"hash"`
		} `json:"entries"`
	}
	e.must(200, e.do("GET", "/v1/tickets/"+id+"/history", prov, nil)).json(t, &hist)
	if len(hist.Entries) != 3 || hist.Entries[0].Type != "ticket.opened" || hist.Entries[0].Hash == "" {
		t.Fatalf("history %+v", hist)
	}
	var ts projections.TicketSLA
	e.must(200, e.do("GET", "/v1/tickets/"+id+"/sla", auditorH, nil)).json(t, &ts)
	if ts.Verdict != "met" {
		t.Fatalf("sla %+v", ts)
	}

	var audit projections.AuditPage
	e.must(200, e.do("GET", "/v1/audit?type=ticket.opened,ticket.note_added&limit=1", auditorH, nil)).json(t, &audit)
	if len(audit.Entries) != 1 || audit.Next == "" {
		t.Fatalf("audit page 1 %+v", audit)
	}
	e.must(200, e.do("GET", "/v1/audit?type=ticket.opened,ticket.note_added&limit=1&cursor="+audit.Next, auditorH, nil)).json(t, &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].Type != "ticket.note_added" {
		t.Fatalf("audit page 2 %+v", audit)
	}
	e.must(200, e.do("GET", "/v1/audit?actor=vera@vendor.example", auditorH, nil)).json(t, &audit)
	if len(audit.Entries) != 1 {
		t.Fatalf("audit by actor %+v", audit)
	}

	var rep projections.Report
	e.must(200, e.do("GET", "/v1/reports/sla?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z&groupBy=severity&groupBy=product&horizon=2h", auditorH, nil)).json(t, &rep)
	if rep.Total.Tickets != 1 || rep.Total.Met != 1 || len(rep.Groups) != 1 || rep.Groups[0].Key["severity"] != "A" {
		t.Fatalf("report %+v", rep)
	}
	var risk AtRiskView
	e.must(200, e.do("GET", "/v1/reports/at-risk?horizon=3h&includeBreached=true", auditorH, nil)).json(t, &risk)
	if len(risk.Tickets) != 0 || risk.HorizonSeconds != 3*3600 {
		t.Fatalf("at risk %+v", risk)
	}
	// A horizon in plain seconds, as the API writes durations.
	e.must(200, e.do("GET", "/v1/reports/at-risk?horizon=5400", auditorH, nil)).json(t, &risk)
	if risk.HorizonSeconds != 5400 {
		t.Fatalf("at risk, horizon in seconds %+v", risk)
	}

	var pl PolicyList
	e.must(200, e.do("GET", "/v1/policies", auditorH, nil)).json(t, &pl)
	if pl.Current == "" || len(pl.Policies) == 0 {
		t.Fatalf("policies %+v", pl)
	}
	var wi projections.WhatIfReport
	e.must(200, e.do("POST", "/v1/reports/what-if", auditorH, map[string]any{"policyVersion": pl.Current})).json(t, &wi)
	if wi.Evaluated != 1 || wi.MetToBreached != 0 {
		t.Fatalf("what-if same policy %+v", wi)
	}
	inline := map[string]any{"policy": map[string]any{"version": "strict", "base": pl.Current, "breakFix": map[string]string{"A": "10m"}}}
	e.must(200, e.do("POST", "/v1/reports/what-if", auditorH, inline)).json(t, &wi)
	if wi.MetToBreached != 1 || wi.PolicyVersion != "strict" {
		t.Fatalf("what-if strict %+v", wi)
	}

	var ev app.Evidence
	r = e.must(200, e.do("GET", "/v1/tickets/"+id+"/evidence", auditorH, nil))
	r.json(t, &ev)
	if !ev.Verified || len(ev.Events) != 3 || ev.LastHash == "" || !bytes.HasPrefix(ev.Events[0].Data, []byte("{")) {
		t.Fatalf("evidence %s", r.body)
	}
	// The exported bytes verify independently.
	raw := make([]eventstore.RecordedEvent, len(ev.Events))
	for i, it := range ev.Events {
		raw[i] = eventstore.RecordedEvent{StreamID: ev.Stream, Revision: it.Revision, ID: it.ID, Type: it.Type, Data: it.Data, Metadata: it.Metadata}
	}
	if err := codec.Verify(raw); err != nil {
		t.Fatal(err)
	}
}

func TestHealthReadyAndObserver(t *testing.T) {
	e := newEnv(t)
	e.must(200, e.do("GET", "/healthz", nil, nil))
	e.must(200, e.do("GET", "/readyz", nil, nil))
	e.ready = errors.New("the projections have not caught up with the log yet")
	if p := e.must(503, e.do("GET", "/readyz", nil, nil)).problem(t); p.Rule != string(RuleNotReady) {
		t.Fatalf("readyz %+v", p)
	}
	e.obs.mu.Lock()
	defer e.obs.mu.Unlock()
	if len(e.obs.calls) != 3 || e.obs.calls[0] != "GET /healthz OK" || e.obs.calls[2] != "GET /readyz Service Unavailable" {
		t.Fatalf("observations %v", e.obs.calls)
	}
}

func TestReadyWhen(t *testing.T) {
	ch := make(chan struct{})
	pingErr := errors.New("down")
	var ping error
	ready := ReadyWhen(ch, func(context.Context) error { return ping })
	if ready(context.Background()) == nil {
		t.Fatal("ready before catch-up")
	}
	close(ch)
	if err := ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	ping = pingErr
	if err := ready(context.Background()); !errors.Is(err, pingErr) {
		t.Fatal(err)
	}
}

// TestOpenAPIMatchesRoutes checks that every route registered on the mux is
// in the served document and every operation of the document is routed to
// the handler registered for it.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	r := e.must(200, e.do("GET", "/openapi.json", nil, nil))
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	r.json(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	registered := map[string]bool{}
	for _, rt := range e.api.routes {
		registered[rt.pattern()] = true
		if doc.Paths[rt.path][strings.ToLower(rt.method)] == nil {
			t.Errorf("route %s is not in the OpenAPI document", rt.pattern())
		}
	}
	ops := 0
	for path, methods := range doc.Paths {
		for method, op := range methods {
			ops++
			concrete := pathParamRE.ReplaceAllString(path, "x")
			req := httptest.NewRequest(strings.ToUpper(method), concrete, nil)
			_, pattern := e.api.mux.Handler(req)
			want := strings.ToUpper(method) + " " + path
			if pattern != want || !registered[pattern] {
				t.Errorf("document operation %s (%v) is routed to %q", want, op["operationId"], pattern)
			}
		}
	}
	if ops != len(e.api.routes) {
		t.Errorf("document has %d operations, the mux %d routes", ops, len(e.api.routes))
	}
}

// A request filed over the API without channel, route or context is taken as
// filed through the API (channel api) via the partner center, in the
// customer's context when it names a customer.
func TestOpenDefaultsChannelAndRoute(t *testing.T) {
	e := newEnv(t)
	e.seed()
	b := openBody()
	delete(b, "channel")
	delete(b, "route")
	delete(b, "context")
	r := e.must(201, e.do("POST", "/v1/tickets", prov, b))
	var res struct {
		Events []struct {
			Payload struct {
				Channel string `json:"channel"`
				Route   string `json:"route"`
				Context string `json:"context"`
			} `json:"payload"`
		} `json:"events"`
	}
	r.json(t, &res)
	if len(res.Events) != 1 {
		t.Fatalf("result %s", r.body)
	}
	if got := res.Events[0].Payload; got.Channel != "api" || got.Route != "partner_center" || got.Context != "customer" {
		t.Fatalf("channel/route/context = %q/%q/%q, want api/partner_center/customer; body %s", got.Channel, got.Route, got.Context, r.body)
	}
	// The OpenAPI document does not call them required either.
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Required []string `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	e.must(200, e.do("GET", "/openapi.json", nil, nil)).json(t, &doc)
	req := doc.Components.Schemas["OpenTicketBody"].Required
	if len(req) == 0 || slices.ContainsFunc(req, func(f string) bool { return f == "channel" || f == "route" || f == "context" }) {
		t.Fatalf("OpenTicketBody required = %v, want title etc. but not channel, route or context", req)
	}
}

// TestNoNanosecondDurations: no request or response body of the API holds
// a time.Duration (Go would write nanoseconds): durations are whole or
// fractional seconds in fields named ...Seconds.
func TestNoNanosecondDurations(t *testing.T) {
	e := newEnv(t)
	body := string(e.must(200, e.do("GET", "/openapi.json", nil, nil)).body)
	if strings.Contains(body, "nanoseconds") {
		i := strings.Index(body, "nanoseconds")
		t.Fatalf("the OpenAPI document declares a duration in nanoseconds: …%s…", body[max(0, i-300):i])
	}
	if !strings.Contains(body, `"targetSeconds"`) {
		t.Fatal("deadlines should carry targetSeconds")
	}
}

// TestOpenAPIEvidenceBundleIsZip: the bundle route declares its zip body.
func TestOpenAPIEvidenceBundleIsZip(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	e.must(200, e.do("GET", "/openapi.json", nil, nil)).json(t, &doc)
	ok := doc.Paths["/v1/tickets/{id}/evidence.zip"]["get"].Responses["200"].Content
	if _, zip := ok["application/zip"]; !zip || len(ok) != 1 {
		t.Fatalf("evidence.zip 200 content: %v", ok)
	}
}

// TestListTicketsSLAState: the listing shows each ticket's SLA state at the
// server's now (the at-risk horizon as the query gives it), so a breached,
// unanswered ticket is not blank.
func TestListTicketsSLAState(t *testing.T) {
	e := newEnv(t)
	id := e.seed() // severity A, opened at t0: due t0+2h
	e.now = t0.Add(2*time.Hour + 30*time.Minute)
	var list projections.TicketPage
	e.must(200, e.do("GET", "/v1/tickets?sla=breached_unanswered", auditorH, nil)).json(t, &list)
	if len(list.Tickets) != 1 || list.Tickets[0].ID != id {
		t.Fatalf("list %+v", list)
	}
	s := list.Tickets[0].SLA
	if s == nil || s.State != projections.SLABreachedUnanswered || s.Verdict != "breached" || !s.At.Equal(e.now) ||
		s.RemainingSeconds == nil || *s.RemainingSeconds != -1800 {
		t.Fatalf("sla state %+v", s)
	}
	e.now = t0.Add(90 * time.Minute)
	e.must(200, e.do("GET", "/v1/tickets?horizon=45m", auditorH, nil)).json(t, &list)
	if s := list.Tickets[0].SLA; s == nil || s.State != projections.SLAAtRisk || *s.RemainingSeconds != 1800 {
		t.Fatalf("at risk: %+v", s)
	}
	e.must(200, e.do("GET", "/v1/tickets?horizon=15m", auditorH, nil)).json(t, &list)
	if s := list.Tickets[0].SLA; s == nil || s.State != projections.SLAPending {
		t.Fatalf("pending: %+v", s)
	}
}

// TestListTicketsByIDPrefix: idPrefix selects by the start of the id, and a
// partner's prefix matches only the tickets of its own tenancy.
func TestListTicketsByIDPrefix(t *testing.T) {
	e := newEnv(t)
	id := e.seed() // p1's
	var list projections.TicketPage
	for _, n := range []int{1, 8, len(id)} {
		e.must(200, e.do("GET", "/v1/tickets?limit=2&idPrefix="+id[:n], auditorH, nil)).json(t, &list)
		if len(list.Tickets) != 1 || list.Tickets[0].ID != id {
			t.Fatalf("prefix %q: %+v", id[:n], list)
		}
	}
	e.must(200, e.do("GET", "/v1/tickets?idPrefix="+id[:8], prov, nil)).json(t, &list)
	if len(list.Tickets) != 1 {
		t.Fatalf("owner's prefix: %+v", list)
	}
	e.must(200, e.do("GET", "/v1/tickets?idPrefix="+id[:8], otherP, nil)).json(t, &list)
	if len(list.Tickets) != 0 {
		t.Fatalf("another partner's prefix matched %+v", list)
	}
	e.must(200, e.do("GET", "/v1/tickets?idPrefix="+id+"x", auditorH, nil)).json(t, &list)
	if len(list.Tickets) != 0 {
		t.Fatalf("longer than the id: %+v", list)
	}
}

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
