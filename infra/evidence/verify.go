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
	"time"

	"github.com/transparency-dev/merkle/proof"

	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/projections"
)

// Trust is what the verifier holds from outside the bundle. The zero value
// trusts nothing: the bundle is then only checked to be self-consistent.
type Trust struct {
	// Keys are public keys given out of band (--trusted-key with a key);
	// Fingerprints are "SHA256:<hex>" fingerprints (--trusted-key with a
	// fingerprint). The tree head must be signed by one of them.
	Keys         []ed25519.PublicKey
	Fingerprints []string
	// Head is a checkpoint saved earlier (--trusted-head): the bundle's head
	// must be signed by the same key and be that head or a larger one.
	Head []byte
}

func (t Trust) anchored() bool { return len(t.Keys)+len(t.Fingerprints) > 0 || len(t.Head) > 0 }

// Check names of Problem.Check.
const (
	CheckBundle    = "bundle"    // layout: format, files, counts
	CheckKey       = "key"       // a key of keys.json
	CheckHead      = "head"      // the checkpoint and its signature
	CheckHash      = "hash"      // an event's bytes against its hash
	CheckChain     = "chain"     // links between events: prevHash, revisions, ids
	CheckSignature = "signature" // an event's signature
	CheckInclusion = "inclusion" // an inclusion proof
	CheckTrust     = "trust"     // the trusted key or head
	CheckVerdict   = "verdict"   // the SLA verdict against the signed events
	CheckPolicy    = "policy"    // policy.json against the signed deadlines
)

// Problem is one failed check, located: the bundle entry, the event's
// revision when it concerns one, what was expected and what was found.
type Problem struct {
	Check    string  `json:"check"`
	File     string  `json:"file"`
	Revision *uint64 `json:"revision,omitempty"`
	Problem  string  `json:"problem"`
	Expected string  `json:"expected,omitempty"`
	Found    string  `json:"found,omitempty"`
}

// String renders the problem on one line.
func (p Problem) String() string {
	s := p.File
	if p.Revision != nil {
		s += " (revision " + strconv.FormatUint(*p.Revision, 10) + ")"
	}
	s += ": " + p.Check + ": " + p.Problem
	if p.Expected != "" || p.Found != "" {
		s += fmt.Sprintf(" (expected %s, found %s)", orNone(p.Expected), orNone(p.Found))
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// HeadInfo describes a signed tree head (the bundle's; GET
// /v1/audit/tree-head's).
type HeadInfo struct {
	Origin      string    `json:"origin"`
	Size        uint64    `json:"size"`
	Root        string    `json:"root"` // base64
	Time        time.Time `json:"time"`
	KeyID       string    `json:"keyId"`
	Fingerprint string    `json:"fingerprint"`
}

// HeadInfoOf describes a head signed by the key pub.
func HeadInfoOf(h integrity.Head, pub ed25519.PublicKey) HeadInfo {
	return HeadInfo{Origin: h.Origin, Size: h.Size, Root: h.RootBase64(), Time: h.Time.UTC(), KeyID: h.KeyID, Fingerprint: integrity.Fingerprint(pub)}
}

// SLASummary is what the signed events say about the first response.
type SLASummary struct {
	OpenedAt      time.Time `json:"openedAt"`
	Severity      string    `json:"severity"`
	Language      string    `json:"language"`
	Class         string    `json:"class"`
	Clock         string    `json:"clock"`
	Calendar      string    `json:"calendar,omitempty"`
	PolicyVersion string    `json:"policyVersion"`
	DeadlineAt    time.Time `json:"deadlineAt"`
	TargetSeconds int64     `json:"targetSeconds"`
	Responded     bool      `json:"responded"`
	RespondedAt   time.Time `json:"respondedAt,omitzero"`
	// ResponseSeconds is wall-clock time from opening to the first response.
	ResponseSeconds int64 `json:"responseSeconds,omitempty"`
	// Verdict is met or breached for an answered ticket, pending or
	// breached (unanswered) at the export for one without a response.
	Verdict string `json:"verdict"`
	// RecordedVerdict is the read model's, from verdict.json.
	RecordedVerdict string `json:"recordedVerdict"`
}

// Trust levels of Report.Trust.
const (
	TrustNone = "self-consistent" // no key or head given
	TrustKey  = "trusted-key"     // the head is signed by the trusted key
	TrustHead = "trusted-head"    // the head is the trusted head, or a newer one by its key
)

// Report is the result of Verify.
type Report struct {
	OK            bool   `json:"ok"`
	Format        string `json:"format"`
	TicketID      string `json:"ticketId"`
	Stream        string `json:"stream"`
	Events        int    `json:"events"`
	FirstRevision uint64 `json:"firstRevision"`
	LastRevision  uint64 `json:"lastRevision"`
	// Sealed events are proven to be in the tree head; Unsealed ones are
	// covered by their signatures only.
	Sealed   int       `json:"sealedEvents"`
	Unsealed []uint64  `json:"unsealedRevisions"`
	Head     *HeadInfo `json:"treeHead,omitempty"`
	// Trust is TrustNone, TrustKey or TrustHead; TrustDetail says what was
	// checked against what, in words.
	Trust       string      `json:"trust"`
	TrustDetail string      `json:"trustDetail"`
	SLA         *SLASummary `json:"sla,omitempty"`
	// Proves says in plain words what the bundle proves (only when OK).
	Proves   []string  `json:"proves"`
	Problems []Problem `json:"problems"`
}

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
func (v *verifier) checkTrust() {
	if !v.trust.anchored() {
		v.rep.TrustDetail = "self-consistent only: no trusted key or head given; anyone holding a signing key could have made this bundle, so compare the key fingerprint with one the ledger published"
		return
	}
	v.rep.TrustDetail = "NOT established: the trusted key or head does not match (see the problems)"
	if v.rep.Head == nil {
		v.fail(CheckTrust, CheckpointFile, nil, "nothing to check the trusted key or head against: the checkpoint did not verify", "", "")
		return
	}
	fp := v.rep.Head.Fingerprint
	if len(v.trust.Keys)+len(v.trust.Fingerprints) > 0 {
		want := slices.Clone(v.trust.Fingerprints)
		for _, k := range v.trust.Keys {
			want = append(want, integrity.Fingerprint(k))
		}
		if !slices.Contains(want, fp) {
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head is signed by a key that is not the trusted key", strings.Join(want, " or "), fp)
			return
		}
		if len(v.trust.Keys) > 0 {
			if _, err := integrity.ParseHead(v.b.Checkpoint, v.b.Manifest.Origin, integrity.TrustedKeys(v.trust.Keys...)); err != nil {
				v.fail(CheckTrust, CheckpointFile, nil, "the checkpoint does not verify with the trusted key: "+err.Error(), "", "")
				return
			}
		}
		v.rep.Trust, v.rep.TrustDetail = TrustKey, "the tree head is signed by the trusted key "+fp
	}
	if len(v.trust.Head) > 0 {
		th, err := integrity.ParseHead(v.trust.Head, "", v.keys)
		if err != nil {
			v.fail(CheckTrust, "--trusted-head", nil, "the trusted head does not verify with the bundle's keys: "+err.Error()+" (it is from another ledger, or the bundle's key was replaced)", "", "")
			return
		}
		h := v.head
		switch {
		case th.KeyID != h.KeyID:
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head is signed by another key than the trusted head", th.KeyID, h.KeyID)
			return
		case th.Origin != h.Origin:
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head is of another ledger than the trusted head", th.Origin, h.Origin)
			return
		case h.Size < th.Size:
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head is older than the trusted head: export the bundle again", fmt.Sprintf("size %d or more", th.Size), fmt.Sprintf("size %d", h.Size))
			return
		case h.Size == th.Size && !bytes.Equal(h.Root, th.Root):
			v.fail(CheckTrust, CheckpointFile, nil, "the tree head has the trusted head's size but another root: the ledger's history forked", th.RootBase64(), h.RootBase64())
			return
		case h.Size == th.Size:
			v.rep.Trust, v.rep.TrustDetail = TrustHead, fmt.Sprintf("the tree head is the trusted head (size %d, key %s, %s)", th.Size, th.KeyID, fp)
		default:
			v.rep.Trust, v.rep.TrustDetail = TrustHead, fmt.Sprintf("the tree head (size %d) is newer than the trusted head (size %d) and signed by the same key %s (%s); that it extends the trusted head is not proven offline: ask the ledger for GET /v1/audit/consistency?from=%d&to=%d",
				h.Size, th.Size, th.KeyID, fp, th.Size, h.Size)
		}
	}
	// With an anchor, events the head does not cover must be signed by the
	// anchored key itself: keys.json alone proves nothing.
	for _, rec := range v.recs {
		if !slices.Contains(v.b.Manifest.UnsealedRevisions, rec.Revision) {
			continue
		}
		_, s := codec.SplitSig(rec.Metadata)
		if sig, err := codec.ParseSig(s); err == nil && sig.KeyID != v.head.KeyID {
			_, meta := EventFile(rec.Revision)
			v.fail(CheckTrust, meta, revp(rec.Revision), "an event the tree head does not cover is signed by a key that is not the trusted one", v.head.KeyID, sig.KeyID)
		}
	}
}

// checkSLA compares the verdict and the policy targets with the signed
// events.
func (v *verifier) checkSLA() {
	f, err := readFacts(v.recs)
	if err != nil {
		v.fail(CheckVerdict, EventsFile, nil, "an event does not decode: "+err.Error(), "", "")
		return
	}
	d, ok := f.current()
	if !ok {
		return // no deadline: a marketplace redirect
	}
	if f.Responded {
		d = f.InForce
	}
	s := &SLASummary{OpenedAt: f.OpenedAt.UTC(), Severity: f.Severity, Language: f.Language, Class: string(d.Class), Clock: string(d.Clock), Calendar: d.Calendar,
		PolicyVersion: d.PolicyVersion, DeadlineAt: d.At.UTC(), TargetSeconds: int64(d.Target / time.Second), Responded: f.Responded,
		RecordedVerdict: v.b.Verdict.SLA.Verdict}
	if f.Responded {
		s.Severity = string(d.Severity)
		s.RespondedAt, s.ResponseSeconds = f.RespondedAt.UTC(), int64(f.RespondedAt.Sub(f.OpenedAt)/time.Second)
		s.Verdict = projections.SLABreached
		if f.Met {
			s.Verdict = projections.SLAMet
		}
		if f.Met != !f.RespondedAt.After(d.At) {
			rev, file := v.revisionOf("ticket.first_response_recorded"), EventsFile
			if rev != nil {
				file, _ = EventFile(*rev)
			}
			v.fail(CheckVerdict, file, rev, "the first response's recorded verdict does not follow from its time and deadline",
				fmt.Sprintf("met=%t", !f.RespondedAt.After(d.At)), fmt.Sprintf("met=%t", f.Met))
		}
	} else {
		s.Verdict = projections.SLAPending
		if v.b.Verdict.AsOf.After(d.At) {
			s.Verdict = projections.SLABreached
		}
	}
	v.rep.SLA = s
	if got := v.b.Verdict.SLA.Verdict; got != s.Verdict {
		v.fail(CheckVerdict, VerdictFile, nil, "the recorded verdict is not what the signed events say", s.Verdict, got)
	}
	if got := v.b.Verdict.SLA.TicketID; got != v.b.Manifest.TicketID {
		v.fail(CheckVerdict, VerdictFile, nil, "the verdict is about another ticket", v.b.Manifest.TicketID, got)
	}
	for _, dl := range append(slices.Clone(f.Deadlines), f.InForce) {
		v.checkPolicy(dl)
	}
}

// checkPolicy checks that policy.json holds the deadline's policy version
// and, for a 24x7 break-fix deadline, the same target.
func (v *verifier) checkPolicy(d sla.Deadline) {
	if d.PolicyVersion == "" {
		return
	}
	i := slices.IndexFunc(v.b.Policies.Policies, func(p PolicyDef) bool { return p.Version == d.PolicyVersion })
	if i < 0 {
		v.fail(CheckPolicy, PolicyFile, nil, "the policy version a signed deadline names is missing", d.PolicyVersion, "no such version")
		return
	}
	if d.Class != sla.ClassBreakFix || d.Clock != sla.ClockAroundTheClock {
		return
	}
	want, got := int64(d.Target/time.Second), v.b.Policies.Policies[i].BreakFixTargetSeconds[string(d.Severity)]
	if want != got {
		v.fail(CheckPolicy, PolicyFile, nil, fmt.Sprintf("policy %s: the severity %s target is not the one the signed deadline records", d.PolicyVersion, d.Severity),
			strconv.FormatInt(want, 10)+" s", strconv.FormatInt(got, 10)+" s")
	}
}

func (v *verifier) revisionOf(eventType string) *uint64 {
	for _, r := range v.recs {
		if r.Type == eventType {
			return revp(r.Revision)
		}
	}
	return nil
}

// proves says in plain words what a bundle that verified proves.
func (v *verifier) proves() []string {
	var out []string
	r := v.rep
	if s := r.SLA; s != nil {
		clock := "24x7"
		if s.Clock == string(sla.ClockBusinessHours) {
			clock = "business hours of calendar " + s.Calendar
		}
		if s.Class == string(sla.ClassNonCritical) {
			clock = "non-critical, " + clock
		}
		lang := s.Language
		if sla.IsEnglish(lang) {
			lang = "English"
		}
		under := fmt.Sprintf("deadline %s (%s) under policy %s (severity %s, %s, %s)", render.Duration(time.Duration(s.TargetSeconds)*time.Second),
			s.DeadlineAt.Format("2006-01-02 15:04 UTC"), s.PolicyVersion, s.Severity, clock, lang)
		if s.Responded {
			out = append(out, fmt.Sprintf("first response recorded %s, %s after opening; %s: %s.", s.RespondedAt.Format("2006-01-02 15:04 UTC"),
				render.Duration(time.Duration(s.ResponseSeconds)*time.Second), under, s.Verdict))
		} else {
			out = append(out, fmt.Sprintf("no first response recorded by the export (%s); opened %s; %s: %s.", v.b.Verdict.AsOf.UTC().Format("2006-01-02 15:04 UTC"),
				s.OpenedAt.Format("2006-01-02 15:04 UTC"), under, s.Verdict))
		}
	}
	h := r.Head
	out = append(out, fmt.Sprintf("%d events (revisions %d–%d), none altered, removed or reordered: every hash, chain link and signature checks.", r.Events, r.FirstRevision, r.LastRevision))
	out = append(out, fmt.Sprintf("%d of them in the ledger's log: covered by tree head %d of %q, signed by key %s on %s.", r.Sealed, h.Size, h.Origin, h.KeyID, h.Time.Format("2006-01-02 15:04:05 UTC")))
	if n := len(r.Unsealed); n > 0 {
		out = append(out, fmt.Sprintf("%d newest events (revisions %s) are covered by their signatures only: the tree head does not include them yet; export again after the next seal.", n, joinRevs(r.Unsealed)))
	}
	out = append(out, "the bundle shows what the ticket's stream held up to revision "+strconv.FormatUint(r.LastRevision, 10)+"; it cannot show that no later events exist.")
	return out
}

func joinRevs(rs []uint64) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = strconv.FormatUint(r, 10)
	}
	return strings.Join(s, ", ")
}
