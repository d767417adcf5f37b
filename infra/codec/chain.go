package codec

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// ErrChainBroken is wrapped by every *ChainError.
var ErrChainBroken = errors.New("hash chain broken")

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
