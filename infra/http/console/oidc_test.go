package console_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/http/console"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// provider is a local OpenID Connect provider for the authorization code
// flow with PKCE: it remembers each code's challenge and nonce and issues
// an ID token only for the matching verifier.
type provider struct {
	srv   *httptest.Server
	key   *ecdsa.PrivateKey
	mu    sync.Mutex
	codes map[string][2]string // code → challenge, nonce
	role  string
}

func newProvider(t *testing.T) *provider {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := &provider{key: key, codes: map[string][2]string{}, role: "indirect_reseller"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/keys",
			"authorization_endpoint": p.srv.URL + "/auth", "token_endpoint": p.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
			http.Error(w, "PKCE required", http.StatusBadRequest)
			return
		}
		code := "code-" + q.Get("state")[:8]
		p.mu.Lock()
		p.codes[code] = [2]string{q.Get("code_challenge"), q.Get("nonce")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		c, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != c[0] {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		idt, _ := jwt.Signed(sig).Claims(map[string]any{"iss": p.srv.URL, "aud": "console", "sub": "olga@thames-digital.example",
			"iat": time.Now().Add(-time.Minute).Unix(), "exp": time.Now().Add(time.Hour).Unix(), "nonce": c[1],
			"role": p.role, "partner": "thames-digital"}).Serialize()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "opaque", "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// Sign-in through the identity provider: the flow cookie is Lax (it must
// survive the provider's redirect back), PKCE and the nonce are checked,
// the session is the API's OIDC principal with its tenancy; a callback
// that does not match the flow is refused.
func TestOIDCSignIn(t *testing.T) {
	f := theFixture(t)
	idp := newProvider(t)
	ctx := context.Background()
	apiOIDC, err := auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: idp.srv.URL, Audience: "console"})
	if err != nil {
		t.Fatal(err)
	}
	var site *httptest.Server
	site = httptest.NewUnstartedServer(nil)
	site.Start()
	defer site.Close()
	con, err := console.NewOIDC(ctx, console.OIDCConfig{Issuer: idp.srv.URL, ClientID: "console", RedirectURL: site.URL + "/signin/oidc/callback"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := f.l.APIHandler(nil, ledger.Access{OIDC: apiOIDC, ConsoleOIDC: con})
	if err != nil {
		t.Fatal(err)
	}
	site.Config.Handler = h
	g := &fixture{l: f.l, srv: site, tokens: f.tokens}
	b := g.browser(t)

	contains(t, b.get("/signin").body, `href="/signin/oidc?next=%2ftickets"`)
	start := b.get("/signin/oidc?next=/tickets%3Fstatus%3Dopen")
	if start.status != http.StatusFound || !strings.HasPrefix(start.header.Get("Location"), idp.srv.URL+"/auth?") {
		t.Fatalf("start: %d %q", start.status, start.header.Get("Location"))
	}
	var flow *http.Cookie
	for _, c := range (&http.Response{Header: start.header}).Cookies() {
		if c.Name == "tl_oidc" {
			flow = c
		}
	}
	if flow == nil || flow.SameSite != http.SameSiteLaxMode || !flow.HttpOnly || flow.MaxAge <= 0 || flow.MaxAge > 600 {
		t.Fatalf("flow cookie: %+v", flow)
	}
	if strings.Contains(start.header.Get("Location"), "code_verifier") {
		t.Fatal("the verifier left for the provider")
	}

	// The provider answers with a code for the flow's state.
	req, _ := http.NewRequest(http.MethodGet, start.header.Get("Location"), nil)
	back := b.do(req)
	cb, _ := url.Parse(back.header.Get("Location"))
	forged := cb.Query()
	forged.Set("state", "not-the-state")
	if p := b.get("/signin/oidc/callback?" + forged.Encode()); p.status != http.StatusBadRequest {
		t.Fatalf("a callback with another state: %d", p.status)
	}
	// The refused callback used up the flow: start again.
	start = b.get("/signin/oidc?next=/tickets%3Fstatus%3Dopen")
	req, _ = http.NewRequest(http.MethodGet, start.header.Get("Location"), nil)
	back = b.do(req)
	cb, _ = url.Parse(back.header.Get("Location"))
	done := b.get(cb.RequestURI())
	if done.status != http.StatusOK {
		t.Fatalf("callback: %d\n%s", done.status, done.body)
	}
	contains(t, done.body, `<meta http-equiv="refresh" content="0;url=/tickets?status=open">`)
	p := b.get("/tickets")
	if p.status != http.StatusOK {
		t.Fatalf("tickets after OIDC sign-in: %d", p.status)
	}
	contains(t, p.body, "olga@thames-digital.example")
	lacks(t, p.body, "hudson-msp")
	if hidden := b.get("/tickets/" + f.ticketOf(t, "hudson-msp").ID); hidden.status != http.StatusNotFound {
		t.Fatalf("a sibling's ticket through OIDC: %d", hidden.status)
	}

	// Replaying the callback (the code is spent, the flow cookie gone) fails.
	if p := f.browser(t).get(cb.RequestURI()); p.status != http.StatusNotFound && p.status != http.StatusBadRequest {
		t.Fatalf("replayed callback on another console: %d", p.status)
	}
	if p := b.get(cb.RequestURI()); p.status != http.StatusBadRequest {
		t.Fatalf("replayed callback: %d", p.status)
	}
}
