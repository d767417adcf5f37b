package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ticketledger/ticketledger/domain"
)

// issuer is a local OpenID Connect issuer: discovery, a JWKS, and a signer.
type issuer struct {
	srv       *httptest.Server
	key       *ecdsa.PrivateKey
	jwksCalls atomic.Int32
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys",
			"authorization_endpoint": is.srv.URL + "/auth", "token_endpoint": is.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		is.jwksCalls.Add(1)
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

// sign makes a JWT with key (the issuer's when nil) and the given claims.
func (is *issuer) sign(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	if key == nil {
		key = is.key
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (is *issuer) claims(over map[string]any) map[string]any {
	c := map[string]any{
		"iss": is.srv.URL, "aud": "ticketledger", "sub": "alice@prov.example",
		"iat": t0.Add(-time.Minute).Unix(), "exp": t0.Add(time.Hour).Unix(),
		"role": "indirect_provider", "partner": "prov",
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestOIDC(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	clk := newClock(t0)
	o, err := NewOIDC(ctx, OIDCConfig{Issuer: is.srv.URL, Audience: "ticketledger", Now: clk.now, CacheSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	valid := is.sign(t, nil, is.claims(nil))
	p, err := o.Authenticate(ctx, valid)
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{ID: "alice@prov.example", Role: domain.RoleIndirectProvider, Partner: "prov", Method: MethodOIDC, ExpiresAt: t0.Add(time.Hour)}
	if p != want {
		t.Fatalf("principal\n got %+v\nwant %+v", p, want)
	}

	cases := map[string]string{
		"expired":                      is.sign(t, nil, is.claims(map[string]any{"exp": t0.Add(-time.Second).Unix()})),
		"wrong audience":               is.sign(t, nil, is.claims(map[string]any{"aud": "someone-else"})),
		"wrong issuer":                 is.sign(t, nil, is.claims(map[string]any{"iss": "https://evil.example"})),
		"bad signature":                is.sign(t, other, is.claims(nil)),
		"unknown role":                 is.sign(t, nil, is.claims(map[string]any{"role": "root"})),
		"system role":                  is.sign(t, nil, is.claims(map[string]any{"role": "system"})),
		"no role":                      is.sign(t, nil, is.claims(map[string]any{"role": nil})),
		"partner role without partner": is.sign(t, nil, is.claims(map[string]any{"partner": nil})),
		"partner with a space":         is.sign(t, nil, is.claims(map[string]any{"partner": "a b"})),
		"id too long":                  is.sign(t, nil, is.claims(map[string]any{"sub": strings.Repeat("x", 201)})),
		"two roles":                    is.sign(t, nil, is.claims(map[string]any{"role": []string{"auditor", "admin"}})),
		"not a JWT":                    "a.b.c",
	}
	for name, raw := range cases {
		if p, err := o.Authenticate(ctx, raw); !errors.Is(err, ErrInvalidJWT) {
			t.Errorf("%s: %+v, %v", name, p, err)
		}
	}

	// A role among a list of groups; a non-partner role drops the partner.
	raw := is.sign(t, nil, is.claims(map[string]any{"role": []string{"staff", "vendor_support"}}))
	if p, err := o.Authenticate(ctx, raw); err != nil || p.Role != domain.RoleVendorSupport || p.Partner != "" {
		t.Fatalf("role in a list: %+v %v", p, err)
	}

	// Cached until it expires: no new verification, then refused after.
	if o.cached() == 0 || o.cached() > 2 {
		t.Fatalf("cache holds %d, bound 2", o.cached())
	}
	if _, err := o.Authenticate(ctx, valid); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(time.Hour + time.Second))
	if _, err := o.Authenticate(ctx, valid); !errors.Is(err, ErrInvalidJWT) {
		t.Fatalf("cached token past its expiry: %v", err)
	}
}

func TestOIDCClaimMapping(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	o, err := NewOIDC(ctx, OIDCConfig{
		Issuer: is.srv.URL, Audience: "ticketledger", Now: newClock(t0).now,
		IDClaim: "email", RoleClaim: "groups", PartnerClaim: "org",
		RoleMap: map[string]domain.Role{"tl-resellers": domain.RoleIndirectReseller, "tl-ops": domain.RoleAdmin},
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := is.sign(t, nil, is.claims(map[string]any{"email": "rita@resl.example", "groups": []string{"everyone", "tl-resellers"}, "org": "resl"}))
	p, err := o.Authenticate(ctx, raw)
	if err != nil || p.ID != "rita@resl.example" || p.Role != domain.RoleIndirectReseller || p.Partner != "resl" {
		t.Fatalf("%+v %v", p, err)
	}
	// With a role map, raw role names do not count.
	raw = is.sign(t, nil, is.claims(map[string]any{"email": "x@y.example", "groups": []string{"admin"}}))
	if _, err := o.Authenticate(ctx, raw); !errors.Is(err, ErrInvalidJWT) {
		t.Fatalf("unmapped group: %v", err)
	}

	if _, err := NewOIDC(ctx, OIDCConfig{Issuer: is.srv.URL}); err == nil {
		t.Fatal("no audience accepted")
	}
	if _, err := NewOIDC(ctx, OIDCConfig{Issuer: is.srv.URL, Audience: "a", RoleMap: map[string]domain.Role{"x": domain.RoleSystem}}); err == nil {
		t.Fatal("a role map to system accepted")
	}
}
