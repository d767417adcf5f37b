package server

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/auth"
)

func TestUnauthenticatedIs401WithChallenge(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/v1/tickets", "/v1/tokens", "/v1/audit"} {
		r := e.must(401, e.do("GET", path, nil, nil))
		if got := r.h.Get("WWW-Authenticate"); got != auth.Challenge {
			t.Fatalf("%s: WWW-Authenticate %q, want %q", path, got, auth.Challenge)
		}
		p := r.problem(t)
		if p.Rule != string(RuleUnauthenticated) || !strings.Contains(p.Detail, "Authorization: Bearer") || !strings.Contains(p.Detail, "ticketledger tokens create") {
			t.Fatalf("%s: problem %+v does not say what to do", path, p)
		}
	}
	if len(e.denied) != 3 || e.denied[0] != "/missing" {
		t.Fatalf("denials reported %v, want 3 missing", e.denied)
	}
	// The public routes answer without credentials.
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json"} {
		e.must(200, e.do("GET", path, nil, nil))
	}
}

func TestTokenAuthenticatesAndIsRecordedAsActor(t *testing.T) {
	e := newEnv(t)
	id := e.seed()
	tok := e.tokenFor(prov)
	r := e.must(200, e.do("POST", "/v1/tickets/"+id+"/notes", bearer(tok), map[string]any{"text": "via token"}))
	var res clientResult
	r.json(t, &res)
	if len(res.Events) != 1 {
		t.Fatalf("result %s", r.body)
	}
	act := res.Events[0].Meta.Actor
	if !strings.HasPrefix(act.ID, "alice@p1.example#") || act.Role != domain.RoleIndirectProvider || act.Partner != "p1" || act.Auth != domain.AuthToken {
		t.Fatalf("recorded actor %+v, want the token's principal with auth token", act)
	}
	// The proxy-mode actor records its method too.
	r = e.must(200, e.do("POST", "/v1/tickets/"+id+"/notes", prov, map[string]any{"text": "via proxy"}))
	r.json(t, &res)
	if a := res.Events[0].Meta.Actor; a.ID != "alice@p1.example" || a.Auth != domain.AuthProxy {
		t.Fatalf("proxy actor %+v", a)
	}
}

func TestRevokedTokenIs401AtOnce(t *testing.T) {
	e := newEnv(t)
	admin := e.issue(domain.RoleAdmin, "", "root", principal.ScopeFull)
	var issued IssuedToken
	e.must(201, e.do("POST", "/v1/tokens", bearer(admin), map[string]any{"role": "auditor", "name": "audrey"})).json(t, &issued)
	if !strings.HasPrefix(issued.Secret, "tl_") || issued.TokenID == "" || issued.ActorID != "audrey#"+issued.TokenID {
		t.Fatalf("issued %+v", issued)
	}
	e.must(200, e.do("GET", "/v1/tickets", bearer(issued.Secret), nil))
	e.must(200, e.do("POST", "/v1/tokens/"+issued.TokenID+"/revocation", bearer(admin), map[string]any{"reason": "left"}))
	r := e.must(401, e.do("GET", "/v1/tickets", bearer(issued.Secret), nil))
	if r.h.Get("WWW-Authenticate") == "" || !strings.Contains(r.problem(t).Detail, "revoked") {
		t.Fatalf("revoked token answer %s", r.body)
	}
}

func TestIdentityHeadersFromUntrustedAddressAre401(t *testing.T) {
	e := newEnv(t)
	r := e.must(401, e.from("203.0.113.9:4000", "GET", "/v1/tickets", vend, nil))
	if p := r.problem(t); !strings.Contains(p.Detail, "proxy") {
		t.Fatalf("problem %+v does not name the proxy", p)
	}
	// Even with a valid token beside them, the headers are refused.
	tok := e.issue(domain.RoleAuditor, "", "a", principal.ScopeFull)
	e.must(401, e.from("203.0.113.9:4000", "GET", "/v1/tickets", with(vend, "Authorization", "Bearer "+tok), nil))
	e.must(200, e.from("203.0.113.9:4000", "GET", "/v1/tickets", bearer(tok), nil))
}

func TestRepeatedFailuresAre429WithRetryAfter(t *testing.T) {
	e := newEnv(t)
	var r resp
	for i := 0; i < 20 && r.code != http.StatusTooManyRequests; i++ {
		r = e.from("198.51.100.7:1000", "GET", "/v1/tickets", bearer("tl_guess"), nil)
	}
	if r.code != http.StatusTooManyRequests || r.h.Get("Retry-After") == "" {
		t.Fatalf("after repeated failures: %d %v %s", r.code, r.h, r.body)
	}
	if p := r.problem(t); p.Rule != string(RuleRateLimited) || !strings.Contains(p.Detail, "Authorization: Bearer") {
		t.Fatalf("problem %+v", p)
	}
	// A good token from the limited source waits too; other sources do not.
	tok := e.issue(domain.RoleAuditor, "", "a", principal.ScopeFull)
	e.must(429, e.from("198.51.100.7:1000", "GET", "/v1/tickets", bearer(tok), nil))
	e.must(200, e.from("198.51.100.8:1000", "GET", "/v1/tickets", bearer(tok), nil))
}

func TestMetricsOnlyToken(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("up 1\n")) })
	})
	tok := e.issue(domain.RoleAuditor, "", "metrics", principal.ScopeMetrics)
	r := e.must(403, e.do("GET", "/v1/tickets", bearer(tok), nil))
	if p := r.problem(t); p.Rule != string(RuleMetricsOnly) {
		t.Fatalf("problem %+v", p)
	}
	if r := e.must(200, e.do("GET", "/metrics", bearer(tok), nil)); string(r.body) != "up 1\n" {
		t.Fatalf("metrics %q", r.body)
	}
	e.must(401, e.do("GET", "/metrics", nil, nil))

	pub := newEnv(t, func(c *Config) {
		c.Metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("up 1\n")) })
		c.MetricsPublic = true
	})
	pub.must(200, pub.do("GET", "/metrics", nil, nil))
}

// A replica token (admin role, scope replica) is for the KurrentDB wire
// endpoint only: on the HTTP API it would otherwise act as an admin.
func TestReplicaTokenRefused(t *testing.T) {
	e := newEnv(t)
	tok := e.issue(domain.RoleAdmin, "", "replica", principal.ScopeReplica)
	r := e.must(403, e.do("GET", "/v1/tokens", bearer(tok), nil))
	if p := r.problem(t); p.Rule != string(RuleReplicaOnly) {
		t.Fatalf("problem %+v", p)
	}
}

func TestTokenRoutesAreAdminOnly(t *testing.T) {
	e := newEnv(t)
	admin := e.issue(domain.RoleAdmin, "", "root", principal.ScopeFull)
	for _, h := range []hdr{prov, vend, auditorH, bearer(e.issue(domain.RoleAuditor, "", "aud", principal.ScopeFull))} {
		for _, rq := range []struct{ method, path, body string }{
			{"GET", "/v1/tokens", ""}, {"POST", "/v1/tokens", `{"role":"admin"}`}, {"POST", "/v1/tokens/x/revocation", `{}`},
		} {
			var body any
			if rq.body != "" {
				body = rq.body
			}
			r := e.must(403, e.do(rq.method, rq.path, h, body))
			if p := r.problem(t); p.Rule != string(RuleAdminOnly) {
				t.Fatalf("%s %s as %v: problem %+v", rq.method, rq.path, h, p)
			}
		}
	}
	var list TokenList
	e.must(200, e.do("GET", "/v1/tokens", bearer(admin), nil)).json(t, &list)
	if len(list.Tokens) != 2 {
		t.Fatalf("tokens %+v", list)
	}
	r := e.do("GET", "/v1/tokens", bearer(admin), nil)
	if strings.Contains(string(r.body), "tl_") || strings.Contains(string(r.body), "hash") {
		t.Fatalf("token list shows a secret or hash: %s", r.body)
	}
	// A partner token needs its partner: the domain's refusal passes through.
	p := e.must(422, e.do("POST", "/v1/tokens", bearer(admin), map[string]any{"role": "indirect_reseller"})).problem(t)
	if p.Rule == "" {
		t.Fatalf("problem %+v", p)
	}
}

func TestOpenAPIDeclaresSecurity(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	e.must(200, e.do("GET", "/openapi.json", nil, nil)).json(t, &doc)
	if doc.Components.SecuritySchemes["bearerAuth"]["scheme"] != "bearer" {
		t.Fatalf("security schemes %v", doc.Components.SecuritySchemes)
	}
	for _, rt := range e.api.routes {
		sec, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]["security"].([]any)
		if !ok || (rt.public != (len(sec) == 0)) {
			t.Errorf("%s: security %v (public %v)", rt.pattern(), sec, rt.public)
		}
	}
}

// TestWriteOpenAPI writes the served OpenAPI document (with /metrics) to
// $TICKETLEDGER_OPENAPI_OUT, for CI's linter (.ci/run); it checks the
// document parses either way.
func TestWriteOpenAPI(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Metrics = http.NotFoundHandler() })
	r := e.must(200, e.do("GET", "/openapi.json", nil, nil))
	var doc map[string]any
	r.json(t, &doc)
	if out := os.Getenv("TICKETLEDGER_OPENAPI_OUT"); out != "" {
		if err := os.WriteFile(out, r.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
