package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/pebbletest"
	"github.com/ticketledger/ticketledger/infra/subjects"
	"github.com/ticketledger/ticketledger/infra/webhook"
	"github.com/ticketledger/ticketledger/projections"
)

// The environment the tests of this package run in: an API on a fresh
// embedded store with the projections fed by hand, the actors' headers,
// and the requests and checks the tests share.

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type hdr map[string]string

var (
	sys      = hdr{HeaderActorID: "onboarding", HeaderActorRole: "admin"}
	prov     = hdr{HeaderActorID: "alice@p1.example", HeaderActorRole: "indirect_provider", HeaderActorPartner: "p1"}
	otherP   = hdr{HeaderActorID: "olga@p2.example", HeaderActorRole: "indirect_provider", HeaderActorPartner: "p2"}
	vend     = hdr{HeaderActorID: "vera@vendor.example", HeaderActorRole: "vendor_support"}
	auditorH = hdr{HeaderActorID: "audrey@audit.example", HeaderActorRole: "auditor"}
)

// recordingObserver collects ObserveHTTP calls.
type recordingObserver struct {
	mu    sync.Mutex
	calls []string
}

func (o *recordingObserver) ObserveHTTP(route string, code int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, route+" "+http.StatusText(code))
}

type env struct {
	t       *testing.T
	store   eventstore.Store
	api     *API
	h       http.Handler
	tickets *projections.Tickets
	audit   *projections.Audit
	pos     eventstore.Position
	now     time.Time
	obs     *recordingObserver
	ready   error
	reads   *countingStore // the app's store, counting stream reads
	tokens  *auth.Tokens
	keys    *subjects.FileStore // the data subjects' key store
	denied  []string            // method/reason of every denial reported
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	st := pebbletest.Open(t)
	e := &env{t: t, store: st, now: t0, obs: &recordingObserver{}, reads: &countingStore{Store: st}}
	clock := func() time.Time { return e.now }
	var err error
	if e.keys, err = subjects.OpenFileStore(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	svc, err := app.New(app.Config{Store: e.reads, Now: clock, Subjects: e.keys})
	if err != nil {
		t.Fatal(err)
	}
	e.tickets = projections.NewTickets(projections.TicketsOptions{Clock: svc.Policies().Counter()})
	e.audit = projections.NewAudit()
	// The tests act through proxy mode (httptest's requests come from
	// 192.0.2.1) and through ledger tokens (authn_test.go).
	reg := auth.NewRegistry(clock)
	e.tokens = auth.NewTokens(st, reg, clock)
	var mu sync.Mutex
	onDenied := func(m, r string) { mu.Lock(); e.denied = append(e.denied, m+"/"+r); mu.Unlock() }
	authn := auth.New(auth.Config{Tokens: reg, Proxy: auth.NewProxy(netip.MustParsePrefix("192.0.2.0/24")), Now: clock,
		OnDenied: func(m auth.Method, r auth.Reason) { onDenied(m, string(r)) }})
	cfg := Config{App: svc, Tickets: e.tickets, Audit: e.audit, Now: clock, Observer: e.obs,
		Ready: func(context.Context) error { return e.ready }, Auth: authn, Tokens: e.tokens, OnDenied: onDenied,
		Webhooks: webhook.NewService(e.reads, nil, webhook.Key{7}, webhook.Guard{Unsafe: true}, clock)}
	for _, m := range mutate {
		m(&cfg)
	}
	e.api, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.h = e.api.Handler()
	return e
}

// catchUp feeds the projections what the store holds beyond pos: the
// test's stand-in for the projector.
func (e *env) catchUp() {
	e.t.Helper()
	from := eventstore.AllStart()
	if e.pos.Commit > 0 {
		from = eventstore.AllPosition(e.pos)
	}
	evs, err := e.store.ReadAll(context.Background(), eventstore.Forwards, from, 1<<20, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Position == e.pos || eventstore.IsSystemStream(ev.StreamID) || strings.HasPrefix(ev.StreamID, principal.StreamPrefix) {
			continue
		}
		rec, err := codec.Decode(ev)
		if err != nil {
			e.t.Fatal(err)
		}
		e.tickets.Apply(rec)
		e.audit.Apply(rec)
		e.pos = ev.Position
	}
}

// clientResult is CommandResult as a client decodes it (payloads as raw
// JSON).
type clientResult struct {
	TicketID string        `json:"ticketId"`
	Revision uint64        `json:"revision"`
	Changed  bool          `json:"changed"`
	Replayed bool          `json:"replayed"`
	Deadline *sla.Deadline `json:"deadline"`
	Events   []struct {
		Revision uint64          `json:"revision"`
		Type     string          `json:"type"`
		Meta     domain.Meta     `json:"meta"`
		Payload  json.RawMessage `json:"payload"`
	} `json:"events"`
}

type resp struct {
	code int
	h    http.Header
	body []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) problem(t *testing.T) Problem {
	t.Helper()
	if ct := r.h.Get("Content-Type"); ct != ProblemContentType {
		t.Fatalf("content type %q, want a problem document; body %s", ct, r.body)
	}
	var p Problem
	r.json(t, &p)
	return p
}

func (e *env) do(method, path string, h hdr, body any) resp {
	e.t.Helper()
	return e.from("", method, path, h, body)
}

// from sends a request from the TCP peer remote ("": httptest's default,
// 192.0.2.1, a trusted proxy address in these tests).
func (e *env) from(remote, method, path string, h hdr, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	if remote != "" {
		req.RemoteAddr = remote
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	e.catchUp()
	return resp{code: w.Code, h: w.Header(), body: w.Body.Bytes()}
}

func (e *env) must(code int, r resp) resp {
	e.t.Helper()
	if r.code != code {
		e.t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
	return r
}

func with(h hdr, kv ...string) hdr {
	out := hdr{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func openBody() map[string]any {
	return map[string]any{
		"context": "customer", "customerId": "c1", "product": "azure", "severity": "A", "title": "VMs down",
		"channel": "web", "route": "partner_center", "language": "en", "locale": "en-US",
		"contact": map[string]any{"name": "Alice", "email": "alice@p1.example", "organisation": "p1"},
	}
}

// seed registers partner p1 (and p2) with customer c1 and opens a ticket.
func (e *env) seed() (ticketID string) {
	e.t.Helper()
	e.must(201, e.do("POST", "/v1/partners", sys, map[string]any{"partnerId": "p1", "name": "Partner One", "role": "indirect_provider", "email": "support@p1.example"}))
	e.must(201, e.do("POST", "/v1/partners", sys, map[string]any{"partnerId": "p2", "name": "Partner Two", "role": "indirect_provider", "email": "support@p2.example"}))
	e.must(200, e.do("POST", "/v1/partners/p1/customers", sys, map[string]any{"customerId": "c1", "name": "Contoso", "domain": "contoso.example", "adminRights": true}))
	r := e.must(201, e.do("POST", "/v1/tickets", prov, openBody()))
	var res clientResult
	r.json(e.t, &res)
	return res.TicketID
}

// head is the store's last position.
func (e *env) head(t *testing.T) eventstore.Position {
	t.Helper()
	p, err := e.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// raw sends body as it is, from the trusted proxy address, without feeding
// the projections (safe to call from several goroutines).
func (e *env) raw(method, path string, h hdr, body string) resp {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return resp{code: w.Code, h: w.Header(), body: w.Body.Bytes()}
}

// revision is the ticket's current revision, from its ETag.
func (e *env) revision(t *testing.T, id string) uint64 {
	t.Helper()
	rev, err := parseETag(e.must(200, e.do("GET", "/v1/tickets/"+id, auditorH, nil)).h.Get("ETag"))
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// TestSlowBodyIsCutOff: a client that sends its headers and then trickles

// issue issues a ledger token as the internal principal and returns its
// secret.
func (e *env) issue(role domain.Role, partner, name string, scope principal.Scope) string {
	e.t.Helper()
	iss, err := e.tokens.Issue(context.Background(), auth.Internal().Actor(), auth.IssueRequest{Role: role, Partner: partner, Name: name, Scope: scope})
	if err != nil {
		e.t.Fatal(err)
	}
	return iss.Secret
}

// tokenFor issues a full-scope ledger token for the actor the proxy-mode
// headers h name and returns its secret: that actor, for a request that
// does not come from the trusted proxy.
func (e *env) tokenFor(h hdr) string {
	e.t.Helper()
	return e.issue(domain.Role(h[HeaderActorRole]), h[HeaderActorPartner], h[HeaderActorID], principal.ScopeFull)
}

func bearer(secret string) hdr { return hdr{"Authorization": "Bearer " + secret} }
