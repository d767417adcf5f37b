package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ticketledger/ticketledger/infra/backup"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// ErrRotation is wrapped by the errors of RotateKey that are the caller's
// to fix (no place for the new key, a key file inside the data directory,
// a ledger that does not seal): nothing was recorded.
var ErrRotation = errors.New("key rotation refused")

// RotateOptions say where the new key of a rotation comes from.
type RotateOptions struct {
	// KeyFile is the new private key: loaded when it exists (e.g. made with
	// openssl genpkey), else generated and written there (mode 0600). It
	// must be outside the data directory. Empty: a new key is generated and
	// written to Config.NewKeyDir (or the directory of the current key
	// file) as ledger-<keyId>.key; a demo key file is replaced instead.
	KeyFile string
	// Reason is recorded with the rotation.
	Reason string
}

// Rotation is the outcome of RotateKey.
type Rotation struct {
	Old, New integrity.KeyInfo // as the keyring now records them
	// KeyFile holds the new private key; Generated says whether the ledger
	// made it.
	KeyFile   string
	Generated bool
	Demo      bool // KeyFile is the demo key beside the data directory
}

// NextStart tells the operator how to start the ledger after the rotation.
func (r Rotation) NextStart() string {
	if r.Demo {
		return fmt.Sprintf("the ledger signs with key %s now; the demo key file %s holds it, so serve --demo starts with it: the retired key %s is refused from now on", r.New.ID, r.KeyFile, r.Old.ID)
	}
	return fmt.Sprintf("the ledger signs with key %s now; on its next start give it --signing-key %s (or put that PEM in $%s): the retired key %s is refused from now on",
		r.New.ID, r.KeyFile, integrity.KeyEnv, r.Old.ID)
}

// CurrentKey returns the key the ledger signs with now (nil without one).
func (l *Ledger) CurrentKey() *integrity.SigningKey {
	if l.keys == nil {
		return nil
	}
	return l.keys.Current()
}

// RotateKey makes the ledger sign with a new key from now on: it seals the
// log with the current key, records the new key in the keyring (signed by
// the current one) and the current key's retirement (signed by the new
// one), while no append is in flight, so the old key signed nothing after
// its retirement. Old public keys stay in the keyring: history still
// verifies. The new private key is in Rotation.KeyFile, outside the data
// directory: start the ledger with --signing-key pointing at it next time.
func (l *Ledger) RotateKey(ctx context.Context, opts RotateOptions) (Rotation, error) {
	if l.keys == nil {
		return Rotation{}, fmt.Errorf("%w: this ledger has no signing key", ErrRotation)
	}
	if l.Sealer == nil {
		return Rotation{}, fmt.Errorf("%w: this ledger does not seal the log (--no-seal): rotate on the ledger that seals it, then restart this one with the new key", ErrRotation)
	}
	reason := opts.Reason
	if reason == "" {
		reason = "key rotation"
	}
	next, path, generated, commit, err := l.newKey(opts.KeyFile)
	if err != nil {
		return Rotation{}, err
	}
	var old *integrity.SigningKey
	var kr *integrity.Keyring
	err = l.keys.Rotate(func(cur *integrity.SigningKey) (*integrity.SigningKey, error) {
		old = cur
		kr, err = l.Sealer.Rotate(ctx, next, reason)
		return next, err
	})
	if err != nil {
		commit(false)
		return Rotation{}, err
	}
	if err := commit(true); err != nil {
		return Rotation{}, fmt.Errorf("the ledger now signs with key %s, but its key file could not be put in place: %w (the key is in %s.new: move it there and point --signing-key at it)", next.ID(), err, path)
	}
	r := Rotation{KeyFile: path, Generated: generated, Demo: path == integrity.DemoKeyPath(dataDir(l.cfg))}
	r.Old, _ = kr.Key(old.ID())
	r.New, _ = kr.Key(next.ID())
	l.log.Info("signing key rotated", "old_key", old.ID(), "new_key", next.ID(), "retired_at", r.Old.RetiredRef(), "key_file", path)
	return r, nil
}

// newKey loads or generates the new key of a rotation and says where it
// is. commit(true) finishes putting the file in place after the rotation
// was recorded; commit(false) undoes what newKey wrote.
func (l *Ledger) newKey(file string) (key *integrity.SigningKey, path string, generated bool, commit func(bool) error, err error) {
	noop := func(bool) error { return nil }
	if file != "" {
		if err := l.outsideData(file); err != nil {
			return nil, "", false, nil, err
		}
		if _, serr := os.Stat(file); serr == nil {
			k, err := integrity.LoadSigningKeyFile(file)
			if err != nil {
				return nil, "", false, nil, fmt.Errorf("%w: new key: %v", ErrRotation, err)
			}
			return k, file, false, noop, nil
		}
	}
	key, err = integrity.GenerateSigningKey()
	if err != nil {
		return nil, "", false, nil, err
	}
	demo := l.cfg.DemoKey && file == "" && l.cfg.NewKeyDir == "" && l.KeySource == integrity.DemoKeyPath(dataDir(l.cfg))
	switch {
	case file != "":
		path = file
	case demo:
		// The demo key file is replaced after the rotation, so that
		// `serve --demo` starts with the new key.
		path = l.KeySource
		tmp := path + ".new"
		if err := os.WriteFile(tmp, key.MarshalPEM(), 0o600); err != nil {
			return nil, "", false, nil, fmt.Errorf("write the new key: %w", err)
		}
		return key, path, true, func(ok bool) error {
			if !ok {
				return os.Remove(tmp)
			}
			return os.Rename(tmp, path)
		}, nil
	default:
		dir := l.cfg.NewKeyDir
		if dir == "" && l.cfg.SigningKeyFile != "" && l.KeySource == l.cfg.SigningKeyFile {
			dir = filepath.Dir(l.cfg.SigningKeyFile)
		}
		if dir == "" {
			return nil, "", false, nil, fmt.Errorf("%w: the current key came from %s, so there is no key directory to write the new key to: start serve with --new-key-dir DIR (outside the data directory), or rotate offline with `ticketledger keys rotate --new-key FILE`", ErrRotation, l.KeySource)
		}
		path = filepath.Join(dir, "ledger-"+key.ID()+".key")
	}
	if err := l.outsideData(path); err != nil {
		return nil, "", false, nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", false, nil, fmt.Errorf("%w: write the new key: %v", ErrRotation, err)
	}
	if _, err := f.Write(key.MarshalPEM()); err != nil {
		f.Close()
		os.Remove(path)
		return nil, "", false, nil, fmt.Errorf("write the new key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, "", false, nil, fmt.Errorf("write the new key: %w", err)
	}
	return key, path, true, func(ok bool) error {
		if !ok {
			return os.Remove(path)
		}
		return nil
	}, nil
}

// outsideData refuses a key path inside the embedded store's data
// directory: whoever can write the data would hold the key too.
func (l *Ledger) outsideData(path string) error {
	if l.Pebble != nil && backup.Inside(dataDir(l.cfg), path) {
		return fmt.Errorf("%w: key file %s is inside the data directory %s: whoever can write the data would hold the key too; put it elsewhere", ErrRotation, path, dataDir(l.cfg))
	}
	return nil
}
