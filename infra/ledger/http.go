package ledger

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/backup"
	"github.com/ticketledger/ticketledger/infra/http/console"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/integrity"
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
	// ConsoleSecure marks the console's cookies Secure even on plain HTTP
	// requests: set it behind a TLS-terminating proxy (requests that
	// arrive over TLS get Secure cookies anyway).
	ConsoleSecure bool
	// ConsoleOIDC, when set, offers sign-in to the console with an OpenID
	// Connect provider (authorization code with PKCE).
	ConsoleOIDC *console.OIDC
}

// APIHandler returns the ledger's HTTP handler: the compliance console at /
// (infra/http/console) in front of the API of infra/http/server over the
// service and the read models (under /v1, with /healthz, /readyz,
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
	var keys server.KeyRotator
	if l.Sealer != nil && l.keys != nil {
		keys = keyRotator{l}
	}
	var backups server.Backuper
	if l.cfg.BackupDir != "" || l.Pebble == nil {
		backups = backuper{l}
	}
	api, err := server.New(server.Config{
		Integrity: integ, Keys: keys, Backups: backups,
		App: l.Service, Tickets: l.Tickets, Audit: l.Audit, Policies: l.Policies,
		Ready: func(ctx context.Context) error {
			if ready != nil {
				if err := ready(ctx); err != nil {
					return err
				}
			}
			return l.Ready(ctx)
		},
		Degraded: l.Degraded,
		Observer: l.Metrics, Logger: l.log.With("component", "httpapi"), Now: l.Now,
		AwaitApplied: l.AwaitApplied,
		Auth:         authn, Tokens: l.Tokens, OnDenied: l.Metrics.AuthDenied,
		Metrics: l.MetricsHandler(), MetricsPublic: access.MetricsPublic,
		Webhooks: l.Webhooks,
	})
	if err != nil {
		return nil, err
	}
	con, err := console.New(console.Config{API: api.Handler(), Auth: authn, OIDC: access.ConsoleOIDC, Secure: access.ConsoleSecure,
		Logger: l.log.With("component", "console"), Now: l.Now})
	if err != nil {
		return nil, err
	}
	return con.Handler(), nil
}

// Ready returns nil once the projections have caught up with the log and the
// store answers; otherwise an error saying which.
func (l *Ledger) Ready(ctx context.Context) error {
	select {
	case <-l.Runner.Ready():
	default:
		return errors.New("projections are catching up with the log")
	}
	if err := l.tokensBehind(); err != nil {
		return err
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
// right after a write sees the write. It wakes when the projector has
// applied a batch (and, as a safety net, every awaitRecheck).
func (l *Ledger) AwaitApplied(ctx context.Context, position uint64) error {
	var t *time.Timer
	for {
		applied := l.Runner.Applied() // before the check: a batch applied after it closes this channel
		if l.applied() >= position {
			if t != nil {
				t.Stop()
			}
			return nil
		}
		if t == nil {
			t = time.NewTimer(awaitRecheck)
		} else {
			t.Reset(awaitRecheck)
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-applied:
		case <-t.C:
		}
	}
}

// awaitRecheck bounds how long AwaitApplied waits between checks when no
// batch is applied.
const awaitRecheck = 50 * time.Millisecond

// applied is the lowest position every read model has applied.
func (l *Ledger) applied() uint64 {
	low := ^uint64(0)
	for _, p := range l.Runner.Projections() {
		low = min(low, p.Position())
	}
	return low
}

// keyRotator serves POST /v1/audit/keys/rotate: a new key generated by the
// ledger and written to its key directory (RotateOptions{}).
type keyRotator struct{ l *Ledger }

func (k keyRotator) RotateKey(ctx context.Context, reason string) (server.KeyRotationView, error) {
	r, err := k.l.RotateKey(ctx, RotateOptions{Reason: reason})
	if errors.Is(err, ErrRotation) || errors.Is(err, integrity.ErrKeyRetired) {
		return server.KeyRotationView{}, domain.Errorf(domain.KindConflict, server.RuleKeyRotation, "", "%s", err.Error())
	}
	if err != nil {
		return server.KeyRotationView{}, err
	}
	return server.KeyRotationView{Old: server.KeyViewOf(r.Old), New: server.KeyViewOf(r.New), KeyFile: r.KeyFile, NextStart: r.NextStart()}, nil
}

// backuper serves POST /v1/admin/backups: Ledger.BackupTo.
type backuper struct{ l *Ledger }

func (b backuper) Backup(ctx context.Context, body server.BackupBody, progress func(done, total int64)) (server.BackupView, error) {
	dir, m, err := b.l.BackupTo(ctx, body.To, backup.Options{WithSubjectKeys: body.WithSubjectKeys, Progress: progress})
	switch {
	case errors.Is(err, backup.ErrOutside):
		return server.BackupView{}, domain.Errorf(domain.KindInvalid, server.RuleBackup, "to", "%s", err.Error())
	case errors.Is(err, ErrBackup):
		return server.BackupView{}, domain.Errorf(domain.KindConflict, server.RuleBackup, "", "%s", err.Error())
	case err != nil:
		return server.BackupView{}, err
	}
	return server.BackupView{Dir: dir, TakenAt: m.TakenAt, Head: m.Head, TreeSize: m.TreeSize, TreeRoot: m.TreeRoot,
		Checkpoint: m.Checkpoint, Snapshot: m.Snapshot, SubjectKeys: m.SubjectKeys, Bytes: m.Bytes}, nil
}

// TokenFollowGrace is how long the token registry's subscription may be
// down (FollowTokens retrying) before Ready reports the replica not ready:
// past it, a token revoked on another replica might still be accepted
// here, so a load balancer should stop sending requests.
const TokenFollowGrace = 5 * time.Second

// FollowTokens keeps the token registry following the token streams of the
// store (tokens issued or revoked through any replica) until ctx ends,
// resubscribing a second after an error. While it runs, Ready fails when
// the subscription has been down for more than TokenFollowGrace.
func (l *Ledger) FollowTokens(ctx context.Context) {
	l.followsTokens.Store(true)
	defer l.followsTokens.Store(false)
	for ctx.Err() == nil {
		if err := l.Tokens.Registry().Follow(ctx, l.Raw, nil); err != nil && ctx.Err() == nil {
			l.log.Warn("token registry subscription failed: retrying", "err", err, "after", time.Second)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// tokensBehind says why the token registry may miss revocations, or nil.
func (l *Ledger) tokensBehind() error {
	if !l.followsTokens.Load() {
		return nil
	}
	live, since := l.Tokens.Registry().Following()
	if down := l.Now().Sub(since); !live && down > TokenFollowGrace {
		return fmt.Errorf("token revocations from other replicas are not arriving (subscription down for %s)", down.Round(time.Second))
	}
	return nil
}
