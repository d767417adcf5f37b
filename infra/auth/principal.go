package auth

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
)

// Method is how a principal was authenticated: the value recorded as
// domain.Actor.Auth.
type Method = string

// Authentication methods (the domain.Auth* constants).
const (
	MethodToken    Method = domain.AuthToken
	MethodOIDC     Method = domain.AuthOIDC
	MethodProxy    Method = domain.AuthProxy
	MethodInternal Method = domain.AuthInternal
)

// InternalID is the actor id of the ledger's internal principal.
const InternalID = "ticketledger"

// Principal is an authenticated caller: who (ID), acting as what (Role),
// for which partner (Partner), authenticated how (Method), and for a
// ledger-issued token which one (TokenID, Name), what it is limited to
// (Scope) and until when (ExpiresAt, zero: no expiry; for OIDC the JWT's
// expiry).
type Principal struct {
	ID        string
	Role      domain.Role
	Partner   string
	Method    Method
	TokenID   string
	Name      string
	Scope     principal.Scope
	ExpiresAt time.Time
}

// Internal returns the ledger's own principal (role system, method
// internal): the actor of the work the ledger does by itself (bootstrap,
// seals, SLA notices). No request can authenticate as it: no token is
// issued with role system, and OIDC and proxy identities claiming system
// are refused.
func Internal() Principal {
	return Principal{ID: InternalID, Role: domain.RoleSystem, Method: MethodInternal}
}

// Actor is the principal as event metadata records it.
func (p Principal) Actor() domain.Actor {
	return domain.Actor{ID: p.ID, Role: p.Role, Partner: p.Partner, Auth: p.Method}
}

// MetricsOnly reports whether the principal may only scrape /metrics.
func (p Principal) MetricsOnly() bool { return p.Scope == principal.ScopeMetrics }

// tokenActorID is the actor id of a token's holder: "<name>#<tokenId>", or
// "token#<tokenId>" for an unnamed token. Both parts are recorded so the
// audit trail is readable and unambiguous (names need not be unique).
func tokenActorID(name, tokenID string) string {
	if name == "" {
		name = "token"
	}
	return name + "#" + tokenID
}
