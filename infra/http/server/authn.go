package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/auth"
)

// tokenHint says where a caller gets a token, in every 401 and 429.
const tokenHint = "send Authorization: Bearer <token>; an admin creates one with `ticketledger tokens create`"

const principalKey ctxKey = 1

// authenticate returns the request's context carrying its principal, or
// the problem to answer (401 with WWW-Authenticate, 429 with Retry-After)
// with those headers already set on w. Public routes pass without
// credentials; credentials sent to a public route are still checked, so a
// bad token is never silently ignored.
func (a *API) authenticate(w http.ResponseWriter, r *http.Request, rt route) (context.Context, error) {
	p, err := a.auth.Authenticate(r)
	var d *auth.Denied
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrNoCredentials):
		if rt.public {
			return r.Context(), nil
		}
		if a.onDenied != nil {
			a.onDenied("", "missing")
		}
		w.Header().Set("WWW-Authenticate", auth.Challenge)
		return nil, &httpError{status: http.StatusUnauthorized, rule: RuleUnauthenticated, field: "Authorization",
			msg: "this route needs an authenticated principal: " + tokenHint}
	case errors.As(err, &d) && d.Status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(int((d.RetryAfter+time.Second-1)/time.Second)))
		return nil, &httpError{status: http.StatusTooManyRequests, rule: RuleRateLimited, field: "Authorization",
			msg: fmt.Sprintf("%s (retry after %s); then %s", d.Public(), d.RetryAfter.Round(time.Second), tokenHint)}
	case errors.As(err, &d):
		w.Header().Set("WWW-Authenticate", auth.Challenge)
		return nil, &httpError{status: http.StatusUnauthorized, rule: RuleUnauthenticated, field: "Authorization",
			msg: d.Public() + "; " + tokenHint}
	default:
		return nil, err
	}
	if p.MetricsOnly() && !rt.metrics {
		return nil, &httpError{status: http.StatusForbidden, rule: RuleMetricsOnly, field: "Authorization",
			msg: "this token may only scrape /metrics: use a token of a role that may read or act here"}
	}
	if p.Scope == principal.ScopeReplica {
		return nil, &httpError{status: http.StatusForbidden, rule: RuleReplicaOnly, field: "Authorization",
			msg: "a replica token works only on the KurrentDB wire endpoint: use a token issued for the HTTP API"}
	}
	return context.WithValue(r.Context(), principalKey, p), nil
}

// principalOf returns the request's authenticated principal.
func principalOf(r *http.Request) (auth.Principal, bool) {
	p, ok := r.Context().Value(principalKey).(auth.Principal)
	return p, ok
}

// actorOf is the request's actor: its authenticated principal as event
// metadata records it (id, role, partner, authentication method). It is
// the one place every handler gets "who" from.
func actorOf(r *http.Request) (domain.Actor, error) {
	p, ok := principalOf(r)
	if !ok {
		return domain.Actor{}, &httpError{status: http.StatusUnauthorized, rule: RuleUnauthenticated, field: "Authorization",
			msg: "this route needs an authenticated principal: " + tokenHint}
	}
	return p.Actor(), nil
}

// callerAndBody returns the caller of a route that is not a command (see
// actorOf) and decodes the request's body into body, strictly.
func callerAndBody(r *http.Request, body any) (domain.Actor, error) {
	act, err := actorOf(r)
	if err != nil {
		return act, err
	}
	return act, decodeBody(r, body)
}

// adminOf returns the actor of a request on an admin-only route.
func adminOf(r *http.Request) (domain.Actor, error) {
	act, err := actorOf(r)
	if err != nil {
		return act, err
	}
	if act.Role != domain.RoleAdmin {
		return act, &httpError{status: http.StatusForbidden, rule: RuleAdminOnly,
			msg: fmt.Sprintf("only an admin manages tokens; you act as %s", act.Role)}
	}
	return act, nil
}

// IssueTokenBody is the request of POST /v1/tokens.
type IssueTokenBody struct {
	// Role is the role of the token's holder: indirect_provider,
	// indirect_reseller, vendor_support, auditor or admin.
	Role string `json:"role"`
	// Partner is the holder's partner organisation (partner roles only).
	Partner string `json:"partner,omitempty"`
	// Name names the holder, e.g. alice@contoso.example; it is part of the
	// recorded actor id ("<name>#<tokenId>").
	Name string `json:"name,omitempty"`
	// Scope is empty (everything the role may do) or "metrics" (auditor
	// only: scrape /metrics and nothing else).
	Scope string `json:"scope,omitempty"`
	// ExpiresAt is when the token stops working (RFC 3339); absent: never.
	ExpiresAt *Timestamp `json:"expiresAt,omitempty"`
}

// TokenView describes a token: never its secret, never its hash.
type TokenView struct {
	TokenID   string    `json:"tokenId"`
	Name      string    `json:"name,omitempty"`
	Role      string    `json:"role"`
	Partner   string    `json:"partner,omitempty"`
	Scope     string    `json:"scope,omitempty"`
	ActorID   string    `json:"actorId"`
	IssuedAt  time.Time `json:"issuedAt"`
	IssuedBy  string    `json:"issuedBy,omitempty"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Expired   bool      `json:"expired,omitempty"`
	Revoked   bool      `json:"revoked,omitempty"`
	Reason    string    `json:"revokedReason,omitempty"`
}

// IssuedToken is the answer of POST /v1/tokens: the secret, shown once.
type IssuedToken struct {
	TokenView
	// Secret is the bearer token. The ledger keeps only its hash: store it
	// now, it is never shown again.
	Secret string `json:"secret"`
}

// TokenList is the answer of GET /v1/tokens.
type TokenList struct {
	Tokens []TokenView `json:"tokens"`
}

// RevokeTokenBody is the request of POST /v1/tokens/{id}/revocation.
type RevokeTokenBody struct {
	Reason string `json:"reason,omitempty"`
}

// RevokedToken is the answer of a revocation.
type RevokedToken struct {
	TokenID string `json:"tokenId"`
	Revoked bool   `json:"revoked"`
}

func viewOf(ti auth.TokenInfo) TokenView {
	name := ti.Name
	if name == "" {
		name = "token"
	}
	return TokenView{TokenID: ti.ID, Name: ti.Name, Role: string(ti.Role), Partner: ti.Partner, Scope: string(ti.Scope),
		ActorID: name + "#" + ti.ID, IssuedAt: ti.IssuedAt, IssuedBy: ti.IssuedBy, ExpiresAt: ti.ExpiresAt,
		Expired: ti.Expired, Revoked: ti.Revoked, Reason: ti.Reason}
}

// tokenCall is the preamble of the token commands: the admin acting, the
// token service, and the decoded body.
func (a *API) tokenCall(r *http.Request, body any) (domain.Actor, *auth.Tokens, error) {
	act, err := adminOf(r)
	if err != nil {
		return act, nil, err
	}
	if a.tokens == nil {
		return act, nil, &httpError{status: http.StatusNotFound, rule: RuleNoRoute,
			msg: "this ledger issues no tokens (Config.Tokens is not set)"}
	}
	return act, a.tokens, decodeBody(r, body)
}

func (a *API) issueToken(w http.ResponseWriter, r *http.Request, _ *query) error {
	var b IssueTokenBody
	act, ts, err := a.tokenCall(r, &b)
	if err != nil {
		return err
	}
	req := auth.IssueRequest{Role: domain.Role(b.Role), Partner: b.Partner, Name: b.Name, Scope: principal.Scope(b.Scope)}
	if b.ExpiresAt != nil {
		req.ExpiresAt = b.ExpiresAt.Time
	}
	iss, err := ts.Issue(r.Context(), act, req)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, IssuedToken{TokenView: viewOf(iss.Info), Secret: iss.Secret})
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request, _ *query) error {
	_, ts, err := a.tokenCall(r, &struct{}{})
	if err != nil {
		return err
	}
	out := TokenList{Tokens: []TokenView{}}
	for _, ti := range ts.Registry().Tokens() {
		out.Tokens = append(out.Tokens, viewOf(ti))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request, _ *query) error {
	var b RevokeTokenBody
	act, ts, err := a.tokenCall(r, &b)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := ts.Revoke(r.Context(), act, id, b.Reason); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, RevokedToken{TokenID: id, Revoked: true})
}

func (a *API) metricsPage(w http.ResponseWriter, r *http.Request, _ *query) error {
	a.metricsH.ServeHTTP(w, r)
	return nil
}
