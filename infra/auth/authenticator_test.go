package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
)

// fixture: a registry with an active, a revoked and an expired token, a
// local OIDC issuer, proxy mode on loopback, a counter and a log buffer.
type fixture struct {
	a                        *Authenticator
	clk                      *clock
	is                       *issuer
	active, revoked, expired string
	log                      *bytes.Buffer
	mu                       sync.Mutex
	counts                   map[Reason]int
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	f := &fixture{clk: newClock(t0), is: newIssuer(t), log: &bytes.Buffer{}, counts: map[Reason]int{}}
	reg := NewRegistry(f.clk.now)
	add := func(id, role, partner string, exp time.Time, revoke bool) string {
		s := NewSecret()
		reg.Apply(domain.Recorded{Stream: principal.Stream(id), Event: principal.TokenIssued{TokenID: id, Name: id + "-name", Role: role, Partner: partner, ExpiresAt: exp, Hash: HashSecret(s)}})
		if revoke {
			reg.Apply(domain.Recorded{Stream: principal.Stream(id), Revision: 1, Event: principal.TokenRevoked{TokenID: id, Reason: "x"}})
		}
		return s
	}
	f.active = add("act", "indirect_reseller", "resl", time.Time{}, false)
	f.revoked = add("rev", "auditor", "", time.Time{}, true)
	f.expired = add("exp", "auditor", "", t0, false)
	o, err := NewOIDC(context.Background(), OIDCConfig{Issuer: f.is.srv.URL, Audience: "ticketledger", Now: f.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tokens, cfg.OIDC, cfg.Now = reg, o, f.clk.now
	if cfg.Proxy == nil {
		cfg.Proxy = NewProxy()
	}
	cfg.Logger = slog.New(slog.NewTextHandler(f.log, nil))
	cfg.OnDenied = func(_ Method, r Reason) { f.mu.Lock(); f.counts[r]++; f.mu.Unlock() }
	f.a = New(cfg)
	return f
}

func req(remote string, h map[string]string) *http.Request {
	r := httptest.NewRequest("GET", "/tickets", nil)
	r.RemoteAddr = remote
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

func bearer(s string) map[string]string { return map[string]string{"Authorization": "Bearer " + s} }

func TestAuthenticate(t *testing.T) {
	f := newFixture(t, Config{FailureBurst: 1000})
	jwtRaw := f.is.sign(t, nil, f.is.claims(nil))
	const remote, local = "203.0.113.7:5555", "127.0.0.1:4444"
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("act:"+f.active))
	cases := []struct {
		name   string
		r      *http.Request
		want   Principal
		err    error
		status int
		reason Reason
		anon   bool
	}{
		{name: "anonymous", r: req(remote, nil), anon: true},
		{name: "ledger token", r: req(remote, bearer(f.active)),
			want: Principal{ID: "act-name#act", Role: domain.RoleIndirectReseller, Partner: "resl", Method: MethodToken, TokenID: "act", Name: "act-name"}},
		{name: "bearer scheme in lower case", r: req(remote, map[string]string{"Authorization": "bearer " + f.active}),
			want: Principal{ID: "act-name#act", Role: domain.RoleIndirectReseller, Partner: "resl", Method: MethodToken, TokenID: "act", Name: "act-name"}},
		{name: "basic credentials", r: req(remote, map[string]string{"Authorization": basic}),
			want: Principal{ID: "act-name#act", Role: domain.RoleIndirectReseller, Partner: "resl", Method: MethodToken, TokenID: "act", Name: "act-name"}},
		{name: "oidc", r: req(remote, bearer(jwtRaw)),
			want: Principal{ID: "alice@prov.example", Role: domain.RoleIndirectProvider, Partner: "prov", Method: MethodOIDC, ExpiresAt: t0.Add(time.Hour)}},
		{name: "unknown token", r: req(remote, bearer(NewSecret())), err: ErrUnknownToken, status: 401, reason: ReasonInvalid},
		{name: "revoked token", r: req(remote, bearer(f.revoked)), err: ErrRevoked, status: 401, reason: ReasonRevoked},
		{name: "expired token", r: req(remote, bearer(f.expired)), err: ErrExpired, status: 401, reason: ReasonExpired},
		{name: "bad jwt", r: req(remote, bearer(f.is.sign(t, nil, f.is.claims(map[string]any{"aud": "x"})))), err: ErrInvalidJWT, status: 401, reason: ReasonInvalid},
		{name: "empty bearer", r: req(remote, map[string]string{"Authorization": "Bearer "}), err: ErrMalformed, status: 401, reason: ReasonMalformed},
		{name: "other scheme", r: req(remote, map[string]string{"Authorization": "Digest x"}), err: ErrMalformed, status: 401, reason: ReasonMalformed},
		{name: "proxy headers from loopback", r: req(local, map[string]string{HeaderActorID: "ann@prov.example", HeaderActorRole: "indirect_provider", HeaderActorPartner: "prov"}),
			want: Principal{ID: "ann@prov.example", Role: domain.RoleIndirectProvider, Partner: "prov", Method: MethodProxy}},
		{name: "proxy headers from ipv6 loopback", r: req("[::1]:80", map[string]string{HeaderActorID: "eng", HeaderActorRole: "vendor_support"}),
			want: Principal{ID: "eng", Role: domain.RoleVendorSupport, Method: MethodProxy}},
		{name: "proxy headers from elsewhere", r: req(remote, map[string]string{HeaderActorID: "eng", HeaderActorRole: "vendor_support"}), err: ErrUntrustedProxy, status: 401, reason: ReasonUntrustedProxy},
		{name: "proxy headers from elsewhere beside a valid token", r: req(remote, map[string]string{"Authorization": "Bearer " + f.active, HeaderActorRole: "admin"}), err: ErrUntrustedProxy, status: 401, reason: ReasonUntrustedProxy},
		{name: "proxy claiming system", r: req(local, map[string]string{HeaderActorID: "x", HeaderActorRole: "system"}), err: ErrInvalidIdentity, status: 401, reason: ReasonInvalid},
		{name: "proxy with a 60,000 character id", r: req(local, map[string]string{HeaderActorID: strings.Repeat("x", 60000), HeaderActorRole: "auditor"}), err: ErrInvalidIdentity, status: 401, reason: ReasonInvalid},
		{name: "proxy partner role without partner", r: req(local, map[string]string{HeaderActorID: "x", HeaderActorRole: "indirect_reseller"}), err: ErrInvalidIdentity, status: 401, reason: ReasonInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := f.a.Authenticate(c.r)
			switch {
			case c.anon:
				if !errors.Is(err, ErrNoCredentials) {
					t.Fatalf("%+v %v", p, err)
				}
			case c.err == nil:
				if err != nil || p != c.want {
					t.Fatalf("got %+v %v\nwant %+v", p, err, c.want)
				}
				if err := p.Actor().Validate(); err != nil {
					t.Fatal(err)
				}
			default:
				var d *Denied
				if !errors.As(err, &d) || !errors.Is(err, c.err) || d.Status != c.status || d.Reason != c.reason || p != (Principal{}) {
					t.Fatalf("got %+v %v, want %v (%d %s)", p, err, c.err, c.status, c.reason)
				}
				if d.Public() == "" || strings.Contains(d.Public(), f.revoked) {
					t.Fatalf("public message %q", d.Public())
				}
			}
		})
	}
	if f.counts[ReasonInvalid] != 5 || f.counts[ReasonMalformed] != 2 || f.counts[ReasonExpired] != 1 || f.counts[ReasonRevoked] != 1 || f.counts[ReasonUntrustedProxy] != 2 {
		t.Fatalf("denials counted %v", f.counts)
	}
}

func TestProxyCIDRs(t *testing.T) {
	ps, err := ParsePrefixes([]string{"10.0.0.0/8", "192.0.2.5", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, Config{Proxy: NewProxy(ps...)})
	h := map[string]string{HeaderActorID: "eng", HeaderActorRole: "vendor_support"}
	for remote, ok := range map[string]bool{
		"10.9.8.7:1": true, "192.0.2.5:1": true, "192.0.2.6:1": false, "[2001:db8::1]:1": true,
		"127.0.0.1:1":         false, // loopback is the default only when no address is configured
		"[::ffff:10.1.1.1]:1": true, "pipe": false,
	} {
		_, err := f.a.Authenticate(req(remote, h))
		if (err == nil) != ok {
			t.Errorf("%s: %v", remote, err)
		}
	}
	if _, err := ParsePrefixes([]string{"localhost"}); err == nil {
		t.Fatal("a host name accepted as proxy address")
	}
	var off *Proxy
	if off.Trusts(netip.MustParseAddr("127.0.0.1")) {
		t.Fatal("proxy mode off trusts loopback")
	}
}

// TestRateLimit: after FailureBurst failures a source is refused with 429
// before its credentials are checked, even good ones; others are not; the
// bucket refills over time. Denials are logged once per interval.
func TestRateLimit(t *testing.T) {
	f := newFixture(t, Config{FailureBurst: 3, FailuresPerMinute: 6, LogInterval: time.Minute})
	const attacker, other = "198.51.100.1:1", "198.51.100.2:1"
	for i := 0; i < 3; i++ {
		if _, err := f.a.Authenticate(req(attacker, bearer(NewSecret()))); !errors.Is(err, ErrUnknownToken) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := f.a.Authenticate(req(attacker, bearer(f.active)))
	var d *Denied
	if !errors.As(err, &d) || d.Status != http.StatusTooManyRequests || d.Reason != ReasonRateLimited || d.RetryAfter < 9*time.Second || d.RetryAfter > 10*time.Second {
		t.Fatalf("4th attempt: %v (%+v)", err, d)
	}
	if _, err := f.a.Authenticate(req(attacker, nil)); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("anonymous request from a limited source: %v", err)
	}
	if _, err := f.a.AuthenticateBasic(netip.MustParseAddr("198.51.100.1"), "act", f.active); !errors.As(err, &d) || d.Status != 429 {
		t.Fatalf("basic from a limited source: %v", err)
	}
	if _, err := f.a.Authenticate(req(other, bearer(f.active))); err != nil {
		t.Fatalf("another source: %v", err)
	}
	f.clk.add(10 * time.Second) // one failure back at 6 a minute
	if _, err := f.a.Authenticate(req(attacker, bearer(f.active))); err != nil {
		t.Fatalf("after refill: %v", err)
	}

	logged := f.log.String()
	if n := strings.Count(logged, "reason=invalid"); n != 1 {
		t.Fatalf("3 invalid attempts logged %d times, want once per interval:\n%s", n, logged)
	}
	if n := strings.Count(logged, "reason=rate_limited"); n != 1 {
		t.Fatalf("rate-limited denials logged %d times:\n%s", n, logged)
	}
	if !strings.Contains(logged, "source=198.51.100.1") {
		t.Fatalf("log lacks the source:\n%s", logged)
	}
	f.clk.add(time.Minute)
	f.a.Authenticate(req(attacker, bearer(f.revoked)))
	f.a.Authenticate(req(attacker, bearer(NewSecret())))
	logged = f.log.String()
	if !strings.Contains(logged, "reason=invalid suppressed=2") {
		t.Fatalf("next interval's line does not count the suppressed denials:\n%s", logged)
	}
	if !strings.Contains(logged, "reason=revoked") || !strings.Contains(logged, "token=rev") || strings.Contains(logged, f.revoked) {
		t.Fatalf("revoked-token denial should name the token, never the secret:\n%s", logged)
	}
}

func TestLimiterIsBounded(t *testing.T) {
	f := newFixture(t, Config{FailureBurst: 1, MaxSources: 8})
	for i := 0; i < 100; i++ {
		f.a.Authenticate(req(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}).String()+":1", bearer("nope")))
	}
	f.a.limiter.mu.Lock()
	n := len(f.a.limiter.m)
	f.a.limiter.mu.Unlock()
	f.a.log.mu.Lock()
	m := len(f.a.log.m)
	f.a.log.mu.Unlock()
	if n > 8 || m > 8 {
		t.Fatalf("limiter tracks %d sources, log %d, bound 8", n, m)
	}
}

func TestAuthenticateBasicAndParse(t *testing.T) {
	f := newFixture(t, Config{})
	src := netip.MustParseAddr("192.0.2.1")
	if p, err := f.a.AuthenticateBasic(src, "act-name", f.active); err != nil || p.TokenID != "act" {
		t.Fatalf("by name: %+v %v", p, err)
	}
	if _, err := f.a.AuthenticateBasic(src, "rev", f.revoked); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked: %v", err)
	}

	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for in, want := range map[string][2]string{
		"Basic " + enc("user:pa:ss"):    {"user", "pa:ss"},
		"basic  " + enc("k1:tl_secret"): {"k1", "tl_secret"},
	} {
		u, p, err := ParseBasic(in)
		if err != nil || u != want[0] || p != want[1] {
			t.Errorf("%q: %q %q %v", in, u, p, err)
		}
	}
	for _, in := range []string{"", "Bearer x", "Basic", "Basic !!!", "Basic " + enc("nocolon"), "Basic " + enc(":pass"), "Basic " + enc("user:")} {
		if _, _, err := ParseBasic(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
}
