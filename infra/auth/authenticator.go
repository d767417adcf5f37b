package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ErrNoCredentials is what Authenticate returns for a request without any
// credentials: an anonymous caller. The HTTP layer serves it the public
// routes and answers 401 on the others.
var ErrNoCredentials = errors.New("no credentials")

// ErrMalformed is wrapped by the error for an Authorization header that is
// neither "Bearer <token>" nor well-formed "Basic <base64 user:pass>".
var ErrMalformed = errors.New("malformed credentials")

// Reason classifies a denied authentication: a small fixed set, fit for a
// metrics label.
type Reason string

// Denial reasons.
const (
	ReasonInvalid        Reason = "invalid"         // unknown token, JWT that does not verify, bad identity headers
	ReasonExpired        Reason = "expired"         // a ledger token past its expiry
	ReasonRevoked        Reason = "revoked"         // a revoked ledger token
	ReasonMalformed      Reason = "malformed"       // an Authorization header of no known form
	ReasonUntrustedProxy Reason = "untrusted_proxy" // identity headers from an address that is not a configured proxy
	ReasonRateLimited    Reason = "rate_limited"    // too many failed attempts from the source
)

// Denied is the error of a refused authentication. Status is the HTTP
// status to answer: 401 (send WWW-Authenticate: Challenge) or 429 (send
// Retry-After: RetryAfter, rounded up to seconds). Err is the cause
// (ErrUnknownToken, ErrExpired, ErrRevoked, ErrInvalidJWT, ErrMalformed,
// ErrUntrustedProxy, ErrInvalidIdentity); its text is for logs, not for
// the caller, who gets Public().
type Denied struct {
	Status     int
	Reason     Reason
	RetryAfter time.Duration
	Source     netip.Addr
	Method     Method // the method tried ("" when rate-limited before any)
	Err        error
}

// Challenge is the WWW-Authenticate value of a 401.
const Challenge = `Bearer realm="ticketledger"`

func (d *Denied) Error() string {
	if d.Status == http.StatusTooManyRequests {
		return fmt.Sprintf("authentication refused for %s: too many failed attempts, retry after %s", d.Source, d.RetryAfter.Round(time.Second))
	}
	return fmt.Sprintf("authentication failed (%s): %v", d.Reason, d.Err)
}

// Unwrap returns the cause.
func (d *Denied) Unwrap() error { return d.Err }

// Public is the message for the caller: it says what to do without telling
// an unknown token from a revoked one.
func (d *Denied) Public() string {
	switch d.Reason {
	case ReasonRateLimited:
		return "too many failed authentication attempts from your address: wait before retrying"
	case ReasonExpired:
		return "the token has expired: ask an admin for a new one"
	case ReasonMalformed:
		return `the Authorization header is not "Bearer <token>": send a ledger token or an OIDC token as a bearer token`
	case ReasonUntrustedProxy:
		return "X-Actor-* identity headers are accepted only from the configured authenticating proxy: authenticate with a bearer token"
	}
	return "the credentials are not valid: check the token (it may have been revoked)"
}

// Config configures an Authenticator. Each method is on when its field is
// set; with none, every credential is refused.
type Config struct {
	Tokens *Registry // ledger-issued bearer tokens (and Basic credentials)
	OIDC   *OIDC     // JWTs of an OpenID Connect issuer
	Proxy  *Proxy    // identity headers from trusted proxy addresses

	// FailuresPerMinute and FailureBurst limit failed authentications per
	// source address: a source that failed FailureBurst times is refused
	// (429) until its bucket refills at FailuresPerMinute. 0 means 10 and
	// 10.
	FailuresPerMinute float64
	FailureBurst      int
	// MaxSources bounds the sources tracked by the limiter and the denial
	// log; 0 means 10,000.
	MaxSources int

	// Logger receives denials, at most one line per source and reason
	// per LogInterval (0: a minute), with the count of those suppressed.
	// Nil: slog.Default().
	Logger      *slog.Logger
	LogInterval time.Duration
	// OnDenied, if set, is called for every denial (a metrics counter).
	OnDenied func(method Method, reason Reason)
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Authenticator runs the configured methods on a request: a trusted
// proxy's identity headers, else the Authorization header (a ledger token,
// else an OIDC JWT; or Basic credentials). It is safe for concurrent use.
type Authenticator struct {
	cfg     Config
	limiter *limiter
	log     *denialLog
}

// New returns an Authenticator.
func New(cfg Config) *Authenticator {
	if cfg.FailuresPerMinute <= 0 {
		cfg.FailuresPerMinute = 10
	}
	if cfg.FailureBurst <= 0 {
		cfg.FailureBurst = 10
	}
	if cfg.MaxSources <= 0 {
		cfg.MaxSources = 10_000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LogInterval <= 0 {
		cfg.LogInterval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Authenticator{
		cfg:     cfg,
		limiter: &limiter{every: rate.Limit(cfg.FailuresPerMinute / 60), burst: cfg.FailureBurst, max: cfg.MaxSources, m: map[netip.Addr]*rate.Limiter{}},
		log:     &denialLog{log: cfg.Logger, every: cfg.LogInterval, max: cfg.MaxSources, m: map[denialKey]*denialState{}},
	}
}

// SourceOf returns the TCP peer address of a request (r.RemoteAddr), the
// zero Addr when it does not parse.
func SourceOf(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap()
		}
	}
	if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// Authenticate returns the request's principal; ErrNoCredentials when it
// carries none (anonymous); otherwise a *Denied (401 for bad, expired or
// revoked credentials and untrusted identity headers; 429 when its source
// failed too often).
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	src := SourceOf(r)
	authz := r.Header.Get("Authorization")
	headers := hasIdentityHeaders(r)
	if authz == "" && !headers {
		return Principal{}, ErrNoCredentials
	}
	now := a.cfg.Now()
	if d := a.limited(src, now); d != nil {
		return Principal{}, d
	}
	if headers {
		if !a.cfg.Proxy.Trusts(src) {
			claimed := Principal{ID: clip(r.Header.Get(HeaderActorID), 64)}
			return a.deny(src, now, MethodProxy, ReasonUntrustedProxy, claimed, fmt.Errorf("%w: %s", ErrUntrustedProxy, src))
		}
		p, err := fromHeaders(r.Header)
		if err != nil {
			return a.deny(src, now, MethodProxy, ReasonInvalid, Principal{}, err)
		}
		return p, nil
	}
	scheme, cred, _ := strings.Cut(authz, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		return a.bearer(r.Context(), src, now, cred)
	case strings.EqualFold(scheme, "Basic"):
		user, pass, err := ParseBasic(authz)
		if err != nil {
			return a.deny(src, now, MethodToken, ReasonMalformed, Principal{}, err)
		}
		return a.basic(src, now, user, pass)
	}
	return a.deny(src, now, "", ReasonMalformed, Principal{}, fmt.Errorf("%w: scheme %q", ErrMalformed, clip(scheme, 20)))
}

// AuthenticateBasic checks Basic credentials (the KurrentDB wire
// endpoint's: user = a token's id or name, pass = its secret) from source,
// with the same rate limit, log and counter as Authenticate.
func (a *Authenticator) AuthenticateBasic(source netip.Addr, user, pass string) (Principal, error) {
	now := a.cfg.Now()
	if d := a.limited(source, now); d != nil {
		return Principal{}, d
	}
	return a.basic(source, now, user, pass)
}

func (a *Authenticator) basic(src netip.Addr, now time.Time, user, pass string) (Principal, error) {
	if a.cfg.Tokens == nil {
		return a.deny(src, now, MethodToken, ReasonInvalid, Principal{}, ErrUnknownToken)
	}
	p, err := a.cfg.Tokens.basic(user, pass)
	if err != nil {
		return a.deny(src, now, MethodToken, tokenReason(err), p, err)
	}
	return p, nil
}

func (a *Authenticator) bearer(ctx context.Context, src netip.Addr, now time.Time, cred string) (Principal, error) {
	err := ErrUnknownToken
	if a.cfg.Tokens != nil {
		var p Principal
		if p, err = a.cfg.Tokens.lookupHash(sum(cred)); err == nil {
			return p, nil
		} else if !errors.Is(err, ErrUnknownToken) {
			return a.deny(src, now, MethodToken, tokenReason(err), p, err)
		}
	}
	if a.cfg.OIDC != nil && strings.Count(cred, ".") == 2 {
		p, err := a.cfg.OIDC.Authenticate(ctx, cred)
		if err != nil {
			return a.deny(src, now, MethodOIDC, ReasonInvalid, Principal{}, err)
		}
		return p, nil
	}
	return a.deny(src, now, MethodToken, ReasonInvalid, Principal{}, err)
}

func tokenReason(err error) Reason {
	switch {
	case errors.Is(err, ErrRevoked):
		return ReasonRevoked
	case errors.Is(err, ErrExpired):
		return ReasonExpired
	}
	return ReasonInvalid
}

// limited returns the 429 denial for a source out of failed attempts.
func (a *Authenticator) limited(src netip.Addr, now time.Time) *Denied {
	wait, ok := a.limiter.blocked(src, now)
	if !ok {
		return nil
	}
	d := &Denied{Status: http.StatusTooManyRequests, Reason: ReasonRateLimited, RetryAfter: wait, Source: src, Err: errors.New("too many failed attempts")}
	a.report(d, now, Principal{})
	return d
}

// deny records a failed attempt against the source and returns its 401.
func (a *Authenticator) deny(src netip.Addr, now time.Time, m Method, reason Reason, p Principal, err error) (Principal, error) {
	a.limiter.fail(src, now)
	d := &Denied{Status: http.StatusUnauthorized, Reason: reason, Source: src, Method: m, Err: err}
	a.report(d, now, p)
	return Principal{}, d
}

func (a *Authenticator) report(d *Denied, now time.Time, p Principal) {
	if a.cfg.OnDenied != nil {
		a.cfg.OnDenied(d.Method, d.Reason)
	}
	a.log.denied(now, d, p)
}

// ParseBasic parses an "authorization" value of the Basic scheme (HTTP
// header or gRPC metadata): "Basic " + base64("user:pass"). Errors wrap
// ErrMalformed.
func ParseBasic(authorization string) (user, pass string, err error) {
	scheme, enc, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", fmt.Errorf("%w: not the Basic scheme", ErrMalformed)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", fmt.Errorf("%w: Basic credentials are not base64", ErrMalformed)
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return "", "", fmt.Errorf("%w: Basic credentials are not user:password", ErrMalformed)
	}
	return user, pass, nil
}

// limiter is a token bucket of failed attempts per source address.
type limiter struct {
	every rate.Limit
	burst int
	max   int

	mu sync.Mutex
	m  map[netip.Addr]*rate.Limiter
}

// blocked reports whether src has no failed attempt left, and how long
// until it has one.
func (l *limiter) blocked(src netip.Addr, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.m[src]
	if lim == nil {
		return 0, false
	}
	t := lim.TokensAt(now)
	if t >= 1 {
		return 0, false
	}
	wait := time.Duration((1 - t) / float64(l.every) * float64(time.Second))
	return max(wait, time.Second), true
}

// fail spends one failed attempt of src.
func (l *limiter) fail(src netip.Addr, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.m[src]
	if lim == nil {
		if len(l.m) >= l.max {
			l.evict(now)
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.m[src] = lim
	}
	lim.AllowN(now, 1)
}

// evict forgets the sources whose bucket is full again (they are as if
// never seen), then, if still full, arbitrary ones.
func (l *limiter) evict(now time.Time) {
	for k, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < l.max {
			return
		}
		delete(l.m, k)
	}
}

// denialLog logs denials, once per source and reason per interval.
type denialLog struct {
	log   *slog.Logger
	every time.Duration
	max   int

	mu sync.Mutex
	m  map[denialKey]*denialState
}

type denialKey struct {
	src    netip.Addr
	reason Reason
}

type denialState struct {
	last       time.Time
	suppressed int
}

func (l *denialLog) denied(now time.Time, d *Denied, p Principal) {
	k := denialKey{d.Source, d.Reason}
	l.mu.Lock()
	s := l.m[k]
	if s != nil && now.Sub(s.last) < l.every {
		s.suppressed++
		l.mu.Unlock()
		return
	}
	if s == nil {
		if len(l.m) >= l.max {
			for k, s := range l.m {
				if now.Sub(s.last) >= l.every {
					delete(l.m, k)
				}
			}
			if len(l.m) >= l.max {
				l.mu.Unlock()
				return // flooded by sources: drop rather than grow
			}
		}
		s = &denialState{}
		l.m[k] = s
	}
	suppressed := s.suppressed
	s.last, s.suppressed = now, 0
	l.mu.Unlock()
	attrs := []any{
		slog.String("source", d.Source.String()), slog.String("reason", string(d.Reason)),
		slog.Int("suppressed", suppressed),
	}
	if d.Method != "" {
		attrs = append(attrs, slog.String("method", d.Method))
	}
	if p.ID != "" {
		attrs = append(attrs, slog.String("principal", p.ID))
	}
	if p.TokenID != "" {
		attrs = append(attrs, slog.String("token", p.TokenID))
	}
	if d.Status == http.StatusTooManyRequests {
		attrs = append(attrs, slog.Duration("retryAfter", d.RetryAfter))
	} else if d.Err != nil {
		attrs = append(attrs, slog.String("error", clip(d.Err.Error(), 300)))
	}
	l.log.Warn("authentication denied", attrs...)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
