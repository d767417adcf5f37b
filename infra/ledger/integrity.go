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
	if l.HeadFile != "" {
		opts.Sink = integrity.FileSink{Path: l.HeadFile}
	}
	l.Sealer = integrity.NewSealer(l.Raw, l.Key, opts)
	if err := l.Sealer.Start(context.WithoutCancel(ctx)); err != nil {
		l.Sealer = nil
		return err
	}
	return nil
}

// closeSealer stops the sealer with a final seal.
func (l *Ledger) closeSealer() error {
	if l.Sealer == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Sealer.Close(ctx); err != nil {
		return fmt.Errorf("final seal: %w", err)
	}
	return nil
}
