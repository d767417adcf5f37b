package codec

import (
	"encoding/binary"
	"math/bits"

	"github.com/ticketledger/ticketledger/infra/jsonscan"
)

// plainRun returns the length of the longest prefix of b made of bytes a
// JSON string token holds as they are (plainASCII: printable ASCII except
// '"' and '\\'), eight bytes at a time.
func plainRun(b []byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ ('"' * lo)
		bs := x ^ ('\\' * lo)
		// Per byte: ≥ 0x80, < 0x20, == '"', == '\\'. The borrows of the
		// subtractions can only flag bytes above a byte truly flagged, so
		// the lowest flagged byte is the first that is not plain.
		m := x&hi | (x-0x20*lo)&^x&hi | (q-lo)&^q&hi | (bs-lo)&^bs&hi
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && plainASCII[b[i]] {
		i++
	}
	return i
}

// cursor is a read position in a JSON document, shared by the metadata and
// payload scanners.
type cursor struct {
	b []byte
	i int
}

// ws skips white space.
func (s *cursor) ws() { s.i = jsonscan.Space(s.b, s.i) }

// enter consumes the `{` that opens an object and reports whether members
// follow: ok is false when there is no `{`, members false for `{}`.
func (s *cursor) enter() (members, ok bool) {
	if !s.tok('{') {
		return false, false
	}
	return !s.tok('}'), true
}

// tok consumes c (after white space) and reports whether it was there.
func (s *cursor) tok(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}
