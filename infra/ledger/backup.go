package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	domledger "github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/backup"
	"github.com/ticketledger/ticketledger/infra/durable"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/subjects"
)

// ErrBackup is wrapped by the errors of Backup, BackupTo and Restore that
// are the caller's to fix ("backup refused: …", "restore refused: …"; see
// backup.ErrRefused): nothing was written.
var ErrBackup = backup.ErrRefused

// KurrentBackupHint says how a ledger on KurrentDB is backed up.
const KurrentBackupHint = "the log is in KurrentDB, which ticketledger does not copy: back it up with KurrentDB's own procedure " +
	"(a disk snapshot, or on one up-to-date node: copy the *.chk checkpoint files first, then the index directory and the chunk files; " +
	"restore on a stopped node, with chaser.chk copied to truncate.chk; see the README, section Operations), " +
	"and back up the snapshot directory (--snapshots) beside it"

// Backup writes a backup of the embedded store into dest (which must not
// exist and must be outside the data directory), consistent at one log
// position while commands go on: a Pebble checkpoint, the read models'
// snapshot as on disk, the subject key store with opts.WithSubjectKeys,
// and a manifest with the log's head and latest signed tree head.
func (l *Ledger) Backup(ctx context.Context, dest string, opts backup.Options, online bool) (backup.Manifest, error) {
	if l.Pebble == nil {
		return backup.Manifest{}, fmt.Errorf("backup %w: %s", ErrBackup, KurrentBackupHint)
	}
	m, err := backup.Take(ctx, backup.Source{
		Store: l.Pebble, DataDir: dataDir(l.cfg), SnapshotPath: l.SnapshotPath,
		SubjectKeysDir: l.keysDir, Online: online, Now: l.Now,
	}, dest, opts)
	if err != nil {
		return m, err
	}
	l.log.Info("backup written", "dir", dest, "head", m.Head, "tree_size", m.TreeSize, "bytes", m.Bytes, "subject_keys", m.SubjectKeys)
	return m, nil
}

// BackupTo is Backup into to under Config.BackupDir (relative to it, or an
// absolute path inside it), for the running ledger's API. It returns the
// backup's directory.
func (l *Ledger) BackupTo(ctx context.Context, to string, opts backup.Options) (string, backup.Manifest, error) {
	if l.Pebble == nil {
		return "", backup.Manifest{}, fmt.Errorf("backup %w: %s", ErrBackup, KurrentBackupHint)
	}
	dest, err := backup.ResolveInside(l.cfg.BackupDir, to)
	if err != nil {
		return "", backup.Manifest{}, err
	}
	m, err := l.Backup(ctx, dest, opts, true)
	return dest, m, err
}

// RestoreOptions say what Restore restores and how.
type RestoreOptions struct {
	// From is the backup's directory.
	From string
	// Force replaces a data directory that is not empty (moved aside, not
	// deleted). When it held a log, the restore is recorded in the restored
	// log as a signed ledger.restored event, which needs the signing key
	// (Config.SigningKeyFile and friends).
	Force bool
	// Reason is recorded with the restore.
	Reason string
	// Progress, when not nil, is told the bytes copied of the total.
	Progress func(done, total int64)
}

// Restored is the outcome of Restore.
type Restored struct {
	Manifest backup.Manifest `json:"backup"`
	// Aside is where the replaced data directory went ("" when it was
	// missing or empty); AsideHead where its head file went.
	Aside     string `json:"aside,omitempty"`
	AsideHead string `json:"asideHead,omitempty"`
	// Replaced is where the replaced log stood; Recorded says a
	// ledger.restored event was appended (at Position, signed by KeyID).
	Replaced backup.State `json:"replaced"`
	Recorded bool         `json:"recorded"`
	Position uint64       `json:"position,omitempty"`
	KeyID    string       `json:"keyId,omitempty"`
	// SubjectKeysKept says the replaced ledger's subject key store was
	// carried over (the backup had none).
	SubjectKeysKept bool `json:"subjectKeysKept"`
	// TokenFileKept says the replaced directory's bootstrap admin token
	// file was carried over (a backup holds no secrets).
	TokenFileKept bool `json:"tokenFileKept"`
}

// Restore copies the backup opts.From into the data directory of cfg (the
// ledger stopped). A missing or empty directory is filled; one holding data
// needs opts.Force and is moved aside. Over a log, the restore moves
// history back to the backup's head: it is recorded in the restored log as
// a ledger.restored event signed by the ledger's key (the key must be in
// the backup's keyring), so the history says so. Without the backup's own
// subject keys, the replaced ledger's key store is carried over: erasures
// done since the backup stay done; so is its bootstrap admin token file.
func Restore(ctx context.Context, cfg Config, opts RestoreOptions) (Restored, error) {
	if cfg.StoreURL != "" {
		return Restored{}, fmt.Errorf("restore %w: restore writes the embedded store's data directory; %s", ErrBackup, KurrentBackupHint)
	}
	data := dataDir(cfg)
	m, err := backup.ReadManifest(opts.From)
	if err != nil {
		return Restored{}, err
	}
	if same(opts.From, data) {
		return Restored{}, fmt.Errorf("restore %w: the backup %s is the data directory: give another --data", ErrBackup, opts.From)
	}
	r := Restored{Manifest: m}
	empty, err := backup.Empty(data)
	if err != nil {
		return r, err
	}
	overLog := false
	if !empty {
		if !opts.Force {
			return r, fmt.Errorf("restore %w: %s is not empty: restore into a new directory, or pass --force to move what it holds aside (to %s.before-restore-<time>) and restore over it", ErrBackup, data, filepath.Clean(data))
		}
		if backup.IsDataDir(data) {
			st, err := backup.ReadState(ctx, data)
			if err != nil {
				if errors.Is(err, ErrLocked) {
					return r, fmt.Errorf("restore %w: %v: stop the ledger first (restore is offline)", ErrBackup, err)
				}
				return r, fmt.Errorf("read the log in %s: %w", data, err)
			}
			r.Replaced, overLog = st, st.Head > 0
		}
	}
	var key *integrity.SigningKey
	if overLog {
		log := cfg.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		k, _, err := loadKey(cfg, log)
		if err != nil {
			return r, err
		}
		if k == nil {
			return r, fmt.Errorf("restore %w: %s holds a log (head %d) and restoring over it moves history back to position %d, which is recorded as a signed ledger.restored event: give the ledger's key (--signing-key FILE, $%s, or --demo for a demo ledger)", ErrBackup, data, r.Replaced.Head, m.Head, integrity.KeyEnv)
		}
		key = k
	}
	var carry []string
	if !empty {
		carry = append(carry, auth.BootstrapFileName)
		if !m.SubjectKeys {
			carry = append(carry, subjects.DirName)
		}
	}
	staging, carried, err := backup.Stage(opts.From, data, m.SubjectKeys, carry, opts.Progress)
	if err != nil {
		return r, err
	}
	r.SubjectKeysKept = slices.Contains(carried, subjects.DirName)
	r.TokenFileKept = slices.Contains(carried, auth.BootstrapFileName)
	if key != nil {
		if err := recordRestore(ctx, cfg, staging, key, m, r.Replaced, opts.Reason, &r); err != nil {
			_ = os.RemoveAll(staging)
			return r, err
		}
	}
	headFile := cfg.HeadFile
	if headFile == "" {
		headFile = HeadFile(data)
	}
	if r.Aside, r.AsideHead, err = backup.Swap(staging, data, headFile, nowOf(cfg)()); err != nil {
		return r, err
	}
	if m.Checkpoint != "" && !r.Recorded {
		// The backup's head is a head of the restored log; the next seal
		// replaces it.
		if err := durable.WriteFile(headFile, []byte(m.Checkpoint), 0o644); err != nil {
			return r, fmt.Errorf("write the head file %s: %w", headFile, err)
		}
	}
	return r, nil
}

// recordRestore opens the staged copy with key and appends the signed
// ledger.restored event. The sealer does not run: the next start seals it.
func recordRestore(ctx context.Context, cfg Config, staging string, key *integrity.SigningKey, m backup.Manifest, replaced backup.State, reason string, r *Restored) error {
	c := cfg
	c.DataDir, c.SigningKey, c.SigningKeyFile, c.DemoKey, c.KeyFromEnv = staging, key, "", false, false
	c.NoSealer, c.HeadFile, c.HeadPostURL, c.SubjectKeysDir = true, "", "", ""
	l, err := Open(ctx, c)
	if err != nil {
		return fmt.Errorf("open the restored log to record the restore: %w (the key must be one the backup's keyring holds and has not retired: the key the ledger signed with when the backup was taken)", err)
	}
	if reason == "" {
		reason = "restored from a backup"
	}
	ev := domledger.Restored{
		FromPosition: int64(m.Head), BackupTakenAt: m.TakenAt, BackupTreeSize: m.TreeSize,
		ReplacedHead: int64(replaced.Head), ReplacedTreeSize: replaced.TreeSize, ReplacedRoot: replaced.TreeRoot, Reason: reason,
	}
	res, err := integrity.RecordRestore(ctx, l.Store, l.CurrentKey(), ev, l.Now())
	if cerr := l.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("record the restore: %w", err)
	}
	r.Recorded, r.Position, r.KeyID = true, res.Position.Commit, key.ID()
	return nil
}

func nowOf(cfg Config) func() time.Time {
	if cfg.Now != nil {
		return cfg.Now
	}
	return time.Now
}

// same reports whether a and b name the same directory.
func same(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}
