package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	domledger "github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/backup"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
	"github.com/ticketledger/ticketledger/infra/tools/demo"
)

// demoLedger opens a signed, sealing ledger in a new directory and records
// a small demo history in it.
func demoLedger(t *testing.T, mods ...func(*Config)) (*Ledger, Config) {
	t.Helper()
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	cfg := Config{DataDir: filepath.Join(root, "data"), SigningKey: key, SealInterval: 10 * time.Millisecond, BackupDir: filepath.Join(root, "backups")}
	for _, m := range mods {
		m(&cfg)
	}
	l, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(context.Background(), l.Service, demo.Options{Seed: 3, Tickets: 15, Now: l.Now(), Tokens: l.Tokens}, nil); err != nil {
		l.Close()
		t.Fatal(err)
	}
	return l, cfg
}

// readAll returns the whole log of store.
func readAll(t *testing.T, store eventstore.Store) []eventstore.RecordedEvent {
	t.Helper()
	var out []eventstore.RecordedEvent
	from := eventstore.AllStart()
	for {
		page, err := store.ReadAll(context.Background(), eventstore.Forwards, from, 1024, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > 0 && len(page) > 0 && page[0].Position == out[len(out)-1].Position {
			page = page[1:] // AllPosition is inclusive
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		from = eventstore.AllPosition(page[len(page)-1].Position)
	}
}

// verifyDir verifies the log in dir with every signature checked.
func verifyDir(t *testing.T, dir string, against []byte) *integrity.Report {
	t.Helper()
	s, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := integrity.VerifyLog(context.Background(), s, integrity.VerifyOptions{AllSignatures: true, Against: against})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestOnlineBackupWhileAppending: backups taken while commands are being
// appended from several goroutines each verify clean, their head is the
// manifest's, and their log is a prefix of the ledger's log.
func TestOnlineBackupWhileAppending(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	l, cfg := demoLedger(t)
	ran := make(chan struct{})
	go func() { l.Runner.Run(ctx); close(ran) }()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var appended sync.Map
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("conc-%d-%d", g, i)
				if err := registerProvider(l, id); err != nil {
					t.Error(err)
					return
				}
				appended.Store(id, true)
			}
		}()
	}
	var dirs []string
	var manifests []backup.Manifest
	for i := range 3 {
		for n := 0; n < 10*(i+1); { // let appends happen between the backups
			n = 0
			appended.Range(func(any, any) bool { n++; return true })
			time.Sleep(time.Millisecond)
		}
		dir, m, err := l.BackupTo(context.Background(), fmt.Sprintf("b%d", i), backup.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(dir, cfg.BackupDir) || !m.Online || m.SubjectKeys {
			t.Fatalf("backup %d in %s: %+v", i, dir, m)
		}
		dirs, manifests = append(dirs, dir), append(manifests, m)
	}
	close(stop)
	wg.Wait()
	cancel()
	<-ran
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	orig, err := pebblestore.Open(cfg.DataDir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full := readAll(t, orig)
	orig.Close()
	for i, dir := range dirs {
		m := manifests[i]
		if i > 0 && m.Head <= manifests[i-1].Head {
			t.Errorf("backup %d head %d not after backup %d's %d: no appends between them", i, m.Head, i-1, manifests[i-1].Head)
		}
		if _, err := os.Stat(filepath.Join(dir, "subject-keys")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("backup %d holds the subject key store without WithSubjectKeys: %v", i, err)
		}
		rep := verifyDir(t, dir, nil)
		if !rep.OK() {
			t.Fatalf("backup %d does not verify: %v", i, rep.Problems)
		}
		if m.TreeSize < 1 || uint64(m.TreeSize) > rep.Events || rep.LastSeal == nil || int64(rep.LastSeal.Size) != m.TreeSize {
			t.Errorf("backup %d manifest tree size %d, log %d events, last seal %v", i, m.TreeSize, rep.Events, rep.LastSeal)
		}
		s, err := pebblestore.Open(dir, pebblestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, s)
		s.Close()
		if len(got) == 0 || got[len(got)-1].Position.Commit != m.Head {
			t.Fatalf("backup %d: %d events, manifest head %d", i, len(got), m.Head)
		}
		if len(got) > len(full) {
			t.Fatalf("backup %d has %d events, the ledger %d", i, len(got), len(full))
		}
		for j := range got {
			if got[j].ID != full[j].ID || got[j].Position != full[j].Position || !bytes.Equal(got[j].Data, full[j].Data) || !bytes.Equal(got[j].Metadata, full[j].Metadata) {
				t.Fatalf("backup %d event %d (%s@%d) differs from the ledger's (%s@%d): not a prefix", i, j, got[j].StreamID, got[j].Revision, full[j].StreamID, full[j].Revision)
			}
		}
	}
}

// readModels returns the read models' snapshots of the ledger in cfg,
// caught up with its log.
func readModels(t *testing.T, cfg Config) (tickets, audit []byte, head uint64) {
	t.Helper()
	cfg.SigningKey, cfg.NoSealer = nil, true
	l, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Runner.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	var tb, ab bytes.Buffer
	if err := l.Tickets.Snapshot(&tb); err != nil {
		t.Fatal(err)
	}
	if err := l.Audit.Snapshot(&ab); err != nil {
		t.Fatal(err)
	}
	h, _ := l.Head(context.Background())
	return tb.Bytes(), ab.Bytes(), h.Commit
}

// TestOfflineBackupAndRestore: a backup of a stopped ledger, restored into
// a new directory, serves the same read models and verifies; the snapshot
// and (when asked) the subject keys come along; restoring needs an empty
// target or --force.
func TestOfflineBackupAndRestore(t *testing.T) {
	l, cfg := demoLedger(t)
	if err := l.Close(); err != nil { // a snapshot and a final seal
		t.Fatal(err)
	}
	l, err := Open(context.Background(), Config{DataDir: cfg.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "offline")
	m, err := l.Backup(context.Background(), dest, backup.Options{WithSubjectKeys: true}, false)
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	if m.Online || !m.Snapshot || !m.SubjectKeys || m.Head == 0 || m.Checkpoint == "" {
		t.Fatalf("manifest %+v", m)
	}
	if _, err := backup.ReadManifest(dest); err != nil {
		t.Fatal(err)
	}
	if rep := verifyDir(t, dest, nil); !rep.OK() || rep.Unsealed != 1 { // the final seal itself
		t.Fatalf("backup: ok %v, unsealed %d, %v", rep.OK(), rep.Unsealed, rep.Problems)
	}

	target := filepath.Join(t.TempDir(), "restored")
	var last int64
	res, err := Restore(context.Background(), Config{DataDir: target}, RestoreOptions{From: dest, Progress: func(done, total int64) { last = done }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recorded || res.Aside != "" || last == 0 {
		t.Fatalf("restore into a new directory: %+v, progress %d", res, last)
	}
	for _, name := range []string{SnapshotFile, "subject-keys"} {
		if _, err := os.Stat(filepath.Join(target, name)); err != nil {
			t.Errorf("restored %s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(target, backup.ManifestFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the manifest was copied into the data directory: %v", err)
	}
	if head, err := os.ReadFile(HeadFile(target)); err != nil || string(head) != m.Checkpoint {
		t.Errorf("restored head file: %v", err)
	}
	wantT, wantA, wantH := readModels(t, Config{DataDir: cfg.DataDir})
	gotT, gotA, gotH := readModels(t, Config{DataDir: target})
	if gotH != wantH || !bytes.Equal(gotT, wantT) || !bytes.Equal(gotA, wantA) {
		t.Fatalf("restored ledger: head %d (want %d), tickets equal %v, audit equal %v", gotH, wantH, bytes.Equal(gotT, wantT), bytes.Equal(gotA, wantA))
	}
	if rep := verifyDir(t, target, nil); !rep.OK() {
		t.Fatalf("restored ledger does not verify: %v", rep.Problems)
	}

	// Not empty now: refused without --force, and nothing changed.
	_, err = Restore(context.Background(), Config{DataDir: target}, RestoreOptions{From: dest})
	if !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("restore over a non-empty directory: %v", err)
	}
	// Not a backup.
	if _, err := Restore(context.Background(), Config{DataDir: t.TempDir()}, RestoreOptions{From: cfg.DataDir}); !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "not a backup") {
		t.Fatalf("restore from a data directory: %v", err)
	}
	// A backup never overwrites.
	l, err = Open(context.Background(), Config{DataDir: cfg.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Backup(context.Background(), dest, backup.Options{}, false); !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing one: %v", err)
	}
	if _, err := l.Backup(context.Background(), filepath.Join(cfg.DataDir, "b"), backup.Options{}, false); !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "inside the data directory") {
		t.Fatalf("backup inside the data directory: %v", err)
	}
}

// TestRestoreOverNewerLedger: restoring an older backup over a ledger that
// moved on needs --force and the key, keeps the replaced data aside, and
// records a signed ledger.restored event naming the backup's position and
// the replaced head; the newer head held outside no longer verifies
// against the log (not an extension), which the event explains.
func TestRestoreOverNewerLedger(t *testing.T) {
	l, cfg := demoLedger(t)
	_, m, err := l.BackupTo(context.Background(), "older", backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		id := fmt.Sprintf("later-%d", i)
		if err := registerProvider(l, id); err != nil {
			t.Fatal(err)
		}
	}
	// Running: refused (the store is locked).
	from := filepath.Join(cfg.BackupDir, "older")
	withKey := cfg
	withKey.BackupDir = ""
	if _, err := Restore(context.Background(), withKey, RestoreOptions{From: from, Force: true}); !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "stop the ledger") {
		t.Fatalf("restore over a running ledger: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	newer := mustRead(t, HeadFile(cfg.DataDir))
	newerHead, err := integrity.ParseHead(newer, "", integrity.TrustedKeys(cfg.SigningKey.Public()))
	if err != nil || int64(newerHead.Size) <= m.TreeSize {
		t.Fatalf("newer head %d vs backup's %d: %v", newerHead.Size, m.TreeSize, err)
	}
	st, err := backup.ReadState(context.Background(), cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := Restore(context.Background(), withKey, RestoreOptions{From: from}); !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("without --force: %v", err)
	}
	noKey := Config{DataDir: cfg.DataDir}
	if _, err := Restore(context.Background(), noKey, RestoreOptions{From: from, Force: true}); !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "--signing-key") {
		t.Fatalf("without a key: %v", err)
	}
	if after, _ := backup.ReadState(context.Background(), cfg.DataDir); after != st {
		t.Fatalf("a refused restore changed the ledger: %+v, was %+v", after, st)
	}

	// Opening the backup as a ledger (as verify --data does) gives it an
	// empty subject key store; the restore still carries the replaced
	// ledger's over, not that one.
	if v, err := Open(context.Background(), Config{DataDir: from, NoSnapshots: true}); err != nil {
		t.Fatal(err)
	} else {
		v.Close()
	}
	wantKeys := listTree(t, filepath.Join(cfg.DataDir, "subject-keys"))
	if len(wantKeys) < 3 {
		t.Fatalf("the demo ledger's subject key store: %v", wantKeys)
	}

	// The bootstrap token file (a secret, never in a backup) comes along.
	if err := os.WriteFile(filepath.Join(cfg.DataDir, auth.BootstrapFileName), []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	res, err := Restore(context.Background(), withKey, RestoreOptions{From: from, Force: true, Reason: "drill"})
	if err != nil {
		t.Fatal(err)
	}
	if got := listTree(t, filepath.Join(cfg.DataDir, "subject-keys")); !res.SubjectKeysKept || strings.Join(got, " ") != strings.Join(wantKeys, " ") {
		t.Fatalf("subject keys after the restore (kept %v): %v, want the replaced ledger's %v", res.SubjectKeysKept, got, wantKeys)
	}
	if !res.Recorded || res.KeyID != cfg.SigningKey.ID() || res.Replaced != st || res.Aside == "" || res.AsideHead == "" || !res.TokenFileKept {
		t.Fatalf("restore: %+v", res)
	}
	if b, err := os.ReadFile(filepath.Join(cfg.DataDir, auth.BootstrapFileName)); err != nil || string(b) != "secret\n" {
		t.Fatalf("the token file after the restore: %q %v", b, err)
	}
	if aside, err := backup.ReadState(context.Background(), res.Aside); err != nil || aside != st {
		t.Fatalf("the replaced data set aside: %+v %v", aside, err)
	}
	if b, err := os.ReadFile(res.AsideHead); err != nil || !bytes.Equal(b, newer) {
		t.Fatalf("the replaced head file set aside: %v", err)
	}

	rep := verifyDir(t, cfg.DataDir, nil)
	if !rep.OK() {
		t.Fatalf("restored ledger does not verify: %v", rep.Problems)
	}
	s, err := pebblestore.Open(cfg.DataDir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := s.ReadStream(context.Background(), domledger.RestoresStream, eventstore.Forwards, eventstore.StreamStart(), 10)
	s.Close()
	if err != nil || len(recs) != 1 {
		t.Fatalf("restores stream: %d events, %v", len(recs), err)
	}
	if recs[0].Position.Commit != m.Head+1 || recs[0].Position.Commit != res.Position {
		t.Errorf("restored event at %d, want right after the backup's head %d", recs[0].Position.Commit, m.Head)
	}
	dec, err := codec.Decode(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := dec.Event.(domledger.Restored)
	if !ok || ev.FromPosition != int64(m.Head) || ev.ReplacedHead != int64(st.Head) || ev.ReplacedTreeSize != st.TreeSize || ev.ReplacedRoot != st.TreeRoot || ev.Reason != "drill" || dec.Meta.Actor != integrity.SystemActor {
		t.Fatalf("restored event %+v by %v", dec.Event, dec.Meta.Actor)
	}
	// Signed by the ledger's key: a forged copy fails verify.
	if err := codec.VerifySignature(recs[0], integrity.TrustedKeys(cfg.SigningKey.Public())); err != nil {
		t.Fatalf("restored event signature: %v", err)
	}

	// The party holding the newer head: the log is not an extension of it.
	rep = verifyDir(t, cfg.DataDir, newer)
	if rep.OK() || rep.Against == nil || rep.Against.Consistent {
		t.Fatalf("verify against the newer head: ok %v, against %+v", rep.OK(), rep.Against)
	}
	// The backup's own head still verifies against the restored log.
	if rep := verifyDir(t, cfg.DataDir, []byte(m.Checkpoint)); !rep.OK() || !rep.Against.Consistent {
		t.Fatalf("verify against the backup's head: %v", rep.Problems)
	}
}

// TestBackupRefusals: a path outside the backup directory, no backup
// directory, and a ledger on KurrentDB are refused with what to do.
func TestBackupRefusals(t *testing.T) {
	l, cfg := demoLedger(t)
	defer l.Close()
	for _, to := range []string{"../escape", "/tmp/elsewhere", filepath.Join(cfg.BackupDir, "..", "x"), ""} {
		_, _, err := l.BackupTo(context.Background(), to, backup.Options{})
		if !errors.Is(err, ErrBackup) || (to != "" && !errors.Is(err, backup.ErrOutside)) {
			t.Errorf("backup to %q: %v", to, err)
		}
	}
	// A link inside the backup directory pointing out of it.
	os.MkdirAll(cfg.BackupDir, 0o755)
	out := t.TempDir()
	if err := os.Symlink(out, filepath.Join(cfg.BackupDir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.BackupTo(context.Background(), "link/b", backup.Options{}); !errors.Is(err, backup.ErrOutside) {
		t.Errorf("backup through a link out: %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("written through the link: %v", entries)
	}
	if dir, _, err := l.BackupTo(context.Background(), filepath.Join(cfg.BackupDir, "abs"), backup.Options{}); err != nil || filepath.Base(dir) != "abs" {
		t.Errorf("absolute path inside: %s %v", dir, err)
	}

	l.cfg.BackupDir = ""
	if _, _, err := l.BackupTo(context.Background(), "x", backup.Options{}); !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "--backup-dir") {
		t.Errorf("no backup directory: %v", err)
	}

	kurrent := &Ledger{}
	if _, err := kurrent.Backup(context.Background(), t.TempDir()+"/b", backup.Options{}, false); !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "KurrentDB's own") {
		t.Errorf("backup on KurrentDB: %v", err)
	}
	if _, err := Restore(context.Background(), Config{StoreURL: "esdb://localhost:2113?tls=false"}, RestoreOptions{From: t.TempDir()}); !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), "KurrentDB") {
		t.Errorf("restore on KurrentDB: %v", err)
	}
}

// TestBackupOverHTTP: POST /v1/admin/backups writes a backup under the
// server's backup directory for an admin; other roles are refused, a path
// outside is a 422 and an existing target a 409, both as problems naming
// the rule.
func TestBackupOverHTTP(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	_, _, call := sealedAPI(t, func(c *Config) { c.BackupDir = dir })
	post := func(role, body string) (int, string) { return call("POST /v1/admin/backups "+body, role, "") }
	code, body := post("admin", `{"to":"nightly"}`)
	var v server.BackupView
	if err := json.Unmarshal([]byte(body), &v); code != http.StatusCreated || err != nil || v.Dir != filepath.Join(dir, "nightly") || v.Head == 0 || v.SubjectKeys {
		t.Fatalf("admin backup: %d %s", code, body)
	}
	if _, err := backup.ReadManifest(v.Dir); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"auditor", "vendor_support", "indirect_provider"} {
		if code, body := post(role, `{"to":"by-`+role+`"}`); code != http.StatusForbidden {
			t.Errorf("%s: %d %s", role, code, body)
		}
	}
	if code, body := post("admin", `{"to":"../../etc/x"}`); code != http.StatusUnprocessableEntity || !strings.Contains(body, string(server.RuleBackup)) || !strings.Contains(body, "backup directory") {
		t.Errorf("outside: %d %s", code, body)
	}
	if code, body := post("admin", `{"to":"nightly"}`); code != http.StatusConflict || !strings.Contains(body, "already exists") {
		t.Errorf("existing: %d %s", code, body)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("backup directory holds %d entries, want the one backup", len(entries))
	}
}

// listTree lists the files under dir with their contents' sizes and
// hashes, sorted.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out = append(out, fmt.Sprintf("%s:%x", rel, sha256.Sum256(b)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBackupDirInsideData: serve refuses a backup directory inside the
// data directory, where a backup would be lost with the data.
func TestBackupDirInsideData(t *testing.T) {
	dir := t.TempDir()
	for _, bd := range []string{dir, filepath.Join(dir, "backups")} {
		if l, err := Open(context.Background(), Config{DataDir: dir, BackupDir: bd}); err == nil || !strings.Contains(err.Error(), "--backup-dir") {
			if l != nil {
				l.Close()
			}
			t.Errorf("backup dir %s: %v", bd, err)
		}
	}
}
