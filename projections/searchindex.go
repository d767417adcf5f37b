package projections

import (
	"bytes"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// searchIndex answers TicketFilter.Search without visiting every ticket: it
// maps each word of the tickets' titles, partner ids and customer ids
// (folded, at most searchTokenMax bytes) to the ascending indexes of the
// tickets that have it. Tickets add their words as they are opened (their
// title, partner and customer never change); a restore rebuilds it.
//
// The index only narrows: it yields a superset of the tickets a search
// finds (match.found decides), so its answers equal a scan's. A word's
// token is the case-folded run of letters and digits at the start of a
// word, where a word starts at a letter or digit after anything else; a
// search word's key is the same run at its start, and every ticket it
// begins a word of has a token the key is a prefix of. A search word that
// does not start with a letter or digit has no key: it does not narrow.
type searchIndex struct {
	words map[string]uint32 // token → word index
	vocab []string          // word index → token
	post  [][]uint32        // word index → tickets having it, ascending
	memo  [][]uint32        // interned string → its words (nil: not yet seen)
	buf   []uint32          // scratch for add
	tok   []byte            // scratch for tokens

	mu     sync.Mutex // guards sorted and byID, which queries extend under the read lock
	sorted []uint32   // word indexes by token
	byID   []uint32   // the first len(byID) tickets' indexes by id
}

// searchTokenMax caps a token's length in bytes: longer words share the
// token of their start.
const searchTokenMax = 12

var noWords = []uint32{}

func newSearchIndex() *searchIndex { return &searchIndex{words: map[string]uint32{}} }

// add indexes ticket r (the next index after those already added).
func (x *searchIndex) add(strs *strtab, r *rec) {
	ws := x.buf[:0]
	for _, s := range [...]uint32{r.title, r.partner, r.customer} {
		ws = append(ws, x.wordsOf(strs, s)...)
	}
	slices.Sort(ws)
	ws = slices.Compact(ws)
	for _, w := range ws {
		x.post[w] = append(x.post[w], r.idx)
	}
	x.buf = ws
}

// wordsOf returns the word indexes of interned string s, tokenizing it once.
func (x *searchIndex) wordsOf(strs *strtab, s uint32) []uint32 {
	if s == 0 || int(s) >= len(strs.s) {
		return nil
	}
	if int(s) >= len(x.memo) {
		x.memo = append(x.memo, make([][]uint32, int(s)+1-len(x.memo))...)
	}
	if ws := x.memo[s]; ws != nil {
		return ws
	}
	var ws []uint32
	forWordStarts(strs.str(s), func(rest string) {
		x.tok = searchToken(x.tok[:0], rest)
		w, ok := x.words[string(x.tok)]
		if !ok {
			w = uint32(len(x.vocab))
			tok := string(x.tok)
			x.words[tok] = w
			x.vocab = append(x.vocab, tok)
			x.post = append(x.post, nil)
		}
		if !slices.Contains(ws, w) {
			ws = append(ws, w)
		}
	})
	if ws == nil {
		ws = noWords
	}
	x.memo[s] = slices.Clip(ws)
	return x.memo[s]
}

// forWordStarts calls fn with s from each start of a word: a letter or
// digit after the start of s or after a rune that is neither.
func forWordStarts(s string, fn func(rest string)) {
	prev := false
	for i := 0; i < len(s); {
		c, size := rune(s[i]), 1
		if c >= utf8.RuneSelf {
			c, size = utf8.DecodeRuneInString(s[i:])
		}
		word := unicode.IsLetter(c) || unicode.IsDigit(c)
		if word && !prev {
			fn(s[i:])
		}
		prev = word
		i += size
	}
}

// searchToken appends to b the folded run of word runes at the start of s,
// at most searchTokenMax bytes.
func searchToken(b []byte, s string) []byte {
	for _, c := range s {
		if !foldsToWord(c) {
			break
		}
		c = canonFold(c)
		if len(b)+utf8.RuneLen(c) > searchTokenMax {
			break
		}
		b = utf8.AppendRune(b, c)
	}
	return b
}

// foldsToWord: c, or a rune it equals ignoring case, is a letter or digit.
func foldsToWord(c rune) bool {
	if c < utf8.RuneSelf {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	for f := c; ; {
		if unicode.IsLetter(f) || unicode.IsDigit(f) {
			return true
		}
		if f = unicode.SimpleFold(f); f == c {
			return false
		}
	}
}

// canonFold maps every rune of a case-folding orbit to the same rune: the
// smallest, ASCII letters in lower case.
func canonFold(c rune) rune {
	if c < utf8.RuneSelf {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c
	}
	m := c
	for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	if 'A' <= m && m <= 'Z' {
		m += 'a' - 'A'
	}
	return m
}

// searchKey is the key of search word w; "" when w does not narrow.
func searchKey(w string) string {
	if w == "" {
		return ""
	}
	return string(searchToken(nil, w))
}

// candidates returns the ascending indexes of the tickets that may have
// every word of words (each a prefix of one of their words' tokens); all
// is true when no word narrows (every ticket may). The words with the
// fewest postings are intersected first.
func (x *searchIndex) candidates(words []searchWord) (c []uint32, all bool) {
	v := x.sortedVocab()
	type span struct{ lo, hi, size int }
	var spans []span
	for i := range words {
		k := searchKey(words[i].word)
		if k == "" {
			continue
		}
		lo, _ := slices.BinarySearchFunc(v, k, func(w uint32, k string) int { return strings.Compare(x.vocab[w], k) })
		sp := span{lo: lo, hi: lo}
		for sp.hi < len(v) && strings.HasPrefix(x.vocab[v[sp.hi]], k) {
			sp.size += len(x.post[v[sp.hi]])
			sp.hi++
		}
		if sp.size == 0 {
			return nil, false
		}
		spans = append(spans, sp)
	}
	if spans == nil {
		return nil, true
	}
	slices.SortFunc(spans, func(a, b span) int { return a.size - b.size })
	for i, sp := range spans {
		p := x.postings(v[sp.lo:sp.hi])
		if i == 0 {
			c = p
		} else {
			c = intersect(c, p)
		}
		if len(c) == 0 {
			return nil, false
		}
	}
	return c, false
}

// postings returns the tickets having any of the words ws, ascending.
func (x *searchIndex) postings(ws []uint32) []uint32 {
	if len(ws) == 1 {
		return x.post[ws[0]]
	}
	if len(ws) <= 4 {
		var out []uint32
		for _, w := range ws {
			out = union(out, x.post[w])
		}
		return out
	}
	// Many words: mark their tickets in a bitmap, then list it.
	n := uint32(0)
	for _, w := range ws {
		if p := x.post[w]; len(p) > 0 {
			n = max(n, p[len(p)-1]+1)
		}
	}
	set := make([]uint64, (n+63)/64)
	for _, w := range ws {
		for _, i := range x.post[w] {
			set[i/64] |= 1 << (i % 64)
		}
	}
	var out []uint32
	for k, b := range set {
		for b != 0 {
			out = append(out, uint32(k*64+bits.TrailingZeros64(b)))
			b &= b - 1
		}
	}
	return out
}

// sortedVocab returns the word indexes in token order, sorting the words
// added since the last call in.
func (x *searchIndex) sortedVocab() []uint32 {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.sorted) < len(x.vocab) {
		for w := len(x.sorted); w < len(x.vocab); w++ {
			x.sorted = append(x.sorted, uint32(w))
		}
		slices.SortFunc(x.sorted, func(a, b uint32) int { return strings.Compare(x.vocab[a], x.vocab[b]) })
	}
	return x.sorted
}

// idsWithPrefix returns the ascending indexes of the tickets whose id (in
// ids) starts with p, sorting the tickets added since the last call in.
func (x *searchIndex) idsWithPrefix(ids *idtab, p []byte) []uint32 {
	x.mu.Lock()
	if n := len(x.byID); n < ids.len() {
		cmp := func(a, b uint32) int { return bytes.Compare(ids.bytes(a), ids.bytes(b)) }
		add := make([]uint32, 0, ids.len()-n)
		for i := n; i < ids.len(); i++ {
			add = append(add, uint32(i))
		}
		slices.SortFunc(add, cmp)
		merged := make([]uint32, 0, ids.len())
		i, j := 0, 0
		for i < n && j < len(add) {
			if cmp(x.byID[i], add[j]) <= 0 {
				merged = append(merged, x.byID[i])
				i++
			} else {
				merged = append(merged, add[j])
				j++
			}
		}
		merged = append(merged, x.byID[i:]...)
		x.byID = append(merged, add[j:]...)
	}
	v := x.byID
	x.mu.Unlock()
	lo, _ := slices.BinarySearchFunc(v, p, func(i uint32, p []byte) int { return bytes.Compare(ids.bytes(i), p) })
	var out []uint32
	for k := lo; k < len(v) && bytes.HasPrefix(ids.bytes(v[k]), p); k++ {
		out = append(out, v[k])
	}
	slices.Sort(out)
	return out
}

// intersect returns the indexes in both ascending lists; a list many
// times longer than the other is searched, not walked.
func intersect(a, b []uint32) []uint32 {
	if len(a) > len(b) {
		a, b = b, a
	}
	var out []uint32
	if len(b) > 16*len(a) {
		for _, v := range a {
			k, found := slices.BinarySearch(b, v)
			if found {
				out = append(out, v)
			}
			b = b[k:]
		}
		return out
	}
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// union returns the indexes in either ascending list, ascending, once.
func union(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
