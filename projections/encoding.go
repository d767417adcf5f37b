package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrCorruptSnapshot is returned by Restore when a snapshot cannot be decoded.
var ErrCorruptSnapshot = errors.New("corrupt projection snapshot")

// enc appends a compact binary encoding to a buffer that it flushes to a
// writer in chunks.
type enc struct {
	w   io.Writer
	b   []byte
	err error
}

func newEnc(w io.Writer) *enc { return &enc{w: w, b: make([]byte, 0, 64<<10)} }

func (e *enc) maybeFlush() {
	if len(e.b) >= 60<<10 {
		e.flush()
	}
}

func (e *enc) flush() error {
	if e.err == nil && len(e.b) > 0 {
		_, e.err = e.w.Write(e.b)
	}
	e.b = e.b[:0]
	return e.err
}

func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) u8(v uint8)       { e.b = append(e.b, v) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
	e.maybeFlush()
}
func (e *enc) raw(p []byte) { e.b = append(e.b, p...) }

// dec reads what enc wrote from a buffer refilled from a reader; the first
// error sticks.
type dec struct {
	r   io.Reader
	buf []byte
	pos int
	eof bool
	err error
}

func newDec(r io.Reader) *dec {
	return &dec{r: r, buf: make([]byte, 0, 1<<20)}
}

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorruptSnapshot, fmt.Sprintf(format, args...))
	}
}

// fill makes at least n bytes available unless the input ends first.
func (d *dec) fill(n int) bool {
	if len(d.buf)-d.pos >= n {
		return true
	}
	if d.eof || d.err != nil {
		return false
	}
	rest := len(d.buf) - d.pos
	if n > cap(d.buf) {
		nb := make([]byte, rest, n+(1<<20))
		copy(nb, d.buf[d.pos:])
		d.buf = nb
	} else {
		copy(d.buf[:rest], d.buf[d.pos:])
		d.buf = d.buf[:rest]
	}
	d.pos = 0
	for len(d.buf) < n && !d.eof {
		m, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
		d.buf = d.buf[:len(d.buf)+m]
		if err == io.EOF {
			d.eof = true
		} else if err != nil {
			d.fail("read: %v", err)
			return false
		}
	}
	return len(d.buf)-d.pos >= n
}

func (d *dec) uvarint() uint64 {
	if d.pos+binary.MaxVarintLen64 <= len(d.buf) {
		if v, n := binary.Uvarint(d.buf[d.pos:]); n > 0 {
			d.pos += n
			return v
		}
	}
	return d.uvarintSlow()
}

func (d *dec) uvarintSlow() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.pos:])
	if n <= 0 {
		d.fill(binary.MaxVarintLen64)
		if v, n = binary.Uvarint(d.buf[d.pos:]); n <= 0 {
			d.fail("bad or truncated varint")
			return 0
		}
	}
	d.pos += n
	return v
}

func (d *dec) varint() int64 {
	u := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (d *dec) u32() uint32 {
	v := d.uvarint()
	if v > 1<<32-1 {
		d.fail("value %d out of range", v)
	}
	return uint32(v)
}

func (d *dec) u8() uint8 {
	if d.err != nil || !d.fill(1) {
		d.fail("truncated")
		return 0
	}
	c := d.buf[d.pos]
	d.pos++
	return c
}

func (d *dec) bool() bool { return d.u8() != 0 }

// count reads a length and checks it is plausible; it guards allocations
// against corrupt input.
func (d *dec) count(_ int) int {
	n := d.uvarint()
	if n > 1<<31 {
		d.fail("length %d too large", n)
		return 0
	}
	return int(n)
}

func (d *dec) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > 1<<24 {
		d.fail("field of %d bytes", n)
		return nil
	}
	if !d.fill(n) {
		d.fail("truncated")
		return nil
	}
	b := d.buf[d.pos : d.pos+n]
	d.pos += n
	return b
}

func (d *dec) str() string {
	n := d.count(1)
	if n == 0 {
		return ""
	}
	return string(d.bytes(n))
}

func (d *dec) raw(n int) []byte {
	b := make([]byte, n)
	copy(b, d.bytes(n))
	return b
}

// header writes/reads a projection's magic and format version.
func (e *enc) header(magic string, version uint64) {
	e.str(magic)
	e.uvarint(version)
}

func (d *dec) header(magic string, version uint64) {
	if m := d.str(); d.err == nil && m != magic {
		d.fail("snapshot is %q, want %q", m, magic)
	}
	if v := d.uvarint(); d.err == nil && v != version {
		d.fail("snapshot format %d, want %d (rebuild)", v, version)
	}
}
