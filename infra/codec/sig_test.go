package codec_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"testing"

	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

type testKey struct{ priv ed25519.PrivateKey }

func (k testKey) KeyID() string {
	s := sha256.Sum256(k.priv.Public().(ed25519.PublicKey))
	return hex.EncodeToString(s[:8])
}
func (k testKey) Sign(msg []byte) []byte { return ed25519.Sign(k.priv, msg) }

type ring map[string]ed25519.PublicKey

func (r ring) PublicKey(id string) (ed25519.PublicKey, bool) { p, ok := r[id]; return p, ok }

func newTestKey(seed byte) testKey {
	return testKey{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))}
}

func signedStream(t *testing.T, stream string, k codec.Signer) []eventstore.RecordedEvent {
	t.Helper()
	return encodeStreamSigned(t, stream, samples()[:4], k)
}

// A signed record ends with the hash and then the sig member; its chain
// verifies exactly like an unsigned one, and its hash is the same.
func TestSignedRecordsChainAndVerify(t *testing.T) {
	const stream = "ticket-s1"
	k := newTestKey(1)
	signed := signedStream(t, stream, k)
	unsigned := encodeStream(t, stream, samples()[:4])
	keys := ring{k.KeyID(): k.priv.Public().(ed25519.PublicKey)}
	shape := regexp.MustCompile(`,"hash":"[0-9a-f]{64}","sig":"` + k.KeyID() + `:[A-Za-z0-9+/]{86}=="}$`)
	for i, r := range signed {
		if !shape.Match(r.Metadata) {
			t.Fatalf("metadata %s does not end with the hash and sig members", r.Metadata)
		}
		if err := codec.VerifySignature(r, keys); err != nil {
			t.Fatalf("revision %d: %v", i, err)
		}
		m, err := codec.DecodeMeta(r.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := codec.DecodeMeta(unsigned[i].Metadata)
		if m.Hash != u.Hash {
			t.Errorf("revision %d: signed hash %s, unsigned %s", i, m.Hash, u.Hash)
		}
		if _, err := codec.Decode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := codec.Verify(signed); err != nil {
		t.Fatal(err)
	}
	if err := codec.Verify(unsigned); err != nil {
		t.Fatal(err)
	}
}

func TestVerifySignatureErrors(t *testing.T) {
	k, other := newTestKey(1), newTestKey(2)
	keys := ring{k.KeyID(): k.priv.Public().(ed25519.PublicKey)}
	rec := signedStream(t, "ticket-s2", k)[1]
	check := func(name string, r eventstore.RecordedEvent, want error) {
		t.Helper()
		err := codec.VerifySignature(r, keys)
		var se *codec.SignatureError
		if !errors.Is(err, want) || !errors.As(err, &se) || se.Stream != "ticket-s2" || se.Revision != 1 {
			t.Errorf("%s: got %v, want %v for ticket-s2@1", name, err, want)
		}
	}
	check("unsigned", encodeStream(t, "ticket-s2", samples()[:2])[1], codec.ErrUnsigned)
	check("foreign key", signedStream(t, "ticket-s2", other)[1], codec.ErrUnknownKey)

	// The foreign signature pasted under the ledger's key id.
	forged := rec
	fo := signedStream(t, "ticket-s2", other)[1]
	_, fsig := codec.SplitSig(fo.Metadata)
	base, _ := codec.SplitSig(rec.Metadata)
	forged.Metadata = append(base[:len(base)-1:len(base)-1], []byte(`,"sig":"`+k.KeyID()+fsig[16:]+`"}`)...)
	check("wrong signature", forged, codec.ErrBadSignature)

	// A changed payload byte with the original hash and signature.
	altered := rec
	altered.Data = bytes.Replace(rec.Data, []byte(`"Acme"`), []byte(`"Acmf"`), 1)
	if bytes.Equal(altered.Data, rec.Data) {
		t.Fatal("sample did not change")
	}
	check("altered payload", altered, codec.ErrBadSignature)
}
