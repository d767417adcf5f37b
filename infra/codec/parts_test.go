package codec_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/infra/codec"
)

// SplitMeta, ChainFields and Digest read a record in place and give what
// SplitHash, DecodeMeta and ComputeHash give, signed or not, on the fast
// scanner's shape and on metadata only encoding/json reads.
func TestMetaPartsAgreeWithDecodeMetaAndComputeHash(t *testing.T) {
	recs := append(encodeStream(t, "ticket-p1", samples()), signedStream(t, "ticket-p2", newTestKey(2))...)
	// An escape the fast scanner leaves to encoding/json, hashed as stored.
	esc := encodeStream(t, "ticket-p3", samples()[:1])[0]
	m0, _, _ := codec.SplitHash(esc.Metadata)
	m0 = bytes.Replace(m0, []byte(`"correlationId":"`), []byte(`"correlationId":"\u00e9`), 1)
	h := codec.ComputeHash("", esc.StreamID, esc.Type, 1, esc.Data, m0)
	esc.Metadata = append(m0[:len(m0)-1:len(m0)-1], `,"hash":"`+h+`"}`...)
	recs = append(recs, esc)
	for _, r := range recs {
		p, err := codec.SplitMeta(r.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		m0, hash, _ := codec.SplitHash(r.Metadata)
		_, sig := codec.SplitSig(r.Metadata)
		if !bytes.Equal(p.M0(), m0) || string(p.Hash) != hash || string(p.Sig) != sig {
			t.Fatalf("%s@%d: parts %q %q %q, split %q %q %q", r.StreamID, r.Revision, p.M0(), p.Hash, p.Sig, m0, hash, sig)
		}
		meta, err := codec.DecodeMeta(m0)
		if err != nil {
			t.Fatal(err)
		}
		f, err := p.ChainFields()
		if err != nil || string(f.PrevHash) != meta.PrevHash || f.EventID != meta.EventID || f.SchemaVersion != meta.SchemaVersion {
			t.Fatalf("%s@%d: chain fields %q %s %d (%v), decoded %q %s %d", r.StreamID, r.Revision, f.PrevHash, f.EventID, f.SchemaVersion, err, meta.PrevHash, meta.EventID, meta.SchemaVersion)
		}
		d := p.Digest(f.PrevHash, r.StreamID, r.Type, f.SchemaVersion, r.Data)
		if hex.EncodeToString(d[:]) != codec.ComputeHash(meta.PrevHash, r.StreamID, r.Type, meta.SchemaVersion, r.Data, m0) || !p.Intact(d) {
			t.Fatalf("%s@%d: digest %x, hash %s", r.StreamID, r.Revision, d, hash)
		}
		d[0] ^= 1
		if p.Intact(d) {
			t.Fatalf("%s@%d: an altered digest is intact", r.StreamID, r.Revision)
		}
	}
}

// Reading a record as the ledger writes it allocates nothing.
func TestMetaPartsAllocateNothing(t *testing.T) {
	r := signedStream(t, "ticket-p1", newTestKey(3))[1]
	allocs := testing.AllocsPerRun(100, func() {
		p, err := codec.SplitMeta(r.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		f, err := p.ChainFields()
		if err != nil {
			t.Fatal(err)
		}
		if !p.Intact(p.Digest(f.PrevHash, r.StreamID, r.Type, f.SchemaVersion, r.Data)) {
			t.Fatal("not intact")
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per record", allocs)
	}
}

// Malformed metadata fails in ChainFields exactly where DecodeMeta fails,
// and a metadata ending just after an empty-looking sig member is refused,
// not a crash.
func TestMetaPartsRefuseWhatDecodeMetaRefuses(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for _, md := range []string{
		`{"eventId":"not-a-uuid","hash":"` + h + `"}`,
		`{"schemaVersion":"1","hash":"` + h + `"}`,
		`{"occurredAt":"yesterday","hash":"` + h + `","sig":"k:s"}`,
		`{"unknownMember":{"a":[1,2]},"hash":"` + h + `"}`,
	} {
		p, err := codec.SplitMeta([]byte(md))
		if err != nil {
			t.Fatalf("%s: %v", md, err)
		}
		_, want := codec.DecodeMeta(p.M0())
		if _, err := p.ChainFields(); (err == nil) != (want == nil) {
			t.Errorf("%s: chain fields %v, DecodeMeta %v", md, err, want)
		}
	}
	for _, md := range []string{
		`{"a":"b","hash":"` + h + `","sig":"}`,
		`{"a":"b","hash":"` + h[:63] + `"}`,
		`{"a":"b","hash":"` + strings.ToUpper(h) + `"}`,
		`","sig":"}`,
		`"}`,
		``,
	} {
		if _, err := codec.SplitMeta([]byte(md)); err == nil {
			t.Errorf("%q: split", md)
		}
		if _, _, err := codec.SplitHash([]byte(md)); err == nil {
			t.Errorf("%q: SplitHash", md)
		}
		if u, sig := codec.SplitSig([]byte(md)); sig != "" || string(u) != md {
			t.Errorf("%q: SplitSig %q %q", md, u, sig)
		}
	}
}
