//go:build browser

package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestSignIn: the printed token signs in (the person's id and role in the
// header), the session cookie is HttpOnly and SameSite=Strict, a wrong
// token is refused on the sign-in page with a message and no session, and
// signing out ends the session.
func TestSignIn(t *testing.T) {
	l := ledger(t)
	p := newPage(t, "")
	p.open("/")
	if loc := p.location(); !strings.Contains(loc, "/signin") {
		t.Fatalf("/ without a session went to %s, want the sign-in page", loc)
	}
	p.checkPage("signin")

	p.fill(byLabel("ledger token"), "tl_not-a-real-token-0123456789abcdefghij")
	p.clickNav(byButton("sign in"))
	if loc := p.location(); !strings.Contains(loc, "/signin") {
		t.Fatalf("a wrong token left the sign-in page for %s", loc)
	}
	if msg := p.text("[role=status]"); msg == "" {
		t.Fatalf("a wrong token: no message on the sign-in page:\n%s", p.text("main"))
	}
	if c := p.cookies(); hasSession(c) {
		t.Fatalf("a wrong token set a session cookie: %+v", c)
	}
	p.check("sign-in refused")

	p.signIn(l.SignInToken)
	if who := p.text("header"); !strings.Contains(who, "vendor_support") {
		t.Fatalf("signed in with the printed token, the header shows %q; want the vendor-support role", who)
	}
	var sess *network.Cookie
	for _, c := range p.cookies() {
		if c.HTTPOnly && c.Path == "/" {
			sess = c
		}
	}
	if sess == nil || sess.SameSite != network.CookieSameSiteStrict {
		t.Fatalf("no HttpOnly, SameSite=Strict session cookie after sign-in: %+v", p.cookies())
	}
	if js := eval[string](p, `document.cookie`); strings.Contains(js, sess.Value) {
		t.Fatalf("the session cookie is readable from JavaScript: %q", js)
	}

	p.clickNav(byButton("sign out"))
	if code := p.status("/tickets"); !strings.Contains(p.location(), "/signin") {
		t.Fatalf("after sign-out /tickets answered %d at %s, want the sign-in page", code, p.location())
	}
}

// cookies is every cookie of the page's browser context.
func (p *page) cookies() []*network.Cookie {
	p.t.Helper()
	res, err := chromedp.Call(p.ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		p.t.Fatal(err)
	}
	return res.Cookies
}

func hasSession(cs []*network.Cookie) bool {
	for _, c := range cs {
		if c.HTTPOnly && c.Path == "/" {
			return true
		}
	}
	return false
}
