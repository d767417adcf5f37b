package console

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/ticketledger/ticketledger/infra/auth"
)

// Config wires the console.
type Config struct {
	// API is the ledger's HTTP API handler (infra/http/server): every page
	// reads and acts through it as the signed-in principal. Required.
	API http.Handler
	// Auth is the API's authenticator: sign-in checks a token with it, and
	// every request re-checks the session's credential (revoked or
	// expired: the session ends). Required.
	Auth *auth.Authenticator
	// OIDC, when set, offers sign-in with an OpenID Connect provider
	// (NewOIDC).
	OIDC *OIDC
	// Secure marks cookies Secure: set it when the console is served over
	// TLS (directly or behind a TLS-terminating proxy).
	Secure bool
	// SessionTTL is a session's longest life (0: DefaultSessionTTL); a
	// session also ends at its credential's expiry and after IdleTimeout
	// without a request (0: DefaultIdleTimeout).
	SessionTTL, IdleTimeout time.Duration
	// Logger logs internal errors. Nil: slog.Default().
	Logger *slog.Logger
	// Now is the clock. Nil: time.Now.
	Now func() time.Time
}

// Session lifetimes.
const (
	DefaultSessionTTL  = 8 * time.Hour
	DefaultIdleTimeout = time.Hour
)

// Console serves the console's pages; everything else goes to the API.
type Console struct {
	api      http.Handler
	auth     *auth.Authenticator
	oidc     *OIDC
	secure   bool
	sessions *sessions
	pages    *pages
	log      *slog.Logger
	now      func() time.Time
	mux      *http.ServeMux
	cop      *http.CrossOriginProtection
}

// handler is a page handler: it gets the request's session (nil on the
// public pages) and returns an error to render as an error page.
type handler func(c *Console, w http.ResponseWriter, r *http.Request, s *session) error

// route is one page of the route table.
type route struct {
	pattern string
	handle  handler
	// public routes need no session (sign-in, assets).
	public bool
}

// routes is the console's route table. A new page adds its line here and,
// if it belongs in the navigation, an entry in nav (layout.go).
func routes() []route {
	return []route{
		{pattern: "GET /{$}", handle: (*Console).home},
		{pattern: "GET /signin", handle: (*Console).signinPage, public: true},
		{pattern: "POST /signin", handle: (*Console).signin, public: true},
		{pattern: "GET /signin/oidc", handle: (*Console).oidcStart, public: true},
		{pattern: "GET /signin/oidc/callback", handle: (*Console).oidcCallback, public: true},
		{pattern: "POST /signout", handle: (*Console).signout},
		{pattern: "GET /tickets", handle: (*Console).tickets},
		{pattern: "GET /tickets/new", handle: (*Console).fileForm},
		{pattern: "GET /tickets/{id}", handle: (*Console).ticket},
		{pattern: "POST /tickets", handle: (*Console).fileTicket},
		{pattern: "POST /tickets/{id}/actions/{action}", handle: (*Console).act},
		{pattern: "GET /sla", handle: (*Console).planned},
		{pattern: "GET /audit", handle: (*Console).planned},
		{pattern: "GET /integrity", handle: (*Console).planned},
	}
}

// New builds the console.
func New(cfg Config) (*Console, error) {
	if cfg.API == nil || cfg.Auth == nil {
		return nil, errors.New("console: Config.API and Config.Auth are required")
	}
	c := &Console{api: cfg.API, auth: cfg.Auth, oidc: cfg.OIDC, secure: cfg.Secure, log: cfg.Logger, now: cfg.Now,
		cop: http.NewCrossOriginProtection()}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.sessions = newSessions(cfg.SessionTTL, cfg.IdleTimeout, c.now)
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	c.pages = p
	c.mux = http.NewServeMux()
	c.mux.Handle("GET /assets/", securityHeaders(http.StripPrefix("/assets/", assetHandler())))
	for _, rt := range routes() {
		c.mux.Handle(rt.pattern, securityHeaders(c.wrap(rt)))
	}
	return c, nil
}

// Handler serves the console's pages and hands every other request (the
// API under /v1, /healthz, /readyz, /metrics, /openapi.json) to the API.
func (c *Console) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := c.mux.Handler(r); pattern != "" {
			c.mux.ServeHTTP(w, r)
			return
		}
		c.api.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows the console's own scripts, styles and
// images and nothing else: no inline code, no framing, forms post only to
// the console.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every console response carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.ServeHTTP(w, r)
	})
}

// wrap adds to a page what every request gets: panic recovery, the
// session (or a redirect to sign-in), CSRF checks on POST, and an error
// page for a returned error.
func (c *Console) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				c.log.Error("console: panic", "route", rt.pattern, "panic", v)
				c.renderError(w, r, nil, errInternal)
			}
		}()
		if !rt.public {
			w.Header().Set("Cache-Control", "no-store")
		}
		if r.Method == http.MethodPost {
			if err := c.cop.Check(r); err != nil {
				c.renderError(w, r, nil, errCrossOrigin)
				return
			}
		}
		s, err := c.sessionOf(w, r)
		switch {
		case err != nil && !rt.public:
			c.toSignin(w, r, err)
			return
		case err != nil:
			s = nil
		}
		if r.Method == http.MethodPost && !rt.public && !s.checkCSRF(r.PostFormValue(csrfField)) {
			c.renderError(w, r, s, errCSRF)
			return
		}
		if err := rt.handle(c, w, r, s); err != nil {
			c.renderError(w, r, s, err)
		}
	})
}

// home sends a signed-in viewer to the tickets.
func (c *Console) home(w http.ResponseWriter, r *http.Request, _ *session) error {
	http.Redirect(w, r, "/tickets", http.StatusSeeOther)
	return nil
}
