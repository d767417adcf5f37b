package projections

// strtab interns strings: each distinct string is stored once and referred
// to by a uint32. Index 0 is always "".
type strtab struct {
	m map[string]uint32
	s []string
}

func newStrtab() strtab {
	return strtab{m: map[string]uint32{"": 0}, s: []string{""}}
}

// id returns the index of s, adding it if new.
func (t *strtab) id(s string) uint32 {
	if i, ok := t.m[s]; ok {
		return i
	}
	i := uint32(len(t.s))
	s = string([]byte(s)) // own a copy: do not pin a decoder's buffer
	t.s = append(t.s, s)
	t.m[s] = i
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
