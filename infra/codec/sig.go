package codec

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// SigTag is the domain-separation prefix of every event signature: the
// signed message is SigTag, one newline, and the event's hash as 64
// lowercase hex digits (see the package documentation).
const SigTag = "ticketledger.eventsig.v1"

// KeyIDLen is the length of a key id: 16 lowercase hex digits.
const KeyIDLen = 16

// Signer signs events as they are encoded. Implementations must be safe for
// concurrent use (an ed25519.PrivateKey is): request goroutines sign their
// own events.
type Signer interface {
	// KeyID is the key's id, 16 lowercase hex digits.
	KeyID() string
	// Sign returns the Ed25519 signature of msg.
	Sign(msg []byte) []byte
}

// KeyLookup finds the public key of a key id; a keyring implements it.
type KeyLookup interface {
	PublicKey(keyID string) (ed25519.PublicKey, bool)
}

// Errors wrapped by *SignatureError.
var (
	ErrUnsigned     = errors.New("event is not signed")
	ErrUnknownKey   = errors.New("event signed by a key that is not in the keyring")
	ErrBadSignature = errors.New("event signature does not verify")
)

// SignatureError says which record's signature failed and why (one of
// ErrUnsigned, ErrUnknownKey, ErrBadSignature, or a malformed record).
type SignatureError struct {
	Stream   string
	Revision uint64
	KeyID    string // the key id the record names; "" when unsigned
	Err      error
}

// Error names the record, the key and the cause.
func (e *SignatureError) Error() string {
	s := fmt.Sprintf("signature of %s@%d", e.Stream, e.Revision)
	if e.KeyID != "" {
		s += " by key " + e.KeyID
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *SignatureError) Unwrap() error { return e.Err }

// SignedMessage returns the bytes an event signature covers: SigTag, '\n'
// and the hash.
func SignedMessage(hash string) []byte {
	msg := make([]byte, 0, len(SigTag)+1+len(hash))
	msg = append(msg, SigTag...)
	msg = append(msg, '\n')
	return append(msg, hash...)
}

// Sig is a parsed "sig" member: the key id and the 64-byte signature.
type Sig struct {
	KeyID     string
	Signature []byte
}

// String renders the member's value, "<keyId>:<base64 signature>".
func (s Sig) String() string {
	return s.KeyID + ":" + base64.StdEncoding.EncodeToString(s.Signature)
}

// ParseSig parses the value of a "sig" member.
func ParseSig(v string) (Sig, error) {
	if len(v) < KeyIDLen+1 || v[KeyIDLen] != ':' || !isHex(v[:KeyIDLen]) {
		return Sig{}, fmt.Errorf(`sig %q is not "<16 hex digits>:<base64>"`, v)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(v[KeyIDLen+1:])
	if err != nil || len(b) != ed25519.SignatureSize {
		return Sig{}, fmt.Errorf("sig %q: signature is not %d bytes of standard base64", v, ed25519.SignatureSize)
	}
	return Sig{KeyID: v[:KeyIDLen], Signature: b}, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// withSig inserts `,"sig":"<v>"` before the closing brace of m (which ends
// with the hash member).
func withSig(m []byte, v string) []byte {
	out := make([]byte, 0, len(m)+len(v)+9)
	out = append(out, m[:len(m)-1]...)
	out = append(out, `,"sig":"`...)
	out = append(out, v...)
	return append(out, `"}`...)
}

// SplitSig splits metadata into the part up to and including the hash
// member (closed with '}') and the raw value of the "sig" member that
// follows it ("" when the event is unsigned). It does not parse the value.
func SplitSig(metadata []byte) (unsigned []byte, sig string) {
	i, v := sigMember(metadata)
	if v == nil {
		return metadata, ""
	}
	out := make([]byte, 0, i+2)
	out = append(out, metadata[:i+1]...)
	out = append(out, '}')
	return out, string(v)
}

// sigMember finds the sig member that ends metadata, `","sig":"<v>"}` right
// after the hash member's value, and returns the index of the quote that
// closes that value and v (a slice of metadata; nil when there is no such
// member). v holds no '"'.
func sigMember(metadata []byte) (int, []byte) {
	const pre, post = `","sig":"`, `"}`
	n := len(metadata)
	if n < len(pre)+len(post) || string(metadata[n-len(post):]) != post {
		return 0, nil
	}
	// The last quote before post closes pre when v holds none.
	q := bytes.LastIndexByte(metadata[:n-len(post)], '"')
	i := q + 1 - len(pre)
	// The hash member ends at i+1 with its closing quote: `"hash":"<64>"`.
	if i < 64+len(`,"hash":"`) || string(metadata[i:q+1]) != pre {
		return 0, nil
	}
	return i, metadata[q+1 : n-len(post)]
}

// EncodeSigned is Encode followed by signing: the record's metadata ends
// with `,"hash":"<H>","sig":"<keyId>:<base64>"}`. A nil signer gives an
// unsigned record, like Encode.
func (c *Codec) EncodeSigned(stream string, ev domain.Event, meta domain.Meta, prevHash string, s Signer) (eventstore.EventData, domain.Meta, error) {
	d, m, err := c.Encode(stream, ev, meta, prevHash)
	if err != nil || s == nil {
		return d, m, err
	}
	id := s.KeyID()
	if len(id) != KeyIDLen || !isHex(id) {
		return eventstore.EventData{}, meta, fmt.Errorf("codec: sign %s: key id %q is not %d lowercase hex digits", ev.EventType(), id, KeyIDLen)
	}
	d.Metadata = withSig(d.Metadata, Sig{KeyID: id, Signature: s.Sign(SignedMessage(m.Hash))}.String())
	return d, m, nil
}

// EncodeChainSigned is EncodeChain with every record signed by s (nil: unsigned).
func (c *Codec) EncodeChainSigned(stream, prevHash string, events []domain.Event, metas []domain.Meta, s Signer) ([]eventstore.EventData, []domain.Meta, error) {
	if len(events) != len(metas) {
		return nil, nil, fmt.Errorf("codec: encode chain: %d events but %d metadata", len(events), len(metas))
	}
	out := make([]eventstore.EventData, len(events))
	done := make([]domain.Meta, len(events))
	for i, ev := range events {
		d, m, err := c.EncodeSigned(stream, ev, metas[i], prevHash, s)
		if err != nil {
			return nil, nil, err
		}
		out[i], done[i], prevHash = d, m, m.Hash
	}
	return out, done, nil
}

// EncodeChainSigned encodes and signs events with Default(); see Codec.EncodeChainSigned.
func EncodeChainSigned(stream, prevHash string, events []domain.Event, metas []domain.Meta, s Signer) ([]eventstore.EventData, []domain.Meta, error) {
	return Default().EncodeChainSigned(stream, prevHash, events, metas, s)
}

// RecordHash recomputes a record's hash from its contents and returns it
// with the hash the metadata holds, the metadata's prevHash and the "sig"
// value. It does not check the chain (that needs the previous record).
func RecordHash(rec eventstore.RecordedEvent) (computed, stored, prevHash, sig string, err error) {
	m0, stored, err := SplitHash(rec.Metadata)
	if err != nil {
		return "", "", "", "", err
	}
	meta, err := DecodeMeta(m0)
	if err != nil {
		return "", "", "", "", fmt.Errorf("malformed metadata: %w", err)
	}
	_, sig = SplitSig(rec.Metadata)
	computed = ComputeHash(meta.PrevHash, rec.StreamID, rec.Type, meta.SchemaVersion, rec.Data, m0)
	return computed, stored, meta.PrevHash, sig, nil
}

// VerifySignature checks that rec is signed by a key of keys over the hash
// of its contents. It recomputes the hash (so a signature copied onto other
// contents fails), and returns nil or a *SignatureError wrapping
// ErrUnsigned, ErrUnknownKey or ErrBadSignature. It does not check the
// chain link to the previous event: Verify does.
func VerifySignature(rec eventstore.RecordedEvent, keys KeyLookup) error {
	fail := func(id string, err error) error {
		return &SignatureError{Stream: rec.StreamID, Revision: rec.Revision, KeyID: id, Err: err}
	}
	computed, stored, _, sigv, err := RecordHash(rec)
	if err != nil {
		return fail("", err)
	}
	if sigv == "" {
		return fail("", ErrUnsigned)
	}
	sig, err := ParseSig(sigv)
	if err != nil {
		return fail("", fmt.Errorf("%w: %v", ErrBadSignature, err))
	}
	if computed != stored {
		return fail(sig.KeyID, fmt.Errorf("%w: the record's hash does not match its contents (expected %s, found %s)", ErrBadSignature, computed, stored))
	}
	return VerifyHashSignature(rec.StreamID, rec.Revision, stored, sig, keys)
}

// VerifyHashSignature checks sig over an already verified hash.
func VerifyHashSignature(stream string, revision uint64, hash string, sig Sig, keys KeyLookup) error {
	pub, ok := keys.PublicKey(sig.KeyID)
	if !ok {
		return &SignatureError{Stream: stream, Revision: revision, KeyID: sig.KeyID, Err: ErrUnknownKey}
	}
	if !ed25519.Verify(pub, SignedMessage(hash), sig.Signature) {
		return &SignatureError{Stream: stream, Revision: revision, KeyID: sig.KeyID, Err: ErrBadSignature}
	}
	return nil
}

// Resign replaces the signature of an encoded record's metadata with one by
// s over the same hash (the hash does not cover the signature, so the record
// and its chain are unchanged). Unsigned metadata gets a signature.
func Resign(metadata []byte, s Signer) ([]byte, error) {
	unsigned, _ := SplitSig(metadata)
	_, hash, err := SplitHash(unsigned)
	if err != nil {
		return nil, fmt.Errorf("codec: re-sign: %w", err)
	}
	return withSig(unsigned, Sig{KeyID: s.KeyID(), Signature: s.Sign(SignedMessage(hash))}.String()), nil
}
