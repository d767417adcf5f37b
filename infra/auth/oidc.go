package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ticketledger/ticketledger/domain"
)

// ErrInvalidJWT is wrapped by the errors of an OIDC token that does not
// verify (signature, issuer, audience, expiry, malformed) or whose claims
// do not make a principal (unknown role, partner role without partner).
var ErrInvalidJWT = errors.New("invalid OIDC token")

// OIDCConfig configures JWT validation against an OpenID Connect issuer.
type OIDCConfig struct {
	// Issuer is the issuer URL; its discovery document
	// (Issuer/.well-known/openid-configuration) names the JWKS.
	Issuer string
	// Audience is the "aud" value tokens must carry (required).
	Audience string
	// IDClaim names the claim that becomes the actor id; "" means "sub".
	IDClaim string
	// RoleClaim names the claim holding the role: a string, or a list of
	// strings of which exactly one maps to a role. "" means "role".
	RoleClaim string
	// RoleMap maps claim values (e.g. IdP group names) to roles. Nil: the
	// claim holds role names themselves (indirect_provider, …, admin).
	RoleMap map[string]domain.Role
	// PartnerClaim names the claim holding the partner id, required for
	// the partner roles and ignored for the others; "" means "partner".
	PartnerClaim string
	// CacheSize bounds the cache of validated tokens; 0 means 10,000.
	CacheSize int
	// HTTPClient fetches discovery and keys; nil: http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock expiry is checked against; nil: time.Now.
	Now func() time.Time
}

// OIDC validates bearer JWTs of one issuer and maps their claims to
// principals. A token that verified is cached (by its SHA-256) until it
// expires, so repeated requests with it cost a map look-up. It is safe for
// concurrent use.
type OIDC struct {
	cfg      OIDCConfig
	verifier *oidc.IDTokenVerifier

	mu    sync.Mutex
	cache map[[sha256.Size]byte]Principal // ExpiresAt is the JWT's exp
}

// NewOIDC fetches the issuer's discovery document (with ctx) and returns a
// validator. Keys are fetched from the JWKS when first needed and again
// when a token names a key not seen yet (key rotation).
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("oidc: no issuer URL: set the issuer")
	}
	if cfg.Audience == "" {
		return nil, errors.New("oidc: no audience: set the audience tokens must be issued for")
	}
	if cfg.IDClaim == "" {
		cfg.IDClaim = "sub"
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "role"
	}
	if cfg.PartnerClaim == "" {
		cfg.PartnerClaim = "partner"
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for v, r := range cfg.RoleMap {
		if !r.Valid() || r == domain.RoleSystem {
			return nil, fmt.Errorf("oidc: role map: %q maps to %q, not a role a person can hold", v, r)
		}
	}
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover issuer %s: %w", cfg.Issuer, err)
	}
	v := p.Verifier(&oidc.Config{ClientID: cfg.Audience, Now: cfg.Now})
	return &OIDC{cfg: cfg, verifier: v, cache: map[[sha256.Size]byte]Principal{}}, nil
}

// Authenticate validates a raw JWT and returns its principal (method
// oidc). Errors wrap ErrInvalidJWT.
func (o *OIDC) Authenticate(ctx context.Context, raw string) (Principal, error) {
	key := sum(raw)
	now := o.cfg.Now()
	o.mu.Lock()
	p, ok := o.cache[key]
	if ok && !now.Before(p.ExpiresAt) {
		delete(o.cache, key)
		ok = false
	}
	o.mu.Unlock()
	if ok {
		return p, nil
	}
	tok, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidJWT, err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Principal{}, fmt.Errorf("%w: claims: %v", ErrInvalidJWT, err)
	}
	p, err = o.principal(claims)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidJWT, err)
	}
	p.ExpiresAt = tok.Expiry.UTC()
	o.put(key, p, now)
	return p, nil
}

// principal maps verified claims to a principal.
func (o *OIDC) principal(claims map[string]any) (Principal, error) {
	id, _ := claims[o.cfg.IDClaim].(string)
	if err := domain.ValidateActorID(id); err != nil {
		return Principal{}, fmt.Errorf("claim %q: %v", o.cfg.IDClaim, err)
	}
	var values []string
	switch v := claims[o.cfg.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	case nil:
		return Principal{}, fmt.Errorf("no %q claim: the token names no role", o.cfg.RoleClaim)
	default:
		return Principal{}, fmt.Errorf("claim %q is not a string or a list of strings", o.cfg.RoleClaim)
	}
	var role domain.Role
	for _, v := range values {
		r, ok := o.role(v)
		if !ok {
			continue
		}
		if role != "" && role != r {
			return Principal{}, fmt.Errorf("claim %q maps to two roles, %s and %s: give the principal one", o.cfg.RoleClaim, role, r)
		}
		role = r
	}
	if role == "" {
		return Principal{}, fmt.Errorf("claim %q (%q) names no ledger role: use indirect_provider, indirect_reseller, vendor_support, auditor or admin", o.cfg.RoleClaim, values)
	}
	p := Principal{ID: id, Role: role, Method: MethodOIDC}
	if role.IsPartner() {
		partner, _ := claims[o.cfg.PartnerClaim].(string)
		if partner == "" {
			return Principal{}, fmt.Errorf("a %s needs the %q claim naming its partner", role, o.cfg.PartnerClaim)
		}
		if err := domain.ValidatePartnerID(o.cfg.PartnerClaim, partner); err != nil {
			return Principal{}, err
		}
		p.Partner = partner
	}
	return p, nil
}

func (o *OIDC) role(v string) (domain.Role, bool) {
	if o.cfg.RoleMap != nil {
		r, ok := o.cfg.RoleMap[v]
		return r, ok
	}
	r := domain.Role(v)
	return r, r.Valid() && r != domain.RoleSystem
}

// put caches a principal; when the cache is full it drops the expired
// entries, then, if still full, an arbitrary one.
func (o *OIDC) put(key [sha256.Size]byte, p Principal, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.cache) >= o.cfg.CacheSize {
		for k, c := range o.cache {
			if !now.Before(c.ExpiresAt) {
				delete(o.cache, k)
			}
		}
		for k := range o.cache {
			if len(o.cache) < o.cfg.CacheSize {
				break
			}
			delete(o.cache, k)
		}
	}
	o.cache[key] = p
}

// cached returns the number of cached tokens (for tests).
func (o *OIDC) cached() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.cache)
}
