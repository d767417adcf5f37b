package integrity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// pre is what can be computed of one record without the records before it
// (and so in parallel): its hashes, its signature and its leaf hash. Its
// slices point into the record's metadata.
type pre struct {
	chained  bool   // the metadata has a hash member
	err      error  // malformed metadata
	intact   bool   // computed is the stored hash
	stored   []byte // the hash member, 64 hex digits
	computed [sha256.Size]byte
	prevHash []byte
	eventID  uuid.UUID
	sig      []byte // the sig member's value; nil when unsigned
	leaf     [sha256.Size]byte
	// sigKey is set when the signature was verified beforehand (in
	// parallel) with that key, the one its key id names in the log's
	// keyring: the walker takes the verdict if its keyring names the same
	// key at that point of the log.
	sigKey ed25519.PublicKey
}

func precompute(rec *eventstore.RecordedEvent, p *pre) {
	*p = pre{}
	parts, err := codec.SplitMeta(rec.Metadata)
	if err == nil {
		p.chained, p.stored, p.sig = true, parts.Hash, parts.Sig
		f, ferr := parts.ChainFields()
		if ferr != nil {
			p.err = ferr
		} else {
			p.prevHash, p.eventID = f.PrevHash, f.EventID
			p.computed = parts.Digest(f.PrevHash, rec.StreamID, rec.Type, f.SchemaVersion, rec.Data)
			p.intact = parts.Intact(p.computed)
		}
		p.leaf = leafHash(rec, parts.Hash, parts.Sig)
		return
	}
	if !eventstore.IsSystemStream(rec.StreamID) {
		p.err = err
	}
	p.leaf = leafHash(rec, []byte(unchainedContent(rec)), nil)
}

// presign verifies p's signature beforehand with the key its id names in
// keys (see pre.sigKey); a signature that does not verify is left to the
// walker, which says why.
func presign(rec *eventstore.RecordedEvent, p *pre, keys *Keyring) {
	if !p.intact || p.sig == nil {
		return
	}
	sig, err := codec.ParseSig(string(p.sig))
	if err != nil {
		return
	}
	if pub, ok := keys.PublicKey(sig.KeyID); ok && codec.VerifyHashSignature(rec.StreamID, rec.Revision, string(p.stored), sig, keys) == nil {
		p.sigKey = pub
	}
}

// precomputeAll fills ps for recs, the leaves from index base on, on up to
// workers goroutines; with keys, it also verifies the signatures the
// walker will check (signs reports which: by leaf index and stream).
func precomputeAll(recs []eventstore.RecordedEvent, ps []pre, workers int, keys *Keyring, signs func(idx uint64, stream string) bool, base uint64) {
	run := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			precompute(&recs[i], &ps[i])
			if keys != nil && signs(base+uint64(i), recs[i].StreamID) {
				presign(&recs[i], &ps[i], keys)
			}
		}
	}
	if workers <= 1 || len(recs) < 256 {
		run(0, len(recs))
		return
	}
	var wg sync.WaitGroup
	chunk := (len(recs) + workers - 1) / workers
	for lo := 0; lo < len(recs); lo += chunk {
		wg.Go(func() { run(lo, min(lo+chunk, len(recs))) })
	}
	wg.Wait()
}

type streamTip struct {
	rev  uint64
	hash [2 * sha256.Size]byte // hex
}

// sealRef is a seal met in the log.
type sealRef struct {
	rev   uint64 // revision in the seals stream
	index uint64 // its own leaf index
	size  uint64 // tree size it covers
	ok    bool
	head  SignedHead
}

func (s sealRef) String() string {
	return fmt.Sprintf("%s@%d (tree size %d)", ledger.SealsStream, s.rev, s.size)
}

// walker follows the global log in order and checks it: stream chains,
// signatures, the keyring, seals against the tree. Sealer and VerifyLog
// share it.
type walker struct {
	origin  string
	tree    *Tree
	pos     []eventstore.Position // per leaf
	streams map[string]streamTip
	keyring *Keyring

	// sigFrom: leaves below it are vouched for by a seal (claimed; checked
	// when the seal is met) and their signatures are not checked.
	sigFrom uint64
	allSigs bool

	seals    []sealRef
	lastGood int // index into seals of the last valid seal, -1 none
	treeBad  bool

	// made, when set, tells signatures this process made itself (the
	// sealer's key: SigningKey.Made), which need no verification.
	made func(keyID, hash string, sig []byte) bool

	sigChecked uint64
	problems   []Problem
	report     func(Problem) // called for each problem as found (may be nil)
}

func newWalker(origin string) *walker {
	if origin == "" {
		origin = DefaultOrigin
	}
	return &walker{origin: origin, tree: NewTree(), streams: map[string]streamTip{}, keyring: &Keyring{}, lastGood: -1}
}

func (w *walker) problem(p Problem) {
	w.problems = append(w.problems, p)
	if w.report != nil {
		w.report(p)
	}
}

func (w *walker) lastGoodSize() uint64 {
	if w.lastGood < 0 {
		return 0
	}
	return w.seals[w.lastGood].size
}

// add checks one record (its pre computed) and appends it to the tree.
func (w *walker) add(rec *eventstore.RecordedEvent, p *pre) {
	idx := w.tree.Size()
	at := func(kind ProblemKind, detail, expected, found string) Problem {
		return Problem{Kind: kind, Index: idx, HasIndex: true, Position: rec.Position, Stream: rec.StreamID,
			Revision: rec.Revision, EventID: rec.ID.String(), Detail: detail, Expected: expected, Found: found}
	}
	intact := false
	switch {
	case p.err != nil:
		w.problem(at(ProblemMalformed, "metadata: "+p.err.Error(), "", ""))
	case p.chained:
		intact = p.intact
		if !intact {
			w.problem(at(ProblemHashMismatch, "the record was altered after it was written", hex.EncodeToString(p.computed[:]), string(p.stored)))
		}
		if p.eventID != rec.ID {
			w.problem(at(ProblemEventID, "metadata event id differs from the record id", rec.ID.String(), p.eventID.String()))
		}
		tip, seen := w.streams[rec.StreamID]
		switch {
		case !seen && len(p.prevHash) != 0:
			w.problem(at(ProblemChainBroken, "the stream's earlier events are missing", `""`, string(p.prevHash)))
		case seen && rec.Revision <= tip.rev:
			w.problem(at(ProblemRevision, "revision repeated or out of order: a duplicated or reordered event",
				strconv.FormatUint(tip.rev+1, 10), strconv.FormatUint(rec.Revision, 10)))
		case seen && string(p.prevHash) != string(tip.hash[:]):
			w.problem(at(ProblemChainBroken, "prevHash is not the hash of the stream's previous event: an event before it was removed, altered or reordered", string(tip.hash[:]), string(p.prevHash)))
		case seen && rec.Revision != tip.rev+1:
			w.problem(at(ProblemRevision, "revision gap", strconv.FormatUint(tip.rev+1, 10), strconv.FormatUint(rec.Revision, 10)))
		}
		tip = streamTip{rev: rec.Revision}
		copy(tip.hash[:], p.stored)
		w.streams[rec.StreamID] = tip
	}

	switch {
	case rec.StreamID == ledger.KeyringStream:
		if err := w.keyring.Apply(*rec); err != nil {
			w.problem(at(ProblemKeyring, err.Error(), "", ""))
		}
		w.sigChecked++
	case rec.StreamID == ledger.SealsStream && rec.Type == ledger.TypeSealed:
		w.checkSig(rec, p, intact, at)
		w.seal(rec, idx, at)
	case eventstore.IsSystemStream(rec.StreamID):
		// The store's own records (stream metadata, tombstones) are not
		// signed; the tree still fixes them.
	case w.allSigs || idx >= w.sigFrom:
		w.checkSig(rec, p, intact, at)
	}
	if _, err := w.tree.Append(p.leaf[:]); err != nil {
		panic(err) // a 32-byte hash always appends
	}
	w.pos = append(w.pos, rec.Position)
}

func (w *walker) checkSig(rec *eventstore.RecordedEvent, p *pre, intact bool, at func(ProblemKind, string, string, string) Problem) {
	if !intact {
		return // already reported as altered
	}
	w.sigChecked++
	if len(p.sig) == 0 {
		w.problem(at(ProblemUnsigned, "forged: the ledger signs every event it appends", "", ""))
		return
	}
	sig, err := codec.ParseSig(string(p.sig))
	if err == nil {
		err = w.verifySig(rec, p, sig)
	}
	switch {
	case err == nil:
		if k := w.keyring.keys[sig.KeyID]; k != nil {
			if ok, why := k.ValidAt(rec.Position); !ok {
				w.problem(at(ProblemRetiredKey, why, "a key valid at position "+rec.Position.String(), sig.KeyID))
			}
		}
	case errors.Is(err, codec.ErrUnknownKey):
		w.problem(at(ProblemUnknownKey, "forged: signed by a key not in the keyring", "one of "+fmt.Sprint(w.keyring.sortedIDs()), sig.KeyID))
	default:
		w.problem(at(ProblemBadSignature, err.Error(), "", ""))
	}
}

// verifySig is codec.VerifyHashSignature against the walker's keyring,
// taking the verdict computed beforehand when it was made with the key the
// keyring names now.
func (w *walker) verifySig(rec *eventstore.RecordedEvent, p *pre, sig codec.Sig) error {
	if w.made != nil && w.made(sig.KeyID, string(p.stored), sig.Signature) {
		if _, ok := w.keyring.PublicKey(sig.KeyID); ok {
			return nil
		}
	}
	if p.sigKey != nil {
		if pub, ok := w.keyring.PublicKey(sig.KeyID); ok && pub.Equal(p.sigKey) {
			return nil
		}
	}
	return codec.VerifyHashSignature(rec.StreamID, rec.Revision, string(p.stored), sig, w.keyring)
}

// seal checks a seal event met at leaf idx against the tree of the leaves
// before it.
func (w *walker) seal(rec *eventstore.RecordedEvent, idx uint64, at func(ProblemKind, string, string, string) Problem) {
	ref := sealRef{rev: rec.Revision, index: idx}
	ev, err := decodeSeal(*rec)
	if err != nil {
		w.problem(at(ProblemSealInvalid, fmt.Sprintf("undecodable seal: %v", err), "", ""))
		w.seals = append(w.seals, ref)
		return
	}
	ref.size = uint64(max(ev.TreeSize, 0))
	bad := func(detail, expected, found string) {
		w.problem(at(ProblemSealInvalid, detail, expected, found))
		w.seals = append(w.seals, ref)
	}
	h, err := ParseHead([]byte(ev.Checkpoint), w.origin, w.keyring)
	if err != nil {
		bad(err.Error(), "", "")
		return
	}
	ref.head = h
	k, _ := w.keyring.Key(h.KeyID)
	valid, why := k.ValidAt(rec.Position)
	switch {
	case !valid:
		bad("the seal's checkpoint is "+why, "a key valid at position "+rec.Position.String(), h.KeyID)
		return
	case h.Size != ref.size || h.RootBase64() != ev.RootHash || h.KeyID != ev.KeyID:
		bad("the seal's fields differ from its signed checkpoint", fmt.Sprintf("%d %s %s", h.Size, h.RootBase64(), h.KeyID), fmt.Sprintf("%d %s %s", ev.TreeSize, ev.RootHash, ev.KeyID))
		return
	case h.Size > idx:
		// Fewer events precede the seal than it covers: some were removed.
		w.seals = append(w.seals, ref)
		w.treeMismatch(ref, fmt.Sprintf("the seal at leaf %d covers %d events, but only %d precede it: events in this range were removed", idx, h.Size, idx),
			"≥ "+strconv.FormatUint(h.Size, 10)+" events before the seal", strconv.FormatUint(idx, 10))
		return
	}
	var prevSize uint64
	prevRoot := ""
	if n := len(w.seals); n > 0 && w.seals[n-1].head.Checkpoint != nil {
		prevSize, prevRoot = w.seals[n-1].head.Size, w.seals[n-1].head.RootBase64()
	}
	if uint64(max(ev.PreviousSize, 0)) != prevSize || ev.PreviousRoot != prevRoot {
		bad("the seal does not chain to the previous seal", fmt.Sprintf("%d %s", prevSize, prevRoot), fmt.Sprintf("%d %s", ev.PreviousSize, ev.PreviousRoot))
		return
	}
	root, _ := w.tree.RootAt(h.Size)
	if !bytes.Equal(root, h.Root) {
		w.seals = append(w.seals, ref)
		w.treeMismatch(ref, fmt.Sprintf("the first %d events of the log are not those the seal signed: events in this range were removed, inserted, altered or reordered (the previous valid seal covers the leaves before it)", h.Size),
			h.RootBase64(), base64.StdEncoding.EncodeToString(root))
		return
	}
	ref.ok = true
	w.seals = append(w.seals, ref)
	if !w.treeBad {
		w.lastGood = len(w.seals) - 1
	}
	for _, f := range ev.Flagged {
		w.problem(Problem{Kind: ProblemFlaggedBySeal, Detail: f, Seal: ref.String(), Position: rec.Position})
	}
}

// treeMismatch reports the first seal the log no longer matches; later
// seals fail for the same damage and are not reported again.
func (w *walker) treeMismatch(ref sealRef, detail, expected, found string) {
	if w.treeBad {
		return
	}
	w.treeBad = true
	w.problem(Problem{Kind: ProblemTreeMismatch, HasIndex: true, RangeFrom: w.lastGoodSize(), Index: ref.size, Seal: ref.String(),
		Detail: detail, Expected: expected, Found: found})
}

// coverage sets the Seal of each located problem to the first seal whose
// tree covers it.
func (w *walker) coverage() {
	for i := range w.problems {
		p := &w.problems[i]
		if !p.HasIndex || p.Seal != "" {
			continue
		}
		for _, s := range w.seals {
			if s.head.Checkpoint != nil && s.size > p.Index {
				p.Seal = s.String()
				break
			}
		}
	}
}

func decodeSeal(rec eventstore.RecordedEvent) (ledger.Sealed, error) {
	d, err := codec.Decode(rec)
	if err != nil {
		return ledger.Sealed{}, err
	}
	ev, ok := d.Event.(ledger.Sealed)
	if !ok {
		return ledger.Sealed{}, fmt.Errorf("%s@%d is a %s, not a seal", rec.StreamID, rec.Revision, rec.Type)
	}
	return ev, nil
}
