package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// TestVerifyForgedAppend: a clean, signed and sealed data directory
// verifies (exit 0, also against the head it published); an event appended
// with the raw store, with a correct hash chain but no signature, is
// reported as unsigned at its stream and revision, exit 1.
func TestVerifyForgedAppend(t *testing.T) {
	_, dir := demoDataDir(t, 5)
	contains(t, runCLI(t, "demo", "--data", filepath.Join(t.TempDir(), "d2"), "--tickets", "1").err, "demo signing key")
	head, err := os.ReadFile(ledger.HeadFile(dir))
	if err != nil {
		t.Fatalf("no head published beside the data directory: %v", err)
	}
	saved := writeFile(t, t.TempDir(), "saved.head", head)
	r := runCLI(t, "verify", "--data", dir, "--against", saved, "--all-signatures")
	if r.code != 0 || strings.Contains(r.out, "PROBLEM") {
		t.Fatalf("clean verify: %+v", r)
	}
	contains(t, r.out, "consistent: the log only grew")

	// Forge: the next event of a real ticket stream, correctly chained, unsigned.
	ctx := context.Background()
	stream, rev := forgeNote(t, dir, nil)

	r = runCLI(t, "verify", "--data", dir)
	if r.code != 1 || !strings.Contains(r.out, "PROBLEM unsigned "+stream+"@"+strconv.FormatUint(rev, 10)) || !strings.Contains(r.err, "integrity problems") {
		t.Fatalf("forged append: %+v", r)
	}
	// The per-stream chains alone would not have caught it.
	l, err := ledger.Open(ctx, ledger.Config{DataDir: dir, NoSnapshots: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if rep, err := ledger.Verify(ctx, l.Raw, nil); err != nil || rep.Broken != 0 {
		t.Fatalf("chains: %+v %v", rep, err)
	}
}

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

// forgeNote appends, with the raw store of the stopped ledger in dir, the
// next event of its first ticket stream, a note by the system actor, signed
// by signer (nil: unsigned), and returns where it went (forgeNext).
func forgeNote(t *testing.T, dir string, signer codec.Signer) (string, uint64) {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DataDir: dir, NoSnapshots: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return forgeNext(t, ctx, l.Raw, signer, func(domain.Recorded) (domain.Event, domain.Meta) {
		now := time.Now().UTC()
		return ticket.NoteAdded{Text: "forged"}, domain.Meta{Actor: domain.Actor{ID: "system", Role: domain.RoleSystem}, OccurredAt: now, RecordedAt: now}
	})
}
