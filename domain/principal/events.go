package principal

import "time"

// Persisted event type names of the token stream ("token-<id>"). Never
// rename, never reuse.
const (
	TypeTokenIssued  = "principal.token_issued"
	TypeTokenRevoked = "principal.token_revoked"
)

// StreamPrefix is the category of token streams: "token-" + token id.
const StreamPrefix = "token-"

// Stream returns the stream of a token.
func Stream(tokenID string) string { return StreamPrefix + tokenID }

// Scope narrows what a token may do beyond its role. Persisted.
type Scope string

// Scopes.
const (
	// ScopeFull: everything the role may do (the default, stored as "").
	ScopeFull Scope = ""
	// ScopeMetrics: only scraping /metrics. A metrics token has the
	// auditor role (read-only) and nothing else, so a leaked Prometheus
	// configuration reads no ticket.
	ScopeMetrics Scope = "metrics"
	// ScopeReplica: another ledger (serve --store esdb://…) using this
	// ledger's KurrentDB wire endpoint as its event store. It has the admin
	// role and is the only principal that may write the ledger's own
	// streams through that endpoint; it is meant for the wire endpoint
	// alone.
	ScopeReplica Scope = "replica"
)

// TokenIssued: a bearer token was issued. Hash is the lowercase hex
// SHA-256 of the secret the holder presents.
type TokenIssued struct {
	TokenID   string    `json:"tokenId"`
	Name      string    `json:"name,omitempty"`
	Role      string    `json:"role"`
	Partner   string    `json:"partner,omitempty"` // for the partner roles
	Scope     Scope     `json:"scope,omitempty"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"` // zero: does not expire
	Hash      string    `json:"hash"`
	IssuedBy  string    `json:"issuedBy"` // the issuing actor's id
}

// TokenRevoked: the token no longer authenticates anyone.
type TokenRevoked struct {
	TokenID   string `json:"tokenId"`
	Reason    string `json:"reason"`
	RevokedBy string `json:"revokedBy"`
}

// EventType implementations: the persisted names above.
func (TokenIssued) EventType() string  { return TypeTokenIssued }
func (TokenRevoked) EventType() string { return TypeTokenRevoked }
