package projections

import (
	"math"
	"slices"
	"sort"
)

// The SLA report's aggregates, kept up to date as events apply: for every
// cell (severity × product × locale) the counters that do not depend on
// the instant a report judges at, the times to first response of its
// answered tickets, and the deadlines of its unanswered ones, each as a
// sorted multiset. A report over all tickets (no period, no scope) grouped
// by any of those three dimensions merges cells instead of visiting every
// ticket; what depends on Now (breached or pending, at risk) is counted
// from the sorted deadlines. The answer is the one the full scan gives
// (reportScan; the tests compare the two).

// cellKey is a ticket's severity, product and locale (interned ids).
type cellKey struct{ severity, product, locale uint32 }

// slaCell holds the aggregates of the tickets with a deadline in one cell.
type slaCell struct {
	key                    cellKey
	tickets, answered      int
	met, nearMisses        int
	wall, counted          sortedSet // times to first response of the answered tickets
	waiting, closedPending sortedSet // deadlines of the unanswered ones: open, and resolved or closed
}

// slaAgg is the set of cells.
type slaAgg struct {
	cells map[cellKey]*slaCell
	list  []*slaCell // in creation order
}

func newSLAAgg() *slaAgg { return &slaAgg{cells: map[cellKey]*slaCell{}} }

// slaPart is what one ticket contributes to its cell.
type slaPart struct {
	in                  bool // the ticket has a deadline: it counts
	key                 cellKey
	responded, met      bool
	near, waiting       bool
	wall, counted, dlAt int64
}

// slaPartOf is r's contribution (what acc.add and the scan read of r,
// less what depends on Now).
func slaPartOf(r *rec) slaPart {
	if !r.deadlineSet {
		return slaPart{}
	}
	p := slaPart{in: true, key: cellKey{r.severity, r.product, r.locale}}
	if r.responded {
		p.responded, p.met, p.near = true, r.respMet, r.nearMiss()
		p.wall, p.counted = r.respondedAt-r.ttfrFrom(), r.respCounted
	} else {
		p.dlAt, p.waiting = r.dl.at, r.isOpen()
	}
	return p
}

// ttfrFrom is when r's clock started for its time to first response.
func (r *rec) ttfrFrom() int64 {
	if r.dl.from != 0 {
		return r.dl.from
	}
	return r.openedAt
}

func (a *slaAgg) cell(k cellKey) *slaCell {
	c := a.cells[k]
	if c == nil {
		c = &slaCell{key: k}
		a.cells[k] = c
		a.list = append(a.list, c)
	}
	return c
}

// update replaces the contribution old of a ticket with new.
func (a *slaAgg) update(old, new slaPart) {
	if old == new {
		return
	}
	a.apply(old, -1)
	a.apply(new, +1)
}

// apply adds (d = 1) or removes (d = -1) a contribution.
func (a *slaAgg) apply(p slaPart, d int) {
	if !p.in {
		return
	}
	c := a.cell(p.key)
	c.tickets += d
	if p.responded {
		c.answered += d
		if p.met {
			c.met += d
		}
		if p.near {
			c.nearMisses += d
		}
		c.wall.change(p.wall, d)
		c.counted.change(p.counted, d)
		return
	}
	if p.waiting {
		c.waiting.change(p.dlAt, d)
	} else {
		c.closedPending.change(p.dlAt, d)
	}
}

// build fills a from the tickets of t (after a restore), sorting each
// cell's values once instead of inserting them one by one.
func (a *slaAgg) build(t *Tickets) {
	type vals struct{ wall, counted, waiting, closedPending []int64 }
	raw := map[cellKey]*vals{}
	for i := 0; i < t.n; i++ {
		p := slaPartOf(t.at(i))
		if !p.in {
			continue
		}
		c := a.cell(p.key)
		v := raw[p.key]
		if v == nil {
			v = &vals{}
			raw[p.key] = v
		}
		c.tickets++
		switch {
		case p.responded:
			c.answered++
			if p.met {
				c.met++
			}
			if p.near {
				c.nearMisses++
			}
			v.wall, v.counted = append(v.wall, p.wall), append(v.counted, p.counted)
		case p.waiting:
			v.waiting = append(v.waiting, p.dlAt)
		default:
			v.closedPending = append(v.closedPending, p.dlAt)
		}
	}
	for k, v := range raw {
		c := a.cells[k]
		c.wall.fill(v.wall)
		c.counted.fill(v.counted)
		c.waiting.fill(v.waiting)
		c.closedPending.fill(v.closedPending)
	}
}

// sortedSet is a multiset of int64 kept sorted in blocks of at most
// setBlock values (every block non-empty), so an insertion moves at most a
// block.
type sortedSet struct {
	blocks [][]int64
	n      int
}

const setBlock = 512

// fill replaces the set's contents with v (v is sorted in place and kept).
func (s *sortedSet) fill(v []int64) {
	slices.Sort(v)
	s.blocks, s.n = nil, len(v)
	for len(v) > 0 {
		k := min(len(v), setBlock)
		s.blocks = append(s.blocks, slices.Clip(v[:k]))
		v = v[k:]
	}
}

// block is the index of the first block whose last value is ≥ v (the last
// block when none is).
func (s *sortedSet) block(v int64) int {
	return sort.Search(len(s.blocks)-1, func(i int) bool { b := s.blocks[i]; return b[len(b)-1] >= v })
}

// change inserts v (d > 0) or removes one v (d < 0).
func (s *sortedSet) change(v int64, d int) {
	if d > 0 {
		s.insert(v)
	} else {
		s.remove(v)
	}
}

func (s *sortedSet) insert(v int64) {
	s.n++
	if len(s.blocks) == 0 {
		s.blocks = append(s.blocks, append(make([]int64, 0, 8), v))
		return
	}
	i := s.block(v)
	b := s.blocks[i]
	j, _ := slices.BinarySearch(b, v)
	for j < len(b) && b[j] == v { // after the equal ones
		j++
	}
	if j == len(b) && i == len(s.blocks)-1 && len(b) >= setBlock {
		s.blocks = append(s.blocks, append(make([]int64, 0, 8), v)) // appending: start a new block
		return
	}
	b = slices.Insert(b, j, v)
	if len(b) <= setBlock {
		s.blocks[i] = b
		return
	}
	h := len(b) / 2
	lo, hi := slices.Clone(b[:h]), slices.Clone(b[h:])
	s.blocks[i] = lo
	s.blocks = slices.Insert(s.blocks, i+1, hi)
}

func (s *sortedSet) remove(v int64) {
	if len(s.blocks) == 0 {
		return
	}
	i := s.block(v)
	b := s.blocks[i]
	j, found := slices.BinarySearch(b, v)
	if !found {
		return // not held: nothing to remove (cannot happen: every removal follows its insertion)
	}
	s.n--
	b = slices.Delete(b, j, j+1)
	if len(b) == 0 {
		s.blocks = slices.Delete(s.blocks, i, i+1)
		return
	}
	s.blocks[i] = b
}

// countLess is the number of values < x.
func (s *sortedSet) countLess(x int64) int {
	n := 0
	for _, b := range s.blocks {
		if b[len(b)-1] < x {
			n += len(b)
			continue
		}
		j, _ := slices.BinarySearch(b, x)
		return n + j
	}
	return n
}

// countLE is the number of values ≤ x.
func (s *sortedSet) countLE(x int64) int {
	if x == math.MaxInt64 {
		return s.n
	}
	return s.countLess(x + 1)
}

// kth is the k-th smallest value (0-based; 0 ≤ k < s.n).
func (s *sortedSet) kth(k int) int64 {
	for _, b := range s.blocks {
		if k < len(b) {
			return b[k]
		}
		k -= len(b)
	}
	return 0
}

func (s *sortedSet) minMax() (int64, int64) {
	first, last := s.blocks[0], s.blocks[len(s.blocks)-1]
	return first[0], last[len(last)-1]
}

// setIndex counts the values ≤ x of a sorted set in logarithmic time, for
// the many counts of percentilesOf: before[i] is the number of values in
// the blocks before block i. It is built once per report and only read (the
// set does not change while a report reads it).
type setIndex struct {
	s      *sortedSet
	before []int
}

func indexOf(s *sortedSet) setIndex {
	before := make([]int, len(s.blocks))
	n := 0
	for i, b := range s.blocks {
		before[i] = n
		n += len(b)
	}
	return setIndex{s: s, before: before}
}

// countLE is the number of values ≤ x, as sortedSet.countLE.
func (x setIndex) countLE(v int64) int {
	if v == math.MaxInt64 {
		return x.s.n
	}
	b := x.s.blocks
	i := sort.Search(len(b), func(i int) bool { return b[i][len(b[i])-1] > v })
	if i == len(b) {
		return x.s.n
	}
	j, _ := slices.BinarySearch(b[i], v+1)
	return x.before[i] + j
}

// percentilesOf returns the nearest-rank percentiles of the union of sets,
// as percentiles computes them over the same values.
func percentilesOf(sets []*sortedSet) Percentiles {
	var live []*sortedSet
	n := 0
	for _, s := range sets {
		if s.n > 0 {
			live = append(live, s)
			n += s.n
		}
	}
	if n == 0 {
		return Percentiles{}
	}
	lo, hi := live[0].minMax()
	for _, s := range live[1:] {
		a, b := s.minMax()
		lo, hi = min(lo, a), max(hi, b)
	}
	idx := make([]setIndex, len(live))
	if len(live) > 1 {
		for i, s := range live {
			idx[i] = indexOf(s)
		}
	}
	kth := func(k int) int64 {
		if len(live) == 1 {
			return live[0].kth(k)
		}
		// The smallest v with more than k values ≤ v.
		l, h := lo, hi
		for l < h {
			m := int64(uint64(l) + (uint64(h)-uint64(l))/2)
			c := 0
			for _, x := range idx {
				c += x.countLE(m)
			}
			if c > k {
				h = m
			} else {
				l = m + 1
			}
		}
		return l
	}
	rank := func(p float64) int { return min(max(int(p*float64(n)+0.999999)-1, 0), n-1) }
	return Percentiles{Count: n, P50: seconds(kth(rank(0.50))), P90: seconds(kth(rank(0.90))), P99: seconds(kth(rank(0.99))), Max: seconds(hi)}
}

// aggServes: the aggregates answer q, grouped by dims — every ticket (no
// period, no scope) grouped by cell dimensions only.
func aggServes(q *ReportQuery, dims []string) bool {
	if !q.From.IsZero() || !q.To.IsZero() || q.Slices != 0 || q.Scope != (Scope{}) {
		return false
	}
	for _, d := range dims {
		switch d {
		case DimSeverity, DimProduct, DimLocale:
		default:
			return false
		}
	}
	return true
}

// reportAgg fills rep from the aggregates (aggServes(q, dims)); the read
// lock is held.
func (t *Tickets) reportAgg(rep *Report, dims []string, now int64, horizon int64) {
	// Deadlines in [now, riskTo] are at risk (sla.RiskThreshold.AtRisk with a lead time).
	riskTo := now + horizon
	if horizon > 0 && riskTo < now {
		riskTo = math.MaxInt64
	}
	type group struct {
		key   groupKey
		g     ReportGroup
		cells []*slaCell
	}
	var total group
	var groups []*group
	byKey := map[groupKey]*group{}
	add := func(gr *group, c *slaCell) {
		g := &gr.g
		g.Tickets += c.tickets
		g.Answered += c.answered
		g.Met += c.met
		g.NearMisses += c.nearMisses
		unanswered := c.waiting.n + c.closedPending.n
		breached := 0
		if now != 0 {
			breached = c.waiting.countLess(now) + c.closedPending.countLess(now)
			g.BreachedUnanswered += c.waiting.countLess(now)
			if horizon >= 0 {
				g.AtRisk += c.waiting.countLE(riskTo) - c.waiting.countLess(now)
			}
		}
		g.Breached += c.answered - c.met + breached
		g.Pending += unanswered - breached
		gr.cells = append(gr.cells, c)
	}
	for _, c := range t.agg.list {
		if c.tickets == 0 {
			continue
		}
		add(&total, c)
		if len(dims) == 0 {
			continue
		}
		var k groupKey
		for j, d := range dims {
			switch d {
			case DimSeverity:
				k[j] = c.key.severity
			case DimProduct:
				k[j] = c.key.product
			case DimLocale:
				k[j] = c.key.locale
			}
		}
		gr := byKey[k]
		if gr == nil {
			gr = &group{key: k}
			byKey[k] = gr
			groups = append(groups, gr)
		}
		add(gr, c)
	}
	finish := func(gr *group) ReportGroup {
		g := gr.g
		g.CompliancePct = 100
		if d := g.Met + g.Breached; d > 0 {
			g.CompliancePct = float64(g.Met) * 100 / float64(d)
		}
		w, c := make([]*sortedSet, len(gr.cells)), make([]*sortedSet, len(gr.cells))
		for i, cell := range gr.cells {
			w[i], c[i] = &cell.wall, &cell.counted
		}
		g.TimeToFirstResponse, g.BusinessTimeToFirstResponse = percentilesOf(w), percentilesOf(c)
		return g
	}
	keys := make([][]string, len(groups))
	for i, gr := range groups {
		g := finish(gr)
		g.Key, keys[i] = t.nameKey(dims, gr.key)
		rep.Groups = append(rep.Groups, g)
	}
	rep.Total = finish(&total)
	sortGroups(rep, keys)
}
