// Package backup takes and restores backups of the embedded store's data
// directory.
//
// A backup is a directory that is itself a data directory (so `ticketledger
// verify --data BACKUP` checks it): a Pebble checkpoint of the store,
// consistent at one log position even while appends go on, the read
// models' snapshot as it was on disk just before the checkpoint (its
// position is never past the checkpoint's head, so a restored ledger only
// catches up), optionally the subject key store, and a manifest
// (ManifestFile) naming the log's head and the latest signed tree head in
// the backup.
//
// Restore copies a backup into a data directory (the ledger stopped);
// a directory that already holds data is moved aside, never deleted.
// Recording the restore in the log is the composition root's part
// (infra/ledger), which holds the signing key.
package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/durable"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
	"github.com/ticketledger/ticketledger/infra/subjects"
)

// ManifestFile is the manifest's name inside a backup.
const ManifestFile = "backup.json"

// Format is the manifest format this build writes and reads.
const Format = 1

// ErrRefused is wrapped by the errors that are the caller's to fix (a
// target that exists, a path outside the backup directory, a directory that
// is not a backup): nothing was written.
var ErrRefused = errors.New("refused")

// ErrOutside is wrapped, with ErrRefused, by ResolveInside's refusal of a
// path outside the backup directory.
var ErrOutside = errors.New("outside the backup directory")

// Manifest describes a backup: where and when it was taken and the log
// position it is consistent at.
type Manifest struct {
	Format  int       `json:"format"`
	TakenAt time.Time `json:"takenAt"`
	// Source is the data directory backed up; Online says the ledger was
	// running (the backup was taken through its API).
	Source string `json:"source"`
	Online bool   `json:"online"`
	// Head is the commit position of the last event in the backup (0: an
	// empty log).
	Head uint64 `json:"head"`
	// TreeSize, TreeRoot and Checkpoint are the latest signed tree head the
	// backup's log holds (ledger-seals), TreeSize 0 when there is none; the
	// events after TreeSize are covered by their signatures only.
	TreeSize   int64  `json:"treeSize"`
	TreeRoot   string `json:"treeRoot,omitempty"`
	Checkpoint string `json:"checkpoint,omitempty"`
	// Snapshot says the read models' snapshot is included, at
	// SnapshotBytes; SubjectKeys that the subject key store is.
	Snapshot      bool  `json:"snapshot"`
	SnapshotBytes int64 `json:"snapshotBytes,omitempty"`
	SubjectKeys   bool  `json:"subjectKeys"`
	// Bytes is the backup's size on disk.
	Bytes int64 `json:"bytes"`
}

// Source is what Take backs up.
type Source struct {
	// Store is the open embedded store; DataDir its directory (recorded in
	// the manifest).
	Store   *pebblestore.Store
	DataDir string
	// SnapshotPath is the read models' snapshot file ("" or missing: none).
	SnapshotPath string
	// SubjectKeysDir is the subject key store ("" or missing: none).
	SubjectKeysDir string
	// Online says the ledger is serving while the backup is taken.
	Online bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Options tune Take.
type Options struct {
	// WithSubjectKeys includes the subject key store. Off by default: the
	// keys are the contacts' personal data, and a key in a backup survives
	// its subject's erasure for as long as the backup does.
	WithSubjectKeys bool
	// Progress, when not nil, is told the bytes written so far of the
	// expected total (the files of the store, the snapshot and the keys),
	// from Take's goroutine or one of its own, never concurrently; done
	// never goes back. The total is an estimate until the last call, whose
	// done equals its total: the bytes written.
	Progress func(done, total int64)
}

// Take writes a backup of src into dest, which must not exist (its parent
// is created). It works in dest+".partial" and renames it into place, so a
// backup that failed halfway never looks like one.
func Take(ctx context.Context, src Source, dest string, opts Options) (Manifest, error) {
	now := src.Now
	if now == nil {
		now = time.Now
	}
	if _, err := os.Lstat(dest); err == nil {
		return Manifest{}, fmt.Errorf("backup %w: %s already exists: give a new directory (backups are never overwritten)", ErrRefused, dest)
	}
	if Inside(src.DataDir, dest) {
		return Manifest{}, fmt.Errorf("backup %w: %s is inside the data directory %s: put backups elsewhere", ErrRefused, dest, src.DataDir)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return Manifest{}, fmt.Errorf("create the backup's parent directory: %w", err)
	}
	staging := dest + ".partial"
	if _, err := os.Lstat(staging); err == nil {
		return Manifest{}, fmt.Errorf("backup %w: %s exists (a backup that failed, or one under way): remove it, then retry", ErrRefused, staging)
	}
	m := Manifest{Format: Format, TakenAt: now().UTC(), Source: src.DataDir, Online: src.Online}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(staging)
			os.Remove(staging + ".snapshot")
		}
	}()

	prog := newProgress(src, opts)
	// The snapshot first: its position is at most the durable head now,
	// which the checkpoint below includes.
	snapTmp := ""
	if src.SnapshotPath != "" {
		n, err := copyFile(src.SnapshotPath, staging+".snapshot", prog.add)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return Manifest{}, fmt.Errorf("copy the read models' snapshot: %w", err)
		default:
			snapTmp, m.Snapshot, m.SnapshotBytes = staging+".snapshot", true, n
		}
	}
	if err := ctx.Err(); err != nil {
		return Manifest{}, err
	}
	stopWatch := prog.watch(staging)
	_, err := src.Store.Checkpoint(staging)
	stopWatch()
	if err != nil {
		return Manifest{}, err
	}
	if snapTmp != "" {
		if err := os.Rename(snapTmp, filepath.Join(staging, filepath.Base(src.SnapshotPath))); err != nil {
			return Manifest{}, fmt.Errorf("place the read models' snapshot: %w", err)
		}
	}
	if opts.WithSubjectKeys && src.SubjectKeysDir != "" {
		if _, err := os.Stat(src.SubjectKeysDir); err == nil {
			if _, err := copyTree(src.SubjectKeysDir, filepath.Join(staging, subjects.DirName), nil, prog.add); err != nil {
				return Manifest{}, fmt.Errorf("copy the subject key store: %w", err)
			}
			m.SubjectKeys = true
		}
	}
	st, err := ReadState(ctx, staging)
	if err != nil {
		return Manifest{}, fmt.Errorf("read the backup's log: %w", err)
	}
	m.Head, m.TreeSize, m.TreeRoot, m.Checkpoint = st.Head, st.TreeSize, st.TreeRoot, st.Checkpoint
	m.Bytes = treeSize(staging)
	if err := writeManifest(staging, m); err != nil {
		return Manifest{}, err
	}
	prog.finish()
	if err := os.Rename(staging, dest); err != nil {
		return Manifest{}, fmt.Errorf("move the backup into place: %w", err)
	}
	if err := durable.SyncDir(filepath.Dir(dest)); err != nil {
		return Manifest{}, err
	}
	ok = true
	return m, nil
}

// takeProgress reports Take's progress (Options.Progress): the bytes of
// the snapshot and the subject keys as they are copied, and during the
// checkpoint, which has no progress of its own, the size of the staging
// directory, looked at every progressEvery.
type takeProgress struct {
	f           func(done, total int64)
	mu          sync.Mutex
	copied      int64 // snapshot and keys
	done, total int64
}

const progressEvery = 100 * time.Millisecond

func newProgress(src Source, opts Options) *takeProgress {
	if opts.Progress == nil {
		return &takeProgress{}
	}
	total := treeSize(src.DataDir)
	fileSize := func(p string) int64 {
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return info.Size()
		}
		return 0
	}
	if src.SnapshotPath != "" {
		if Inside(src.DataDir, src.SnapshotPath) {
			total -= fileSize(src.SnapshotPath)
		}
		total += fileSize(src.SnapshotPath)
	}
	if src.SubjectKeysDir != "" {
		if Inside(src.DataDir, src.SubjectKeysDir) {
			total -= treeSize(src.SubjectKeysDir)
		}
		if opts.WithSubjectKeys {
			total += treeSize(src.SubjectKeysDir)
		}
	}
	p := &takeProgress{f: opts.Progress, total: max(total, 1)}
	p.f(0, p.total)
	return p
}

// add counts n bytes copied.
func (p *takeProgress) add(n int64) {
	if p.f == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.copied += n
	p.report(p.copied)
}

// report tells done, never going back and never reaching the total before
// finish.
func (p *takeProgress) report(done int64) {
	done = min(max(done, p.done), p.total-1)
	if done != p.done {
		p.done = done
		p.f(done, p.total)
	}
}

// watch reports the size of dir (the checkpoint being written) until the
// returned func is called.
func (p *takeProgress) watch(dir string) (stop func()) {
	if p.f == nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	look := func() {
		n := treeSize(dir)
		p.mu.Lock()
		p.report(p.copied + n)
		p.mu.Unlock()
	}
	go func() {
		defer close(done)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				look()
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
		look()
		p.mu.Lock()
		p.copied += treeSize(dir)
		p.mu.Unlock()
	}
}

// finish reports the bytes written as done and total. (The backup's size
// on disk, Manifest.Bytes, may differ: reading its state replays the WAL
// the checkpoint copied into an sstable.)
func (p *takeProgress) finish() {
	if p.f == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := max(p.copied, p.done)
	p.f(n, n)
}

// State is where a data directory's log stands.
type State struct {
	// Head is the commit position of the last event (0: empty).
	Head uint64 `json:"head"`
	// TreeSize, TreeRoot and Checkpoint are its latest signed tree head
	// (TreeSize 0: none).
	TreeSize   int64  `json:"treeSize"`
	TreeRoot   string `json:"treeRoot,omitempty"`
	Checkpoint string `json:"checkpoint,omitempty"`
}

// ReadState opens the store in dir (which must not be in use) and returns
// its head and latest seal.
func ReadState(ctx context.Context, dir string) (State, error) {
	s, err := pebblestore.Open(dir, pebblestore.Options{CacheSize: 8 << 20})
	if err != nil {
		return State{}, err
	}
	defer s.Close()
	h, err := s.Head(ctx)
	if err != nil {
		return State{}, err
	}
	st := State{Head: h.Commit}
	last, err := s.ReadStream(ctx, ledger.SealsStream, eventstore.Backwards, eventstore.StreamEnd(), 1)
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
	case err != nil:
		return State{}, fmt.Errorf("read the last seal: %w", err)
	case len(last) == 1:
		rec, err := codec.Decode(last[0])
		if err != nil {
			return State{}, fmt.Errorf("decode the last seal: %w", err)
		}
		if seal, ok := rec.Event.(ledger.Sealed); ok {
			st.TreeSize, st.TreeRoot, st.Checkpoint = seal.TreeSize, seal.RootHash, seal.Checkpoint
		}
	}
	return st, s.Close()
}

// ReadManifest reads the manifest of the backup in dir.
func ReadManifest(dir string) (Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("restore %w: %s is not a backup (no %s): give a directory `ticketledger backup` wrote", ErrRefused, dir, ManifestFile)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("read the backup's manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("restore %w: %s: %v (the manifest is damaged: restore another backup)", ErrRefused, filepath.Join(dir, ManifestFile), err)
	}
	if m.Format != Format {
		return Manifest{}, fmt.Errorf("restore %w: %s has manifest format %d, this build reads %d: restore it with the ticketledger release that wrote it", ErrRefused, dir, m.Format, Format)
	}
	return m, nil
}

func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := durable.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the backup's manifest: %w", err)
	}
	return nil
}

// ResolveInside returns where a backup named to goes under base (a
// server's backup directory): to relative to base, or an absolute path
// inside it. A path that leaves base (.., an absolute path elsewhere, a
// symbolic link pointing out) is refused.
func ResolveInside(base, to string) (string, error) {
	if base == "" {
		return "", fmt.Errorf("backup %w: this server has no backup directory: start serve with --backup-dir DIR", ErrRefused)
	}
	to = strings.TrimSpace(to)
	if to == "" {
		return "", fmt.Errorf("backup %w: give the backup's directory (relative to the server's --backup-dir)", ErrRefused)
	}
	absBase, err := filepath.Abs(base)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(absBase); err == nil {
		absBase = real
	}
	p := to
	if !filepath.IsAbs(p) {
		p = filepath.Join(absBase, p)
	}
	p = filepath.Clean(p)
	// Resolve links in the part that exists, so a link cannot lead out.
	parent := filepath.Dir(p)
	for d := parent; ; d = filepath.Dir(d) {
		if real, err := filepath.EvalSymlinks(d); err == nil {
			rel, _ := filepath.Rel(d, parent)
			parent = filepath.Join(real, rel)
			break
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	p = filepath.Join(parent, filepath.Base(p))
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real // it exists (Take refuses it then), perhaps as a link out
	}
	if !Inside(absBase, p) {
		return "", fmt.Errorf("backup %w: %w: %s is not inside the server's backup directory %s: give a path inside it (relative paths are taken from it)", ErrRefused, ErrOutside, to, base)
	}
	return p, nil
}

// Inside reports whether the path p is strictly inside the directory dir
// (false when dir is "").
func Inside(dir, p string) bool {
	if dir == "" {
		return false
	}
	d, err1 := filepath.Abs(dir)
	q, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, q)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// copyFile copies src to dst (created, fsynced), reporting the bytes
// written to progress when it is not nil.
func copyFile(src, dst string, progress func(n int64)) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return 0, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return 0, err
	}
	var w io.Writer = out
	if progress != nil {
		w = progressWriter{out, progress}
	}
	n, err := io.Copy(w, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
	}
	return n, err
}

type progressWriter struct {
	w io.Writer
	f func(int64)
}

func (p progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.f(int64(n))
	return n, err
}

// copyTree copies the regular files and directories under src to dst,
// skipping the names skip says to, and returns the bytes copied.
func copyTree(src, dst string, skip func(rel string) bool, progress func(n int64)) (int64, error) {
	var total int64
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel != "." && skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			info, err := d.Info()
			if err != nil {
				return err
			}
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case d.Type().IsRegular():
			n, err := copyFile(path, target, progress)
			total += n
			return err
		default:
			return fmt.Errorf("%s: not a regular file or directory", path)
		}
	})
	if err != nil {
		return total, err
	}
	return total, syncTree(dst)
}

// syncTree fsyncs every directory under dir, so the new names are durable.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return durable.SyncDir(path)
	})
}

// treeSize is the bytes of the regular files under dir.
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
