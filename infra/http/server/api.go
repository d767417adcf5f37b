package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/webhook"
	"github.com/ticketledger/ticketledger/projections"
)

// Request headers. The X-Actor-* identity headers are honoured only from a
// trusted authenticating proxy (auth.Proxy); from anyone else they are
// refused with 401.
const (
	HeaderActorID        = auth.HeaderActorID
	HeaderActorRole      = auth.HeaderActorRole
	HeaderActorPartner   = auth.HeaderActorPartner
	HeaderOnBehalfOf     = "X-On-Behalf-Of"
	HeaderCorrelationID  = "X-Correlation-Id"
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderIfMatch        = "If-Match"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is
// zero: 1 MiB. A larger body gets 413.
const DefaultMaxBodyBytes = 1 << 20

// DefaultRequestTimeout bounds one request's work when
// Config.RequestTimeout is zero.
const DefaultRequestTimeout = 30 * time.Second

// Recommended http.Server timeouts (NewServer sets them): slow clients
// cannot hold connections open, and a response cannot hang for ever.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
)

// NewServer returns an http.Server for h on addr with the recommended
// timeouts and header size limit.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout,
		MaxHeaderBytes: 64 << 10,
	}
}

// TicketReader is what the API needs from the tickets read model
// (*projections.Tickets implements it).
type TicketReader interface {
	Get(id string) (projections.Ticket, bool)
	SLA(id string, now time.Time) (projections.TicketSLA, bool)
	List(f projections.TicketFilter, p projections.Page) (projections.TicketPage, error)
	// IsParty and ProviderOf answer the tenancy questions (tenancy.go)
	// without reading a stream.
	IsParty(id, partner string) bool
	ProviderOf(partner string) string
	Report(q projections.ReportQuery) (projections.Report, error)
	AtRisk(q projections.AtRiskQuery) ([]projections.TicketSLA, error)
	WhatIf(q projections.WhatIfQuery, p projections.Policy) (projections.WhatIfReport, error)
}

// AuditReader is what the API needs from the audit index
// (*projections.Audit implements it).
type AuditReader interface {
	Query(q projections.AuditQuery, p projections.Page) (projections.AuditPage, error)
}

// Observer receives one observation per request, for metrics: the route
// pattern (bounded cardinality, never a raw path), the status code and the
// duration. Implementations must be safe for concurrent use.
type Observer interface {
	ObserveHTTP(route string, code int, dur time.Duration)
}

// Config wires the API.
type Config struct {
	// App runs commands and serves the per-ticket stream reads (history,
	// as-of, evidence) and partner reads. Required.
	App *app.Service
	// Tickets and Audit are the read models. Required.
	Tickets TicketReader
	Audit   AuditReader
	// Policies are the SLA policies (what-if, policy list). Nil: App's.
	Policies *sla.Policies
	// Clock counts SLA time for history and as-of. Nil:
	// Policies.Counter().
	Clock projections.Clock
	// Ready reports whether the service can serve: projections caught up
	// and store reachable (see ReadyWhen). Nil: always ready.
	Ready func(ctx context.Context) error
	// Degraded reports a fault the service keeps serving through (a full
	// disk, a damaged file): /readyz then answers 200 with status
	// "degraded" and the fault as detail. Nil: never degraded.
	Degraded func() error
	// Observer gets per-request metrics. Optional.
	Observer Observer
	// Denials counts denied attempts (role and tenancy refusals). Nil: the
	// Observer, when it implements DenialObserver.
	Denials DenialObserver
	// Logger logs internal errors. Nil: slog.Default().
	Logger *slog.Logger
	// Now is the clock for queries that judge "now". Nil: time.Now.
	Now func() time.Time
	// MaxBodyBytes limits request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// RequestTimeout bounds a request's work (0: DefaultRequestTimeout).
	RequestTimeout time.Duration
	// AwaitApplied, when set, blocks until the read models have applied
	// the log up to position. Commands call it before answering, so a
	// client that reads right after a command sees its own write.
	AwaitApplied func(ctx context.Context, position uint64) error
	// AwaitTimeout bounds that wait (0: DefaultAwaitTimeout). Past it the
	// command still succeeds, with the header X-Read-Models: pending.
	AwaitTimeout time.Duration

	// Auth authenticates every request: every route but /healthz, /readyz
	// and /openapi.json (and /metrics with MetricsPublic) needs a
	// principal. Nil: an authenticator with no method, which refuses
	// every credential (only the public routes answer).
	Auth *auth.Authenticator
	// Tokens issues and revokes ledger tokens (the admin-only /v1/tokens
	// routes). Nil: those routes answer 404.
	Tokens *auth.Tokens
	// OnDenied, if set, is called for each request refused for having no
	// credentials (method "", reason "missing"); refused credentials are
	// reported by Auth's own Config.OnDenied.
	OnDenied func(method, reason string)
	// Metrics, when set, is served at GET /metrics: to any authenticated
	// principal (metrics-only tokens included), or to anyone when
	// MetricsPublic.
	Metrics       http.Handler
	MetricsPublic bool
	// Integrity serves the signed tree heads and the keyring
	// (/v1/audit/tree-head, /v1/audit/keys). Nil: those answer 404.
	Integrity IntegritySource
	// SealWait bounds how long GET /v1/tickets/{id}/evidence.zip waits for
	// a signed tree head that covers the ticket's newest event (0:
	// DefaultSealWait); past it the bundle lists the events no head covers
	// yet, which are then covered by their signatures only.
	SealWait time.Duration
	// Keys rotates the signing key (POST /v1/audit/keys/rotate). Nil: that
	// route answers 404.
	Keys KeyRotator
	// Backups takes online backups (POST /v1/admin/backups). Nil: that
	// route answers 404.
	Backups Backuper
	// Webhooks runs the webhook subscriptions, their delivery log and the
	// dead-letter list (/v1/webhooks). Nil: those routes answer 404.
	Webhooks *webhook.Service
}

// DefaultSealWait is Config.SealWait's default: a few seal intervals.
const DefaultSealWait = 3 * time.Second

// DefaultAwaitTimeout is how long a command waits for the read models to
// include its events before answering anyway.
const DefaultAwaitTimeout = 2 * time.Second

// API is the HTTP API. Build it with New and serve Handler().
type API struct {
	app      *app.Service
	tickets  TicketReader
	audit    AuditReader
	policies *sla.Policies
	clock    projections.Clock
	ready    func(ctx context.Context) error
	degraded func() error
	obs      Observer
	denials  DenialObserver
	log      *slog.Logger
	now      func() time.Time
	maxBody  int64
	timeout  time.Duration
	await    func(ctx context.Context, position uint64) error
	awaitFor time.Duration
	integ    IntegritySource
	sealWait time.Duration
	keys     KeyRotator
	backups  Backuper
	webhooks *webhook.Service
	mux      *http.ServeMux
	routes   []route
	openapi  []byte
	auth     *auth.Authenticator
	tokens   *auth.Tokens
	onDenied func(method, reason string)
	metricsH http.Handler
}

// New builds the API and its routes.
func New(cfg Config) (*API, error) {
	if cfg.App == nil || cfg.Tickets == nil || cfg.Audit == nil {
		return nil, errors.New("http server: Config.App, Tickets and Audit are required")
	}
	a := &API{app: cfg.App, tickets: cfg.Tickets, audit: cfg.Audit, policies: cfg.Policies, clock: cfg.Clock,
		ready: cfg.Ready, degraded: cfg.Degraded, obs: cfg.Observer, denials: cfg.Denials, log: cfg.Logger, now: cfg.Now, maxBody: cfg.MaxBodyBytes, timeout: cfg.RequestTimeout,
		await: cfg.AwaitApplied, awaitFor: cfg.AwaitTimeout, auth: cfg.Auth, tokens: cfg.Tokens, onDenied: cfg.OnDenied, metricsH: cfg.Metrics, integ: cfg.Integrity, sealWait: cfg.SealWait,
		keys: cfg.Keys, backups: cfg.Backups, webhooks: cfg.Webhooks}
	if a.sealWait <= 0 {
		a.sealWait = DefaultSealWait
	}
	if a.auth == nil {
		a.auth = auth.New(auth.Config{Logger: cfg.Logger})
	}
	if a.awaitFor <= 0 {
		a.awaitFor = DefaultAwaitTimeout
	}
	if d, ok := cfg.Observer.(DenialObserver); ok && a.denials == nil {
		a.denials = d
	}
	if a.policies == nil {
		a.policies = cfg.App.Policies()
	}
	if a.clock == nil {
		a.clock = a.policies.Counter()
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.timeout <= 0 {
		a.timeout = DefaultRequestTimeout
	}
	rts, err := withScopes(routes())
	if err != nil {
		return nil, err
	}
	a.routes = rts
	if cfg.Metrics != nil {
		a.routes = append(a.routes, metricsRoute(cfg.MetricsPublic))
	}
	a.mux = http.NewServeMux()
	for _, rt := range a.routes {
		a.mux.Handle(rt.pattern(), a.wrap(rt))
	}
	live, imports := cfg.App.Windows()
	doc, err := json.MarshalIndent(openAPI(a.routes, live, imports), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("http server: openapi document: %w", err)
	}
	a.openapi = doc
	return a, nil
}

// Handler returns the API's handler. Unknown paths get a 404 and known
// paths with another method a 405, both as problem documents.
func (a *API) Handler() http.Handler { return http.HandlerFunc(a.serve) }

// OpenAPI returns the OpenAPI 3 document served at /openapi.json.
func (a *API) OpenAPI() []byte { return a.openapi }

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.mux.Handler(r); pattern != "" {
		a.mux.ServeHTTP(w, r)
		return
	}
	p := finish(Problem{Status: http.StatusNotFound, Rule: string(RuleNoRoute),
		Detail: fmt.Sprintf("no route %s %s: see /openapi.json", r.Method, r.URL.Path)})
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pat := a.mux.Handler(r2); pat != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		p = finish(Problem{Status: http.StatusMethodNotAllowed, Rule: string(RuleMethodNotAllowed),
			Detail: fmt.Sprintf("%s does not take %s: use %s", r.URL.Path, r.Method, strings.Join(allow, " or "))})
	}
	corr := strings.TrimSpace(r.Header.Get(HeaderCorrelationID))
	if !printable(corr, 200) {
		corr = uuid.NewString()
	}
	w.Header().Set(HeaderCorrelationID, corr)
	p.Instance, p.CorrelationID = r.URL.Path, corr
	writeProblem(w, p)
	if a.obs != nil {
		a.obs.ObserveHTTP("unmatched", p.Status, 0)
	}
}

type ctxKey int

const correlationKey ctxKey = 0

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// wrap adds to a route's handler what every request gets: a correlation id
// (echoed), the body limit, a timeout, panic recovery, problem documents
// for errors, and the metrics observation.
func (a *API) wrap(rt route) http.Handler {
	name := rt.pattern()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		corr := strings.TrimSpace(r.Header.Get(HeaderCorrelationID))
		var err error
		if corr == "" {
			corr = uuid.NewString()
		} else if !printable(corr, 200) {
			err = badRequest(HeaderCorrelationID, "the correlation id must be 1 to 200 printable ASCII characters")
			corr = uuid.NewString()
		}
		w.Header().Set(HeaderCorrelationID, corr)
		base := context.WithValue(r.Context(), correlationKey, corr)
		ctx, cancel := context.WithTimeout(base, a.timeout)
		if rt.stream {
			cancel()
			ctx, cancel = context.WithCancel(base)
		}
		defer cancel()
		r = r.WithContext(ctx)
		if r.Body != nil && !rt.stream {
			r.Body = http.MaxBytesReader(sw, r.Body, a.maxBody)
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("http server: panic", "route", name, "correlationId", corr, "panic", v)
				if sw.status == 0 {
					p := finish(Problem{Status: http.StatusInternalServerError, Detail: "an internal error occurred; it was logged with the correlation id"})
					p.Instance, p.CorrelationID = r.URL.Path, corr
					writeProblem(sw, p)
				}
			}
			if a.obs != nil {
				a.obs.ObserveHTTP(name, sw.status, time.Since(start))
			}
		}()
		if err == nil {
			var actx context.Context
			if actx, err = a.authenticate(sw, r, rt); err == nil {
				r = r.WithContext(actx)
			}
		}
		if err == nil {
			var q *query
			if q, err = newQuery(r, rt.query); err == nil {
				if err = a.admit(rt, r); err == nil {
					err = rt.serve(a, sw, r, q)
				}
			}
			err = normalise(rt, err)
		}
		if err != nil {
			a.observeDenied(rt, r, err)
			p := problemOf(err)
			p.Instance, p.CorrelationID = r.URL.Path, corr
			if p.Status >= 500 && p.Status != http.StatusServiceUnavailable && p.Rule != string(RuleStoreDamaged) { // the store logs a damaged file once
				a.log.Error("http server: request failed", "route", name, "correlationId", corr, "err", err)
			}
			if sw.status == 0 {
				writeProblem(sw, p)
			}
		}
	})
}

func printable(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// commandOf builds the app.Command of a request: actor, on-behalf-of,
// correlation id, idempotency key and expected revision. create is true for
// commands that create a stream, where If-Match does not apply.
func commandOf(r *http.Request, occurredAt Timestamp, create bool) (app.Command, error) {
	act, err := actorOf(r)
	if err != nil {
		return app.Command{}, err
	}
	cmd := app.Command{
		Actor:         act,
		OnBehalfOf:    strings.TrimSpace(r.Header.Get(HeaderOnBehalfOf)),
		CorrelationID: correlationID(r.Context()),
		OccurredAt:    occurredAt.Time,
	}
	if cmd.IdempotencyKey, err = idempotencyKey(r); err != nil {
		return cmd, err
	}
	if m := strings.TrimSpace(r.Header.Get(HeaderIfMatch)); m != "" && m != "*" {
		if create {
			return cmd, badRequest(HeaderIfMatch, "If-Match does not apply to a command that creates the stream: drop it")
		}
		rev, err := parseETag(m)
		if err != nil {
			return cmd, err
		}
		cmd.ExpectedRevision = &rev
	}
	return cmd, nil
}

// parseETag parses `"<rev>"`, `W/"<rev>"` or a bare revision.
func parseETag(s string) (uint64, error) {
	v := strings.TrimPrefix(s, "W/")
	if uq, err := strconv.Unquote(v); err == nil {
		v = uq
	}
	rev, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, badRequest(HeaderIfMatch, `If-Match %q is not a revision: send the ETag you got, e.g. "3"`, s)
	}
	return rev, nil
}

func etag(rev uint64) string { return strconv.Quote(strconv.FormatUint(rev, 10)) }

func correlationID(ctx context.Context) string {
	s, _ := ctx.Value(correlationKey).(string)
	return s
}

// ReadyWhen builds a Config.Ready from the projections' first catch-up
// (projector.Runner.Ready()) and a store probe (e.g. reading the log head):
// ready once caughtUp is closed and ping succeeds.
func ReadyWhen(caughtUp <-chan struct{}, ping func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if caughtUp != nil {
			select {
			case <-caughtUp:
			default:
				return errors.New("the projections have not caught up with the log yet")
			}
		}
		if ping != nil {
			if err := ping(ctx); err != nil {
				return fmt.Errorf("the event store is not reachable: %w", err)
			}
		}
		return nil
	}
}

// idempotencyKey returns the request's Idempotency-Key ("" when it sends
// none), refusing a malformed one.
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get(HeaderIdempotencyKey)
	if k != "" && !printable(k, app.MaxIdempotencyKey) {
		return "", badRequest(HeaderIdempotencyKey, "the idempotency key must be 1 to %d printable ASCII characters (a UUID is a good key)", app.MaxIdempotencyKey)
	}
	return k, nil
}
