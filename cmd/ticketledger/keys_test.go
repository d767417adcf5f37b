package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/infra/integrity"
)

// TestKeysRotateOffline: on a stopped demo ledger, keys rotate writes the
// new key where asked (never inside the data directory), keys list shows
// both keys with the old one retired at a log position, the log verifies;
// an event signed afterwards with the retired key is reported as forged,
// located, exit 1.
func TestKeysRotateOffline(t *testing.T) {
	base, dir := demoDataDir(t, 3)
	old, err := integrity.LoadSigningKeyFile(integrity.DemoKeyPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "keys", "rotate", "--data", dir+"-typo", "--signing-key", integrity.DemoKeyPath(dir)); r.code == 0 || !strings.Contains(r.err, "no data directory there") {
		t.Fatalf("a data directory that does not exist: %+v", r)
	}
	r := runCLI(t, "keys", "rotate", "--data", dir, "--new-key", filepath.Join(dir, "new.key"))
	if r.code == 0 || !strings.Contains(r.err, "inside the data directory") {
		t.Fatalf("a key inside the data directory: %+v", r)
	}
	newFile := filepath.Join(base, "keys-ledger.key")
	r = runCLI(t, "keys", "rotate", "--data", dir, "--new-key", newFile, "--reason", "test rotation")
	if r.code != 0 {
		t.Fatalf("rotate: %+v", r)
	}
	next, err := integrity.LoadSigningKeyFile(newFile)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, r.out, "retired key  "+old.ID(), "new key      "+next.ID(), "key file     "+newFile, "--signing-key "+newFile)

	r = runCLI(t, "keys", "list", "--data", dir, "-o", "csv")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "KEY ID,FINGERPRINT,ALGORITHM,ACTIVE FROM,RETIRED AT") ||
		!strings.HasPrefix(lines[1], old.ID()+",SHA256:") || strings.Contains(lines[1], ",-,") ||
		!strings.HasPrefix(lines[2], next.ID()+",") || !strings.Contains(lines[2], ",-,") {
		t.Fatalf("keys list: %+v", r)
	}
	if r := runCLI(t, "verify", "--data", dir, "--all-signatures", "--trusted-key", old.ID()); r.code != 0 {
		t.Fatalf("verify after the rotation, the first key pinned: %+v", r)
	}
	if r := runCLI(t, "verify", "--data", dir, "--trusted-key", integrity.Fingerprint(next.Public())); r.code != 1 || !strings.Contains(r.out, "PROBLEM untrusted-anchor ledger-keys@0") {
		t.Fatalf("verify with another anchor pinned: %+v", r)
	}
	if r := runCLI(t, "keys", "rotate", "--data", dir, "--signing-key", integrity.DemoKeyPath(dir), "--new-key", filepath.Join(base, "again.key")); r.code == 0 || !strings.Contains(r.err, "retired") {
		t.Fatalf("rotating from the retired key: %+v", r)
	}

	stream, rev := forgeNote(t, dir, old)
	r = runCLI(t, "verify", "--data", dir)
	if r.code != 1 || !strings.Contains(r.out, "PROBLEM retired-key "+stream+"@"+strconv.FormatUint(rev, 10)) {
		t.Fatalf("event signed by the retired key: %+v", r)
	}
	contains(t, r.out, "after it was retired at ledger-keys@2", "key "+old.ID())
}
