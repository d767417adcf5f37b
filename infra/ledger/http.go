package ledger

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

// Access says how the API authenticates its callers. Ledger tokens (the
// Ledger's Tokens) are always on; the rest is optional.
type Access struct {
	// OIDC, when set, also accepts JWTs of that issuer as bearer tokens.
	OIDC *auth.OIDC
	// TrustProxy turns proxy mode on: X-Actor-* identity headers are taken
	// from these peer addresses (and refused from any other). Nil: off.
	TrustProxy []netip.Prefix
	// MetricsPublic serves /metrics without a token. Default: a token is
	// needed (any principal; a metrics-only token is enough).
	MetricsPublic bool
	// FailuresPerMinute and FailureBurst tune the limit on failed
	// authentications per source (0: auth's defaults, 10 and 10).
	FailuresPerMinute float64
	FailureBurst      int
}

// APIHandler returns the ledger's HTTP handler: the API of infra/http/server
// over the service and the read models (with /healthz, /readyz,
// /openapi.json and /metrics), authenticating callers as access says.
// ready, when not nil, is consulted by /readyz after Ready (serve uses it
// to report a shutdown in progress).
func (l *Ledger) APIHandler(ready func(ctx context.Context) error, access Access) (http.Handler, error) {
	var proxy *auth.Proxy
	if access.TrustProxy != nil {
		proxy = auth.NewProxy(access.TrustProxy...)
	}
	authn := auth.New(auth.Config{
		Tokens: l.Tokens.Registry(), OIDC: access.OIDC, Proxy: proxy,
		FailuresPerMinute: access.FailuresPerMinute, FailureBurst: access.FailureBurst,
		Logger:   l.log.With("component", "auth"),
		OnDenied: func(m auth.Method, r auth.Reason) { l.Metrics.AuthDenied(m, string(r)) },
		Now:      l.Now,
	})
	var integ server.IntegritySource
	if l.Sealer != nil {
		integ = l.Sealer
	}
	api, err := server.New(server.Config{
		Integrity: integ,
		App:       l.Service, Tickets: l.Tickets, Audit: l.Audit, Policies: l.Policies,
		Ready: func(ctx context.Context) error {
			if ready != nil {
				if err := ready(ctx); err != nil {
					return err
				}
			}
			return l.Ready(ctx)
		},
		Observer: l.Metrics, Logger: l.log.With("component", "httpapi"), Now: l.Now,
		AwaitApplied: l.AwaitApplied,
		Auth:         authn, Tokens: l.Tokens, OnDenied: l.Metrics.AuthDenied,
		Metrics: l.MetricsHandler(), MetricsPublic: access.MetricsPublic,
	})
	if err != nil {
		return nil, err
	}
	return api.Handler(), nil
}

// Ready returns nil once the projections have caught up with the log and the
// store answers; otherwise an error saying which.
func (l *Ledger) Ready(ctx context.Context) error {
	select {
	case <-l.Runner.Ready():
	default:
		return errors.New("projections are catching up with the log")
	}
	if l.Head == nil {
		return nil
	}
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := l.Head(hctx); err != nil {
		return fmt.Errorf("event store unavailable: %w", err)
	}
	return nil
}

// AwaitApplied blocks until every read model has applied the log up to
// position (a commit position), or ctx ends. Commands use it so that a read
// right after a write sees the write.
func (l *Ledger) AwaitApplied(ctx context.Context, position uint64) error {
	wait := 100 * time.Microsecond
	for {
		if l.applied() >= position {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Millisecond)
	}
}

// applied is the lowest position every read model has applied.
func (l *Ledger) applied() uint64 {
	low := ^uint64(0)
	for _, p := range l.Runner.Projections() {
		low = min(low, p.Position())
	}
	return low
}
