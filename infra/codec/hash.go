package codec

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// HashTag is the domain-separation tag, the first field of every hash input.
// A change to the hashing scheme gets a new tag.
const HashTag = "ticketledger.hashchain.v1"

// ErrChainBroken is wrapped by every *ChainError.
var ErrChainBroken = errors.New("hash chain broken")

// ComputeHash returns the hash of one event as the package documentation
// defines it: lowercase hex SHA-256 over the length-prefixed fields HashTag,
// prevHash, stream, eventType, schemaVersion (decimal), data and
// metaWithoutHash.
func ComputeHash(prevHash, stream, eventType string, schemaVersion int, data, metaWithoutHash []byte) string {
	sum := chainDigest(prevHash, stream, eventType, schemaVersion, data, metaWithoutHash, nil)
	return hex.EncodeToString(sum[:])
}

// chainDigest is the SHA-256 of the canonical input with M0 given in two
// pieces, m0a followed by m0b. The input is built in a reused buffer and
// hashed in one call: hashing a record allocates nothing.
func chainDigest[S string | []byte](prevHash S, stream, eventType string, schemaVersion int, data, m0a, m0b []byte) [sha256.Size]byte {
	bp := inputs.Get().(*[]byte)
	b := AppendField((*bp)[:0], HashTag)
	b = AppendField(b, prevHash)
	b = AppendField(b, stream)
	b = AppendField(b, eventType)
	var sv [20]byte
	b = AppendField(b, strconv.AppendInt(sv[:0], int64(schemaVersion), 10))
	b = AppendField(b, data)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m0a)+len(m0b)))
	b = append(append(b, m0a...), m0b...)
	sum := sha256.Sum256(b)
	if cap(b) <= 1<<20 { // keep no buffer grown by an outsized record
		*bp = b
		inputs.Put(bp)
	}
	return sum
}

// AppendField appends f as the canonical hash input writes a field: its
// length (4-byte unsigned big endian), then its bytes.
func AppendField[S string | []byte](b []byte, f S) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(f))), f...)
}

// inputs are the buffers chainDigest builds canonical inputs in.
var inputs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// withHash inserts `,"hash":"<h>"` before the closing brace of m0.
func withHash(m0 []byte, h string) []byte {
	out := make([]byte, 0, len(m0)+len(h)+10)
	out = append(out, m0[:len(m0)-1]...)
	out = append(out, `,"hash":"`...)
	out = append(out, h...)
	out = append(out, `"}`...)
	return out
}

// SplitHash undoes the writer's last steps: it returns the metadata without
// its hash member and without the "sig" member that may follow it (M0 in the
// package documentation), and the hash. It fails when the metadata does not
// end with a well-formed hash member (optionally followed by "sig").
func SplitHash(metadata []byte) (m0 []byte, hash string, err error) {
	p, err := SplitMeta(metadata)
	if err != nil {
		return nil, "", err
	}
	return p.M0(), string(p.Hash), nil
}

// MetaParts locates, in a record's metadata M and without copying it, what
// the hash chain and the signature concern (see the package documentation).
type MetaParts struct {
	md    []byte
	m0End int // M0 is md[:m0End] followed by '}'
	// Hash is the hash member's value, 64 lowercase hex digits; Sig the
	// sig member's value (nil when unsigned). Both are slices of M.
	Hash, Sig []byte
}

// SplitMeta is SplitHash without copying: it fails on the same metadata.
func SplitMeta(metadata []byte) (MetaParts, error) {
	const pre = `,"hash":"`
	e := len(metadata) - 1 // M without its sig member is metadata[:e] and '}'
	i, sig := sigMember(metadata)
	if sig != nil {
		e = i + 1
	}
	// metadata[:e] must end with `,"hash":"<64 hex digits>"`.
	h0 := e - len(pre) - 64 - 1
	if h0 < 1 || metadata[len(metadata)-1] != '}' || metadata[e-1] != '"' || string(metadata[h0:h0+len(pre)]) != pre {
		return MetaParts{}, errors.New(`metadata does not end with a "hash" member`)
	}
	hash := metadata[h0+len(pre) : e-1]
	if !isHash(hash) {
		return MetaParts{}, fmt.Errorf("metadata hash %q is not 64 lowercase hex digits", hash)
	}
	return MetaParts{md: metadata, m0End: h0, Hash: hash, Sig: sig}, nil
}

// closeBrace ends M0 (MetaParts.Digest).
var closeBrace = []byte{'}'}

// Digest returns the SHA-256 over the record's canonical input (the bytes
// of ComputeHash, not hex-encoded) with this metadata's M0, without copying
// M0. The record is intact when its hex is Hash.
func (p MetaParts) Digest(prevHash []byte, stream, eventType string, schemaVersion int, data []byte) [sha256.Size]byte {
	return chainDigest(prevHash, stream, eventType, schemaVersion, data, p.md[:p.m0End], closeBrace)
}

// Intact reports whether digest, hex-encoded, is the stored Hash.
func (p MetaParts) Intact(digest [sha256.Size]byte) bool {
	var x [2 * sha256.Size]byte
	hex.Encode(x[:], digest[:])
	return string(x[:]) == string(p.Hash)
}

// ChainFields are the members of M0 that link a record into its stream's
// chain.
type ChainFields struct {
	PrevHash      []byte // "" for a stream's first event
	EventID       uuid.UUID
	SchemaVersion int
}

// ChainFields reads prevHash, eventId and schemaVersion of M0, and fails
// where DecodeMeta(M0) fails. Metadata of the shape Encode writes is read in
// place (PrevHash is a slice of it) by the fast scanner; anything else is
// decoded from a copy of M0 by DecodeMeta.
func (p MetaParts) ChainFields() (ChainFields, error) {
	// M0's members are M's but the trailing hash and sig members, which
	// the scanner accepts: M0 scans as M does.
	s := metaScanner{cursor: cursor{b: p.md}}
	var m domain.Meta
	if s.meta(&m) {
		f := ChainFields{EventID: m.EventID, SchemaVersion: m.SchemaVersion}
		for _, v := range s.pend[:s.np] {
			if v.field == uniquePrevHash {
				f.PrevHash = v.v
			}
		}
		return f, nil
	}
	m, err := DecodeMeta(p.M0())
	return ChainFields{PrevHash: []byte(m.PrevHash), EventID: m.EventID, SchemaVersion: m.SchemaVersion}, err
}

// M0 returns a copy of the metadata without its hash and sig members.
func (p MetaParts) M0() []byte {
	m0 := make([]byte, 0, p.m0End+1)
	m0 = append(m0, p.md[:p.m0End]...)
	return append(m0, '}')
}

func isHash[T string | []byte](s T) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ChainError reports the first broken link of a stream's hash chain.
type ChainError struct {
	Stream   string
	Revision uint64 // revision of the first event that does not verify
	Index    int    // its index in the history passed to Verify
	Problem  string // what is wrong, e.g. "hash mismatch"
	Expected string // what the chain requires there
	Found    string // what the record holds
}

// Error names the stream, the revision and what is wrong there.
func (e *ChainError) Error() string {
	s := fmt.Sprintf("hash chain of %s broken at revision %d: %s", e.Stream, e.Revision, e.Problem)
	if e.Expected != "" || e.Found != "" {
		s += fmt.Sprintf(" (expected %q, found %q)", e.Expected, e.Found)
	}
	return s
}

// Unwrap returns ErrChainBroken.
func (e *ChainError) Unwrap() error { return ErrChainBroken }

// Verify recomputes the hash chain of one stream's history, read forwards
// from its first event, and returns a *ChainError for the first broken link:
// a record whose hash does not match its contents, whose prevHash is not the
// previous record's hash (or is not empty for the first record), whose
// revision does not follow the previous one, whose metadata event id differs
// from the record id, or that belongs to another stream. A nil error means
// every record is exactly as written, in the order written. Verify does not
// need the catalog: it works on raw bytes.
func Verify(history []eventstore.RecordedEvent) error {
	return VerifyFrom("", history)
}

// VerifyFrom is Verify for a history that does not start at the stream's
// first event: prevHash is the hash of the event just before history[0],
// obtained from a trusted source.
func VerifyFrom(prevHash string, history []eventstore.RecordedEvent) error {
	c := NewChain(prevHash)
	for i := range history {
		if err := c.Next(&history[i]); err != nil {
			return err
		}
	}
	return nil
}

// Chain follows one stream's hash chain a record at a time, with the checks
// of VerifyFrom: a single pass over $all can check every stream at once,
// one Chain per stream. Checking a record of the shape Encode writes
// allocates nothing.
type Chain struct {
	stream  string
	prev    []byte // the previous record's hash
	lastRev uint64
	n       int // records checked
}

// NewChain returns a chain whose next record follows one whose hash is
// prevHash ("" for a stream's first event).
func NewChain(prevHash string) *Chain { return &Chain{prev: []byte(prevHash)} }

// Len returns the number of records Next accepted.
func (c *Chain) Len() int { return c.n }

// Next checks the stream's next record and returns a *ChainError (Index:
// the records before it) for a broken link. Keep no record after an error:
// the chain stays where it broke.
func (c *Chain) Next(ev *eventstore.RecordedEvent) error {
	fail := func(problem, expected, found string) error {
		return &ChainError{Stream: c.stream, Revision: ev.Revision, Index: c.n, Problem: problem, Expected: expected, Found: found}
	}
	if c.n == 0 {
		c.stream = ev.StreamID
	}
	if ev.StreamID != c.stream {
		return fail("record of another stream", c.stream, ev.StreamID)
	}
	if c.n > 0 && ev.Revision != c.lastRev+1 {
		return fail("revision gap or reorder", strconv.FormatUint(c.lastRev+1, 10), strconv.FormatUint(ev.Revision, 10))
	}
	p, err := SplitMeta(ev.Metadata)
	if err != nil {
		return fail("malformed metadata: "+err.Error(), "", "")
	}
	f, err := p.ChainFields()
	if err != nil {
		return fail("malformed metadata: "+err.Error(), "", "")
	}
	if string(f.PrevHash) != string(c.prev) {
		return fail("prevHash is not the previous event's hash", string(c.prev), string(f.PrevHash))
	}
	if f.EventID != ev.ID {
		return fail("metadata event id differs from the record id", ev.ID.String(), f.EventID.String())
	}
	if d := p.Digest(c.prev, ev.StreamID, ev.Type, f.SchemaVersion, ev.Data); !p.Intact(d) {
		return fail("hash mismatch: the record was altered", hex.EncodeToString(d[:]), string(p.Hash))
	}
	c.prev, c.lastRev = append(c.prev[:0], p.Hash...), ev.Revision
	c.n++
	return nil
}
