package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/tools/demo"
	"github.com/ticketledger/ticketledger/projections"
)

// fixture is one demo ledger served with its console, shared by the tests
// of this package (building it is the slow part).
type fixture struct {
	l      *ledger.Ledger
	srv    *httptest.Server
	tokens map[string]string // name → secret
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

// The people of the tests: one token each.
var people = map[string]auth.IssueRequest{
	"vendor":   {Role: domain.RoleVendorSupport, Name: "vera@vendor.example"},
	"auditor":  {Role: domain.RoleAuditor, Name: "aud@audit.example"},
	"thames":   {Role: domain.RoleIndirectReseller, Partner: "thames-digital", Name: "tom@thames-digital.example"},
	"hudson":   {Role: domain.RoleIndirectReseller, Partner: "hudson-msp", Name: "hal@hudson-msp.example"},
	"atlantic": {Role: domain.RoleIndirectProvider, Partner: "atlantic-channel", Name: "ann@atlantic-channel.example"},
	"admin":    {Role: domain.RoleAdmin, Name: "root@ops.example"},
	"revokee":  {Role: domain.RoleVendorSupport, Name: "gone@vendor.example"},
	"metrics":  {Role: domain.RoleAuditor, Name: "prom", Scope: "metrics"},
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.srv.Close()
		fix.l.Close()
	}
	os.Exit(code)
}

// theFixture builds (once) a demo ledger of 120 tickets with a token for
// each of people, served by the ledger's handler (console at /, API /v1).
func theFixture(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = newFixture(120, nil) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

// newFixture opens a ledger with a demo history of demoTickets tickets
// and, before its console is served, lets more (a benchmark's read model)
// add to it.
func newFixture(demoTickets int, more func(*ledger.Ledger)) (*fixture, error) {
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "console-test-")
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DataDir: filepath.Join(root, "data"), SigningKey: key})
	if err != nil {
		return nil, err
	}
	if _, err := demo.Generate(ctx, l.Service, demo.Options{Seed: 5, Tickets: demoTickets, Now: l.Now(), Tokens: l.Tokens}, nil); err != nil {
		l.Close()
		return nil, err
	}
	go l.Runner.Run(context.WithoutCancel(ctx))
	select {
	case <-l.Runner.Ready():
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("projections did not catch up")
	}
	if more != nil {
		more(l)
	}
	f := &fixture{l: l, tokens: map[string]string{}}
	for name, req := range people {
		iss, err := l.Tokens.Issue(ctx, auth.Internal().Actor(), req)
		if err != nil {
			return nil, fmt.Errorf("issue %s: %w", name, err)
		}
		f.tokens[name] = iss.Secret
	}
	h, err := l.APIHandler(nil, ledger.Access{})
	if err != nil {
		return nil, err
	}
	f.srv = httptest.NewServer(h)
	return f, nil
}

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

// ticketOf returns a ticket of partner (from the read model).
func (f *fixture) ticketOf(t testing.TB, partner string) projections.Ticket {
	t.Helper()
	pg, err := f.l.Tickets.List(projections.TicketFilter{Scope: projections.Scope{PartnerID: partner}}, projections.Page{Limit: 1})
	if err != nil || len(pg.Tickets) == 0 {
		t.Fatalf("no ticket of %s: %v", partner, err)
	}
	return pg.Tickets[0]
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
