package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/infra/http/server"
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

// progressDone matches the last progress line of desc on stderr when it is
// not a terminal: "backup: 981816/981816 done in 12ms".
func progressDone(t *testing.T, stderr, desc string) (done, total int64) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(desc) + `: (\d+)/(\d+) done in \S+$`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no %q progress line ending it on stderr:\n%s", desc, stderr)
	}
	done, _ = strconv.ParseInt(m[1], 10, 64)
	total, _ = strconv.ParseInt(m[2], 10, 64)
	return done, total
}

// TestBackupProgress: online, the server streams the backup's progress
// (Accept: application/x-ndjson), bytes written of the total, never going
// back, ending at its total, then the backup; a
// refusal is still an ordinary problem answer. The CLI shows that progress
// on stderr (as lines, stderr not being a terminal here) and the result on
// stdout, shows none with --quiet, prints JSON with -o json; offline, the
// backup's copy and its verification show progress the same way.
func TestBackupProgress(t *testing.T) {
	base := t.TempDir()
	data, backups := filepath.Join(base, "data"), filepath.Join(base, "backups")
	url, stop, logs := startServe(t, "--data", data, "--backup-dir", backups)
	waitReady(t, url)
	for _, id := range []string{"p1", "p2"} {
		if code, _, body := registerPartner(t, url, id); code != 201 {
			t.Fatalf("register %s: %d %s", id, code, body)
		}
	}

	stream := func(to string) (*http.Response, []byte) {
		return authRequest(t, http.MethodPost, url+"/v1/admin/backups", testAdminSecret, strings.NewReader(`{"to":"`+to+`"}`),
			"Content-Type", "application/json", "Accept", server.BackupStreamType)
	}
	resp, body := stream("streamed")
	if resp.StatusCode != 201 || resp.Header.Get("Content-Type") != server.BackupStreamType {
		t.Fatalf("streamed backup: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	var last server.BackupProgress
	for i, raw := range lines {
		var l server.BackupLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("line %d %q: %v", i, raw, err)
		}
		if i == len(lines)-1 {
			if l.Backup == nil || l.Progress != nil || l.Problem != nil {
				t.Fatalf("the last line is not the backup: %s", raw)
			}
			if last.DoneBytes != last.TotalBytes || l.Backup.Bytes <= 0 || l.Backup.Head == 0 {
				t.Fatalf("the backup (%d bytes, head %d) after the last progress %+v", l.Backup.Bytes, l.Backup.Head, last)
			}
			break
		}
		p := l.Progress
		if p == nil || l.Backup != nil || p.DoneBytes < last.DoneBytes || p.DoneBytes > p.TotalBytes || p.TotalBytes <= 0 {
			t.Fatalf("progress line %d after %+v: %s", i, last, raw)
		}
		last = *p
	}
	if len(lines) < 3 {
		t.Fatalf("%d lines: want a start, the end and the backup:\n%s", len(lines), body)
	}
	resp, body = stream("../outside")
	if resp.StatusCode != 422 || resp.Header.Get("Content-Type") != server.ProblemContentType || !strings.Contains(string(body), "backup-refused") {
		t.Fatalf("a refused streamed backup: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	r := runCLI(t, "backup", "--to", "b1", "--server", url)
	if r.code != 0 {
		t.Fatalf("online backup: %+v", r)
	}
	done, total := progressDone(t, r.err, "backup")
	contains(t, r.out, "backup        "+filepath.Join(backups, "b1"), "size          ")
	if done != total || strings.Contains(r.out, "done in") {
		t.Fatalf("online progress %d/%d, stdout:\n%s", done, total, r.out)
	}
	if r := runCLI(t, "backup", "--to", "b2", "--quiet", "--server", url); r.code != 0 || r.err != "" || !strings.Contains(r.out, "backup        ") {
		t.Fatalf("online backup --quiet: %+v", r)
	}
	r = runCLI(t, "-o", "json", "backup", "--to", "b3", "--server", url)
	var v server.BackupView
	if err := json.Unmarshal([]byte(r.out), &v); r.code != 0 || err != nil || v.Dir != filepath.Join(backups, "b3") {
		t.Fatalf("online backup -o json: %v %+v", err, r)
	}
	progressDone(t, r.err, "backup")
	if code := stop(); code != 0 {
		t.Fatalf("serve: exit %d\n%s", code, logs)
	}

	r = runCLI(t, "backup", "--data", data, "--to", filepath.Join(base, "offline"))
	if r.code != 0 {
		t.Fatalf("offline backup: %+v", r)
	}
	done, total = progressDone(t, r.err, "backup")
	events, _ := progressDone(t, r.err, "verify backup")
	contains(t, r.out, fmt.Sprintf("verified      ok: %d events", events))
	if done != total || strings.Index(r.err, "backup: ") > strings.Index(r.err, "verify backup: ") {
		t.Fatalf("offline progress (copy, then verify):\n%s", r.err)
	}
	if r := runCLI(t, "backup", "--data", data, "--to", filepath.Join(base, "offline2"), "-q"); r.code != 0 || r.err != "" {
		t.Fatalf("offline backup -q: %+v", r)
	}
}
