package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/damagetest"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/tmpfstest"
)

// TestServeDiskFull runs serve on a real 16 MiB tmpfs and fills it: appends
// answer 503 store-full with Retry-After, reads, /metrics and /readyz
// (degraded) keep working, the log says so once; once space is freed,
// appends succeed in the same process, and after a restart every
// acknowledged append is there.
func TestServeDiskFull(t *testing.T) {
	mnt := tmpfstest.Mount(t, "16m")
	data := filepath.Join(mnt, "data")
	base, stop, logs := startServe(t, "--data", data, "--min-free-bytes", fmt.Sprint(4<<20), "--log-format", "json")
	waitReady(t, base)
	acked := []string{}
	for _, id := range []string{"p1", "p2"} {
		if code, _, body := registerPartner(t, base, id); code != 201 {
			t.Fatalf("register %s: %d %s", id, code, body)
		}
		acked = append(acked, id)
	}

	ballast := tmpfstest.Fill(t, mnt, 3<<20) // below the 4 MiB reserve
	for range 2 {
		code, retry, body := registerPartner(t, base, "p3")
		var p server.Problem
		if err := json.Unmarshal(body, &p); err != nil || code != 503 || p.Rule != "store-full" || retry != "30" || !strings.Contains(p.Detail, "disk is full") {
			t.Fatalf("append on a full disk: %d Retry-After %q %s", code, retry, body)
		}
	}
	if code, body := get(t, base+"/v1/partners/p1"); code != 200 {
		t.Fatalf("read on a full disk: %d %s", code, body)
	}
	r := runCLI(t, "partner", "register", "p9", "--name", "P9", "--partner-role", "indirect_provider", "--email", "s@p9.example", "--server", base)
	if r.code == 0 || !strings.Contains(r.err, "disk is full") {
		t.Fatalf("the CLI on a full disk: %+v", r)
	}
	t.Logf("the CLI on a full disk: exit %d: %s", r.code, r.err)
	checkDegraded(t, base, "on a full disk", "--min-free-bytes", "ticketledger_store_disk_full 1", "ticketledger_store_appends_refused_total 3")
	if n := strings.Count(logs.String(), "disk nearly full"); n != 1 { // 3 refusals, one line
		t.Fatalf("%d log lines about the full disk, want 1:\n%s", n, logs)
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"p3", "p4"} {
		if code, _, body := registerPartner(t, base, id); code != 201 {
			t.Fatalf("register %s once space is back: %d %s", id, code, body)
		}
		acked = append(acked, id)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(string(body), `"ready"`) {
		t.Fatalf("readyz once space is back: %d %s", code, body)
	}
	if !strings.Contains(logs.String(), "disk space available again") {
		t.Fatalf("no log line about the space returning:\n%s", logs)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d:\n%s", code, logs)
	}
	if strings.Contains(logs.String(), "panic") {
		t.Fatalf("a panic in the log:\n%s", logs)
	}

	checkAcknowledged(t, data, acked, "--min-free-bytes", fmt.Sprint(4<<20))
}

// checkDegraded checks, for the situation named while, that serve at base
// answers /readyz degraded with detail in the detail and /metrics with each
// of the lines metrics.
func checkDegraded(t *testing.T, base, while, detail string, metrics ...string) {
	t.Helper()
	code, body := get(t, base+"/readyz")
	var h server.Health
	if err := json.Unmarshal(body, &h); err != nil || code != 200 || h.Status != "degraded" || !strings.Contains(h.Detail, detail) {
		t.Fatalf("readyz %s: %d %s", while, code, body)
	}
	code, body = get(t, base+"/metrics")
	for _, m := range metrics {
		if code != 200 || !strings.Contains(string(body), m) {
			t.Fatalf("/metrics %s, want %q: %d\n%s", while, m, code, grepLines(string(body), "ticketledger_store_"))
		}
	}
}

// checkAcknowledged restarts serve on the stopped ledger in data (with the
// flags extra) and checks that every acknowledged partner is there and one
// never registered is not; then, stopped again, that the ledger verifies.
func checkAcknowledged(t *testing.T, data string, acked []string, extra ...string) {
	t.Helper()
	base, stop, logs := startServe(t, append([]string{"--data", data}, extra...)...)
	waitReady(t, base)
	for _, id := range acked {
		if code, body := get(t, base+"/v1/partners/"+id); code != 200 {
			t.Fatalf("acknowledged partner %s after a restart: %d %s\n%s", id, code, body, logs)
		}
	}
	if code, body := get(t, base+"/v1/partners/never-registered"); code != 404 {
		t.Fatalf("a partner never registered: %d %s", code, body)
	}
	stop()
	if r := runCLI(t, "verify", "--data", data); r.code != 0 {
		t.Fatalf("verify after the restart: %+v", r)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// damagedDir writes a demo ledger into a new data directory (so that its
// events end in an sstable once reopened) and returns it.
func damagedDir(t *testing.T) string {
	t.Helper()
	_, dir := demoDataDir(t, 60)
	if r := runCLI(t, "verify", "--data", dir); r.code != 0 { // replays the WAL into an sstable
		t.Fatalf("verify of the intact ledger: %+v", r)
	}
	return dir
}

// TestDamagedSSTableCLI: 8 flipped bytes in the middle of the newest
// sstable. serve refuses to start naming the file and what to do; verify
// reports the unreadable log positions and the streams there and exits 1;
// rebuild fails with the same message; nothing panics.
func TestDamagedSSTableCLI(t *testing.T) {
	dir := damagedDir(t)
	sst := damagetest.Newest(t, dir, ".sst")
	fi, _ := os.Stat(sst)
	damagetest.Flip(t, sst, fi.Size()/2, 8)

	r := runCLI(t, "verify", "--data", dir)
	if r.code != 1 || strings.Contains(r.err, "panic") {
		t.Fatalf("verify of a damaged sstable: %+v", r)
	}
	contains(t, r.out, "damaged files", sst, "checksum mismatch", "unreadable", "log positions", "streams", "ticket-")
	contains(t, r.err, "the event store in "+dir+" is damaged", "restore the data directory from a backup")

	r = runCLI(t, "verify", "--data", dir, "-o", "json")
	var rep damageReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil || r.code != 1 || !rep.Damaged || len(rep.Files) != 1 || len(rep.Unreadable) == 0 || len(rep.Streams) == 0 {
		t.Fatalf("verify -o json: %v %+v", err, r)
	}

	for _, args := range [][]string{{"rebuild", "--data", dir}, {"serve", "--data", dir, "--http", "127.0.0.1:0", "--demo"}} {
		r = runCLI(t, args...)
		if r.code != 1 || strings.Contains(r.err, "panic") {
			t.Fatalf("%s on a damaged sstable: %+v", args[0], r)
		}
		contains(t, r.err, sst, "checksum mismatch", "restore the data directory from a backup", "ticketledger verify --data "+dir)
	}
}

// TestDamagedWALCLI: a flipped record in the middle of the WAL makes serve
// and verify name the log file (not the wrong hint about a writable
// directory); a WAL cut short, as a crash leaves it, is no error.
func TestDamagedWALCLI(t *testing.T) {
	_, dir := demoDataDir(t, 60)
	torn := dir + "-torn"
	if out, err := exec.Command("cp", "-a", dir, torn).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	if out, err := exec.Command("cp", "-a", dir+".signing-key", torn+".signing-key").CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	wal := damagetest.Newest(t, dir, ".log")
	fi, _ := os.Stat(wal)
	damagetest.Flip(t, wal, fi.Size()/2, 8)
	for _, args := range [][]string{{"verify", "--data", dir}, {"serve", "--data", dir, "--http", "127.0.0.1:0", "--demo"}} {
		r := runCLI(t, args...)
		if r.code != 1 || strings.Contains(r.err, "panic") || strings.Contains(r.err, "writable") {
			t.Fatalf("%s on a damaged WAL: %+v", args[0], r)
		}
		contains(t, r.err, wal, "write-ahead log damaged", "restore the data directory from a backup")
	}

	twal := damagetest.Newest(t, torn, ".log")
	fi, _ = os.Stat(twal)
	if err := os.Truncate(twal, fi.Size()-200); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "verify", "--data", torn); r.code != 0 || r.err != "" && strings.Contains(r.err, "damaged") {
		t.Fatalf("verify of a torn WAL tail: %+v", r)
	}
}

// TestServeReopenAfterDiskFull runs serve on a real 16 MiB tmpfs with the
// free-space check off (--min-free-bytes 0) and fills it until Pebble's own
// WAL write fails: that command and later ones answer 503 store-failed
// (no panic, the process goes on), /readyz is degraded, /metrics counts the
// failure; once the ballast is removed the store reopens itself, commands
// succeed in the same process and reach the read models, the failure and
// the recovery are one log line each, and after a restart every
// acknowledged command is there.
func TestServeReopenAfterDiskFull(t *testing.T) {
	mnt := tmpfstest.Mount(t, "16m")
	data := filepath.Join(mnt, "data")
	base, stop, logs := startServe(t, "--data", data, "--min-free-bytes", "0", "--log-format", "json")
	waitReady(t, base)
	var acked []string
	ballast := tmpfstest.Fill(t, mnt, 64<<10)
	var failed []byte
	for i := 0; i < 5000 && failed == nil; i++ {
		id := fmt.Sprintf("p%d", i)
		code, _, body := registerPartner(t, base, id)
		switch {
		case code == 201:
			acked = append(acked, id)
		case code == 503:
			failed = body
		default:
			t.Fatalf("register %s on a filling disk: %d %s", id, code, body)
		}
	}
	var p server.Problem
	if err := json.Unmarshal(failed, &p); err != nil || p.Rule != "store-failed" || !strings.Contains(p.Detail, "reopening itself") {
		t.Fatalf("the command that met the full disk: %s", failed)
	}
	checkDegraded(t, base, "while the store reopens", "reopen", "ticketledger_store_failed 1", "ticketledger_store_failures_total 1")

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, body := registerPartner(t, base, "after")
		if code == 201 {
			acked = append(acked, "after")
			break
		}
		if code != 503 || time.Now().After(deadline) {
			t.Fatalf("register once space is back: %d %s\n%s", code, body, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(string(body), `"ready"`) {
		t.Fatalf("readyz after the reopen: %d %s", code, body)
	}
	// The projector went on through the reopen: the read model shows the
	// command taken after it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, body := get(t, base+"/v1/partners/after")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the partner registered after the reopen, read in the same process: %d %s", code, body)
		}
	}
	if code, body := get(t, base+"/metrics"); !strings.Contains(string(body), "ticketledger_store_reopens_total 1") || !strings.Contains(string(body), "ticketledger_store_failed 0") {
		t.Fatalf("/metrics after the reopen: %d\n%s", code, grepLines(string(body), "ticketledger_store_"))
	}
	for _, line := range []string{"event store commit failed", "event store reopened after a failure"} {
		if n := strings.Count(logs.String(), line); n != 1 {
			t.Errorf("%d log lines %q, want 1:\n%s", n, line, grepLines(logs.String(), "event store"))
		}
	}
	if code := stop(); code != 0 || strings.Contains(logs.String(), "panic") {
		t.Fatalf("serve exit %d:\n%s", code, logs)
	}
	t.Logf("%d commands acknowledged around the failure", len(acked))

	checkAcknowledged(t, data, acked, "--min-free-bytes", "0")
}
