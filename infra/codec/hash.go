package codec

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// HashTag is the domain-separation tag, the first field of every hash input.
// A change to the hashing scheme gets a new tag.
const HashTag = "ticketledger.hashchain.v1"

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
