package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ticketledger/ticketledger/infra/auth"
)

// OIDCConfig configures sign-in with an OpenID Connect provider: the
// authorization code flow with PKCE, the console as a client of the
// issuer that the API already trusts (serve --oidc-issuer).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (the API's --oidc-issuer).
	Issuer string
	// ClientID and ClientSecret are the console's client registration
	// (the secret may be empty for a public client: PKCE protects the
	// code).
	ClientID, ClientSecret string
	// RedirectURL is the console's callback as registered with the
	// provider: https://HOST/signin/oidc/callback.
	RedirectURL string
	// Scopes beyond openid (e.g. profile, or the one that puts the role
	// and partner claims in the token).
	Scopes []string
	// HTTPClient, when set, is used to talk to the provider.
	HTTPClient *http.Client
}

// OIDC is a discovered provider, ready for sign-in (NewOIDC).
type OIDC struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	key      []byte // signs the flow cookie
}

// NewOIDC discovers the provider (with ctx) and returns the console's
// sign-in client.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("console: OIDC sign-in needs the issuer, a client id and the redirect URL (https://HOST/signin/oidc/callback)")
	}
	if !strings.HasSuffix(cfg.RedirectURL, "/signin/oidc/callback") {
		return nil, fmt.Errorf("console: OIDC redirect URL %q must end in /signin/oidc/callback, the console's callback", cfg.RedirectURL)
	}
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("console: discover OIDC issuer %s: %w", cfg.Issuer, err)
	}
	return &OIDC{cfg: cfg,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: cfg.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID}, cfg.Scopes...)},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		key:      []byte(randomToken(32)),
	}, nil
}

// oidcCookie carries one sign-in's state, PKCE verifier, nonce and next
// page from the redirect to the provider back to the callback. It is
// SameSite=Lax, not Strict: the provider's redirect back is a cross-site
// navigation, on which a Strict cookie would not be sent. It is signed,
// lives ten minutes, and is used once.
const (
	oidcCookie     = "tl_oidc"
	oidcCookiePath = "/signin/oidc"
	oidcFlowTTL    = 10 * time.Minute
)

// oidcFlow is the content of the flow cookie.
type oidcFlow struct {
	State    string    `json:"s"`
	Verifier string    `json:"v"`
	Nonce    string    `json:"n"`
	Next     string    `json:"x"`
	Expires  time.Time `json:"e"`
}

func (o *OIDC) seal(f oidcFlow) string {
	b, _ := json.Marshal(f)
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + o.mac(p)
}

func (o *OIDC) mac(p string) string {
	m := hmac.New(sha256.New, o.key)
	m.Write([]byte(p))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (o *OIDC) open(v string, now time.Time) (oidcFlow, bool) {
	p, mac, ok := strings.Cut(v, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(o.mac(p))) {
		return oidcFlow{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	var f oidcFlow
	if err != nil || json.Unmarshal(b, &f) != nil || !now.Before(f.Expires) {
		return oidcFlow{}, false
	}
	return f, true
}

// oidcStart sends the browser to the provider: a GET link (a form's
// redirect off-site would break form-action 'self').
func (c *Console) oidcStart(w http.ResponseWriter, r *http.Request, _ *session) error {
	if c.oidc == nil {
		return errNoOIDC
	}
	f := oidcFlow{State: randomToken(24), Verifier: oauth2.GenerateVerifier(), Nonce: randomToken(24),
		Next: localPath(r.URL.Query().Get("next")), Expires: c.now().Add(oidcFlowTTL)}
	c.setCookie(w, r, oidcCookie, c.oidc.seal(f), oidcCookiePath, oidcFlowTTL, http.SameSiteLaxMode)
	u := c.oidc.oauth.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce))
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

var errNoOIDC = &pageError{Status: http.StatusNotFound, Title: "No identity provider",
	Detail: "this console has no OpenID Connect sign-in configured: sign in with a token"}

// oidcCallback completes the sign-in: the state matches the flow cookie's,
// the code is exchanged with the PKCE verifier, the ID token's signature,
// audience and nonce verify, and the API's authenticator accepts the
// token the session will present.
func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request, _ *session) error {
	if c.oidc == nil {
		return errNoOIDC
	}
	ck, err := r.Cookie(oidcCookie)
	c.clearCookie(w, r, oidcCookie, oidcCookiePath)
	var f oidcFlow
	ok := err == nil
	if ok {
		f, ok = c.oidc.open(ck.Value, c.now())
	}
	q := r.URL.Query()
	if !ok || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return c.showSignin(w, r, http.StatusBadRequest, "/tickets",
			"The identity provider's answer does not belong to a sign-in started here, or it took longer than 10 minutes: start again.")
	}
	if e := q.Get("error"); e != "" {
		return c.showSignin(w, r, http.StatusUnauthorized, f.Next,
			"The identity provider refused the sign-in ("+clip(e+": "+q.Get("error_description"), 200)+").")
	}
	ctx := r.Context()
	if c.oidc.cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, c.oidc.cfg.HTTPClient)
	}
	tok, err := c.oidc.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		c.log.Info("console: OIDC code exchange failed", "err", err)
		return c.showSignin(w, r, http.StatusUnauthorized, f.Next, "The identity provider did not accept the sign-in code: start again.")
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := c.oidc.verifier.Verify(ctx, rawID)
	if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		c.log.Info("console: OIDC ID token refused", "err", err)
		return c.showSignin(w, r, http.StatusUnauthorized, f.Next, "The identity provider's ID token did not verify: start again.")
	}
	// The session presents a token the API accepts: the access token when
	// it is a JWT for the API's audience, else the ID token (when the
	// API's --oidc-audience is this client's id).
	var cred string
	var p auth.Principal
	for _, cand := range []string{tok.AccessToken, rawID} {
		if cand == "" {
			continue
		}
		if p, err = c.authenticate(r, cand); err == nil {
			cred = cand
			break
		}
	}
	if cred == "" {
		return c.showSignin(w, r, http.StatusForbidden, f.Next,
			"You signed in with the identity provider, but the ledger does not accept its tokens as a principal: "+
				"an operator sets serve's --oidc-audience to this console's client id (or has the provider issue access tokens for the ledger's audience) and maps a role (--oidc-role-map).")
	}
	if msg := unfitForConsole(p); msg != "" {
		return c.showSignin(w, r, http.StatusForbidden, f.Next, msg)
	}
	s := c.sessions.create(cred, p)
	c.setCookie(w, r, sessionCookie, s.id, "/", s.expires.Sub(c.now()), http.SameSiteStrictMode)
	// A Strict cookie set during a cross-site navigation is not sent on a
	// redirect of that same navigation: continue from a page of our own.
	return c.render(w, r, http.StatusOK, "signedin", s, "Signed in", refresh(f.Next))
}

// refresh is the data of a page that moves on to a path of the console
// (a meta refresh in the layout, and a link).
type refresh string

// clip cuts s to at most n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
