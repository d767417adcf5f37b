package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/infra/auth"
)

// Every console page carries the strict CSP and the other security
// headers; the API's answers are the API's.
func TestSecurityHeaders(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	b.signIn("vendor")
	for _, path := range []string{"/signin", "/tickets", "/assets/console.css", "/tickets/00000000-0000-0000-0000-000000000000"} {
		p := b.get(path)
		csp := p.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe code: %q", path, csp)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, p.header)
		}
		if strings.Contains(p.body, "<script>") || strings.Contains(p.body, " style=") || strings.Contains(p.body, "<style") {
			t.Errorf("%s: inline script or style in the page", path)
		}
	}
	if p := b.get("/v1/nothing-here"); p.status != http.StatusNotFound || !strings.Contains(p.header.Get("Content-Type"), "problem+json") {
		t.Errorf("an unknown API path is no longer the API's 404 problem: %d %s", p.status, p.header.Get("Content-Type"))
	}
}

// A browser without a session is sent to sign in (and back afterwards);
// a token signs in, the cookie is HttpOnly and SameSite=Strict; signing
// out ends the session on the server.
func TestSignInAndOut(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	p := b.get("/tickets?status=open")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin?") {
		t.Fatalf("no session: %d %q", p.status, p.header.Get("Location"))
	}
	loc, _ := url.Parse(p.header.Get("Location"))
	if loc.Query().Get("next") != "/tickets?status=open" {
		t.Fatalf("sign-in does not lead back: %q", loc)
	}

	form := b.get("/signin")
	res := b.post("/signin", url.Values{"csrf": {csrfOf(t, form)}, "token": {"tl_not-a-token"}})
	if res.status != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %d", res.status)
	}
	contains(t, res.body, "That token was refused")

	form = b.get("/signin")
	res = b.post("/signin", url.Values{"csrf": {csrfOf(t, form)}, "token": {f.tokens["vendor"]}, "next": {"https://evil.example/"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/tickets" {
		t.Fatalf("sign-in with an off-site next: %d %q", res.status, res.header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == "tl_session" && c.Value != "" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie: %+v", cookie)
	}
	if strings.Contains(cookie.Value, f.tokens["vendor"]) {
		t.Fatal("the session cookie carries the token")
	}
	p = b.get("/tickets")
	if p.status != http.StatusOK {
		t.Fatalf("tickets: %d", p.status)
	}
	contains(t, p.body, "vera@vendor.example")

	res = b.post("/signout", url.Values{"csrf": {csrfOf(t, p)}})
	if res.status != http.StatusSeeOther || !strings.Contains(res.header.Get("Location"), "signedout") {
		t.Fatalf("sign out: %d %q", res.status, res.header.Get("Location"))
	}
	// The old cookie no longer works even if a browser kept it.
	old := f.browser(t)
	u, _ := url.Parse(f.srv.URL)
	old.jar.SetCookies(u, []*http.Cookie{{Name: "tl_session", Value: cookie.Value}})
	if p := old.get("/tickets"); p.status != http.StatusSeeOther {
		t.Fatalf("the signed-out session still works: %d", p.status)
	}
}

// Metrics-only tokens cannot sign in; a sign-in form not from this
// console (no matching form cookie) is refused.
func TestSignInRefusals(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	form := b.get("/signin")
	res := b.post("/signin", url.Values{"csrf": {csrfOf(t, form)}, "token": {f.tokens["metrics"]}})
	if res.status != http.StatusForbidden {
		t.Fatalf("metrics token: %d", res.status)
	}
	contains(t, res.body, "only scrape /metrics")

	other := f.browser(t) // no form cookie: a forged sign-in
	res = other.post("/signin", url.Values{"csrf": {csrfOf(t, form)}, "token": {f.tokens["vendor"]}})
	if res.status != http.StatusForbidden {
		t.Fatalf("forged sign-in: %d", res.status)
	}
}

// A revoked token ends its session at the next request.
func TestRevokedTokenEndsSession(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	b.signIn("revokee")
	var id string
	for _, ti := range f.l.Tokens.Registry().Tokens() {
		if ti.Name == people["revokee"].Name {
			id = ti.ID
		}
	}
	if err := f.l.Tokens.Revoke(context.Background(), auth.Internal().Actor(), id, "test"); err != nil {
		t.Fatal(err)
	}
	p := b.get("/tickets")
	if p.status != http.StatusSeeOther || !strings.Contains(p.header.Get("Location"), "why=revoked") {
		t.Fatalf("after revocation: %d %q", p.status, p.header.Get("Location"))
	}
	if p := b.get("/tickets"); p.status != http.StatusSeeOther {
		t.Fatalf("the session survived its token: %d", p.status)
	}
}

// A POST without the session's CSRF token, or with another session's, is
// refused and changes nothing; a cross-site POST is refused outright.
func TestCSRFRejected(t *testing.T) {
	f := theFixture(t)
	a, b := f.browser(t), f.browser(t)
	csrfA := a.signIn("vendor")
	b.signIn("vendor")
	for _, tok := range []string{"", "forged", csrfA} {
		res := b.post("/signout", url.Values{"csrf": {tok}})
		if res.status != http.StatusForbidden {
			t.Fatalf("signout with csrf %q: %d", tok, res.status)
		}
		contains(t, res.body, "CSRF")
	}
	if p := b.get("/tickets"); p.status != http.StatusOK {
		t.Fatalf("the refused sign-out ended the session: %d", p.status)
	}
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/signout", strings.NewReader(url.Values{"csrf": {csrfA}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := a.do(req); p.status != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", p.status)
	}
}
