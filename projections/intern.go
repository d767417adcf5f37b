package projections

import "unsafe"

// strtab interns strings: each distinct string is stored once and referred
// to by a uint32. Index 0 is always "".
//
// hot remembers the index of recently seen string values by their address:
// the codec hands out the same string (same bytes, same address) for values
// that repeat from one event to the next (severities, products, versions,
// ids), so most lookups cost a pointer comparison instead of a map lookup.
// An entry keeps its string alive, so its address cannot be reused by
// another string while the entry exists, and strings are immutable: same
// address and length, same string.
type strtab struct {
	m   map[string]uint32
	s   []string
	hot *[hotSlots]hotStr
}

const hotSlots = 512

type hotStr struct {
	s  string
	id uint32
}

func newStrtab() strtab {
	return strtab{m: map[string]uint32{"": 0}, s: []string{""}}
}

// id returns the index of s, adding it if new.
func (t *strtab) id(s string) uint32 {
	if len(s) == 0 {
		return 0
	}
	if t.hot == nil {
		t.hot = new([hotSlots]hotStr)
	}
	p := unsafe.StringData(s)
	h := &t.hot[(uintptr(unsafe.Pointer(p))>>4^uintptr(len(s)))%hotSlots]
	if unsafe.StringData(h.s) == p && len(h.s) == len(s) {
		return h.id
	}
	i, ok := t.m[s]
	if !ok {
		i = uint32(len(t.s))
		c := string([]byte(s)) // own a copy: do not pin a decoder's buffer
		t.s = append(t.s, c)
		t.m[c] = i
	}
	h.s, h.id = s, i
	return i
}

// lookup returns the index of s and whether it is known.
func (t *strtab) lookup(s string) (uint32, bool) {
	i, ok := t.m[s]
	return i, ok
}

// str returns the string at i.
func (t *strtab) str(i uint32) string {
	if int(i) < len(t.s) {
		return t.s[i]
	}
	return ""
}

func (t *strtab) encode(e *enc) {
	e.uvarint(uint64(len(t.s)))
	for _, s := range t.s {
		e.str(s)
	}
}

func (t *strtab) decode(d *dec) {
	n := d.count(1)
	*t = strtab{m: make(map[string]uint32, n), s: make([]string, 0, n)}
	for i := 0; i < n && d.err == nil; i++ {
		s := d.str()
		t.m[s] = uint32(len(t.s))
		t.s = append(t.s, s)
	}
	if d.err == nil && (len(t.s) == 0 || t.s[0] != "") {
		d.fail("string table does not start with the empty string")
	}
}
