package integrity

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"

	"github.com/google/uuid"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// LeafTag is the first field of every leaf encoding.
const LeafTag = "ticketledger.leaf.v1"

// Hasher is the tree's hasher: RFC 6962 with SHA-256 (leaf = SHA-256(0x00 ||
// leaf data), node = SHA-256(0x01 || left || right)).
var Hasher = rfc6962.DefaultHasher

// LeafData returns the canonical encoding of one event as a leaf of the
// ledger's tree: the fields below, each as its length (4-byte unsigned big
// endian) followed by its bytes:
//
//	(a) LeafTag, "ticketledger.leaf.v1"
//	(b) the stream name
//	(c) the revision in decimal ASCII
//	(d) the event id, 36-character lowercase UUID
//	(e) the event type
//	(f) the content hash: the 64 hex digits of the metadata's "hash" member
//	    when it has one (every event the codec writes); otherwise "sha256:"
//	    and the lowercase hex SHA-256 of length-prefixed data and metadata
//	    (the store's own records, e.g. stream metadata)
//	(g) the value of the "sig" member, or "" when unsigned
//
// The global position is not part of the leaf (it is the engine's): the leaf
// index, the event's place in $all order, fixes the order.
func LeafData(rec *eventstore.RecordedEvent) []byte {
	if p, err := codec.SplitMeta(rec.Metadata); err == nil {
		return appendLeafData(nil, rec, p.Hash, p.Sig)
	}
	return appendLeafData(nil, rec, []byte(unchainedContent(rec)), nil)
}

// LeafHash is Hasher.HashLeaf(LeafData(rec)).
func LeafHash(rec *eventstore.RecordedEvent) []byte { return Hasher.HashLeaf(LeafData(rec)) }

// leafHash is LeafHash with the content hash and the sig member given,
// without allocating: SHA-256 of 0x00 and the leaf data (RFC 6962), built
// on the stack.
func leafHash(rec *eventstore.RecordedEvent, content, sig []byte) [sha256.Size]byte {
	var buf [512]byte
	return sha256.Sum256(appendLeafData(append(buf[:0], 0), rec, content, sig))
}

// appendLeafData appends the leaf encoding of rec (LeafData) to b.
func appendLeafData(b []byte, rec *eventstore.RecordedEvent, content, sig []byte) []byte {
	var n [20]byte
	var id [36]byte
	b = codec.AppendField(b, LeafTag)
	b = codec.AppendField(b, rec.StreamID)
	b = codec.AppendField(b, strconv.AppendUint(n[:0], rec.Revision, 10))
	b = codec.AppendField(b, appendUUID(id[:0], rec.ID))
	b = codec.AppendField(b, rec.Type)
	b = codec.AppendField(b, content)
	return codec.AppendField(b, sig)
}

// appendUUID appends the 36-character lowercase form of id.
func appendUUID(b []byte, id uuid.UUID) []byte {
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

const hexDigits = "0123456789abcdef"

// unchainedContent is the content field of a record without a hash member:
// "sha256:" and the hex SHA-256 of its length-prefixed data and metadata.
func unchainedContent(rec *eventstore.RecordedEvent) string {
	s := sha256.New()
	var n [4]byte
	for _, f := range [][]byte{rec.Data, rec.Metadata} {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		s.Write(n[:])
		s.Write(f)
	}
	return "sha256:" + hex.EncodeToString(s.Sum(nil))
}

// Tree is an append-only RFC 6962 Merkle tree held in memory. It stores
// every perfect subtree node (level 0 = leaf hashes), 64 bytes per leaf in
// all, so that the root, inclusion proofs and consistency proofs for any
// size up to the current one take O(log n) node look-ups. Safe for
// concurrent use: one appender, many readers.
type Tree struct {
	mu     sync.RWMutex
	rng    *compact.Range
	levels []level // levels[l] holds the nodes of level l
}

// levelChunk is how many nodes a chunk of a level holds (64 KiB): a level
// grows by whole chunks and never copies, so it holds no spare capacity
// beyond its last chunk (an append-grown slice holds up to as much again).
const levelChunk = 2048

// level is one level's nodes, 32 bytes each, in chunks of levelChunk.
type level struct {
	chunks [][]byte
	n      uint64
}

// add stores h as the next node and returns the tree's copy of it.
func (l *level) add(h []byte) []byte {
	i := l.n % levelChunk
	if i == 0 {
		l.chunks = append(l.chunks, make([]byte, levelChunk*sha256.Size))
	}
	c := l.chunks[len(l.chunks)-1]
	own := c[i*sha256.Size : (i+1)*sha256.Size : (i+1)*sha256.Size]
	copy(own, h)
	l.n++
	return own
}

// at returns node i (which must be stored), not a copy.
func (l *level) at(i uint64) []byte {
	c := l.chunks[i/levelChunk]
	o := (i % levelChunk) * sha256.Size
	return c[o : o+sha256.Size]
}

var rangeFactory = &compact.RangeFactory{Hash: Hasher.HashChildren}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{rng: rangeFactory.NewEmptyRange(0)} }

// Append adds a leaf hash (32 bytes) and returns its index.
func (t *Tree) Append(leafHash []byte) (uint64, error) {
	if len(leafHash) != sha256.Size {
		return 0, fmt.Errorf("tree: leaf hash of %d bytes, want %d", len(leafHash), sha256.Size)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	idx := t.rng.End()
	// The range keeps the hash it is given until a sibling arrives: give it
	// the tree's own copy (bytes appended to a level never change), not the
	// caller's buffer.
	if len(t.levels) == 0 {
		t.levels = append(t.levels, level{})
	}
	own := t.levels[0].add(leafHash)
	err := t.rng.Append(own, func(id compact.NodeID, h []byte) {
		if id.Level == 0 {
			return // stored above
		}
		for uint(len(t.levels)) <= id.Level {
			t.levels = append(t.levels, level{})
		}
		t.levels[id.Level].add(h)
	})
	return idx, err
}

// Size returns the number of leaves.
func (t *Tree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.rng.End()
}

// LeafHashAt returns the hash of leaf i.
func (t *Tree) LeafHashAt(i uint64) ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.node(compact.NewNodeID(0, i))
}

func (t *Tree) node(id compact.NodeID) ([]byte, error) {
	if id.Level >= uint(len(t.levels)) || t.levels[id.Level].n <= id.Index {
		return nil, fmt.Errorf("tree: node %d/%d not stored (tree size %d)", id.Level, id.Index, t.rng.End())
	}
	return bytes.Clone(t.levels[id.Level].at(id.Index)), nil
}

func (t *Tree) nodes(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := t.node(id)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// Root returns the root hash of the current tree.
func (t *Tree) Root() []byte {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r, _ := t.rootAt(t.rng.End())
	return r
}

// RootAt returns the root hash of the tree of the first n leaves.
func (t *Tree) RootAt(n uint64) ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.rootAt(n)
}

func (t *Tree) rootAt(n uint64) ([]byte, error) {
	if err := t.within(n); err != nil {
		return nil, err
	}
	if n == 0 {
		return Hasher.EmptyRoot(), nil
	}
	hashes, err := t.nodes(compact.RangeNodes(0, n, nil))
	if err != nil {
		return nil, err
	}
	r, err := rangeFactory.NewRange(0, n, hashes)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// InclusionProof returns the proof that leaf index is in the tree of size n.
func (t *Tree) InclusionProof(index, n uint64) ([][]byte, error) {
	return t.proof(n, func() (proof.Nodes, error) { return proof.Inclusion(index, n) })
}

// ConsistencyProof returns the proof that the tree of size m is a prefix of
// the tree of size n.
func (t *Tree) ConsistencyProof(m, n uint64) ([][]byte, error) {
	return t.proof(n, func() (proof.Nodes, error) { return proof.Consistency(m, n) })
}

// proof returns the hashes of the nodes a proof within the tree of size n
// names.
func (t *Tree) proof(n uint64, nodes func() (proof.Nodes, error)) ([][]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := t.within(n); err != nil {
		return nil, err
	}
	p, err := nodes()
	if err != nil {
		return nil, fmt.Errorf("tree: %w", err)
	}
	return t.rehash(p)
}

// within refuses a tree size beyond the current tree's.
func (t *Tree) within(n uint64) error {
	if n > t.rng.End() {
		return fmt.Errorf("tree: size %d beyond the tree's %d", n, t.rng.End())
	}
	return nil
}

func (t *Tree) rehash(p proof.Nodes) ([][]byte, error) {
	hashes, err := t.nodes(p.IDs)
	if err != nil {
		return nil, err
	}
	return p.Rehash(hashes, Hasher.HashChildren)
}

// VerifyInclusion checks an inclusion proof (proof package of
// transparency-dev/merkle).
func VerifyInclusion(index, size uint64, leafHash []byte, p [][]byte, root []byte) error {
	return proof.VerifyInclusion(Hasher, index, size, leafHash, p, root)
}

// VerifyConsistency checks a consistency proof from size m (root1) to n (root2).
func VerifyConsistency(m, n uint64, p [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(Hasher, m, n, p, root1, root2)
}
