package integrity

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ticketledger/ticketledger/domain/ledger"
)

func TestHonestLogVerifies(t *testing.T) {
	f := newFixture(t)
	var progress []uint64
	r := f.verify(t, VerifyOptions{Progress: func(n uint64) { progress = append(progress, n) }, BatchSize: 5})
	if !r.OK() {
		t.Fatalf("problems on an honest log:\n%s", dump(r))
	}
	// keyring 1 + 12 notes + seal + 3 notes + final seal
	if r.Events != 18 || r.Seals != 2 || r.SealedSize != 17 || r.Unsealed != 1 || r.Streams != 5 {
		t.Fatalf("report %+v", r)
	}
	if r.LastSeal == nil || !bytes.Equal(r.LastSeal.Root, f.heads[1].Root) || r.LastSeal.Size != 17 {
		t.Fatalf("last seal %+v, want the final head %+v", r.LastSeal, f.heads[1].Head)
	}
	if len(progress) == 0 || progress[len(progress)-1] != 18 {
		t.Fatalf("progress %v", progress)
	}
	// Sealed history: only the keyring, the seals and the unsealed tail are
	// signature-checked by default; --all-signatures checks every one.
	all := f.verify(t, VerifyOptions{AllSignatures: true})
	if !all.OK() || all.SignaturesChecked <= r.SignaturesChecked || all.SignaturesChecked != 18 {
		t.Fatalf("all signatures: %d checked (default %d), problems:\n%s", all.SignaturesChecked, r.SignaturesChecked, dump(all))
	}
	// The published head verifies and the log is consistent with it.
	against := f.verify(t, VerifyOptions{Against: readFile(t, f.headFile), AgainstKeys: TrustedKeys(f.key.Public())})
	if !against.OK() || against.Against == nil || !against.Against.Consistent || against.Against.Head.Size != 17 {
		t.Fatalf("against the published head: %+v\n%s", against.Against, dump(against))
	}
	first := f.verify(t, VerifyOptions{Against: f.heads[0].Checkpoint})
	if !first.OK() || !first.Against.Consistent {
		t.Fatalf("against the first head:\n%s", dump(first))
	}
}

func TestTamperChangedPayloadByte(t *testing.T) {
	f := newFixture(t)
	f.raw(t, func(db *pebble.DB, log []rawRecord) {
		r := find(t, log, "ticket-b", 1)
		r.data = bytes.Replace(r.data, []byte("note b1"), []byte("note b7"), 1)
		put(t, db, r)
	})
	r := f.verify(t, VerifyOptions{})
	want(t, r, ProblemHashMismatch, "ticket-b@1", "covered by seal ledger-seals@0")
}

func TestTamperChangedMetadata(t *testing.T) {
	f := newFixture(t)
	f.raw(t, func(db *pebble.DB, log []rawRecord) {
		r := find(t, log, "ticket-c", 2)
		r.meta = bytes.Replace(r.meta, []byte(`"occurredAt":"2026-`), []byte(`"occurredAt":"2025-`), 1)
		put(t, db, r)
		r = find(t, log, "ticket-a", 0)
		r.meta = bytes.Replace(r.meta, []byte(`"id":"ledger"`), []byte(`"id":"mallet"`), 1)
		put(t, db, r)
	})
	r := f.verify(t, VerifyOptions{})
	want(t, r, ProblemHashMismatch, "ticket-c@2")
	want(t, r, ProblemHashMismatch, "ticket-a@0")
}

func TestTamperDeletedEventInTheMiddle(t *testing.T) {
	f := newFixture(t)
	f.raw(t, func(db *pebble.DB, log []rawRecord) { del(t, db, find(t, log, "ticket-a", 1).seq) })
	r := f.verify(t, VerifyOptions{})
	want(t, r, ProblemChainBroken, "ticket-a@2")
	want(t, r, ProblemTreeMismatch, "leaves [0, 13)", "ledger-seals@0")
}

func TestTamperDeletedStreamTail(t *testing.T) {
	f := newFixture(t)
	f.raw(t, func(db *pebble.DB, log []rawRecord) { del(t, db, find(t, log, "ticket-c", 3).seq) })
	r := f.verify(t, VerifyOptions{})
	want(t, r, ProblemTreeMismatch, "leaves [0, 13)")
}

func TestTamperDeletedWholeStream(t *testing.T) {
	f := newFixture(t)
	f.raw(t, func(db *pebble.DB, log []rawRecord) {
		for _, r := range log {
			if r.stream == "ticket-b" {
				del(t, db, r.seq)
			}
		}
	})
	r := f.verify(t, VerifyOptions{})
	want(t, r, ProblemTreeMismatch, "leaves [0, 13)", "ledger-seals@0")
}

func TestTamperReordered(t *testing.T) {
	f := newFixture(t)
	f.raw(t, func(db *pebble.DB, log []rawRecord) {
		a, b := find(t, log, "ticket-a", 1), find(t, log, "ticket-a", 2)
		a.seq, b.seq = b.seq, a.seq
		put(t, db, a)
		put(t, db, b)
	})
	r := f.verify(t, VerifyOptions{})
	want(t, r, ProblemChainBroken, "ticket-a@2")
	want(t, r, ProblemRevision, "ticket-a@1")
	want(t, r, ProblemTreeMismatch)
}

func TestTamperDuplicated(t *testing.T) {
	f := newFixture(t)
	f.raw(t, func(db *pebble.DB, log []rawRecord) {
		d := find(t, log, "ticket-b", 3)
		d.seq = log[len(log)-1].seq + 1
		put(t, db, d)
	})
	r := f.verify(t, VerifyOptions{})
	want(t, r, ProblemRevision, "ticket-b@3", "not covered by any seal")
}

// A forged append through the store with a correct chain: unsigned, or
// signed with a key not in the keyring.
func TestTamperForgedAppendWithCorrectChain(t *testing.T) {
	f := newFixture(t)
	foreign, _ := GenerateSigningKey()
	st := openStore(t, f.dir)
	ctx := context.Background()
	if _, err := appendSigned(ctx, st, "ticket-a", nil, tNow, noteEv("forged, unsigned")); err != nil {
		t.Fatal(err)
	}
	if _, err := appendSigned(ctx, st, "ticket-b", foreign, tNow, noteEv("forged, foreign key")); err != nil {
		t.Fatal(err)
	}
	st.Close()
	r := f.verify(t, VerifyOptions{})
	want(t, r, ProblemUnsigned, "ticket-a@6", "not covered by any seal")
	want(t, r, ProblemUnknownKey, "ticket-b@5", foreign.ID())
	if len(r.Problems) != 2 {
		t.Fatalf("want exactly the two forgeries:\n%s", dump(r))
	}
}

// The sealer checks each event before it covers it: a forged event is
// reported and recorded in the next seal, never sealed over silently.
func TestSealerFlagsForgedEvents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st := openStore(t, f.dir)
	var seen []Problem
	s := NewSealer(st, f.key, SealerOptions{Interval: 10 * time.Millisecond, OnProblem: func(p Problem) { seen = append(seen, p) }})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := appendSigned(ctx, st, "ticket-c", nil, tNow, noteEv("forged while running")); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, s, st)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if len(seen) != 1 || seen[0].Kind != ProblemUnsigned || seen[0].Stream != "ticket-c" {
		t.Fatalf("sealer reported %v", seen)
	}
	r := f.verify(t, VerifyOptions{})
	// The seal vouches for the event's bytes and records that it is forged.
	want(t, r, ProblemFlaggedBySeal, "ticket-c@4", "unsigned", "covered by seal ledger-seals@2")
	all := f.verify(t, VerifyOptions{AllSignatures: true})
	want(t, all, ProblemUnsigned, "ticket-c@4", "covered by seal ledger-seals@2")
}

func TestTamperReplacedSeal(t *testing.T) {
	f := newFixture(t)
	foreign, _ := GenerateSigningKey()
	f.raw(t, func(db *pebble.DB, log []rawRecord) {
		orig := find(t, log, ledger.SealsStream, 0)
		h, err := SignHead(Head{Size: 13, Root: make([]byte, 32), Time: tNow}, foreign)
		if err != nil {
			t.Fatal(err)
		}
		ev := ledger.Sealed{TreeSize: 13, RootHash: h.RootBase64(), KeyID: h.KeyID, SealedAt: tNow, Checkpoint: string(h.Checkpoint)}
		d, err := encodeSigned(ledger.SealsStream, "", ev, foreign, tNow)
		if err != nil {
			t.Fatal(err)
		}
		orig.data, orig.meta, orig.id = d.Data, d.Metadata, d.ID
		put(t, db, orig)
	})
	r := f.verify(t, VerifyOptions{})
	want(t, r, ProblemUnknownKey, "ledger-seals@0", foreign.ID())
	want(t, r, ProblemSealInvalid, "ledger-seals@0", "not trusted")
	want(t, r, ProblemChainBroken, "ledger-seals@1")
}

// Cutting the log's tail, seals included, leaves a log that verifies on
// its own: a head held outside the log catches it.
func TestTamperCutTailPastASeal(t *testing.T) {
	f := newFixture(t)
	f.raw(t, func(db *pebble.DB, log []rawRecord) {
		for _, r := range log[13:] { // the first seal and everything after it
			del(t, db, r.seq)
		}
	})
	alone := f.verify(t, VerifyOptions{})
	if !alone.OK() || alone.Events != 13 || alone.Seals != 0 || alone.Unsealed != 13 {
		t.Fatalf("the cut log on its own: %+v\n%s", alone, dump(alone))
	}
	r := f.verify(t, VerifyOptions{Against: readFile(t, f.headFile), AgainstKeys: TrustedKeys(f.key.Public())})
	want(t, r, ProblemLogShorter, "covers 17 events, the log has 13")
}
