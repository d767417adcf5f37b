//go:build browser

package browsertest

import (
	"strings"
	"testing"
)

// TestNavPages: every page the main navigation links to opens (200) for
// each kind of principal that signs in, marks itself the current page, and
// passes the page checks (axe-core, nothing logged). Pages added to the
// navigation later are covered by this test as they land; their own tests
// (and screenshots, with checkPage) go beside it.
func TestNavPages(t *testing.T) {
	l := ledger(t)
	for _, who := range []struct {
		name, token string
	}{
		{"engineer", l.SignInToken},
		{"reseller", l.Logins[thamesLogin]},
		{"auditor", tokenFor(t, auditor)},
	} {
		t.Run(who.name, func(t *testing.T) {
			p := newPage(t, who.token)
			links := p.hrefs("header nav a[href]")
			if len(links) < 2 {
				t.Fatalf("the main navigation has %v", links)
			}
			for _, href := range links {
				p.open(href)
				if cur := p.attr(byCSS("header nav a[aria-current=page]"), "href"); cur != href {
					t.Fatalf("on %s the navigation marks %q as the current page", href, cur)
				}
				p.check(strings.Trim(href, "/") + " (" + who.name + ")")
			}
		})
	}
}
