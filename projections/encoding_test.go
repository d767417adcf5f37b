package projections

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDecReadsAcrossRefills(t *testing.T) {
	var buf bytes.Buffer
	e := newEnc(&buf)
	long := strings.Repeat("x", 3<<20) // longer than the decoder's buffer
	for i := 0; i < 100000; i++ {
		e.uvarint(uint64(i) * 977)
		e.varint(-int64(i) * 1_000_003)
		if i%1000 == 0 {
			e.str("s" + strings.Repeat("y", i%50))
		}
		if i == 5000 {
			e.str(long)
		}
		e.maybeFlush()
	}
	e.flush()
	d := newDec(iotest.HalfReader(bytes.NewReader(buf.Bytes())))
	for i := 0; i < 100000; i++ {
		if v := d.uvarint(); v != uint64(i)*977 {
			t.Fatalf("%d: uvarint %d", i, v)
		}
		if v := d.varint(); v != -int64(i)*1_000_003 {
			t.Fatalf("%d: varint %d", i, v)
		}
		if i%1000 == 0 {
			if s := d.str(); s != "s"+strings.Repeat("y", i%50) {
				t.Fatalf("%d: str %q", i, s)
			}
		}
		if i == 5000 {
			if s := d.str(); s != long {
				t.Fatalf("long string: %d bytes (%v)", len(s), d.err)
			}
		}
	}
	if d.err != nil {
		t.Fatal(d.err)
	}
	d.uvarint()
	if d.err == nil {
		t.Error("read past the end without an error")
	}
}
