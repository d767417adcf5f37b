package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
)

// addServerCommands adds the commands that open a ledger themselves: serve,
// demo, rebuild, verify, forget.
func addServerCommands(root *cobra.Command, g *globals) {
	root.AddCommand(newServeCmd(), newDemoCmd(g), newRebuildCmd(), newVerifyCmd(g), newKeysCmd(g), newBackupCmd(g), newRestoreCmd(g), newVersionCmd(), newBenchCmd(g), newForgetCmd(g))
}

// storeFlags are the flags that say which ledger to open.
type storeFlags struct {
	data        string
	subjectKeys string // serve, forget: the subject key store
	store       string
	snapshots   string
	calendars   string
	policies    []string
}

func (s *storeFlags) register(c *cobra.Command, withStore bool) {
	f := c.Flags()
	f.StringVar(&s.data, "data", "./data", "data directory of the embedded store")
	if withStore {
		f.StringVar(&s.store, "store", "", "KurrentDB connection string (esdb://host:2113?tls=false, esdb+discover://…) instead of the embedded store")
		f.StringVar(&s.snapshots, "snapshots", "", "directory of the projection snapshots (default: the data directory; none on KurrentDB unless set)")
	}
	f.StringVar(&s.calendars, "calendars", "", "JSON file of user business calendars (see domain/calendar.Spec)")
	f.StringArrayVar(&s.policies, "policy", nil, "JSON file of extra SLA policy versions for what-if reports (repeatable)")
}

func (s *storeFlags) config(log *slog.Logger) ledger.Config {
	return ledger.Config{
		DataDir: s.data, StoreURL: s.store, SnapshotDir: s.snapshots, SubjectKeysDir: s.subjectKeys,
		CalendarsFile: s.calendars, PolicyFiles: s.policies, Logger: log,
	}
}

// logFlags configure structured logging.
type logFlags struct {
	format string
	level  string
}

func (l *logFlags) register(c *cobra.Command, level string) {
	c.Flags().StringVar(&l.format, "log-format", "text", "log format: text or json")
	c.Flags().StringVar(&l.level, "log-level", level, "log level: debug, info, warn or error")
}

func (l *logFlags) logger(c *cobra.Command, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(l.level)); err != nil {
		return nil, usagef(c, "--log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(l.format) {
	case "text", "":
		return slog.New(dedupAttrs(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(dedupAttrs(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, usagef(c, "--log-format %q: want text or json", l.format)
}

type serveCmd struct {
	store           storeFlags
	logs            logFlags
	http            string
	kurrent         kurrentFlags
	demo            bool
	demoTickets     int
	shutdownTimeout time.Duration
	tokenDir        string
	metricsPublic   bool
	trustProxy      []string
	oidcIssuer      string
	oidcAudience    string
	oidcRoleClaim   string
	oidcPartner     string
	oidcRoleMap     []string
	signingKey      string
	sealInterval    time.Duration
	headFile        string
	noSeal          bool
	newKeyDir       string
	backupDir       string
	headPostURL     string
	pprof           string
	minFreeBytes    int64
	webhookKey      string
	webhooksUnsafe  bool
	noWebhooks      bool
	console         consoleFlags
	window          windowFlags
}

func newServeCmd() *cobra.Command {
	s := &serveCmd{}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the ledger: event store, projections, HTTP API and /metrics",
		Long: `Run the ledger. By default the event store is embedded, on --data (./data);
with --store esdb://… it is a KurrentDB node or cluster (projection snapshots
then go to --snapshots DIR, if given).

Serves the HTTP API, /metrics (Prometheus), /healthz (alive) and /readyz
(projections caught up) on --http. --kurrent-listen also serves the embedded
store over KurrentDB's gRPC protocol, for KurrentDB clients, tools and replicas:
every call needs a ledger token as esdb://TOKEN_ID:SECRET@host; only auditor,
admin and replica tokens read (there is no tenancy filter), and it is read-only
unless --kurrent-writable (the ledger's own streams are then written by a token
with scope replica alone). Off loopback it needs --kurrent-tls-cert/-key.

Every event is signed with the ledger's Ed25519 key (--signing-key FILE or
$TICKETLEDGER_SIGNING_KEY; keep it outside the data directory; create one with
openssl genpkey -algorithm ed25519 -out ledger.key). Every --seal-interval
while events arrive, and at shutdown, a signed tree head is appended to the
log and written to --head-file (default DATA.head beside the data directory).

While it runs, serve watches the first-response deadline of every open,
unanswered ticket and records ticket.sla_noticed (at_risk, breached) as the
ledger itself within about a second of each instant — once, whatever the
number of replicas; deadlines missed while it was down are noticed at start.

--demo fills an empty ledger with --demo-tickets tickets of realistic history;
without a key it generates one beside the data directory (DATA.signing-key).

Every route but /healthz, /readyz and /openapi.json needs a principal:
"Authorization: Bearer <token>". On first start (no active admin token) serve
issues an admin token and writes it to admin.token (mode 0600) in the data
directory — on KurrentDB in --token-dir, else --snapshots — and logs its
path; --demo prints the token itself too. Deployments hand tokens in instead:
TICKETLEDGER_ADMIN_TOKEN(_FILE) and TICKETLEDGER_METRICS_TOKEN(_FILE) (the
latter for Prometheus: it reads /metrics and nothing else). /metrics needs a
token unless --metrics-public. --oidc-issuer and --oidc-audience also accept
JWTs of an OpenID Connect issuer; --trust-proxy accepts X-Actor-* identity
headers from an authenticating proxy at those addresses (refused from others).

The compliance console is served at / (sign in with a ledger token; with
--oidc-issuer and --console-oidc-client-id also through the identity provider).

--max-backdate (default 30d) is how far before now a command's occurred-at
may lie, --max-clock-skew (default 2m) how far after; --import-max-backdate
widens the window for imported history only (ticketledger import), e.g. 1095d
to take in three years of another desk's tickets. GET /v1/info shows them.

--pprof 127.0.0.1:6060 also serves Go's profiler (net/http/pprof, without
authentication) on a listener of its own, on loopback only: take a CPU
profile with go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=10.

Stops gracefully on SIGINT/SIGTERM: stops accepting, lets in-flight requests
and appends finish, writes the projection snapshot and closes the store.`,
		Example: `  ticketledger serve
  ticketledger serve --demo --http 127.0.0.1:8080
  ticketledger serve --signing-key /etc/ticketledger/ledger.key --head-file /srv/heads/latest
  ticketledger serve --store "esdb://localhost:2113?tls=false" --snapshots ./snapshots
  ticketledger serve --max-backdate 90d --import-max-backdate 1095d
  TICKETLEDGER_HTTP=0.0.0.0:8080 ticketledger serve --log-format json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return s.run(c) },
	}
	s.store.register(c, true)
	s.logs.register(c, "info")
	f := c.Flags()
	f.StringVar(&s.http, "http", "127.0.0.1:8080", "HTTP listen address (API, /metrics, /healthz, /readyz)")
	f.StringVar(&s.store.subjectKeys, "subject-keys", "", "directory of the subject key store that encrypts contacts' personal data, outside the log (default: DATA/subject-keys; on KurrentDB SNAPSHOTS/subject-keys); back it up separately, with a retention limit")
	s.kurrent.register(c)
	f.BoolVar(&s.demo, "demo", false, "seed an empty ledger with demo data at start")
	f.IntVar(&s.demoTickets, "demo-tickets", 300, "number of demo tickets for --demo")
	f.DurationVar(&s.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish on shutdown")
	f.StringVar(&s.tokenDir, "token-dir", "", "directory of the bootstrap admin token file admin.token (default: --data; on KurrentDB --snapshots)")
	f.BoolVar(&s.metricsPublic, "metrics-public", false, "serve /metrics without a token (default: a token is needed, e.g. TICKETLEDGER_METRICS_TOKEN's)")
	f.StringSliceVar(&s.trustProxy, "trust-proxy", nil, "proxy mode: accept X-Actor-* identity headers from these addresses or CIDRs only (e.g. 127.0.0.1,10.0.0.0/8)")
	f.StringVar(&s.oidcIssuer, "oidc-issuer", "", "also accept JWTs of this OpenID Connect issuer (URL) as bearer tokens")
	f.StringVar(&s.oidcAudience, "oidc-audience", "", "the audience (aud) OIDC tokens must carry (required with --oidc-issuer)")
	f.StringVar(&s.oidcRoleClaim, "oidc-role-claim", "role", "the JWT claim holding the role (a string or a list)")
	f.StringVar(&s.oidcPartner, "oidc-partner-claim", "partner", "the JWT claim holding the partner id (partner roles)")
	f.StringSliceVar(&s.oidcRoleMap, "oidc-role-map", nil, "map claim values to roles, e.g. csp-admins=indirect_provider,ops=admin (default: the claim holds role names)")
	signingKeyFlag(f, &s.signingKey, "Ed25519 key file that signs every event and seal, kept outside the data directory (default: $"+integrity.KeyEnv+"; --demo: generated beside the data directory)")
	f.DurationVar(&s.sealInterval, "seal-interval", ledger.DefaultSealInterval, "how often to append a signed tree head while events arrive")
	f.StringVar(&s.headFile, "head-file", "", "file each signed tree head is published to (default: DATA.head beside the data directory)")
	f.StringVar(&s.headPostURL, "head-post-url", "", "also POST each signed tree head (the checkpoint, text/plain) to this URL, e.g. a witness; queued and retried off the sealing path, failures logged and counted in /metrics")
	f.StringVar(&s.backupDir, "backup-dir", "", "where POST /v1/admin/backups (ticketledger backup --to NAME) writes backups on this machine; a path outside it is refused (default: online backups off)")
	f.StringVar(&s.newKeyDir, "new-key-dir", "", "where POST /v1/audit/keys/rotate writes the new private key, outside the data directory (default: beside --signing-key; --demo: replaces the demo key)")
	f.StringVar(&s.pprof, "pprof", "", "also serve Go's profiler (net/http/pprof, /debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060 (no authentication: loopback only)")
	f.Int64Var(&s.minFreeBytes, "min-free-bytes", pebblestore.DefaultMinFreeBytes, "free disk space the embedded store keeps in reserve: below it appends are refused (503 store-full, reads go on) until space is freed; 0 or negative: no check")
	f.StringVar(&s.webhookKey, "webhook-key", "", "file of the key every webhook signing secret is derived from, 64 hex digits, created if missing; the same on every replica (default: webhook.key in the data directory, or in --snapshots on KurrentDB)")
	f.BoolVar(&s.webhooksUnsafe, "webhooks-allow-unsafe-targets", false, "UNSAFE, for tests only: accept http and loopback/private/link-local webhook targets (turns the SSRF checks off)")
	f.BoolVar(&s.noWebhooks, "no-webhooks", false, "deliver no webhooks and serve no /v1/webhooks routes")
	s.console.register(c)
	s.window.register(c, true)
	f.BoolVar(&s.noSeal, "no-seal", false, "sign events but append no seals: for a second ledger on a log that another ledger already seals (--store pointing at it)")
	return c
}

// serveReadyKey is the context key of a func(addr string) called once the
// server listens (tests use it to learn the port of 127.0.0.1:0).
type serveReadyKey struct{}

// withServeReady returns ctx carrying fn, called with the HTTP address once
// serve listens.
func withServeReady(ctx context.Context, fn func(addr string)) context.Context {
	return context.WithValue(ctx, serveReadyKey{}, fn)
}

func (s *serveCmd) run(c *cobra.Command) error {
	ctx := c.Context()
	log, err := s.logs.logger(c, c.ErrOrStderr())
	if err != nil {
		return err
	}
	if s.demoTickets < 1 {
		return usagef(c, "--demo-tickets must be at least 1")
	}
	if err := s.kurrent.check(c); err != nil {
		return err
	}
	if s.kurrent.listen != "" && s.store.store != "" {
		return usagef(c, "--kurrent-listen serves the embedded store: drop it when --store points at KurrentDB (clients can talk to KurrentDB directly)")
	}

	if s.sealInterval <= 0 {
		return usagef(c, "--seal-interval must be positive")
	}
	if s.noSeal && s.headPostURL != "" {
		return usagef(c, "--head-post-url publishes the heads this ledger seals: with --no-seal it seals none; give it to the ledger that seals the log")
	}
	if err := checkLoopback(s.pprof); err != nil {
		return usagef(c, "--pprof: %v", err)
	}
	live, imports, err := s.window.windows(c)
	if err != nil {
		return err
	}
	cfg := s.store.config(log)
	cfg.Window, cfg.ImportWindow = live, imports
	cfg.SigningKeyFile, cfg.KeyFromEnv, cfg.DemoKey, cfg.RequireKey = s.signingKey, true, s.demo, true
	cfg.SealInterval, cfg.HeadFile, cfg.NoSealer, cfg.NewKeyDir, cfg.HeadPostURL = s.sealInterval, s.headFile, s.noSeal, s.newKeyDir, s.headPostURL
	cfg.BackupDir = s.backupDir
	if !s.noWebhooks {
		cfg.Webhooks = &ledger.WebhookConfig{KeyFile: s.webhookKey, UnsafeTargets: s.webhooksUnsafe}
	}
	cfg.MinFreeBytes = s.minFreeBytes
	if cfg.MinFreeBytes == 0 {
		cfg.MinFreeBytes = -1 // 0 in the ledger's config means the default
	}
	l, err := ledger.Open(ctx, cfg)
	if err != nil {
		return err
	}
	closed := false
	var stopProjections func() // once they run: stop them and wait (they write the snapshot as they stop)
	defer func() {
		if !closed {
			if stopProjections != nil {
				stopProjections()
			}
			l.Close()
		}
	}()
	log.Info("store opened", "store", l.Description, "snapshot", l.SnapshotPath, "policy", l.Policies.Current().Version(),
		"max_backdate", domain.FormatLimit(live.MaxBackdate), "import_max_backdate", domain.FormatLimit(imports.MaxBackdate), "max_clock_skew", domain.FormatLimit(live.MaxSkew),
		"restored", l.Runner.Stats().Restored, "signing_key", l.Key.ID(), "key_source", l.KeySource, "head_file", l.HeadFile)

	if l.Pebble == nil && l.SnapshotPath == "" {
		log.Warn("no --snapshots directory: the projections replay the whole log at every start")
	}
	access, err := s.access(c)
	if err != nil {
		return err
	}
	adminToken, err := s.provisionTokens(ctx, c, l, log)
	if err != nil {
		return err
	}
	if s.demo {
		if err := seedDemo(ctx, l, s.demoTickets, log); err != nil {
			if ctx.Err() != nil {
				log.Info("interrupted while generating demo data: stopped")
				return nil
			}
			return err
		}
	}
	var logins []demoLogin
	if s.demo {
		if logins, err = demoConsoleTokens(ctx, l); err != nil {
			return err
		}
	}

	// Projections follow the log until shutdown.
	runCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRunner()
	runnerDone := make(chan error, 1)
	go func() { runnerDone <- l.Runner.Run(runCtx) }()
	go l.FollowTokens(runCtx) // tokens issued and revoked on other replicas
	watcherDone := make(chan struct{})
	go func() { l.Watcher.Run(runCtx); close(watcherDone) }() // SLA notices, once the projections are ready
	webhooksDone := make(chan struct{})
	if l.Dispatcher != nil {
		// Webhooks are delivered off the command path, by the replica
		// holding the dispatch lease.
		go func() { defer close(webhooksDone); _ = l.Dispatcher.Run(runCtx) }()
		log.Info("webhook dispatcher started", "holder", l.Dispatcher.Holder())
	} else {
		close(webhooksDone)
	}
	stopProjections = func() { stopRunner(); <-runnerDone; <-watcherDone; <-webhooksDone }

	var shuttingDown atomic.Bool
	handler, err := l.APIHandler(func(context.Context) error {
		if shuttingDown.Load() {
			return errors.New("shutting down")
		}
		return nil
	}, access)
	if err != nil {
		return err
	}

	lis, err := net.Listen("tcp", s.http)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another ledger or program using that port? pick another with --http, e.g. --http 127.0.0.1:8081)", s.http, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: server.ReadHeaderTimeout,
		ReadTimeout:       server.ReadTimeout,
		WriteTimeout:      server.WriteTimeout,
		IdleTimeout:       server.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(lis) }()

	var wire *kurrentwire.Server
	wireDone := make(chan error, 1)
	kurrentAddr := ""
	if s.kurrent.listen != "" {
		var wl net.Listener
		if wire, wl, err = s.kurrent.start(runCtx, l, log); err != nil {
			srv.Close()
			return err
		}
		go func() { wireDone <- wire.Serve(wl) }()
		kurrentAddr = wl.Addr().String()
	}

	var prof *http.Server
	if s.pprof != "" {
		pl, err := net.Listen("tcp", s.pprof)
		if err != nil {
			srv.Close()
			return fmt.Errorf("--pprof: listen on %s: %w (pick another loopback port, e.g. --pprof 127.0.0.1:6061)", s.pprof, err)
		}
		prof = &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: server.ReadHeaderTimeout}
		go prof.Serve(pl)
		defer prof.Close()
		log.Info("profiler listening", "pprof", "http://"+pl.Addr().String()+"/debug/pprof/")
	}

	addr := lis.Addr().String()
	attrs := []any{"http", "http://" + addr, "store", l.Description, "version", version}
	if kurrentAddr != "" {
		attrs = append(attrs, "kurrent", s.kurrent.url(kurrentAddr), "kurrent_writable", s.kurrent.writable)
	}
	log.Info("ticketledger listening", attrs...)
	if s.demo && adminToken != "" {
		fmt.Fprintf(c.OutOrStdout(), "admin token (demo): %s\n  export TICKETLEDGER_TOKEN=%s\n", adminToken, adminToken)
	}
	if len(logins) > 0 {
		printConsole(c.OutOrStdout(), addr, logins)
	}
	if fn, ok := ctx.Value(serveReadyKey{}).(func(string)); ok {
		fn(addr)
	}
	go func() {
		select {
		case <-l.Runner.Ready():
			st := l.Runner.Stats()
			log.Info("projections caught up: ready", "checkpoint", st.Checkpoint.Commit, "tickets", l.Tickets.Len())
		case <-runCtx.Done():
		}
	}()

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: stop accepting, finishing in-flight requests", "timeout", s.shutdownTimeout)
	case err := <-httpDone:
		runErr = fmt.Errorf("HTTP server stopped: %w", err)
	case err := <-wireDone:
		runErr = fmt.Errorf("KurrentDB wire server stopped: %w", err)
	case err := <-runnerDone:
		runnerDone <- err
		runErr = fmt.Errorf("projections stopped: %w (check the store; restart serve to resume from the last snapshot)", err)
	}

	shuttingDown.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("HTTP shutdown timed out: closing remaining connections", "err", err)
		srv.Close()
	}
	if wire != nil {
		wire.GracefulStop()
	}
	stopRunner()
	if err := <-runnerDone; err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("projections stopped with an error", "err", err)
	}
	<-watcherDone // no notice is appended once the store closes
	closed = true
	if err := l.Close(); err != nil {
		log.Error("close", "err", err)
		return errors.Join(runErr, err)
	}
	st := l.Runner.Stats()
	log.Info("stopped", "snapshot", l.SnapshotPath, "snapshots_written", st.Snapshots, "checkpoint", st.Checkpoint.Commit)
	return runErr
}

// noArgs refuses positional arguments with a usage error.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef(c, "unexpected argument %q", args[0])
	}
	return nil
}

// exactArgs wants n positional arguments named names.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usagef(c, "want %d argument(s): %s (got %d)", len(names), strings.Join(names, " "), len(args))
		}
		return nil
	}
}
