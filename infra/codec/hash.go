package codec

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

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
	h := sha256.New()
	var n [4]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(HashTag))
	field([]byte(prevHash))
	field([]byte(stream))
	field([]byte(eventType))
	field(strconv.AppendInt(nil, int64(schemaVersion), 10))
	field(data)
	field(metaWithoutHash)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

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
	const pre, post = `,"hash":"`, `"}`
	metadata, _ = SplitSig(metadata)
	n := len(pre) + 64 + len(post)
	if len(metadata) < n+1 || !bytes.HasSuffix(metadata, []byte(post)) ||
		!bytes.Equal(metadata[len(metadata)-n:len(metadata)-n+len(pre)], []byte(pre)) {
		return nil, "", errors.New(`metadata does not end with a "hash" member`)
	}
	hash = string(metadata[len(metadata)-64-len(post) : len(metadata)-len(post)])
	if !isHash(hash) {
		return nil, "", fmt.Errorf("metadata hash %q is not 64 lowercase hex digits", hash)
	}
	m0 = make([]byte, 0, len(metadata)-n+1)
	m0 = append(m0, metadata[:len(metadata)-n]...)
	m0 = append(m0, '}')
	return m0, hash, nil
}

func isHash(s string) bool {
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
	if len(history) == 0 {
		return nil
	}
	stream := history[0].StreamID
	for i, ev := range history {
		fail := func(problem, expected, found string) error {
			return &ChainError{Stream: stream, Revision: ev.Revision, Index: i, Problem: problem, Expected: expected, Found: found}
		}
		if ev.StreamID != stream {
			return fail("record of another stream", stream, ev.StreamID)
		}
		if i > 0 && ev.Revision != history[i-1].Revision+1 {
			return fail("revision gap or reorder", strconv.FormatUint(history[i-1].Revision+1, 10), strconv.FormatUint(ev.Revision, 10))
		}
		m0, hash, err := SplitHash(ev.Metadata)
		if err != nil {
			return fail("malformed metadata: "+err.Error(), "", "")
		}
		meta, err := DecodeMeta(m0)
		if err != nil {
			return fail("malformed metadata: "+err.Error(), "", "")
		}
		if meta.PrevHash != prevHash {
			return fail("prevHash is not the previous event's hash", prevHash, meta.PrevHash)
		}
		if meta.EventID != ev.ID {
			return fail("metadata event id differs from the record id", ev.ID.String(), meta.EventID.String())
		}
		want := ComputeHash(prevHash, ev.StreamID, ev.Type, meta.SchemaVersion, ev.Data, m0)
		if want != hash {
			return fail("hash mismatch: the record was altered", want, hash)
		}
		prevHash = hash
	}
	return nil
}
