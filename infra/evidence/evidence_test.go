package evidence_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/evidence"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/projections"
)

var t0 = time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)

// fixture is a small log signed by key: a keyring event, some filler
// leaves, and a ticket of three events (opened, answered late, a note),
// with a tree and a head over every leaf but the last sealed ones
// (unsealed of them).
type fixture struct {
	key      *integrity.SigningKey
	recs     []eventstore.RecordedEvent
	tree     *integrity.Tree
	head     integrity.SignedHead
	keyring  *integrity.Keyring
	leaf     map[eventstore.Position]uint64
	ticketID string
}

func newFixture(t *testing.T, key *integrity.SigningKey, unsealed int) *fixture {
	t.Helper()
	f := &fixture{key: key, tree: integrity.NewTree(), keyring: &integrity.Keyring{}, leaf: map[eventstore.Position]uint64{}}
	pos := uint64(0)
	add := func(rec *eventstore.RecordedEvent) {
		pos += 10
		rec.Position = eventstore.Position{Commit: pos, Prepare: pos}
		i, err := f.tree.Append(integrity.LeafHash(rec))
		if err != nil {
			t.Fatal(err)
		}
		f.leaf[rec.Position] = i
	}
	now := t0.Add(3 * time.Hour)
	meta := func(at time.Time) domain.Meta {
		return domain.Meta{Actor: domain.Actor{ID: "bob@vendor.example", Role: domain.RoleVendorSupport}, OccurredAt: at, RecordedAt: now}
	}
	// The keyring's first event, signed by the key it adds.
	kd, _, err := codec.Default().EncodeSigned(ledger.KeyringStream, ledger.KeyAdded{KeyID: key.ID(), Algorithm: ledger.AlgorithmEd25519,
		PublicKey: base64.StdEncoding.EncodeToString(key.Public()), Reason: "first key"}, meta(now), "", key)
	if err != nil {
		t.Fatal(err)
	}
	krec := recorded(ledger.KeyringStream, 0, kd)
	add(&krec)
	if err := f.keyring.Apply(krec); err != nil {
		t.Fatal(err)
	}
	for i := range 5 { // other streams' events
		d, _, err := codec.Default().EncodeSigned("ticket-other", ticket.NoteAdded{Text: "filler"}, meta(now), "", key)
		if err != nil {
			t.Fatal(err)
		}
		r := recorded("ticket-other", uint64(i), d)
		add(&r)
	}
	pol, _ := sla.Shipped().Get("2026-01")
	dl, err := pol.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: domain.SeverityA, Language: "en", Locale: "en-GB", OpenedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	f.ticketID = uuid.NewString()
	stream := "ticket-" + f.ticketID
	responded := t0.Add(2*time.Hour + 14*time.Minute)
	events := []domain.Event{
		ticket.Opened{TicketID: f.ticketID, PartnerID: "contoso", Product: "azure", Class: sla.ClassBreakFix, Severity: domain.SeverityA,
			Title: "VMs down", Language: "en", Locale: "en-GB", Deadline: dl, OpenedAt: t0},
		ticket.FirstResponseRecorded{Responder: "bob@vendor.example", RespondedAt: responded, Deadline: dl, Met: false},
		ticket.NoteAdded{Text: "customer informed"},
	}
	metas := []domain.Meta{meta(t0), meta(responded), meta(responded.Add(time.Minute))}
	data, _, err := codec.EncodeChainSigned(stream, "", events, metas, key)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range data {
		r := recorded(stream, uint64(i), d)
		add(&r)
		f.recs = append(f.recs, r)
	}
	size := f.tree.Size() - uint64(unsealed)
	root, err := f.tree.RootAt(size)
	if err != nil {
		t.Fatal(err)
	}
	if f.head, err = integrity.SignHead(integrity.Head{Origin: "ledger.example/test", Size: size, Root: root, Time: now}, key); err != nil {
		t.Fatal(err)
	}
	return f
}

func recorded(stream string, rev uint64, d eventstore.EventData) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{StreamID: stream, Revision: rev, ID: d.ID, Type: d.Type, ContentType: d.ContentType,
		Data: d.Data, Metadata: d.Metadata, Created: t0.Add(3 * time.Hour)}
}

// bundle builds the fixture's bundle and round-trips it through a zip file.
func (f *fixture) bundle(t *testing.T) *evidence.Bundle {
	t.Helper()
	b, err := evidence.Build(evidence.Source{TicketID: f.ticketID, Stream: "ticket-" + f.ticketID, Records: f.recs, Head: f.head, Tree: f.tree,
		LeafIndex: func(p eventstore.Position) (uint64, bool) { i, ok := f.leaf[p]; return i, ok },
		Keyring:   f.keyring, Policies: sla.Shipped(), Now: t0.Add(3 * time.Hour),
		SLA: projections.TicketSLA{TicketID: f.ticketID, Verdict: projections.SLABreached}})
	if err != nil {
		t.Fatal(err)
	}
	return roundTrip(t, b)
}

func roundTrip(t *testing.T, b *evidence.Bundle) *evidence.Bundle {
	t.Helper()
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := evidence.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustKey(t *testing.T) *integrity.SigningKey {
	t.Helper()
	k, err := integrity.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestBundleRoundTripVerifies(t *testing.T) {
	f := newFixture(t, mustKey(t), 0)
	b := f.bundle(t)
	rep := evidence.Verify(b, evidence.Trust{})
	if !rep.OK {
		t.Fatalf("problems: %v", rep.Problems)
	}
	if rep.Events != 3 || rep.Sealed != 3 || len(rep.Unsealed) != 0 || rep.Trust != evidence.TrustNone || !strings.Contains(rep.TrustDetail, "self-consistent only") {
		t.Fatalf("report %+v", rep)
	}
	if rep.Head == nil || rep.Head.KeyID != f.key.ID() || rep.Head.Fingerprint != integrity.Fingerprint(f.key.Public()) {
		t.Fatalf("head %+v", rep.Head)
	}
	proves := strings.Join(rep.Proves, "\n")
	for _, want := range []string{"first response recorded 2026-11-23 09:14 UTC, 2h14m after opening", "deadline 2h", "policy 2026-01",
		"24x7, English): breached.", "3 events (revisions 0–2), none altered", "covered by tree head 9"} {
		if !strings.Contains(proves, want) {
			t.Errorf("proves lacks %q:\n%s", want, proves)
		}
	}
	if s := rep.SLA; s == nil || s.TargetSeconds != 7200 || s.ResponseSeconds != 2*3600+14*60 || s.Verdict != "breached" {
		t.Fatalf("sla %+v", rep.SLA)
	}
	if len(b.Policies.Policies) != 1 || b.Policies.Policies[0].BreakFixTargetSeconds["A"] != 7200 {
		t.Fatalf("policy.json %+v", b.Policies)
	}
	// The same bundle gives the same bytes.
	var x, y bytes.Buffer
	if err := b.Write(&x); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(t, b).Write(&y); err != nil || !bytes.Equal(x.Bytes(), y.Bytes()) {
		t.Fatalf("rewriting a bundle changed its bytes (%v)", err)
	}
	// Trusted by key, by fingerprint, by the same head.
	for name, tr := range map[string]evidence.Trust{
		"key":         {Keys: []ed25519.PublicKey{f.key.Public()}},
		"fingerprint": {Fingerprints: []string{integrity.Fingerprint(f.key.Public())}},
		"head":        {Head: f.head.Checkpoint},
	} {
		rep := evidence.Verify(b, tr)
		if !rep.OK || rep.Trust == evidence.TrustNone {
			t.Errorf("trusted %s: %+v", name, rep)
		}
	}
}

// expect is a problem Verify must report.
type expect struct {
	check, file string
	rev         int // -1: none
}

func checkProblem(t *testing.T, rep *evidence.Report, want expect) {
	t.Helper()
	for _, p := range rep.Problems {
		t.Log(p)
	}
	if rep.OK {
		t.Fatalf("verified, want a %s problem in %s", want.check, want.file)
	}
	for _, p := range rep.Problems {
		if p.Check != want.check || !strings.Contains(p.File, want.file) {
			continue
		}
		if (want.rev < 0 && p.Revision == nil) || (p.Revision != nil && int(*p.Revision) == want.rev) {
			if p.Problem == "" || p.String() == "" {
				t.Fatalf("problem without words: %+v", p)
			}
			return
		}
	}
	t.Fatalf("no %s problem in %s at revision %d; got %v", want.check, want.file, want.rev, rep.Problems)
}

func TestTamperingIsDetectedAndLocated(t *testing.T) {
	f := newFixture(t, mustKey(t), 0)
	other := mustKey(t)
	data := func(rev uint64) string { d, _ := evidence.EventFile(rev); return d }
	meta := func(rev uint64) string { _, m := evidence.EventFile(rev); return m }
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 0x01; return b }
	cases := []struct {
		name   string
		tamper func(b *evidence.Bundle)
		trust  evidence.Trust
		want   expect
	}{
		{"payload byte", func(b *evidence.Bundle) { b.Files[data(1)] = flip(b.Files[data(1)], 20) }, evidence.Trust{}, expect{evidence.CheckHash, data(1), 1}},
		{"metadata byte", func(b *evidence.Bundle) {
			b.Files[meta(0)] = bytes.Replace(b.Files[meta(0)], []byte(`"recordedAt":"2026`), []byte(`"recordedAt":"2025`), 1)
		}, evidence.Trust{}, expect{evidence.CheckHash, meta(0), 0}},
		{"removed event", func(b *evidence.Bundle) {
			// A careful forger: the event, its files and its proof gone, the manifest adjusted.
			b.Events.Events = slices.Delete(b.Events.Events, 1, 2)
			b.Proofs.Inclusion = slices.Delete(b.Proofs.Inclusion, 1, 2)
			b.Manifest.Events--
		}, evidence.Trust{}, expect{evidence.CheckChain, meta(2), 2}},
		{"removed last event", func(b *evidence.Bundle) {
			b.Events.Events = b.Events.Events[:2]
			b.Proofs.Inclusion = b.Proofs.Inclusion[:2]
		}, evidence.Trust{}, expect{evidence.CheckBundle, evidence.EventsFile, -1}},
		{"reordered", func(b *evidence.Bundle) {
			// Events 1 and 2 swap places: bytes, types and ids.
			e := b.Events.Events
			e[1].ID, e[2].ID, e[1].Type, e[2].Type = e[2].ID, e[1].ID, e[2].Type, e[1].Type
			b.Files[data(1)], b.Files[data(2)] = b.Files[data(2)], b.Files[data(1)]
			b.Files[meta(1)], b.Files[meta(2)] = b.Files[meta(2)], b.Files[meta(1)]
		}, evidence.Trust{}, expect{evidence.CheckChain, meta(1), 1}},
		{"forged signature", func(b *evidence.Bundle) {
			m := b.Files[meta(2)]
			i := bytes.LastIndex(m, []byte(`:`))
			_, h, _ := codec.SplitHash(m)
			sig := base64.StdEncoding.EncodeToString(other.Sign(codec.SignedMessage(h)))
			b.Files[meta(2)] = append(append(bytes.Clone(m[:i+1]), sig...), `"}`...)
		}, evidence.Trust{}, expect{evidence.CheckSignature, meta(2), 2}},
		{"signed after the key's retirement", func(b *evidence.Bundle) {
			k := &b.Keys.Keys[0]
			k.Retired, k.RetiredPosition = true, b.Events.Events[1].Position
		}, evidence.Trust{}, expect{evidence.CheckSignature, meta(2), 2}},
		{"signed before the key's addition", func(b *evidence.Bundle) {
			b.Keys.Keys[0].AddedPosition = b.Events.Events[1].Position + 1
		}, evidence.Trust{}, expect{evidence.CheckSignature, meta(0), 0}},
		{"wrong proof", func(b *evidence.Bundle) {
			p := &b.Proofs.Inclusion[0]
			h, _ := base64.StdEncoding.DecodeString(p.Hashes[0])
			p.Hashes = slices.Clone(p.Hashes)
			p.Hashes[0] = base64.StdEncoding.EncodeToString(flip(h, 0))
		}, evidence.Trust{}, expect{evidence.CheckInclusion, evidence.ProofsFile, 0}},
		{"proof of another leaf", func(b *evidence.Bundle) {
			b.Proofs.Inclusion[1].LeafIndex--
		}, evidence.Trust{}, expect{evidence.CheckInclusion, evidence.ProofsFile, 1}},
		{"altered head", func(b *evidence.Bundle) {
			b.Checkpoint = bytes.Replace(b.Checkpoint, []byte("\n9\n"), []byte("\n8\n"), 1)
		}, evidence.Trust{}, expect{evidence.CheckHead, evidence.CheckpointFile, -1}},
		{"replaced head and key", func(b *evidence.Bundle) {
			// A head over another root, signed by the forger's key, which
			// replaces the ledger's in keys.json: the events' signatures
			// then fail, and so do the proofs.
			h, _ := integrity.SignHead(integrity.Head{Origin: b.Manifest.Origin, Size: f.head.Size, Root: make([]byte, 32), Time: t0}, other)
			b.Checkpoint = h.Checkpoint
			b.Proofs.Root = h.RootBase64()
			b.Keys.Keys = []evidence.Key{evidence.KeyOf(integrity.KeyInfo{ID: other.ID(), PublicKey: other.Public()})}
		}, evidence.Trust{}, expect{evidence.CheckInclusion, evidence.ProofsFile, 0}},
		{"wrong trusted key", func(*evidence.Bundle) {}, evidence.Trust{Keys: []ed25519.PublicKey{other.Public()}}, expect{evidence.CheckTrust, evidence.CheckpointFile, -1}},
		{"wrong trusted fingerprint", func(*evidence.Bundle) {}, evidence.Trust{Fingerprints: []string{integrity.Fingerprint(other.Public())}}, expect{evidence.CheckTrust, evidence.CheckpointFile, -1}},
		{"key id not its key", func(b *evidence.Bundle) {
			b.Keys.Keys[0].PublicKey = base64.StdEncoding.EncodeToString(other.Public())
		}, evidence.Trust{}, expect{evidence.CheckKey, evidence.KeysFile, -1}},
		{"sealed event claimed unsealed", func(b *evidence.Bundle) {
			b.Manifest.UnsealedRevisions = []uint64{1}
			b.Proofs.Inclusion = slices.Delete(b.Proofs.Inclusion, 1, 2)
		}, evidence.Trust{}, expect{evidence.CheckInclusion, evidence.ManifestFile, 2}},
		{"verdict rewritten", func(b *evidence.Bundle) { b.Verdict.SLA.Verdict = projections.SLAMet }, evidence.Trust{}, expect{evidence.CheckVerdict, evidence.VerdictFile, -1}},
		{"policy target rewritten", func(b *evidence.Bundle) { b.Policies.Policies[0].BreakFixTargetSeconds["A"] = 4 * 3600 }, evidence.Trust{}, expect{evidence.CheckPolicy, evidence.PolicyFile, -1}},
		{"missing event file", func(b *evidence.Bundle) { delete(b.Files, data(2)) }, evidence.Trust{}, expect{evidence.CheckBundle, data(2), 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := f.bundle(t)
			c.tamper(b)
			if c.name != "missing event file" {
				b = roundTrip(t, b) // through the zip, as a verifier reads it
			}
			checkProblem(t, evidence.Verify(b, c.trust), c.want)
		})
	}
}

func TestUnsealedEvents(t *testing.T) {
	f := newFixture(t, mustKey(t), 1) // the head lacks the ticket's note
	b := f.bundle(t)
	if !slices.Equal(b.Manifest.UnsealedRevisions, []uint64{2}) {
		t.Fatalf("unsealed %v", b.Manifest.UnsealedRevisions)
	}
	rep := evidence.Verify(b, evidence.Trust{Keys: []ed25519.PublicKey{f.key.Public()}})
	if !rep.OK || rep.Sealed != 2 || !strings.Contains(strings.Join(rep.Proves, "\n"), "covered by their signatures only") {
		t.Fatalf("report %+v", rep)
	}
	// An unsealed event signed by a key the trust anchor does not vouch
	// for: keys.json alone proves nothing.
	other := mustKey(t)
	m := b.Files["events/0000000002.meta"]
	unsigned, _ := codec.SplitSig(m)
	_, h, _ := codec.SplitHash(m)
	b.Files["events/0000000002.meta"] = append(unsigned[:len(unsigned)-1], []byte(`,"sig":"`+codec.Sig{KeyID: other.ID(), Signature: other.Sign(codec.SignedMessage(h))}.String()+`"}`)...)
	b.Keys.Keys = append(b.Keys.Keys, evidence.KeyOf(integrity.KeyInfo{ID: other.ID(), PublicKey: other.Public()}))
	b = roundTrip(t, b)
	if rep := evidence.Verify(b, evidence.Trust{}); !rep.OK {
		t.Fatalf("self-consistent: %v", rep.Problems)
	}
	checkProblem(t, evidence.Verify(b, evidence.Trust{Keys: []ed25519.PublicKey{f.key.Public()}}), expect{evidence.CheckTrust, "events/0000000002.meta", 2})
}

func TestTrustedHead(t *testing.T) {
	key := mustKey(t)
	f := newFixture(t, key, 0)
	b := f.bundle(t)
	older, _ := f.tree.RootAt(4)
	sign := func(size uint64, root []byte, k *integrity.SigningKey) []byte {
		h, err := integrity.SignHead(integrity.Head{Origin: f.head.Origin, Size: size, Root: root, Time: t0}, k)
		if err != nil {
			t.Fatal(err)
		}
		return h.Checkpoint
	}
	rep := evidence.Verify(b, evidence.Trust{Head: sign(4, older, key)})
	if !rep.OK || rep.Trust != evidence.TrustHead || !strings.Contains(rep.TrustDetail, "newer than the trusted head (size 4)") || !strings.Contains(rep.TrustDetail, "not proven offline") {
		t.Fatalf("older trusted head: %+v", rep)
	}
	checkProblem(t, evidence.Verify(b, evidence.Trust{Head: sign(f.head.Size, make([]byte, 32), key)}), expect{evidence.CheckTrust, evidence.CheckpointFile, -1})
	checkProblem(t, evidence.Verify(b, evidence.Trust{Head: sign(f.head.Size+5, make([]byte, 32), key)}), expect{evidence.CheckTrust, evidence.CheckpointFile, -1})
	checkProblem(t, evidence.Verify(b, evidence.Trust{Head: sign(4, older, mustKey(t))}), expect{evidence.CheckTrust, "--trusted-head", -1})
}

func TestReadRefusesIncompleteBundles(t *testing.T) {
	if _, err := evidence.Read(bytes.NewReader([]byte("not a zip")), 9); err == nil || !strings.Contains(err.Error(), "not an evidence bundle") {
		t.Fatalf("not a zip: %v", err)
	}
	f := newFixture(t, mustKey(t), 0)
	var buf bytes.Buffer
	b := f.bundle(t)
	b.Checkpoint = nil
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	// An empty checkpoint entry is there but does not verify.
	got, err := evidence.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	checkProblem(t, evidence.Verify(got, evidence.Trust{}), expect{evidence.CheckHead, evidence.CheckpointFile, -1})
}
