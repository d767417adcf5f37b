package server

import (
	"bytes"
	"context"
	"fmt"
	dw "github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/webhook"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/projections"
)

// caller is one identity of the tenancy matrix.
type caller struct {
	name    string
	role    domain.Role
	partner string
}

func (c caller) anon() bool { return c.role == "" }

// as is how a test request carries the caller's identity: the one place
// to change when the server takes identity another way.
func as(c caller) hdr {
	if c.anon() {
		return hdr{}
	}
	h := hdr{HeaderActorID: c.name + "@example.test", HeaderActorRole: string(c.role)}
	if c.partner != "" {
		h[HeaderActorPartner] = c.partner
	}
	return h
}

// anonStatus is the answer to a request without an identity.
const anonStatus = http.StatusUnauthorized

// neverUsed is a ticket id no ticket has.
const neverUsed = "0b3f6d4e-0000-4000-8000-00000000abcd"

var (
	providerOf = map[string]string{"p1": "", "r11": "p1", "r12": "p1", "p2": "", "r21": "p2", "r22": "p2"}
	partnerIDs = []string{"p1", "r11", "r12", "p2", "r21", "r22"}
	callers    = []caller{
		{"p1", domain.RoleIndirectProvider, "p1"}, {"r11", domain.RoleIndirectReseller, "r11"}, {"r12", domain.RoleIndirectReseller, "r12"},
		{"p2", domain.RoleIndirectProvider, "p2"}, {"r21", domain.RoleIndirectReseller, "r21"}, {"r22", domain.RoleIndirectReseller, "r22"},
		{"vendor", domain.RoleVendorSupport, ""}, {"auditor", domain.RoleAuditor, ""}, {"admin", domain.RoleAdmin, ""}, {"anonymous", "", ""},
	}
)

// tenancyWorld is what the matrix test seeded and created: the tickets
// with their parties, the partners with their providers.
type tenancyWorld struct {
	tickets   map[string][]string // id → parties
	redirects map[string]bool     // marketplace redirects (no deadline)
	order     []string
	partners  map[string]string // id → provider
}

func (w *tenancyWorld) addTicket(id string, parties ...string) {
	w.tickets[id] = parties
	w.order = append(w.order, id)
}

// sees: the caller may see the ticket.
func (w *tenancyWorld) sees(c caller, id string) bool {
	switch {
	case c.role.IsPartner():
		return slices.Contains(w.tickets[id], c.partner)
	case c.role == domain.RoleVendorSupport, c.role == domain.RoleAuditor:
		_, ok := w.tickets[id]
		return ok
	}
	return false
}

// related: the caller may see the partner record.
func (w *tenancyWorld) related(c caller, id string) bool {
	if !c.role.IsPartner() {
		return true
	}
	return id == c.partner || w.partners[id] == c.partner || w.partners[c.partner] == id
}

func (w *tenancyWorld) visible(c caller) []string {
	var out []string
	for _, id := range w.order {
		if w.sees(c, id) {
			out = append(out, id)
		}
	}
	return out
}

func openBodyFor(partner, customer string) map[string]any {
	return map[string]any{
		"customerId": customer, "product": "office365", "severity": "B", "title": "Mail down",
		"language": "en", "locale": "en-US",
		"contact": map[string]any{"name": "Contact", "email": "a@" + partner + ".example", "organisation": partner},
	}
}

// seedTenancy: two providers with two resellers each, a customer each, a
// ticket each partner filed for its customer, and one ticket each
// provider filed for a customer of its first reseller.
func seedTenancy(e *env) *tenancyWorld {
	e.t.Helper()
	w := &tenancyWorld{tickets: map[string][]string{}, redirects: map[string]bool{}, partners: map[string]string{}}
	for _, id := range partnerIDs {
		role := "indirect_provider"
		if providerOf[id] != "" {
			role = "indirect_reseller"
		}
		e.must(201, e.do("POST", "/v1/partners", sys, map[string]any{"partnerId": id, "name": id, "role": role, "providerId": providerOf[id], "email": "support@" + id + ".example"}))
		e.must(200, e.do("POST", "/v1/partners/"+id+"/customers", sys, map[string]any{"customerId": "c-" + id, "name": "Customer of " + id, "domain": "c-" + id + ".example"}))
		w.partners[id] = providerOf[id]
	}
	open := func(c caller, body map[string]any, parties ...string) {
		var res clientResult
		e.must(201, e.do("POST", "/v1/tickets", as(c), body)).json(e.t, &res)
		w.addTicket(res.TicketID, parties...)
	}
	for _, c := range callers[:6] {
		parties := []string{c.partner}
		if p := providerOf[c.partner]; p != "" {
			parties = append(parties, p)
		}
		open(c, openBodyFor(c.partner, "c-"+c.partner), parties...)
	}
	for _, pr := range []string{"p1", "p2"} {
		r := pr[1:]
		b := openBodyFor(pr, "c-r"+r+"1")
		b["resellerId"] = "r" + r + "1"
		open(caller{pr, domain.RoleIndirectProvider, pr}, b, pr, "r"+r+"1")
	}
	return w
}

// normalised is a problem body with its instance and correlation id
// blanked: what must be byte for byte the same for a hidden and a never
// used id.
func normalised(t *testing.T, r resp) string {
	t.Helper()
	var p Problem
	r.json(t, &p)
	b := bytes.ReplaceAll(r.body, []byte(`"instance":"`+p.Instance+`"`), []byte(`"instance":""`))
	b = bytes.ReplaceAll(b, []byte(`"correlationId":"`+p.CorrelationID+`"`), []byte(`"correlationId":""`))
	return string(b)
}

// countingStore counts stream reads, to show that a refusal reads no
// stream whether the ticket exists or not.
type countingStore struct {
	eventstore.Store
	reads     atomic.Int64
	appendErr atomic.Pointer[error] // when set, appends fail with it (a store fault)
}

func (c *countingStore) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	if p := c.appendErr.Load(); p != nil {
		return eventstore.AppendResult{}, *p
	}
	return c.Store.Append(ctx, stream, exp, evs...)
}

func (c *countingStore) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from eventstore.StreamPos, n uint64) ([]eventstore.RecordedEvent, error) {
	c.reads.Add(1)
	return c.Store.ReadStream(ctx, stream, dir, from, n)
}

// denialCounter is a DenialObserver.
type denialCounter struct{ n map[string]int }

func (d *denialCounter) ObserveDenied(route, reason string, _ domain.Role) { d.n[reason]++ }

// TestTenancyMatrix runs every route of the route table for every caller
// against tickets and partners inside and outside its tenancy and ids never
// used. A route without a row here fails the test.
func TestTenancyMatrix(t *testing.T) {
	denials := &denialCounter{n: map[string]int{}}
	e := newEnv(t, func(c *Config) {
		c.Metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("up 1\n")) })
		c.Denials = denials
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	cs := e.reads
	w := seedTenancy(e)
	e.now = t0.Add(30 * time.Minute)

	head := func() uint64 {
		p, err := e.store.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return p.Commit
	}
	// refused runs a request that must be refused and checks that nothing
	// was appended.
	refused := func(method, path string, c caller, body any, h ...string) resp {
		t.Helper()
		before := head()
		r := e.do(method, path, with(as(c), h...), body)
		if head() != before {
			t.Fatalf("%s %s by %s: a refusal appended (%d)", method, path, c.name, r.code)
		}
		return r
	}
	// hidden checks the never-used answer for a partner caller on a ticket
	// or partner outside its tenancy: the same status and body as for neverID,
	// and no stream read for either.
	hidden := func(method, path, neverPath string, c caller, body any, h ...string) {
		t.Helper()
		n0 := cs.reads.Load()
		got := refused(method, path, c, body, h...)
		never := refused(method, neverPath, c, body, h...)
		if got.code != http.StatusNotFound || never.code != http.StatusNotFound {
			t.Fatalf("%s %s by %s: %d (never used: %d), want 404: %s", method, path, c.name, got.code, never.code, got.body)
		}
		if a, b := normalised(t, got), normalised(t, never); a != b {
			t.Fatalf("%s %s by %s: the hidden and the never-used answers differ:\n%s\n%s", method, path, c.name, a, b)
		}
		if n := cs.reads.Load() - n0; n != 0 {
			t.Fatalf("%s %s by %s: the refusals read %d streams", method, path, c.name, n)
		}
	}
	status := func(r resp, want int, what string) {
		t.Helper()
		if r.code != want {
			t.Fatalf("%s: status %d, want %d: %s", what, r.code, want, r.body)
		}
	}
	stale := []string{HeaderIfMatch, `"999"`} // a command that passes tenancy stops at the revision check
	const asOfQ = "?asOf=2026-03-02T09:10:00Z&axis="

	type row func(t *testing.T, rt route)
	// unservedRow is the row of a route this API has nothing behind (no
	// sealer, no key rotator): 404 with rule for the roles allowed, 403 for
	// every other role, anonStatus for the anonymous caller; nothing is
	// appended (refused checks it).
	unservedRow := func(allowed func(caller) bool, rule domain.Rule, body any) row {
		return func(t *testing.T, rt route) {
			for _, c := range callers {
				want := http.StatusForbidden
				switch {
				case c.anon():
					want = anonStatus
				case allowed(c):
					want = http.StatusNotFound
				}
				r := refused(rt.method, rt.path, c, body)
				status(r, want, rt.method+" "+rt.path+" by "+c.name)
				if want == http.StatusNotFound && !strings.Contains(string(r.body), string(rule)) {
					t.Fatalf("%s %s by %s: %s", rt.method, rt.path, c.name, r.body)
				}
			}
		}
	}
	integrityRow := unservedRow(func(c caller) bool { return c.role == domain.RoleAuditor || c.role == domain.RoleAdmin }, RuleNoTreeHead, nil)
	// ticketReadAnswers is ticketRead for a route that answers a visible
	// ticket with ok (a problem of rule okRule unless ok is 200).
	ticketReadAnswers := func(ok int, okRule domain.Rule, queries ...string) row {
		if len(queries) == 0 {
			queries = []string{""}
		}
		return func(t *testing.T, rt route) {
			for _, q := range queries {
				for _, c := range callers {
					for _, id := range append(slices.Clone(w.order), neverUsed) {
						path := strings.Replace(rt.path, "{id}", id, 1) + q
						never := strings.Replace(rt.path, "{id}", neverUsed, 1) + q
						what := fmt.Sprintf("%s %s by %s", rt.method, path, c.name)
						switch {
						case c.anon():
							status(refused(rt.method, path, c, nil), anonStatus, what)
						case c.role == domain.RoleAdmin:
							status(refused(rt.method, path, c, nil), http.StatusForbidden, what)
						case c.role.IsPartner() && !w.sees(c, id):
							hidden(rt.method, path, never, c, nil)
						case id == neverUsed:
							status(refused(rt.method, path, c, nil), http.StatusNotFound, what)
						case ok != http.StatusOK:
							p := refused(rt.method, path, c, nil)
							status(p, ok, what)
							if got := p.problem(t).Rule; got != string(okRule) {
								t.Fatalf("%s: rule %q, want %q", what, got, okRule)
							}
						default:
							status(e.do(rt.method, path, as(c), nil), http.StatusOK, what)
						}
					}
				}
			}
		}
	}
	ticketRead := func(queries ...string) row { return ticketReadAnswers(http.StatusOK, "", queries...) }
	ticketCommand := func(t *testing.T, rt route) {
		for _, c := range callers {
			for _, id := range append(slices.Clone(w.order), neverUsed) {
				path := pathParamRE.ReplaceAllString(strings.Replace(rt.path, "{id}", id, 1), "x")
				never := pathParamRE.ReplaceAllString(strings.Replace(rt.path, "{id}", neverUsed, 1), "x")
				what := fmt.Sprintf("%s %s by %s", rt.method, path, c.name)
				switch {
				case c.anon():
					status(refused(rt.method, path, c, "{}", stale...), anonStatus, what)
				case c.role == domain.RoleAdmin, c.role == domain.RoleAuditor:
					p := refused(rt.method, path, c, "{}", stale...)
					status(p, http.StatusForbidden, what)
					if want := map[bool]domain.Rule{true: domain.RuleAuditorReadOnly, false: domain.RuleRoleNotAllowed}[c.role == domain.RoleAuditor]; p.problem(t).Rule != string(want) {
						t.Fatalf("%s: rule %q, want %q", what, p.problem(t).Rule, want)
					}
				case c.role.IsPartner() && !w.sees(c, id):
					hidden(rt.method, path, never, c, "{}", stale...)
				case id == neverUsed:
					// Vendor support has no tenancy: the ledger reads the
					// stream, which does not exist.
					status(refused(rt.method, path, c, "{}", stale...), http.StatusConflict, what)
				default:
					r := refused(rt.method, path, c, "{}", stale...)
					status(r, http.StatusConflict, what)
					if r.problem(t).Rule != "stale-revision" {
						t.Fatalf("%s: %s", what, r.body)
					}
				}
			}
		}
	}
	partnerTargets := append(slices.Clone(partnerIDs), "nobody")
	partnerRoute := func(read bool) row {
		return func(t *testing.T, rt route) {
			for _, c := range callers {
				for _, id := range partnerTargets {
					path := pathParamRE.ReplaceAllString(strings.Replace(rt.path, "{id}", id, 1), "x")
					never := pathParamRE.ReplaceAllString(strings.Replace(rt.path, "{id}", "nobody", 1), "x")
					what := fmt.Sprintf("%s %s by %s", rt.method, path, c.name)
					var body any
					var h []string
					if !read {
						body, h = "{}", stale
					}
					switch {
					case c.anon():
						status(refused(rt.method, path, c, body, h...), anonStatus, what)
					case !read && c.role == domain.RoleAuditor:
						status(refused(rt.method, path, c, body, h...), http.StatusForbidden, what)
					case c.role.IsPartner() && (!w.related(c, id) || id == "nobody"):
						hidden(rt.method, path, never, c, body, h...)
					case read && id == "nobody":
						status(refused(rt.method, path, c, body, h...), http.StatusNotFound, what)
					case read:
						status(e.do(rt.method, path, as(c), nil), http.StatusOK, what)
					default:
						status(refused(rt.method, path, c, body, h...), http.StatusConflict, what)
					}
				}
			}
		}
	}
	// create checks a command that creates a stream; ok says who may, body
	// builds the caller's body, made records what was created.
	create := func(ok func(c caller) bool, body func(c caller) map[string]any, made func(c caller, id string)) row {
		return func(t *testing.T, rt route) {
			for _, c := range callers {
				what := fmt.Sprintf("%s %s by %s", rt.method, rt.path, c.name)
				switch {
				case c.anon():
					status(refused(rt.method, rt.path, c, body(c)), anonStatus, what)
				case !ok(c):
					status(refused(rt.method, rt.path, c, body(c)), http.StatusForbidden, what)
				default:
					var res clientResult
					r := e.do(rt.method, rt.path, as(c), body(c))
					status(r, http.StatusCreated, what)
					r.json(t, &res)
					made(c, res.TicketID)
				}
			}
		}
	}
	partnerFiles := func(c caller) bool { return c.role.IsPartner() }
	ownBody := func(c caller) map[string]any {
		if !c.role.IsPartner() {
			return openBodyFor("p1", "c-p1")
		}
		return openBodyFor(c.partner, "c-"+c.partner)
	}
	filed := func(c caller, id string) {
		parties := []string{c.partner}
		if p := w.partners[c.partner]; p != "" {
			parties = append(parties, p)
		}
		w.addTicket(id, parties...)
	}
	// listing checks a read across tickets: callers see exactly their
	// tenancy (check), the admin nothing, and a partnerId outside the
	// tenancy selects nothing, the same as one never used.
	listing := func(run func(c caller, query string) resp, check func(t *testing.T, c caller, r resp)) row {
		return func(t *testing.T, rt route) {
			for _, c := range callers {
				what := fmt.Sprintf("%s %s by %s", rt.method, rt.path, c.name)
				switch {
				case c.anon():
					status(run(c, ""), anonStatus, what)
				case c.role == domain.RoleAdmin:
					status(run(c, ""), http.StatusForbidden, what)
				default:
					r := run(c, "")
					status(r, http.StatusOK, what)
					check(t, c, r)
					if c.role.IsPartner() {
						for _, other := range partnerIDs {
							if w.related(c, other) {
								continue // its own, its provider's or its resellers' filings may be in its tenancy
							}
							foreign, never := run(c, other), run(c, "nobody")
							status(foreign, http.StatusOK, what+" partnerId="+other)
							if !bytes.Equal(foreign.body, never.body) {
								t.Fatalf("%s: partnerId=%s answers %s, a partner id never used %s", what, other, foreign.body, never.body)
							}
						}
					}
				}
			}
		}
	}
	get := func(path string) func(c caller, partner string) resp {
		return func(c caller, partner string) resp {
			p := path
			if partner != "" {
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				p += sep + "partnerId=" + partner
			}
			return refused("GET", p, c, nil)
		}
	}
	ids := func(t *testing.T, c caller, got []string) {
		t.Helper()
		slices.Sort(got)
		want := w.visible(c)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s sees %v, want %v", c.name, got, want)
		}
	}
	count := func(t *testing.T, c caller, n int) {
		t.Helper()
		if want := len(w.visible(c)); n != want {
			t.Fatalf("%s counts %d tickets, want %d", c.name, n, want)
		}
	}

	// anyPrincipal: every authenticated principal gets 200, anonymous
	// callers anonStatus.
	anyPrincipal := func(t *testing.T, rt route) {
		for _, c := range callers {
			want := http.StatusOK
			if c.anon() {
				want = anonStatus
			}
			status(refused("GET", rt.path, c, nil), want, "GET "+rt.path+" by "+c.name)
		}
	}
	rows := map[string]row{
		"openTicket": create(partnerFiles, ownBody, filed),
		"redirectToISV": create(partnerFiles, func(caller) map[string]any {
			return map[string]any{"productName": "Widget", "isv": "Acme", "isvContact": map[string]any{"supportUrl": "https://acme.example"}, "title": "t"}
		}, func(c caller, id string) { filed(c, id); w.redirects[id] = true }),
		"recordFirstResponse": ticketCommand, "changeSeverity": ticketCommand, "escalate": ticketCommand,
		"requestInfo": ticketCommand, "provideInfo": ticketCommand, "openBillingDispute": ticketCommand,
		"resolveBillingDispute": ticketCommand, "flagFraud": ticketCommand, "clearFraud": ticketCommand,
		"addNote": ticketCommand, "reassign": ticketCommand, "resolve": ticketCommand, "reopen": ticketCommand, "close": ticketCommand,

		"registerPartner": create(func(c caller) bool { return c.role == domain.RoleIndirectProvider || c.role == domain.RoleAdmin },
			func(c caller) map[string]any {
				if c.role == domain.RoleIndirectProvider {
					return map[string]any{"partnerId": "new-" + c.name, "name": "New", "role": "indirect_reseller", "providerId": c.partner, "email": "s@new-" + c.name + ".example"}
				}
				return map[string]any{"partnerId": "new-" + c.name, "name": "New", "role": "indirect_provider", "email": "s@new-" + c.name + ".example"}
			}, func(c caller, _ string) { w.partners["new-"+c.name] = c.partner }),
		"linkCustomer": partnerRoute(false), "recordSupportPlan": partnerRoute(false), "endSupportPlan": partnerRoute(false),
		"grantAzureAccess": partnerRoute(false), "revokeAzureAccess": partnerRoute(false),
		"getPartner": partnerRoute(true),

		"getTicket":        ticketRead("", asOfQ+"occurred", asOfQ+"recorded"),
		"getTicketSLA":     ticketRead(),
		"getTicketHistory": ticketRead(),
		"exportEvidence":   ticketRead(),
		// No sealer in this API: a visible ticket's bundle is 404
		// no-tree-head (the bundle itself: infra/ledger's tests).
		"exportEvidenceBundle": ticketReadAnswers(http.StatusNotFound, RuleNoTreeHead),
		"verifyTicket":         ticketRead(),

		"listTickets": listing(get("/v1/tickets?limit=1000"), func(t *testing.T, c caller, r resp) {
			var page projections.TicketPage
			r.json(t, &page)
			var got []string
			for _, tk := range page.Tickets {
				got = append(got, tk.ID)
			}
			ids(t, c, got)
		}),
		"queryAudit": listing(get("/v1/audit?limit=10000"), func(t *testing.T, c caller, r resp) {
			var page projections.AuditPage
			r.json(t, &page)
			seen := map[string]bool{}
			for _, en := range page.Entries {
				if en.TicketID != "" {
					seen[en.TicketID] = true
					continue
				}
				pid := strings.TrimPrefix(en.Stream, "partner-")
				if c.role.IsPartner() && pid != c.partner && w.partners[pid] != c.partner {
					t.Fatalf("%s sees the audit of partner stream %s", c.name, en.Stream)
				}
			}
			ids(t, c, slices.Collect(maps.Keys(seen)))
			// Asking for one ticket outside the tenancy is asking for one
			// never used.
			never := refused("GET", "/v1/audit?ticketId="+neverUsed, c, nil)
			for _, id := range w.order {
				if !w.sees(c, id) {
					if r := refused("GET", "/v1/audit?ticketId="+id, c, nil); r.code != never.code || !bytes.Equal(r.body, never.body) {
						t.Fatalf("%s: the audit of hidden ticket %s answers %d %s, of one never used %d %s", c.name, id, r.code, r.body, never.code, never.body)
					}
				}
			}
		}),
		"slaReport": listing(get("/v1/reports/sla"), func(t *testing.T, c caller, r resp) {
			var rep projections.Report
			r.json(t, &rep)
			count(t, c, rep.Total.Tickets+redirects(w, c))
		}),
		"atRisk": listing(get("/v1/reports/at-risk?horizon=1000h&includeBreached=true&limit=1000"), func(t *testing.T, c caller, r resp) {
			var v AtRiskView
			r.json(t, &v)
			count(t, c, len(v.Tickets)+redirects(w, c))
		}),
		"whatIf": listing(func(c caller, partner string) resp {
			return refused("POST", "/v1/reports/what-if", c, map[string]any{"policyVersion": e.api.policies.Current().Version(), "partnerId": partner})
		}, func(t *testing.T, c caller, r resp) {
			var rep projections.WhatIfReport
			r.json(t, &rep)
			count(t, c, rep.Evaluated+redirects(w, c))
		}),

		// The token routes: the admin only; everyone else 403, anonymous 401.
		"issueToken":  tokenRow(e, http.StatusCreated, func() any { return map[string]any{"role": "auditor", "name": "matrix"} }, refused),
		"listTokens":  tokenRow(e, http.StatusOK, nil, refused),
		"revokeToken": tokenRow(e, http.StatusOK, func() any { return map[string]any{"reason": "matrix"} }, refused),
		// Erasing a data subject: the admin only, by id or e-mail.
		"forgetSubject": subjectRow(e, refused),
		"metrics":       anyPrincipal,

		// No sealer in this API: auditors and admins get 404 no-tree-head,
		// every other role 403 before that.
		"getTreeHead": integrityRow, "listKeys": integrityRow,
		"getInclusionProof": integrityRow, "getConsistencyProof": integrityRow,
		"listPolicies": anyPrincipal,
		// No key rotator in this API either: the admin gets 404, every
		// other role 403 before that.
		"rotateSigningKey": unservedRow(func(c caller) bool { return c.role == domain.RoleAdmin }, RuleNoRoute, map[string]any{"reason": "matrix"}),
		// Webhooks: the owner and the admin; another partner as for an id
		// never used; vendor support and auditors 403.
		"createWebhook": func(t *testing.T, rt route) {
			for _, c := range callers {
				want := http.StatusCreated
				switch {
				case c.anon():
					want = anonStatus
				case c.role == domain.RoleVendorSupport || c.role == domain.RoleAuditor:
					want = http.StatusForbidden
				}
				body := map[string]any{"url": "http://127.0.0.1:1/" + c.name, "types": []string{"ticket.opened"}}
				if want == http.StatusCreated {
					status(e.do("POST", rt.path, as(c), body), want, "POST "+rt.path+" by "+c.name)
					continue
				}
				status(refused("POST", rt.path, c, body), want, "POST "+rt.path+" by "+c.name)
				if c.role.IsPartner() {
					status(refused("POST", rt.path, c, map[string]any{"url": "http://127.0.0.1:1/x", "types": []string{"ticket.opened"}, "partner": "p2"}), http.StatusForbidden, "another partner's")
				}
			}
		},
		"listWebhooks": func(t *testing.T, rt route) {
			own := webhookOf(t, e, "p1")
			for _, c := range callers {
				r := e.do("GET", rt.path, as(c), nil)
				switch {
				case c.anon():
					status(r, anonStatus, "list by "+c.name)
				case c.role == domain.RoleVendorSupport || c.role == domain.RoleAuditor:
					status(r, http.StatusForbidden, "list by "+c.name)
				default:
					status(r, http.StatusOK, "list by "+c.name)
					var l WebhookList
					r.json(t, &l)
					for _, v := range l.Subscriptions {
						if c.role.IsPartner() && v.Partner != c.partner {
							t.Fatalf("%s lists %s's subscription %s", c.name, v.Partner, v.ID)
						}
					}
					if sees := slices.ContainsFunc(l.Subscriptions, func(v webhook.View) bool { return v.ID == own }); sees != (c.partner == "p1" || c.role == domain.RoleAdmin) {
						t.Fatalf("%s sees p1's subscription: %v", c.name, sees)
					}
				}
			}
		},
		"getWebhook": webhookRow(e, status, http.StatusOK, nil), "rotateWebhookSecret": webhookRow(e, status, http.StatusOK, nil),
		"pauseWebhook": webhookRow(e, status, http.StatusOK, nil), "resumeWebhook": webhookRow(e, status, http.StatusOK, nil),
		"deleteWebhook": webhookRow(e, status, http.StatusOK, nil), "listWebhookDeliveries": webhookRow(e, status, http.StatusOK, nil),
		"listWebhookDeadLetters": webhookRow(e, status, http.StatusOK, nil),
		// Replay and skip: the admin alone (409: nothing parked here).
		"replayWebhookDelivery": webhookRow(e, status, http.StatusConflict, func(c caller) bool { return c.role == domain.RoleAdmin }),
		"skipWebhookDelivery":   webhookRow(e, status, http.StatusConflict, func(c caller) bool { return c.role == domain.RoleAdmin }),
		"createBackup":          unservedRow(func(c caller) bool { return c.role == domain.RoleAdmin }, RuleNoRoute, map[string]any{"to": "matrix"}),
		"ledgerInfo":            anyPrincipal,
		// Importing: admins and partners run it (200 with the summary),
		// everyone else 403. A line naming a partner no caller is: each
		// partner's import refuses it from the line alone, the admin's by
		// the domain; nothing is appended either way.
		"importHistory": func(t *testing.T, rt route) {
			const line = `{"source":"s","ticket":"T-1","sourceId":"T-1/1","command":"openTicket","occurredAt":"2026-11-20T10:00:00Z",` +
				`"actor":{"id":"x@elsewhere.example","role":"indirect_provider","partner":"elsewhere"},"data":{"customerId":"c","product":"azure","severity":"A","title":"t","contact":{"name":"X","email":"x@elsewhere.example"},"language":"en","locale":"en-GB"}}` + "\n"
			for _, c := range callers {
				want := http.StatusForbidden
				switch {
				case c.anon():
					want = anonStatus
				case c.role == domain.RoleAdmin || c.role.IsPartner():
					want = http.StatusOK
				}
				r := refused(rt.method, rt.path, c, line)
				status(r, want, rt.method+" "+rt.path+" by "+c.name)
				if c.role.IsPartner() && !strings.Contains(string(r.body), string(domain.RuleImportOutsideTenancy)) {
					t.Fatalf("import by %s: %s", c.name, r.body)
				}
			}
		},
	}
	public := func(t *testing.T, rt route) {
		for _, c := range callers {
			status(e.do(rt.method, rt.path, as(c), nil), http.StatusOK, rt.path+" by "+c.name)
		}
	}
	for _, op := range []string{"healthz", "readyz", "openapi"} {
		rows[op] = public
	}

	for _, rt := range e.api.routes {
		run, ok := rows[rt.op]
		if !ok {
			t.Errorf("route %s (%s) has no tenancy row: add one", rt.pattern(), rt.op)
			continue
		}
		t.Run(rt.op, func(t *testing.T) { run(t, rt) })
		delete(rows, rt.op)
	}
	for op := range rows {
		t.Errorf("tenancy row %s matches no route", op)
	}
	if denials.n[DeniedTenancy] == 0 || denials.n[DeniedRole] == 0 {
		t.Errorf("denials counted: %v", denials.n)
	}
}

// redirects counts the marketplace redirects the caller sees: they carry
// no deadline, so SLA reports, at-risk and what-if leave them out.
func redirects(w *tenancyWorld, c caller) int {
	n := 0
	for _, id := range w.visible(c) {
		if w.redirects[id] {
			n++
		}
	}
	return n
}

// tokenRow is the tenancy row of a token route: ok for the admin, 403
// for every other role, anonStatus for the anonymous caller (refusals
// append nothing: send checks it). A {id} in the
// path is a token issued for the purpose.
func tokenRow(e *env, ok int, body func() any, send func(method, path string, c caller, body any, h ...string) resp) func(t *testing.T, rt route) {
	return adminRow(ok, func(t *testing.T, path string) string {
		if !strings.Contains(path, "{id}") {
			return path
		}
		iss, err := e.tokens.Issue(context.Background(), auth.Internal().Actor(), auth.IssueRequest{Role: domain.RoleAuditor, Name: "victim"})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Replace(path, "{id}", iss.TokenID, 1)
	}, e, body, send)
}

// subjectRow is the tenancy row of forgetSubject: tokenRow's answers, on a
// data subject made for the purpose (by id, or by e-mail when byEmail).
func subjectRow(e *env, send func(method, path string, c caller, body any, h ...string) resp) func(t *testing.T, rt route) {
	n := 0
	return adminRow(http.StatusOK, func(t *testing.T, path string) string {
		n++
		email := fmt.Sprintf("matrix-%d@p1.example", n)
		id, _, err := e.keys.Subject(email)
		if err != nil {
			t.Fatal(err)
		}
		if n%2 == 0 {
			id = email
		}
		return strings.Replace(path, "{subject}", id, 1)
	}, e, func() any { return map[string]any{"reason": "matrix"} }, send)
}

// adminRow is the tenancy row of an admin-only route: ok for the admin,
// 403 for every other role, anonStatus for the anonymous caller
// (refusals append nothing: send checks it); fill makes each caller's
// path from the route's.
func adminRow(ok int, fill func(t *testing.T, path string) string, e *env, body func() any, send func(method, path string, c caller, body any, h ...string) resp) func(t *testing.T, rt route) {
	return func(t *testing.T, rt route) {
		for _, c := range callers {
			path := fill(t, rt.path)
			var b any
			if body != nil {
				b = body()
			}
			want := http.StatusForbidden
			switch {
			case c.anon():
				want = anonStatus
			case c.role == domain.RoleAdmin:
				want = ok
			}
			var r resp
			if want == ok {
				r = e.do(rt.method, path, as(c), b) // the admin's may append (an issuance, a revocation)
			} else {
				r = send(rt.method, path, c, b) // a refusal appends nothing
			}
			if r.code != want {
				t.Errorf("%s %s by %s: status %d, want %d: %s", rt.method, path, c.name, r.code, want, r.body)
			}
		}
	}
}

// webhookOf creates a subscription of partner p (a provider) and returns its id.
func webhookOf(t *testing.T, e *env, p string) string {
	t.Helper()
	v, err := e.api.webhooks.Create(context.Background(), domain.Actor{ID: p + "@example.test", Role: domain.RoleIndirectProvider, Partner: p},
		dwCreation("http://127.0.0.1:1/"+p), "")
	if err != nil {
		t.Fatal(err)
	}
	return v.ID
}

// webhookRow runs a route on a subscription of p1 for every caller: the
// owner (p1) and the admin get ok, or 403 when only (if set) says they
// may not; another partner gets exactly the answer for an id never used
// (or 403 with only); vendor support and auditors 403; anonymous 401.
func webhookRow(e *env, status func(resp, int, string), ok int, only func(caller) bool) func(t *testing.T, rt route) {
	return func(t *testing.T, rt route) {
		for _, c := range callers {
			id := webhookOf(t, e, "p1")
			path := strings.NewReplacer("{id}", id, "{deliveryId}", "d-none").Replace(rt.path)
			r := e.do(rt.method, path, as(c), nil)
			what := rt.method + " " + path + " by " + c.name
			switch {
			case c.anon():
				status(r, anonStatus, what)
			case only != nil && !only(c), c.role == domain.RoleVendorSupport || c.role == domain.RoleAuditor:
				status(r, http.StatusForbidden, what)
			case c.partner == "p1" || c.role == domain.RoleAdmin:
				status(r, ok, what)
			default:
				never := e.do(rt.method, strings.Replace(path, id, "wh_0000000000000000", 1), as(c), nil)
				if r.code != http.StatusNotFound || normalised(t, r) != strings.ReplaceAll(normalised(t, never), "wh_0000000000000000", id) {
					t.Fatalf("%s: %d %s; for an id never used: %d %s", what, r.code, r.body, never.code, never.body)
				}
			}
		}
	}
}

func dwCreation(url string) dw.Creation {
	return dw.Creation{URL: url, Types: []string{"ticket.opened"}}
}
