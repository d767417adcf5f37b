package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Namespace prefixes every metric of the ledger.
const Namespace = "ticketledger"

// FirstResponseBuckets are the classic buckets of the time-to-first-response
// histogram, in seconds: dense around the 2, 4 and 8 hour targets and the one
// business day of non-critical requests (15m, 30m, 1h, 1.5h, 2h, 3h, 4h, 6h,
// 8h, 12h, 24h, 48h, 72h).
var FirstResponseBuckets = []float64{
	15 * 60, 30 * 60, 3600, 5400, 2 * 3600, 3 * 3600, 4 * 3600, 6 * 3600,
	8 * 3600, 12 * 3600, 24 * 3600, 48 * 3600, 72 * 3600,
}

// AppendBuckets are the classic buckets of the append-latency histogram, in
// seconds (0.5 ms to 5 s: an append waits for a group-commit fsync).
var AppendBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// Native-histogram settings shared by every histogram: 10% bucket growth,
// at most 160 buckets, reset after an hour when that is exceeded.
const (
	nativeFactor      = 1.1
	nativeMaxBuckets  = 160
	nativeMinResetDur = time.Hour
)

// Metrics holds the process metrics of one ledger process, registered on the
// registry given to New. Its methods are safe for concurrent use. A nil
// *Metrics is valid and records nothing, so callers need no nil checks.
type Metrics struct {
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	appendDur    *prometheus.HistogramVec
	denied       *prometheus.CounterVec
	authDenied   *prometheus.CounterVec
	headPosted   prometheus.Counter
	headFailed   prometheus.Counter
	headDropped  prometheus.Counter
	slaNotices   *prometheus.CounterVec
}

// New creates the process metrics and registers them on reg. It panics if a
// metric of the same name is already registered there (a wiring bug).
// Register the read-model collectors (NewSLACollector,
// NewProjectionCollector) on the same registry.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		httpRequests: counterVec("http_requests_total",
			"HTTP requests handled, by registered route pattern, method and status code.", "route", "method", "code"),
		httpDuration: histogramVec("http_request_duration_seconds",
			"Time to handle an HTTP request, by registered route pattern and method.", prometheus.DefBuckets, "route", "method"),
		appendDur: histogramVec("append_duration_seconds",
			"Time to append to the event store (including the durable commit), by stream category and outcome (ok, conflict, error).",
			AppendBuckets, "category", "outcome"),
		denied: counterVec("http_denied_total",
			"Requests denied for the caller's role or tenancy (tenancy denials are answered as for an id never used), by registered route pattern, reason and role.",
			"route", "reason", "role"),
		authDenied: counterVec("auth_denied_total",
			"Refused authentications, by method tried (token, oidc, proxy, or none) and reason (missing, invalid, expired, revoked, malformed, untrusted_proxy, rate_limited).",
			"method", "reason"),
		headPosted: counter("head_posts_total", "Signed tree heads delivered to --head-post-url (a 2xx answer)."),
		headFailed: counter("head_post_failures_total",
			"Failed attempts to post a signed tree head to --head-post-url (network error or non-2xx answer; each retry counts)."),
		headDropped: counter("head_posts_dropped_total",
			"Signed tree heads never delivered to --head-post-url: attempts exhausted, superseded by a newer head, or pushed out of a full queue."),
		slaNotices: counterVec("sla_notices_total",
			"SLA notices (ticket.sla_noticed) this process recorded, by notice (at_risk, breached); a notice another replica recorded first is not counted here.",
			"notice"),
	}
	for _, n := range []string{ticket.NoticeAtRisk, ticket.NoticeBreached} {
		m.slaNotices.WithLabelValues(n) // present at 0 from the start
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.appendDur, m.denied, m.authDenied, m.headPosted, m.headFailed, m.headDropped, m.slaNotices)
	return m
}

// counterVec is a counter of the ledger's namespace.
func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
}

// histogramOpts are the options of a histogram of the ledger's namespace:
// classic buckets and a native histogram.
func histogramOpts(name, help string, buckets []float64) prometheus.HistogramOpts {
	return prometheus.HistogramOpts{
		Namespace: Namespace, Name: name, Help: help, Buckets: buckets,
		NativeHistogramBucketFactor:     nativeFactor,
		NativeHistogramMaxBucketNumber:  nativeMaxBuckets,
		NativeHistogramMinResetDuration: nativeMinResetDur,
	}
}

// histogramVec is a histogram (histogramOpts) with labels.
func histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(histogramOpts(name, help, buckets), labels)
}

// counter is a counter of the ledger's namespace, without labels.
func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
}

// SLANoticed counts an SLA notice of kind (at_risk, breached) recorded by
// this process.
func (m *Metrics) SLANoticed(kind string) {
	if m != nil {
		m.slaNotices.WithLabelValues(kind).Inc()
	}
}

// HeadPosted counts a signed tree head delivered to the head post URL.
func (m *Metrics) HeadPosted() {
	if m != nil {
		m.headPosted.Inc()
	}
}

// HeadPostFailed counts one failed attempt to post a signed tree head.
func (m *Metrics) HeadPostFailed(error) {
	if m != nil {
		m.headFailed.Inc()
	}
}

// HeadPostDropped counts a signed tree head that was never delivered.
func (m *Metrics) HeadPostDropped() {
	if m != nil {
		m.headDropped.Inc()
	}
}

// Handler serves the metrics gathered by g in the Prometheus and OpenMetrics
// text formats and, when the scraper asks for it, protobuf (needed for native
// histograms).
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// ObserveHTTP records one handled HTTP request. route is the registered
// pattern, never the raw path: either a net/http pattern with its method
// ("GET /v1/tickets/{id}", the method becomes the method label) or a bare
// path pattern ("/v1/tickets/{id}", method "any"). An empty route is recorded
// as "unmatched". It implements the metrics hook of infra/server.
func (m *Metrics) ObserveHTTP(route string, code int, dur time.Duration) {
	method, path := splitPattern(route)
	if method == "" {
		method = "any"
	}
	m.ObserveHTTPMethod(method, path, code, dur)
}

// ObserveDenied counts one denied request (the infra/http/server
// DenialObserver): route is the registered pattern, reason "role" or
// "tenancy".
func (m *Metrics) ObserveDenied(route, reason string, role domain.Role) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.denied.WithLabelValues(route, reason, string(role)).Inc()
}

// ObserveHTTPMethod records one handled HTTP request with an explicit method.
// Unknown methods are recorded as "other" to keep the label bounded.
func (m *Metrics) ObserveHTTPMethod(method, route string, code int, dur time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	if code == 0 {
		code = http.StatusOK // nothing written: net/http sends 200
	}
	method = normMethod(method)
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(dur.Seconds())
}

// ObserveAppend records one append to stream: its duration and outcome (ok,
// conflict for a wrong expected revision, error otherwise). The stream name
// is reduced to its category ("ticket", "partner", "system", "other").
func (m *Metrics) ObserveAppend(stream string, err error, dur time.Duration) {
	if m == nil {
		return
	}
	m.appendDur.WithLabelValues(StreamCategory(stream), appendOutcome(err)).Observe(dur.Seconds())
}

// StreamCategory maps a stream name to the bounded category label: the part
// before the first "-" for the ledger's own categories ("ticket", "partner"),
// "system" for "$" streams, "other" for anything else.
func StreamCategory(stream string) string {
	if eventstore.IsSystemStream(stream) {
		return "system"
	}
	cat, _, _ := strings.Cut(stream, "-")
	switch cat {
	case "ticket", "partner":
		return cat
	}
	return "other"
}

func appendOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case eventstore.IsConflict(err):
		return "conflict"
	case errors.Is(err, eventstore.ErrStreamDeleted):
		return "deleted"
	}
	return "error"
}

// splitPattern splits a net/http pattern "[METHOD ][HOST]/PATH" into its
// method and the rest.
func splitPattern(p string) (method, rest string) {
	p = strings.TrimSpace(p)
	if m, r, ok := strings.Cut(p, " "); ok && !strings.Contains(m, "/") {
		return m, strings.TrimSpace(r)
	}
	return "", p
}

func normMethod(m string) string {
	switch m = strings.ToUpper(m); m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	case "", "ANY":
		return "any"
	}
	return "other"
}

// AuthDenied counts one refused authentication: method is the method tried
// ("" when none was: recorded as "none"), reason a fixed denial reason
// (auth.Reason, or "missing" for a request without credentials). It fits
// auth.Config.OnDenied and the HTTP server's OnDenied.
func (m *Metrics) AuthDenied(method, reason string) {
	if method == "" {
		method = "none"
	}
	m.authDenied.WithLabelValues(method, reason).Inc()
}
