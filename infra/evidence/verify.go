package evidence

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/proof"

	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// verifier carries one verification.
type verifier struct {
	b     *Bundle
	trust Trust
	rep   *Report
	keys  codec.KeyLookup
	pubs  map[string]ed25519.PublicKey
	head  integrity.SignedHead
	recs  []eventstore.RecordedEvent
}

func (v *verifier) fail(check, file string, rev *uint64, problem, expected, found string) {
	v.rep.Problems = append(v.rep.Problems, Problem{Check: check, File: file, Revision: rev, Problem: problem, Expected: expected, Found: found})
}

func revp(r uint64) *uint64 { return &r }

// Verify checks a bundle with nothing but its contents and trust: the
// layout, every key's id and fingerprint, the checkpoint's signature, every
// event's hash, chain link and signature, every inclusion proof against the
// checkpoint's root, the trusted key or head when given, the SLA verdict
// against the signed events and the policy targets against the signed
// deadlines. Every problem is reported, located; Report.OK is true when
// there is none.
func Verify(b *Bundle, trust Trust) *Report {
	v := &verifier{b: b, trust: trust, rep: &Report{Format: b.Manifest.Format, TicketID: b.Manifest.TicketID, Stream: b.Manifest.Stream,
		Unsealed: []uint64{}, Problems: []Problem{}, Proves: []string{}, Trust: TrustNone}}
	if b.Manifest.Format != Format {
		v.fail(CheckBundle, ManifestFile, nil, "unknown bundle format: use a verifier for that format", Format, b.Manifest.Format)
		return v.finish()
	}
	v.readKeys()
	v.readHead()
	v.readEvents()
	v.checkEvents()
	v.checkInclusion()
	v.checkTrust()
	v.checkSLA()
	return v.finish()
}

func (v *verifier) finish() *Report {
	v.rep.OK = len(v.rep.Problems) == 0
	if v.rep.OK {
		v.rep.Proves = v.proves()
	}
	return v.rep
}

// readKeys checks every key's id and fingerprint against its public key.
func (v *verifier) readKeys() {
	v.pubs = map[string]ed25519.PublicKey{}
	var all []ed25519.PublicKey
	for _, k := range v.b.Keys.Keys {
		pub, err := base64.StdEncoding.DecodeString(k.PublicKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			v.fail(CheckKey, KeysFile, nil, "key "+k.KeyID+": the public key is not 32 bytes of standard base64", "", k.PublicKey)
			continue
		}
		if id := integrity.KeyID(pub); id != k.KeyID {
			v.fail(CheckKey, KeysFile, nil, "key id does not match its public key", id, k.KeyID)
			continue
		}
		if fp := integrity.Fingerprint(pub); fp != k.Fingerprint {
			v.fail(CheckKey, KeysFile, nil, "key "+k.KeyID+": fingerprint does not match its public key", fp, k.Fingerprint)
			continue
		}
		v.pubs[k.KeyID] = pub
		all = append(all, pub)
	}
	v.keys = integrity.TrustedKeys(all...)
}

// readHead parses and verifies the checkpoint with the bundle's keys.
func (v *verifier) readHead() {
	h, err := integrity.ParseHead(v.b.Checkpoint, v.b.Manifest.Origin, v.keys)
	if err != nil {
		v.fail(CheckHead, CheckpointFile, nil, err.Error()+": the tree head was altered or replaced, or its key is missing from "+KeysFile, "", "")
		return
	}
	v.head = h
	hi := HeadInfoOf(h.Head, v.pubs[h.KeyID])
	v.rep.Head = &hi
	if v.b.Proofs.TreeSize != h.Size {
		v.fail(CheckHead, ProofsFile, nil, "the proofs are for another tree size than the checkpoint's", strconv.FormatUint(h.Size, 10), strconv.FormatUint(v.b.Proofs.TreeSize, 10))
	}
	if v.b.Proofs.Root != h.RootBase64() {
		v.fail(CheckHead, ProofsFile, nil, "the proofs' root is not the checkpoint's", h.RootBase64(), v.b.Proofs.Root)
	}
	if v.b.Manifest.TreeSize != h.Size {
		v.fail(CheckBundle, ManifestFile, nil, "treeSize is not the checkpoint's", strconv.FormatUint(h.Size, 10), strconv.FormatUint(v.b.Manifest.TreeSize, 10))
	}
}

// readEvents rebuilds the records from events.json and the event files.
func (v *verifier) readEvents() {
	ev := v.b.Events
	if ev.Stream != v.b.Manifest.Stream {
		v.fail(CheckBundle, EventsFile, nil, "stream is not the manifest's", v.b.Manifest.Stream, ev.Stream)
	}
	if len(ev.Events) == 0 {
		v.fail(CheckBundle, EventsFile, nil, "the bundle holds no events", "", "")
		return
	}
	for _, e := range ev.Events {
		data, okD := v.b.Files[e.Data]
		meta, okM := v.b.Files[e.Metadata]
		if !okD || !okM {
			missing := e.Data
			if okD {
				missing = e.Metadata
			}
			v.fail(CheckBundle, missing, revp(e.Revision), "the event's bytes are missing from the bundle", missing, "no such entry")
			continue
		}
		v.recs = append(v.recs, eventstore.RecordedEvent{StreamID: ev.Stream, Revision: e.Revision, ID: e.ID, Type: e.Type,
			ContentType: e.ContentType, Data: data, Metadata: meta, Created: e.Created,
			Position: eventstore.Position{Commit: e.Position, Prepare: e.PreparePosition}})
	}
	m := v.b.Manifest
	v.rep.Events = len(v.recs)
	if len(v.recs) > 0 {
		v.rep.FirstRevision, v.rep.LastRevision = v.recs[0].Revision, v.recs[len(v.recs)-1].Revision
	}
	if m.Events != len(ev.Events) {
		v.fail(CheckBundle, EventsFile, nil, "the number of events is not the manifest's: events removed or added", strconv.Itoa(m.Events), strconv.Itoa(len(ev.Events)))
	}
	if last := ev.Events[len(ev.Events)-1]; last.Revision != m.LastRevision {
		v.fail(CheckBundle, EventsFile, revp(last.Revision), "the last event is not the manifest's last revision: events removed from the end, or added", strconv.FormatUint(m.LastRevision, 10), strconv.FormatUint(last.Revision, 10))
	}
}

// checkEvents recomputes every hash, the chain and every signature.
func (v *verifier) checkEvents() {
	hashBad := map[uint64]bool{}
	for _, rec := range v.recs {
		_, meta := EventFile(rec.Revision)
		computed, stored, _, _, err := codec.RecordHash(rec)
		switch {
		case err != nil:
			v.fail(CheckHash, meta, revp(rec.Revision), "malformed metadata: "+err.Error(), "", "")
			hashBad[rec.Revision] = true
			continue
		case computed != stored:
			data, _ := EventFile(rec.Revision)
			v.fail(CheckHash, data+", "+meta, revp(rec.Revision), "the event's bytes do not hash to its hash member: payload or metadata altered", computed, stored)
			hashBad[rec.Revision] = true
			continue
		}
		if err := codec.VerifySignature(rec, v.keys); err != nil {
			v.fail(CheckSignature, meta, revp(rec.Revision), sigProblem(err), "a signature by a key of "+KeysFile, sigFound(rec))
		} else if k, ok := v.signer(rec); ok {
			// As the ledger's keyring rules: a key signs from its addition
			// on and, once retired, not after its retirement.
			pos := rec.Position.Commit
			switch {
			case pos < k.AddedPosition:
				v.fail(CheckSignature, meta, revp(rec.Revision), "signed by key "+k.KeyID+" before the keyring added it: forged",
					"a position from "+strconv.FormatUint(k.AddedPosition, 10), "position "+strconv.FormatUint(pos, 10))
			case k.Retired && k.RetiredPosition > 0 && pos > k.RetiredPosition:
				v.fail(CheckSignature, meta, revp(rec.Revision), "signed by key "+k.KeyID+" after its retirement: forged",
					"a position up to "+strconv.FormatUint(k.RetiredPosition, 10), "position "+strconv.FormatUint(pos, 10))
			}
		}
	}
	if len(v.recs) > 0 && v.recs[0].Revision != 0 {
		v.fail(CheckChain, EventsFile, revp(v.recs[0].Revision), "the stream's first events are missing", "revision 0", "revision "+strconv.FormatUint(v.recs[0].Revision, 10))
	}
	if err := codec.Verify(v.recs); err != nil {
		var ce *codec.ChainError
		if errors.As(err, &ce) && !(strings.HasPrefix(ce.Problem, "hash mismatch") && hashBad[ce.Revision]) &&
			!(strings.HasPrefix(ce.Problem, "malformed") && hashBad[ce.Revision]) {
			_, meta := EventFile(ce.Revision)
			v.fail(CheckChain, meta, revp(ce.Revision), ce.Problem+" (an event before it removed, reordered or altered)", ce.Expected, ce.Found)
		}
	}
	if n := len(v.recs); n > 0 && v.b.Manifest.LastHash != "" {
		if _, h, err := codec.SplitHash(v.recs[n-1].Metadata); err == nil && h != v.b.Manifest.LastHash {
			v.fail(CheckBundle, ManifestFile, revp(v.recs[n-1].Revision), "lastHash is not the last event's hash: events removed from the end, or added", v.b.Manifest.LastHash, h)
		}
	}
}

// signer is the entry of keys.json whose key signed rec.
func (v *verifier) signer(rec eventstore.RecordedEvent) (Key, bool) {
	_, sig := codec.SplitSig(rec.Metadata)
	id, _, _ := strings.Cut(sig, ":")
	for _, k := range v.b.Keys.Keys {
		if k.KeyID == id && id != "" {
			return k, true
		}
	}
	return Key{}, false
}

func sigProblem(err error) string {
	var se *codec.SignatureError
	switch {
	case errors.Is(err, codec.ErrUnsigned):
		return "the event is not signed: forged"
	case errors.Is(err, codec.ErrUnknownKey) && errors.As(err, &se):
		return "signed by key " + se.KeyID + ", which is not in " + KeysFile + ": forged"
	case errors.Is(err, codec.ErrBadSignature):
		return "the signature does not verify: forged or altered"
	}
	return err.Error()
}

func sigFound(rec eventstore.RecordedEvent) string {
	_, s := codec.SplitSig(rec.Metadata)
	if s == "" {
		return "no signature"
	}
	return "sig " + s
}

// checkInclusion checks that the unsealed events are the newest ones and
// every other event has a proof that verifies against the head's root.
func (v *verifier) checkInclusion() {
	proofs := map[uint64]Inclusion{}
	for _, p := range v.b.Proofs.Inclusion {
		if _, dup := proofs[p.Revision]; dup {
			v.fail(CheckInclusion, ProofsFile, revp(p.Revision), "two proofs for one event", "one", "two")
		}
		proofs[p.Revision] = p
	}
	unsealed := map[uint64]bool{}
	for _, r := range v.b.Manifest.UnsealedRevisions {
		unsealed[r] = true
	}
	v.rep.Unsealed = append([]uint64{}, v.b.Manifest.UnsealedRevisions...)
	var lastLeaf *uint64
	seenUnsealed := false
	for _, rec := range v.recs {
		if unsealed[rec.Revision] {
			seenUnsealed = true
			if _, ok := proofs[rec.Revision]; ok {
				v.fail(CheckInclusion, ManifestFile, revp(rec.Revision), "listed as unsealed but proofs.json has a proof for it", "no proof", "a proof")
			}
			continue
		}
		if seenUnsealed {
			v.fail(CheckInclusion, ManifestFile, revp(rec.Revision), "a sealed event after an unsealed one: only the newest events can be newer than the tree head", "unsealed revisions at the end", "a gap")
		}
		p, ok := proofs[rec.Revision]
		if !ok {
			v.fail(CheckInclusion, ProofsFile, revp(rec.Revision), "no inclusion proof for the event, and it is not listed as unsealed", "a proof", "none")
			continue
		}
		if v.rep.Head == nil {
			continue // the head did not verify: nothing to prove against
		}
		if lastLeaf != nil && p.LeafIndex <= *lastLeaf {
			v.fail(CheckInclusion, ProofsFile, revp(rec.Revision), "leaf index does not follow the previous event's: events reordered", "more than "+strconv.FormatUint(*lastLeaf, 10), strconv.FormatUint(p.LeafIndex, 10))
		}
		lastLeaf = &p.LeafIndex
		hashes := make([][]byte, len(p.Hashes))
		bad := false
		for i, h := range p.Hashes {
			if hashes[i], _ = base64.StdEncoding.DecodeString(h); len(hashes[i]) != 32 {
				bad = true
			}
		}
		if bad {
			v.fail(CheckInclusion, ProofsFile, revp(rec.Revision), "the audit path holds a hash that is not 32 bytes of base64", "", "")
			continue
		}
		root, err := proof.RootFromInclusionProof(integrity.Hasher, p.LeafIndex, v.head.Size, integrity.LeafHash(&rec), hashes)
		if err != nil {
			v.fail(CheckInclusion, ProofsFile, revp(rec.Revision), fmt.Sprintf("the proof for leaf %d of a tree of size %d is malformed: %v", p.LeafIndex, v.head.Size, err), "", "")
			continue
		}
		if !bytes.Equal(root, v.head.Root) {
			v.fail(CheckInclusion, ProofsFile, revp(rec.Revision),
				fmt.Sprintf("the event and its audit path as leaf %d do not give the tree head's root (the event, its proof or the head was altered)", p.LeafIndex),
				"root "+v.head.RootBase64(), "root "+base64.StdEncoding.EncodeToString(root))
			continue
		}
		v.rep.Sealed++
	}
	for r := range proofs {
		if !slices.ContainsFunc(v.recs, func(rec eventstore.RecordedEvent) bool { return rec.Revision == r }) {
			v.fail(CheckInclusion, ProofsFile, revp(r), "a proof for an event the bundle does not hold: an event was removed", "the event", "no event")
		}
	}
}

// checkTrust checks the head against the trusted key or head.
