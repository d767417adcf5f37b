package console_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t   testing.TB
	f   *fixture
	c   *http.Client
	jar http.CookieJar
}

func (f *fixture) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, f: f, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is one response, its body read.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form as the console's own page would (same origin).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.f.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the CSRF token of the first form of a page.
func csrfOf(t testing.TB, p page) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field on the page:\n%s", p.body)
	}
	return m[1]
}

// signIn signs the browser in with the token of person, and returns the
// session's CSRF token (from the page it lands on).
func (b *browser) signIn(person string) string {
	b.t.Helper()
	form := b.get("/signin")
	res := b.post("/signin", url.Values{"csrf": {csrfOf(b.t, form)}, "token": {b.f.tokens[person]}, "next": {"/tickets"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/tickets" {
		b.t.Fatalf("sign in as %s: %d %s\n%s", person, res.status, res.header.Get("Location"), res.body)
	}
	p := b.get("/tickets")
	if p.status != http.StatusOK {
		b.t.Fatalf("tickets after sign-in: %d\n%s", p.status, p.body)
	}
	return csrfOf(b.t, p)
}

func contains(t testing.TB, body, want string) {
	t.Helper()
	if !strings.Contains(body, want) {
		t.Fatalf("page does not contain %q:\n%s", want, body)
	}
}

func lacks(t testing.TB, body, unwanted string) {
	t.Helper()
	if strings.Contains(body, unwanted) {
		t.Fatalf("page contains %q:\n%s", unwanted, body)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
