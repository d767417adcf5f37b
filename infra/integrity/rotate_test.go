package integrity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// rotated is the fixture's data directory after a rotation by a running
// sealer (Sealer.Rotate), with one event signed by the new key after it.
type rotated struct {
	*fixture
	next    *SigningKey
	retired KeyInfo
}

func newRotated(t *testing.T) *rotated {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	next, err := GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, f.dir)
	defer st.Close()
	// One event the last seal does not cover yet: the rotation seals it
	// with the old key first.
	if _, err := appendSigned(ctx, st, "ticket-c", f.key, tNow, noteEv("before the rotation")); err != nil {
		t.Fatal(err)
	}
	s := NewSealer(st, f.key, SealerOptions{Interval: time.Hour, Now: func() time.Time { return tNow }})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	seals := len(f.heads)
	kr, err := s.Rotate(ctx, next, "scheduled")
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := s.Head(); h.KeyID != f.key.ID() || h.Size != 19 {
		t.Fatalf("the rotation's seal: size %d by %s, want 19 by the old key %s", h.Size, h.KeyID, f.key.ID())
	}
	if _, err := appendSigned(ctx, st, "ticket-a", next, tNow, noteEv("after the rotation")); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, s, st)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.Head(); h.KeyID != next.ID() {
		t.Fatalf("the final seal after the rotation is by %s, want the new key %s", h.KeyID, next.ID())
	}
	if p := s.Problems(); len(p) != 0 || seals == 0 {
		t.Fatalf("sealer problems after an honest rotation: %v", p)
	}
	old, ok := kr.Key(f.key.ID())
	if !ok || !old.Retired || old.RetiredRev != 2 || len(kr.Active()) != 1 || kr.Active()[0].ID != next.ID() {
		t.Fatalf("keyring after the rotation: %+v", kr.Keys())
	}
	return &rotated{fixture: f, next: next, retired: old}
}

// TestRotationKeepsHistoryVerifiable: after a rotation both keys are in
// the keyring, the old one retired at a log position, and the whole log —
// signed by the old key before, by the new one after — verifies.
func TestRotationKeepsHistoryVerifiable(t *testing.T) {
	r := newRotated(t)
	rep := r.verify(t, VerifyOptions{AllSignatures: true})
	if !rep.OK() {
		t.Fatalf("problems after an honest rotation:\n%s", dump(rep))
	}
	if len(rep.Keys) != 2 || !rep.Keys[0].Retired || rep.Keys[1].Retired || rep.Keys[1].ID != r.next.ID() {
		t.Fatalf("keys %+v", rep.Keys)
	}
	// A head signed by the old key before its retirement still verifies
	// against the log's keyring.
	against := r.verify(t, VerifyOptions{Against: r.heads[1].Checkpoint})
	if !against.OK() || !against.Against.Consistent {
		t.Fatalf("against a head of the old key:\n%s", dump(against))
	}
}

// TestRetiredKeySignatureIsForged: an event signed by the old key after
// its retirement is forged, located (stream, revision, position, key,
// where it was retired); so is a seal or a keyring event it signs.
func TestRetiredKeySignatureIsForged(t *testing.T) {
	r := newRotated(t)
	ctx := context.Background()
	st := openStore(t, r.dir)
	rec, err := appendSigned(ctx, st, "ticket-b", r.key, tNow, noteEv("signed with the stolen old key"))
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := GenerateSigningKey()
	if _, err := appendSigned(ctx, st, ledger.KeyringStream, r.key, tNow, addedEvent(foreign, "attacker")); err != nil {
		t.Fatal(err)
	}
	h, err := SignHead(Head{Size: 3, Root: make([]byte, 32), Time: tNow}, r.key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := appendSigned(ctx, st, ledger.SealsStream, r.key, tNow, ledger.Sealed{TreeSize: 3, RootHash: h.RootBase64(), KeyID: h.KeyID, SealedAt: tNow, Checkpoint: string(h.Checkpoint)}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	rep := r.verify(t, VerifyOptions{})
	p := want(t, rep, ProblemRetiredKey, "ticket-b@5", "forged", "key "+r.key.ID(), "after it was retired at ledger-keys@2", r.retired.RetiredPos.String())
	if p.Position != rec.Position || p.Found != r.key.ID() || p.Seal != "" {
		t.Fatalf("located at %s (append at %d), found %q, seal %q", p.Position, rec.Position, p.Found, p.Seal)
	}
	want(t, rep, ProblemKeyring, "ledger-keys@3", "retired at ledger-keys@2", "signs nothing more")
	want(t, rep, ProblemRetiredKey, ledger.SealsStream, "forged")
	want(t, rep, ProblemSealInvalid, ledger.SealsStream, "after it was retired")
}

// TestSignatureBeforeKeyAddedIsForged: a key signs only after the keyring
// added it; checked also when verification rechecks sealed leaves with the
// whole keyring.
func TestSignatureBeforeKeyAddedIsForged(t *testing.T) {
	r := newRotated(t)
	// Re-sign an early note with the new key: its chain hash is unchanged,
	// its signature is by a key added later.
	r.raw(t, func(db *pebble.DB, log []rawRecord) {
		rec := find(t, log, "ticket-a", 1)
		m, err := codec.Resign(rec.meta, r.next)
		if err != nil {
			t.Fatal(err)
		}
		rec.meta = m
		put(t, db, rec)
	})
	// Walking the log, the key is not in the keyring yet.
	all := r.verify(t, VerifyOptions{AllSignatures: true})
	want(t, all, ProblemUnknownKey, "ticket-a@1", "forged", r.next.ID())
	// The re-signed leaf breaks the first seal, so its leaves are rechecked
	// after the walk, against the whole keyring: the position still decides.
	rep := r.verify(t, VerifyOptions{})
	want(t, rep, ProblemTreeMismatch, "leaves [0, 13)")
	want(t, rep, ProblemRetiredKey, "ticket-a@1", "forged", "before it was added to the keyring at ledger-keys@1")
}

func TestEnsureKeyRefusesARetiredKey(t *testing.T) {
	r := newRotated(t)
	st := openStore(t, r.dir)
	defer st.Close()
	_, err := EnsureKey(context.Background(), st, r.key, tNow)
	if !errors.Is(err, ErrKeyRetired) || !strings.Contains(err.Error(), "retired at ledger-keys@2") || !strings.Contains(err.Error(), r.next.ID()) {
		t.Fatalf("EnsureKey with the retired key: %v", err)
	}
	if _, err := RotateKey(context.Background(), st, r.key, r.next, "again", tNow); !errors.Is(err, ErrKeyRetired) {
		t.Fatalf("RotateKey from the retired key: %v", err)
	}
	if _, err := EnsureKey(context.Background(), st, r.next, tNow); err != nil {
		t.Fatalf("EnsureKey with the new key: %v", err)
	}
}

// TestGuardResignsAcrossARotation: a record encoded with the old key just
// before a rotation is appended signed by the new key, so the old key
// signs nothing after its retirement.
func TestGuardResignsAcrossARotation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st := openStore(t, f.dir)
	defer st.Close()
	h := NewKeyHolder(f.key)
	store := h.Guard(st)
	d, err := encodeSigned("ticket-new", "", noteEv("encoded before"), h, tNow)
	if err != nil {
		t.Fatal(err)
	}
	next, _ := GenerateSigningKey()
	if err := h.Rotate(func(cur *SigningKey) (*SigningKey, error) {
		_, err := RotateKey(ctx, st, cur, next, "test", tNow)
		return next, err
	}); err != nil {
		t.Fatal(err)
	}
	if h.KeyID() != next.ID() {
		t.Fatalf("current key %s, want %s", h.KeyID(), next.ID())
	}
	if _, err := store.Append(ctx, "ticket-new", eventstore.NoStream(), d); err != nil {
		t.Fatal(err)
	}
	recs, err := st.ReadStream(ctx, "ticket-new", eventstore.Forwards, eventstore.StreamStart(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, v := codec.SplitSig(recs[0].Metadata); !strings.HasPrefix(v, next.ID()+":") {
		t.Fatalf("appended with signature %q, want one by %s", v, next.ID())
	}
	kr, err := LoadKeyring(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := codec.VerifySignature(recs[0], kr); err != nil {
		t.Fatal(err)
	}
}

// TestAnchorPin: the keyring's first key signs itself, so a log replaced
// wholesale under another key verifies on its own; pinning the first key
// (by id or fingerprint) catches it, also after a rotation.
func TestAnchorPin(t *testing.T) {
	r := newRotated(t)
	for _, pin := range []string{r.key.ID(), Fingerprint(r.key.Public()), strings.ToUpper(Fingerprint(r.key.Public()))} {
		if rep := r.verify(t, VerifyOptions{Anchors: []string{pin}}); !rep.OK() {
			t.Fatalf("pinned %s:\n%s", pin, dump(rep))
		}
	}
	// The new key is not the anchor: the chain of trust starts at the first.
	rep := r.verify(t, VerifyOptions{Anchors: []string{r.next.ID()}})
	want(t, rep, ProblemAnchor, "ledger-keys@0", r.key.ID(), "may have been replaced")
	if p := rep.Problems[0]; len(rep.Problems) != 1 || p.Found != Fingerprint(r.key.Public()) {
		t.Fatalf("problems:\n%s", dump(rep))
	}
}
