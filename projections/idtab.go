package projections

import "hash/maphash"

// idtab interns many distinct strings (ticket ids, stream names) without a
// Go map or a string header per entry: the bytes live in one arena, the
// index is an open-addressing table of uint32. Nothing in it holds a
// pointer, so the garbage collector never scans it, and it costs about
// len(s) + 12 bytes per string. Indexes start at 0, in insertion order.
type idtab struct {
	seed  maphash.Seed
	arena []byte
	ends  []uint32 // ends[i]: end of string i in arena
	slots []uint32 // 0: empty, else index+1
}

func newIDTab() idtab { return idtab{seed: maphash.MakeSeed()} }

func (t *idtab) len() int { return len(t.ends) }

func (t *idtab) bytes(i uint32) []byte {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.arena[start:t.ends[i]]
}

// str returns string i (a copy).
func (t *idtab) str(i uint32) string {
	if int(i) >= len(t.ends) {
		return ""
	}
	return string(t.bytes(i))
}

// get returns the index of s and whether it is present.
func (t *idtab) get(s string) (uint32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for h := maphash.String(t.seed, s) & mask; ; h = (h + 1) & mask {
		v := t.slots[h]
		if v == 0 {
			return 0, false
		}
		if string(t.bytes(v-1)) == s {
			return v - 1, true
		}
	}
}

// add appends s, which must not be present, and returns its index.
func (t *idtab) add(s string) uint32 {
	// Grow by doubling (append grows large slices by 1.25×): a rebuild
	// adds hundreds of thousands of ids, and every growth copies them all.
	if len(t.arena)+len(s) > cap(t.arena) {
		t.arena = append(make([]byte, 0, max(2*cap(t.arena), len(t.arena)+len(s), 64<<10)), t.arena...)
	}
	if len(t.ends) == cap(t.ends) {
		t.ends = append(make([]uint32, 0, max(2*cap(t.ends), 4096)), t.ends...)
	}
	t.arena = append(t.arena, s...)
	t.ends = append(t.ends, uint32(len(t.arena)))
	i := uint32(len(t.ends) - 1)
	if 2*len(t.ends) > len(t.slots) {
		t.rehash(max(1024, 4*len(t.ends)))
	} else {
		t.place(i)
	}
	return i
}

func (t *idtab) place(i uint32) {
	mask := uint64(len(t.slots) - 1)
	h := maphash.Bytes(t.seed, t.bytes(i)) & mask
	for t.slots[h] != 0 {
		h = (h + 1) & mask
	}
	t.slots[h] = i + 1
}

func (t *idtab) rehash(n int) {
	size := 1
	for size < n {
		size <<= 1
	}
	t.slots = make([]uint32, size)
	for i := range t.ends {
		t.place(uint32(i))
	}
}

func (t *idtab) encode(e *enc) {
	e.uvarint(uint64(len(t.ends)))
	prev := uint32(0)
	for _, end := range t.ends {
		e.uvarint(uint64(end - prev))
		prev = end
		e.maybeFlush()
	}
	e.uvarint(uint64(len(t.arena)))
	for lo := 0; lo < len(t.arena); lo += 32 << 10 {
		e.raw(t.arena[lo:min(lo+32<<10, len(t.arena))])
		e.maybeFlush()
	}
}

func (t *idtab) decode(d *dec) {
	*t = newIDTab()
	n := d.count(1)
	if d.err != nil {
		return
	}
	t.ends = make([]uint32, 0, min(n, 1<<24))
	end := uint64(0)
	for i := 0; i < n && d.err == nil; i++ {
		end += d.uvarint()
		if end > 1<<32-1 {
			d.fail("id arena too large")
			return
		}
		t.ends = append(t.ends, uint32(end))
	}
	size := d.count(1)
	if d.err == nil && uint64(size) != end {
		d.fail("id arena of %d bytes, ids need %d", size, end)
		return
	}
	t.arena = make([]byte, 0, size)
	for len(t.arena) < size && d.err == nil {
		t.arena = append(t.arena, d.bytes(min(size-len(t.arena), 1<<20))...)
	}
	if d.err == nil {
		t.rehash(max(1024, 4*len(t.ends)))
	}
}
