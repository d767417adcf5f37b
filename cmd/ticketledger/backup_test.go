package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBackupRestoreOffline: backup --data writes a verified backup;
// restore fills a new directory, refuses a non-empty one without --force
// (exit 5, nothing changed) and one holding a log without the key, and
// over a log with --force --demo records the signed ledger.restored event,
// which verify accepts; KurrentDB is refused with its own procedure.
func TestBackupRestoreOffline(t *testing.T) {
	base, dir := demoDataDir(t, 3)
	bk := filepath.Join(base, "backups", "b1")
	r := runCLI(t, "backup", "--data", dir, "--to", bk)
	if r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	contains(t, r.out, "backup        "+bk, "verified      ok: ", "subject keys  not included")
	if r := runCLI(t, "backup", "--data", dir, "--to", bk); r.code != exitConflict || !strings.Contains(r.err, "already exists") {
		t.Fatalf("backup over a backup: %+v", r)
	}
	if r := runCLI(t, "backup", "--store", "esdb://localhost:2113?tls=false", "--to", bk+"x"); r.code != exitConflict || !strings.Contains(r.err, "chaser.chk") {
		t.Fatalf("backup on KurrentDB: %+v", r)
	}
	if r := runCLI(t, "backup", "--data", dir); r.code != exitUsage {
		t.Fatalf("backup without --to: %+v", r)
	}

	fresh := filepath.Join(base, "fresh")
	if r := runCLI(t, "restore", "--from", bk, "--data", fresh); r.code != 0 || !strings.Contains(r.out, "recorded      no (nothing was replaced)") {
		t.Fatalf("restore into a new directory: %+v", r)
	}
	if r := runCLI(t, "verify", "--data", fresh, "--all-signatures"); r.code != 0 {
		t.Fatalf("verify the restored ledger: %+v", r)
	}
	if r := runCLI(t, "restore", "--from", bk, "--data", fresh); r.code != exitConflict || !strings.Contains(r.err, "--force") {
		t.Fatalf("restore over a non-empty directory: %+v", r)
	}
	if r := runCLI(t, "restore", "--from", bk, "--data", dir, "--force"); r.code != exitConflict || !strings.Contains(r.err, "--signing-key") {
		t.Fatalf("restore over a log without a key: %+v", r)
	}
	r = runCLI(t, "restore", "--from", bk, "--data", dir, "--force", "--demo", "--reason", "drill")
	if r.code != 0 {
		t.Fatalf("restore over the log: %+v", r)
	}
	contains(t, r.out, "recorded      ledger.restored at position ", "admin token   none here (a backup holds no secrets)", "moved aside   "+dir+".before-restore-", "subject keys  carried over")
	if r := runCLI(t, "verify", "--data", dir, "--all-signatures"); r.code != 0 {
		t.Fatalf("verify after the restore: %+v", r)
	}
}

// demoDataDir clears the environment and records a demo history of tickets
// into base/data, offline; it returns both.
func demoDataDir(t *testing.T, tickets int) (base, dir string) {
	t.Helper()
	clearEnv(t)
	base = t.TempDir()
	dir = filepath.Join(base, "data")
	if r := runCLI(t, "demo", "--data", dir, "--tickets", strconv.Itoa(tickets)); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	return base, dir
}
