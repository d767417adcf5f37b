// Package ledger wires one ledger process together: the event store (the
// embedded Pebble store on a data directory, or a KurrentDB cluster), the SLA
// policies and calendars, the application service, the read models and the
// projector that keeps them up to date, and the Prometheus registry.
//
// It is the composition root shared by `ticketledger serve` and the offline
// commands (demo --data, rebuild, verify), so they all see the same ledger:
//
//	l, err := ledger.Open(ctx, ledger.Config{DataDir: "./data"})
//	if err != nil { ... }
//	defer l.Close()
//	go l.Runner.Run(ctx)
//
// Snapshots of the read models live in the data directory
// (SnapshotFile), or in Config.SnapshotDir when the store is KurrentDB.
//
// With a signing key (Config.SigningKeyFile and friends) every event the
// service appends is signed, the key is recorded in the keyring stream and a
// sealer appends signed tree heads to the log and publishes them outside it
// (HeadFile); Close makes a final seal before closing the store.
package ledger

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/calendar"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/backup"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/metrics"
	"github.com/ticketledger/ticketledger/infra/projector"
	"github.com/ticketledger/ticketledger/infra/slawatch"
	"github.com/ticketledger/ticketledger/infra/store/bulk"
	"github.com/ticketledger/ticketledger/infra/store/kurrent"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
	"github.com/ticketledger/ticketledger/infra/subjects"
	"github.com/ticketledger/ticketledger/infra/webhook"
	"github.com/ticketledger/ticketledger/projections"
)

// SnapshotFile is the name of the read models' snapshot file in the data
// (or snapshot) directory.
const SnapshotFile = "projections.snapshot"

// ErrLocked is returned (wrapped) by Open when the data directory is owned
// by another process, typically a running `ticketledger serve`.
var ErrLocked = pebblestore.ErrLocked

// Config says which store to open and how to set up the ledger.
type Config struct {
	// DataDir is the embedded store's directory (created if missing).
	// Ignored when StoreURL is set.
	DataDir string
	// StoreURL is a KurrentDB connection string ("esdb://host:2113?tls=false",
	// "esdb+discover://…"). Empty: the embedded store on DataDir.
	StoreURL string
	// SnapshotDir holds the projections' snapshot file. Empty: DataDir for
	// the embedded store, no snapshots on KurrentDB.
	SnapshotDir string
	// CalendarsFile is a JSON file of user calendars (calendar.Spec): they
	// are added to the current policy as a derived policy version.
	CalendarsFile string
	// PolicyFiles are JSON policy definitions (sla.PolicySpec, one object or
	// an array) added for what-if reports.
	PolicyFiles []string
	// Logger receives the ledger's logs. Nil: discard.
	Logger *slog.Logger
	// Now is the ledger's clock. Nil: time.Now.
	Now func() time.Time
	// MinFreeBytes is the free disk space the embedded store keeps in
	// reserve: below it appends are refused (503 store-full) until space
	// is freed (pebblestore.Options.MinFreeBytes: 0 is its default,
	// negative turns the check off).
	MinFreeBytes int64
	// NoSnapshots disables reading and writing the snapshot file (verify,
	// which only reads streams).
	NoSnapshots bool
	// Window bounds the occurred-at of every command against now (serve
	// --max-backdate, --max-clock-skew); ImportWindow that of imported
	// history (--import-max-backdate). Zero fields: the defaults (30 days,
	// 2 minutes; for imports, Window's).
	Window       domain.Window
	ImportWindow domain.Window

	// SigningKeyFile is the ledger's Ed25519 signing key (a PEM or raw
	// key file, see integrity.ParseSigningKey), kept outside the data
	// directory. SigningKey, if set, is used instead (tests). KeyFromEnv
	// also reads $TICKETLEDGER_SIGNING_KEY when no file is given; DemoKey
	// generates a key beside the data directory when none is given
	// (integrity.DemoKeyFile, with a warning); RequireKey makes Open fail
	// without a key. With a key, every appended event is signed, the key is
	// recorded in the keyring and a sealer runs; without one (the read-only
	// tools: verify, rebuild) nothing is signed or sealed.
	SigningKeyFile string
	SigningKey     *integrity.SigningKey
	KeyFromEnv     bool
	DemoKey        bool
	RequireKey     bool
	// SealInterval is how often the sealer seals while events arrive
	// (DefaultSealInterval if 0). HeadFile is where each signed tree head
	// is published (default: HeadFile(DataDir) for the embedded store, none
	// on KurrentDB). NoSealer runs no sealer (events are still signed).
	SealInterval time.Duration
	HeadFile     string
	NoSealer     bool

	// SubjectKeysDir is the key store of data subjects (infra/subjects),
	// outside the event log: the personal data of ticket contacts is
	// sealed with its keys, and forgetting a subject destroys its key.
	// Empty: DataDir/subject-keys for the embedded store, SnapshotDir/
	// subject-keys on KurrentDB (with no snapshot directory either, the
	// ledger refuses to store personal data).
	SubjectKeysDir string
	// HeadPostURL, when set, also receives every signed tree head as an
	// HTTP POST of its checkpoint (integrity.HeadPoster: queued, retried,
	// never blocking the sealer; failures counted in /metrics).
	HeadPostURL string
	// NewKeyDir is where a key rotation without a key file of its own
	// (Ledger.RotateKey, POST /v1/audit/keys/rotate) writes the new private
	// key, outside the data directory. Empty: the directory of
	// SigningKeyFile; with a demo key, the demo key file is replaced.
	NewKeyDir string
	// Webhooks, when set, runs webhook subscriptions and their delivery
	// (serve); nil: none (the offline tools).
	Webhooks *WebhookConfig
	// BackupDir is where online backups (Ledger.BackupTo, POST
	// /v1/admin/backups) are written on the server's filesystem; a backup
	// outside it is refused. Empty: online backups are refused.
	BackupDir string
}

// Ledger is an opened ledger. Its fields are ready to use; Close releases it.
type Ledger struct {
	// Store is the event store the application writes to (instrumented
	// with append metrics).
	Store eventstore.Store
	// Raw is the store as opened, uninstrumented.
	Raw eventstore.Store
	// Pebble is the embedded store, nil on KurrentDB.
	Pebble *pebblestore.Store
	// Service runs commands.
	Service *app.Service
	// Policies are the SLA policy versions (shipped, user calendars, what-if).
	Policies *sla.Policies
	// Tickets and Audit are the read models the Runner drives; Tickets
	// also feeds the SLA metrics.
	Tickets *projections.Tickets
	Audit   *projections.Audit
	// Runner keeps the read models up to date (Run) and snapshots them.
	Runner *projector.Runner
	// Watcher records SLA notices as deadlines pass (serve runs it:
	// Watcher.Run), fed by Tickets once Runner is ready.
	Watcher *slawatch.Watcher
	// Registry holds every metric of the process; Metrics the process
	// counters (HTTP, appends).
	Registry *prometheus.Registry
	Metrics  *metrics.Metrics
	// Head returns the position of the last event of the log (Raw.Head).
	Head func(ctx context.Context) (eventstore.Position, error)
	// Description names the store for logs, e.g. "embedded store in ./data".
	Description string
	// SnapshotPath is the snapshot file ("" when snapshots are off).
	SnapshotPath string
	// Now is the ledger's clock.
	Now func() time.Time
	// Tokens issues and revokes ledger tokens; its Registry (loaded from
	// the token streams by Open) authenticates bearer tokens. Serve keeps
	// the registry following the store (Registry.Follow).
	Tokens *auth.Tokens
	// Key is the signing key the ledger opened with (nil: events are not
	// signed), KeySource where it came from (a path or
	// "$TICKETLEDGER_SIGNING_KEY"). After a rotation the ledger signs with
	// CurrentKey.
	Key       *integrity.SigningKey
	KeySource string
	keys      *integrity.KeyHolder
	// Sealer seals the log (nil without a key or with Config.NoSealer);
	// HeadFile is where it publishes heads ("" for none).
	Sealer   *integrity.Sealer
	HeadFile string
	// Subjects is the key store of data subjects (nil when there is none:
	// on KurrentDB without a snapshot or key directory).
	Subjects *subjects.FileStore
	poster   *integrity.HeadPoster
	keysDir  string // the subject key store's directory ("" for none)
	// Webhooks runs the webhook subscriptions and Dispatcher delivers
	// them (nil without Config.Webhooks, or without a place for the
	// webhook key). Serve runs Dispatcher.Run.
	Webhooks   *webhook.Service
	Dispatcher *webhook.Dispatcher

	cfg    Config
	appCfg app.Config // Service's
	log    *slog.Logger
	// followsTokens is true while FollowTokens runs.
	followsTokens atomic.Bool
}

// Open opens the store and builds everything on top of it. The read models
// are restored from the snapshot file when there is a good one; start
// Runner.Run (serve) or Runner.CatchUp (one-shot commands) to bring them up
// to date.
func Open(ctx context.Context, cfg Config) (*Ledger, error) {
	log := cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	pols, err := LoadPolicies(cfg.CalendarsFile, cfg.PolicyFiles)
	if err != nil {
		return nil, err
	}

	l := &Ledger{Policies: pols, Now: now, log: log, cfg: cfg}
	snapDir := cfg.SnapshotDir
	switch {
	case cfg.StoreURL != "":
		if !strings.HasPrefix(cfg.StoreURL, "esdb://") && !strings.HasPrefix(cfg.StoreURL, "esdb+discover://") &&
			!strings.HasPrefix(cfg.StoreURL, "kurrentdb://") && !strings.HasPrefix(cfg.StoreURL, "kurrentdb+discover://") {
			return nil, fmt.Errorf("--store %q: want a KurrentDB connection string such as esdb://localhost:2113?tls=false or esdb+discover://host:2113 (omit --store to use the embedded store on --data)", cfg.StoreURL)
		}
		dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		ks, err := kurrent.Dial(dctx, cfg.StoreURL)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("connect to KurrentDB at %s: %w (is KurrentDB running and reachable? check the host, port and ?tls= setting; `docker compose up kurrentdb` starts a local one)", redact(cfg.StoreURL), err)
		}
		l.Raw, l.Description = ks, "KurrentDB at "+redact(cfg.StoreURL)
	default:
		dir := cfg.DataDir
		if dir == "" {
			dir = "data"
		}
		ps, err := pebblestore.Open(dir, pebblestore.Options{Logger: log.With("component", "pebble"), Now: now, MinFreeBytes: cfg.MinFreeBytes})
		if err != nil {
			if errors.Is(err, pebblestore.ErrLocked) {
				return nil, fmt.Errorf("%w\nhint: find the owner with `fuser %s/ticketledger.lock` or `lsof %s`; offline commands need the server stopped, or run them against the server with --server", err, dir, dir)
			}
			if errors.Is(err, eventstore.ErrDamaged) {
				return nil, err // names the file and what to do
			}
			return nil, fmt.Errorf("open the embedded store in %s: %w (check the directory exists and is writable, or pass --data DIR)", dir, err)
		}
		l.Raw, l.Pebble, l.Description = ps, ps, "embedded store in "+dir
		if snapDir == "" {
			snapDir = dir
		}
	}
	l.Head = l.Raw.Head
	if l.Key, l.KeySource, err = loadKey(cfg, log); err != nil {
		l.Raw.Close()
		return nil, err
	}

	l.Registry = prometheus.NewRegistry()
	l.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	l.Metrics = metrics.New(l.Registry)
	l.Store = metrics.InstrumentStore(l.Raw, l.Metrics)

	var signer codec.Signer
	if l.Key != nil {
		// Appends go through the key holder's barrier, so that a key
		// rotation retires the old key after its last event.
		l.keys = integrity.NewKeyHolder(l.Key)
		signer = l.keys
		l.Store = metrics.InstrumentStore(l.keys.Guard(l.Raw), l.Metrics)
	}
	keysDir := localPath(cfg, snapDir, cfg.SubjectKeysDir, subjects.DirName)
	l.keysDir = keysDir
	var subjectKeys app.Subjects = noSubjects{}
	if keysDir == "" {
		log.Warn("no subject key store: requests naming a contact are refused, as its personal data could only be stored in plain; give --subject-keys DIR (or --snapshots DIR)")
	} else {
		if l.Subjects, err = subjects.OpenFileStore(keysDir); err != nil {
			l.Raw.Close()
			return nil, err
		}
		subjectKeys = l.Subjects
	}
	l.appCfg = app.Config{Store: l.Store, Policies: pols, Now: now, Signer: signer, Subjects: subjectKeys,
		Window: cfg.Window, ImportWindow: cfg.ImportWindow}
	l.Service, err = app.New(l.appCfg)
	if err != nil {
		l.Raw.Close()
		return nil, fmt.Errorf("application service: %w", err)
	}

	reg := auth.NewRegistry(now)
	if err := reg.Load(ctx, l.Raw); err != nil {
		l.Raw.Close()
		return nil, err
	}
	l.Tokens = auth.NewTokens(l.Store, reg, now).WithSigner(signer) // token events are signed like every other

	l.Tickets = projections.NewTickets(projections.TicketsOptions{Clock: pols.Counter()})
	l.Audit = projections.NewAudit()

	if snapDir != "" && !cfg.NoSnapshots {
		if err := os.MkdirAll(snapDir, 0o755); err != nil {
			l.Raw.Close()
			return nil, fmt.Errorf("snapshot directory %s: %w (pass --snapshots DIR with a writable directory)", snapDir, err)
		}
		l.SnapshotPath = filepath.Join(snapDir, SnapshotFile)
	}
	l.Runner, err = projector.New(projector.Options{
		Store:       l.Raw,
		Decode:      codec.Decode,
		Projections: []projections.Projection{l.Tickets, l.Audit},
		IsUnknown: func(err error) bool {
			return errors.Is(err, codec.ErrUnknownType) || errors.Is(err, codec.ErrSchemaVersion)
		},
		SnapshotPath: l.SnapshotPath,
		Logger:       log, // the runner names its component itself
		Now:          now,
	})
	if err != nil {
		l.Raw.Close()
		return nil, fmt.Errorf("projections: %w", err)
	}

	l.Watcher, err = slawatch.New(slawatch.Options{
		Source: l.Tickets, Service: l.Service, Actor: auth.Internal().Actor(), Ready: l.Runner.Ready(),
		Now: now, Logger: log, Noticed: l.Metrics.SLANoticed,
	})
	if err != nil {
		l.Raw.Close()
		return nil, err
	}

	if cfg.NewKeyDir != "" {
		if err := l.outsideData(filepath.Join(cfg.NewKeyDir, "key")); err != nil {
			l.Raw.Close()
			return nil, fmt.Errorf("--new-key-dir: %w", err)
		}
	}
	if cfg.BackupDir != "" && l.Pebble != nil && (backup.Inside(dataDir(cfg), cfg.BackupDir) || same(dataDir(cfg), cfg.BackupDir)) {
		l.Raw.Close()
		return nil, fmt.Errorf("--backup-dir %s is inside the data directory %s: a backup there would be lost with the data; give a directory elsewhere", cfg.BackupDir, dataDir(cfg))
	}
	if l.Key != nil {
		if err := l.startIntegrity(ctx, cfg); err != nil {
			l.Raw.Close()
			return nil, err
		}
	}

	if err := l.openWebhooks(cfg, snapDir, signer); err != nil {
		l.Raw.Close()
		return nil, err
	}
	l.Registry.MustRegister(metrics.NewSLACollector(l.Tickets, now, metrics.SLACollectorOptions{}))
	l.Registry.MustRegister(metrics.NewProjectionCollector(metrics.ProjectionSourceFunc(l.projectionStatus)))
	if l.Pebble != nil {
		l.Registry.MustRegister(metrics.StoreFaultCollectors(func() metrics.StoreFaults { return l.Pebble.Stats().Faults })...)
	}
	return l, nil
}

// localPath is where a file or directory the ledger keeps outside the log
// lives: given, if set; else name in the data directory (embedded store)
// or in the snapshot directory (KurrentDB); "" when there is neither.
func localPath(cfg Config, snapDir, given, name string) string {
	switch {
	case given != "":
		return given
	case cfg.StoreURL == "":
		return filepath.Join(dataDir(cfg), name)
	case snapDir != "":
		return filepath.Join(snapDir, name)
	}
	return ""
}

// Degraded returns what the event store cannot do now while the ledger
// keeps serving (nil: nothing): appends refused for a full disk, damaged
// files, a failed commit until the store has reopened itself. /readyz
// reports it.
func (l *Ledger) Degraded() error {
	if l.Pebble == nil {
		return nil
	}
	return l.Pebble.Fault()
}

func (l *Ledger) projectionStatus() []metrics.ProjectionStatus {
	st := l.Runner.Status()
	out := make([]metrics.ProjectionStatus, len(st))
	for i, s := range st {
		out[i] = metrics.ProjectionStatus{Name: s.Name, LagEvents: s.LagEvents, Lag: s.Lag, Skipped: s.Skipped}
	}
	return out
}

// Close writes a final snapshot of the read models (call it after Runner.Run
// has returned), stops the sealer with a final seal, and closes the store.
func (l *Ledger) Close() error {
	var errs []error
	if err := l.closeSealer(); err != nil {
		errs = append(errs, err)
	}
	if l.Runner != nil {
		if err := l.Runner.Close(); err != nil {
			errs = append(errs, fmt.Errorf("write projection snapshot: %w", err))
		}
	}
	if err := l.Raw.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	return errors.Join(errs...)
}

// LoadPolicies returns the shipped SLA policies plus, from calendarsFile,
// user calendars (as a derived policy version, made current: deadlines
// computed with them name that version) and, from policyFiles, policy versions
// for what-if reports. Empty names are skipped.
func LoadPolicies(calendarsFile string, policyFiles []string) (*sla.Policies, error) {
	pols := sla.Shipped()
	if calendarsFile != "" {
		data, err := os.ReadFile(calendarsFile)
		if err != nil {
			return nil, fmt.Errorf("--calendars: %w", err)
		}
		specs, err := calendar.ParseSpecs(strings.NewReader(string(data)))
		if err != nil {
			return nil, fmt.Errorf("--calendars %s: %w (see `go doc github.com/ticketledger/ticketledger/domain/calendar.Spec` for the format)", calendarsFile, err)
		}
		base := pols.Current().Version()
		sum := sha256.Sum256(data)
		spec := sla.PolicySpec{
			Version:     base + "+calendars-" + hex.EncodeToString(sum[:4]),
			Base:        base,
			Description: "policy " + base + " with the user calendars of " + filepath.Base(calendarsFile),
			Calendars:   specs,
		}
		js, _ := json.Marshal(spec)
		p, err := pols.AddJSON(js)
		if err != nil {
			return nil, fmt.Errorf("--calendars %s: %w", calendarsFile, err)
		}
		if err := pols.SetCurrent(p.Version()); err != nil {
			return nil, fmt.Errorf("--calendars %s: %w", calendarsFile, err)
		}
	}
	for _, f := range policyFiles {
		if f == "" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
		var defs []json.RawMessage
		if t := strings.TrimSpace(string(data)); strings.HasPrefix(t, "[") {
			if err := json.Unmarshal(data, &defs); err != nil {
				return nil, fmt.Errorf("--policy %s: %w", f, err)
			}
		} else {
			defs = []json.RawMessage{data}
		}
		for _, d := range defs {
			if _, err := pols.AddJSON(d); err != nil {
				return nil, fmt.Errorf("--policy %s: %w", f, err)
			}
		}
	}
	return pols, nil
}

// redact hides a password in a connection string.
func redact(conn string) string {
	at := strings.Index(conn, "@")
	scheme := strings.Index(conn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return conn
	}
	userinfo := conn[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return conn[:scheme+3] + userinfo[:i] + ":***" + conn[at:]
	}
	return conn
}

// noSubjects is the key store of a ledger that has none: it refuses to
// store personal data rather than keep it in plaintext.
type noSubjects struct{}

var errNoSubjects = errors.New("this ledger has no subject key store, so it cannot store a contact's personal data encrypted: start it with --subject-keys DIR (or --snapshots DIR)")

func (noSubjects) Subject(string) (string, []byte, error) { return "", nil, errNoSubjects }
func (noSubjects) Lookup(string) (string, bool, error)    { return "", false, nil }
func (noSubjects) Key(string) ([]byte, bool, error)       { return nil, false, nil }
func (noSubjects) Destroy(string) error                   { return errNoSubjects }

// MetricsHandler serves the ledger's Prometheus registry (/metrics).
func (l *Ledger) MetricsHandler() http.Handler { return metrics.Handler(l.Registry) }

// BulkCacheEvents is how many decoded events the service of Bulk keeps of
// recently used streams (app.Config.CacheEvents), about 1 KB each.
const BulkCacheEvents = 1 << 17

// Bulk returns a service deciding like Service, with the same rules,
// policies and clock, whose appends go to a bulk writer on the embedded
// store: staged in memory and written in large atomic batches, each signed
// on every core and made durable with one fsync (see infra/store/bulk).
// The stored events are those Service would store. It is for offline
// generation (demo --data): nothing else may write to the streams it
// writes, and only what Writer.Flush (or Close) has written is stored.
func (l *Ledger) Bulk(opts bulk.Options) (*app.Service, *bulk.Writer, error) {
	if l.Pebble == nil {
		return nil, nil, errors.New("bulk writes need the embedded store (--data)")
	}
	cfg := l.appCfg
	opts.Signer = cfg.Signer
	w := bulk.New(l.Pebble, opts)
	cfg.Store, cfg.Signer = w, nil // the writer signs, at flush
	// A generated history interleaves the lives of many tickets: keep
	// more of them decoded than serve does.
	cfg.CacheEvents = BulkCacheEvents
	if l.Subjects != nil {
		cfg.Subjects = subjects.NewMemo(l.Subjects) // this process owns the key store
	}
	svc, err := app.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return svc, w, nil
}
