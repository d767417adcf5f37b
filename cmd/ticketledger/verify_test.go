package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
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

// forgeNote appends, with the raw store of the stopped ledger in dir, the
// next event of its first ticket stream, correctly chained and signed by
// signer (nil: unsigned), and returns where it went.
func forgeNote(t *testing.T, dir string, signer codec.Signer) (string, uint64) {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DataDir: dir, NoSnapshots: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	evs, err := l.Raw.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 1,
		&eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{"ticket-"}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("find a ticket: %v", err)
	}
	stream := evs[0].StreamID
	last, err := l.Raw.ReadStream(ctx, stream, eventstore.Backwards, eventstore.StreamEnd(), 1)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := codec.Decode(last[0])
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	data, _, err := codec.EncodeChainSigned(stream, prev.Meta.Hash, []domain.Event{ticket.NoteAdded{Text: "forged"}},
		[]domain.Meta{{EventID: uuid.New(), Actor: domain.Actor{ID: "system", Role: domain.RoleSystem}, OccurredAt: now, RecordedAt: now}}, signer)
	if err == nil {
		_, err = l.Raw.Append(ctx, stream, eventstore.Exact(last[0].Revision), data...)
	}
	if err != nil {
		t.Fatal(err)
	}
	return stream, last[0].Revision + 1
}
