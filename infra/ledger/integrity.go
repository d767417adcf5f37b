package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/ticketledger/ticketledger/infra/integrity"
)

// ErrNoSigningKey is returned (wrapped) by Open when Config.RequireKey is set
// and no signing key was given.
var ErrNoSigningKey = errors.New("no signing key")

// KeyHint says how to create and pass a signing key.
const KeyHint = "create one outside the data directory with `openssl genpkey -algorithm ed25519 -out ledger.key` " +
	"and pass --signing-key ledger.key (or put the PEM in $" + integrity.KeyEnv + "); --demo generates one beside the data directory"

// DefaultSealInterval is how often the sealer seals while events arrive.
const DefaultSealInterval = time.Second

// loadKey returns the ledger's signing key as cfg says: SigningKey, else
// SigningKeyFile, else $TICKETLEDGER_SIGNING_KEY (when KeyFromEnv), else a
// demo key beside the data directory (DemoKey). Nil without any of them.
func loadKey(cfg Config, log *slog.Logger) (*integrity.SigningKey, string, error) {
	switch {
	case cfg.SigningKey != nil:
		return cfg.SigningKey, "given", nil
	case cfg.SigningKeyFile != "":
		k, err := integrity.LoadSigningKeyFile(cfg.SigningKeyFile)
		if err != nil {
			return nil, "", fmt.Errorf("--signing-key: %w (%s)", err, KeyHint)
		}
		return k, cfg.SigningKeyFile, nil
	}
	if cfg.KeyFromEnv {
		k, ok, err := integrity.LoadSigningKeyEnv("")
		if err != nil {
			return nil, "", fmt.Errorf("%w (%s)", err, KeyHint)
		}
		if ok {
			return k, "$" + integrity.KeyEnv, nil
		}
	}
	if cfg.DemoKey && cfg.StoreURL == "" {
		k, path, err := integrity.DemoKeyFile(dataDir(cfg), log)
		if err != nil {
			return nil, "", fmt.Errorf("demo signing key: %w", err)
		}
		return k, path, nil
	}
	if cfg.RequireKey {
		return nil, "", fmt.Errorf("%w: the ledger signs every event it appends; %s", ErrNoSigningKey, KeyHint)
	}
	return nil, "", nil
}

// dataDir is the embedded store's directory as Open uses it.
func dataDir(cfg Config) string {
	if cfg.DataDir == "" {
		return "data"
	}
	return cfg.DataDir
}

// HeadFile is the default file the sealer publishes signed tree heads to:
// "<dataDir>.head", beside the data directory (outside it, so cutting the
// directory's tail does not cut the published head).
func HeadFile(dataDir string) string { return filepath.Clean(dataDir) + ".head" }

// startIntegrity records the key in the keyring and starts the sealer.
func (l *Ledger) startIntegrity(ctx context.Context, cfg Config) error {
	if _, err := integrity.EnsureKey(ctx, l.Raw, l.Key, l.Now()); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if cfg.NoSealer {
		return nil
	}
	interval := cfg.SealInterval
	if interval <= 0 {
		interval = DefaultSealInterval
	}
	opts := integrity.SealerOptions{Interval: interval, Now: l.Now, Logger: l.log.With("component", "sealer")}
	switch {
	case cfg.HeadFile != "":
		l.HeadFile = cfg.HeadFile
	case cfg.StoreURL == "":
		l.HeadFile = HeadFile(dataDir(cfg))
	}
	var sinks integrity.Sinks
	if l.HeadFile != "" {
		sinks = append(sinks, integrity.FileSink{Path: l.HeadFile})
	}
	if cfg.HeadPostURL != "" {
		p, err := integrity.NewHeadPoster(integrity.HeadPosterOptions{URL: cfg.HeadPostURL, Logger: l.log.With("component", "head-poster"),
			OnFailure: l.Metrics.HeadPostFailed, OnDrop: l.Metrics.HeadPostDropped, OnPosted: l.Metrics.HeadPosted})
		if err != nil {
			return err
		}
		l.poster = p
		sinks = append(sinks, p)
	}
	if len(sinks) > 0 {
		opts.Sink = sinks
	}
	l.Sealer = integrity.NewSealer(l.Raw, l.Key, opts)
	if err := l.Sealer.Start(context.WithoutCancel(ctx)); err != nil {
		l.Sealer = nil
		l.closePoster()
		return err
	}
	return nil
}

// closePoster delivers the heads still queued for the head post URL, for
// up to HeadPostDrain.
func (l *Ledger) closePoster() error {
	if l.poster == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), HeadPostDrain)
	defer cancel()
	return l.poster.Close(ctx)
}

// HeadPostDrain is how long Close waits for the last heads to be posted.
const HeadPostDrain = 10 * time.Second

// closeSealer stops the sealer with a final seal.
func (l *Ledger) closeSealer() error {
	if l.Sealer == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := l.Sealer.Close(ctx)
	if perr := l.closePoster(); perr != nil {
		l.log.Error("tree heads not posted at shutdown", "err", perr)
	}
	if err != nil {
		return fmt.Errorf("final seal: %w", err)
	}
	return nil
}
