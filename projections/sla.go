package projections

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// TicketSLA is the SLA compliance of one ticket.
type TicketSLA struct {
	TicketID   string          `json:"ticketId"`
	Severity   domain.Severity `json:"severity,omitempty"`
	Product    string          `json:"product"`
	PartnerID  string          `json:"partnerId"`
	CustomerID string          `json:"customerId,omitempty"`
	Locale     string          `json:"locale,omitempty"`
	Status     string          `json:"status"`
	// Verdict is "met", "breached" or "pending" at Now ("" for a request
	// without a deadline, e.g. a marketplace redirect).
	Verdict string `json:"verdict"`
	// State is the SLA state at Now as listings show it (SLAState.State:
	// breached_unanswered, at_risk within sla.DefaultReportHorizon, …);
	// empty without a deadline or a Now.
	State string    `json:"state,omitempty"`
	Now   time.Time `json:"now,omitzero"`
	// Deadline is the deadline in force (for an answered ticket, the one
	// in force at the first response).
	Deadline    *Deadline  `json:"deadline,omitempty"`
	RespondedAt *time.Time `json:"respondedAt,omitempty"`
	// TimeToFirstResponseSeconds is wall-clock time from the clock's start
	// to the first response; BusinessTimeToFirstResponseSeconds the time
	// counted against the target (business time for business-hours
	// deadlines, equal to wall time for 24x7 ones).
	TimeToFirstResponseSeconds         *float64 `json:"timeToFirstResponseSeconds,omitempty"`
	BusinessTimeToFirstResponseSeconds *float64 `json:"businessTimeToFirstResponseSeconds,omitempty"`
	// ElapsedBusinessSeconds and RemainingSeconds describe the running
	// clock of an unanswered ticket at Now (remaining is negative once the
	// deadline passed).
	ElapsedBusinessSeconds *float64 `json:"elapsedBusinessSeconds,omitempty"`
	RemainingSeconds       *float64 `json:"remainingSeconds,omitempty"`
	// NearMiss: met, but in the last 10% of the window.
	NearMiss bool `json:"nearMiss"`
	// DeadlineHistory lists every deadline ever in force, oldest first.
	DeadlineHistory []DeadlineChange `json:"deadlineHistory"`
}

// DeadlineChange is one deadline in a ticket's history and what set it.
type DeadlineChange struct {
	Deadline Deadline  `json:"deadline"`
	Cause    string    `json:"cause"` // "opened" or "severity_changed"
	SetAt    time.Time `json:"setAt"` // occurred-at of the event that set it
	// BreachedOnChange: the recomputed deadline had already passed, with
	// no first response, when the severity changed.
	BreachedOnChange bool `json:"breachedOnChange,omitempty"`
}

// SLA returns the SLA compliance of ticket id at now (now is used only for
// unanswered tickets).
func (t *Tickets) SLA(id string, now time.Time) (TicketSLA, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i, ok := t.ids.get(id)
	if !ok {
		return TicketSLA{}, false
	}
	return t.ticketSLA(t.at(int(i)), unixNano(now), true), true
}

func (t *Tickets) ticketSLA(r *rec, now int64, history bool) TicketSLA {
	s := TicketSLA{
		TicketID: t.id(r), Severity: domain.Severity(t.strs.str(r.severity)), Product: t.strs.str(r.product),
		PartnerID: t.strs.str(r.partner), CustomerID: t.strs.str(r.customer), Locale: t.strs.str(r.locale),
		Status: statusNames[r.status], Verdict: r.verdict(now), Now: fromNano(now),
		DeadlineHistory: []DeadlineChange{},
	}
	var inForce *sla.Deadline
	if r.deadlineSet {
		d := t.deadline(&r.dl)
		inForce = &d
	}
	if r.responded {
		if inForce != nil && r.respDeadlineAt != r.dl.at {
			d := *inForce
			d.At, d.Target = fromNano(r.respDeadlineAt), time.Duration(r.respTarget)
			d.Severity, d.Clock = domain.Severity(t.strs.str(r.respSeverity)), sla.Clock(t.strs.str(r.respClock))
			if h := t.dlAt(r, r.respDeadlineAt); h != nil {
				d = t.deadline(h)
			}
			inForce = &d
		}
		s.RespondedAt = ptrTime(r.respondedAt)
		from := r.dl.from
		if from == 0 {
			from = r.openedAt
		}
		wall, counted := seconds(r.respondedAt-from), seconds(r.respCounted)
		s.TimeToFirstResponseSeconds, s.BusinessTimeToFirstResponseSeconds = &wall, &counted
		s.NearMiss = r.nearMiss()
	} else if r.deadlineSet && now != 0 {
		d := t.deadline(&r.dl)
		el := seconds(int64(t.clock.Elapsed(d, fromNano(now))))
		rem := seconds(r.dl.at - now)
		s.ElapsedBusinessSeconds, s.RemainingSeconds = &el, &rem
	}
	s.Deadline = DeadlinePtr(inForce)
	if now != 0 {
		if st := r.slaState(now, sla.LeadTime(sla.DefaultReportHorizon)); st != nil {
			s.State = st.State
		}
	}
	if history {
		s.DeadlineHistory = t.history(r)
	}
	return s
}

// nearMiss: the first response met its deadline in the last
// sla.DefaultNearMissFraction of the window, in counted time (sla.NearMiss).
func (r *rec) nearMiss() bool {
	return r.responded && r.respMet && sla.NearMiss(time.Duration(r.respCounted), time.Duration(r.respTarget), sla.DefaultNearMissFraction)
}

// dlAt finds the deadline of r's history whose At is at.
func (t *Tickets) dlAt(r *rec, at int64) *dlRec {
	if r.dl.at == at {
		return &r.dl
	}
	for p := r.dl.prev; p >= 0; p = t.hist[p].prev {
		if t.hist[p].at == at {
			return &t.hist[p]
		}
	}
	return nil
}

func (t *Tickets) history(r *rec) []DeadlineChange {
	out := []DeadlineChange{}
	if !r.deadlineSet {
		return out
	}
	add := func(d *dlRec) {
		out = append(out, DeadlineChange{Deadline: DeadlineOf(t.deadline(d)), Cause: causeName(d.cause), SetAt: fromNano(d.setAt), BreachedOnChange: d.breachedOnChange})
	}
	add(&r.dl)
	for p := r.dl.prev; p >= 0; p = t.hist[p].prev {
		add(&t.hist[p])
	}
	slices.Reverse(out)
	return out
}

// Report dimensions (ReportQuery.GroupBy).
const (
	DimSeverity = "severity"
	DimProduct  = "product"
	DimPartner  = "partner"
	DimCustomer = "customer"
	DimLocale   = "locale"
)

// ReportQuery asks for an SLA report.
type ReportQuery struct {
	// From (inclusive) and To (exclusive) bound the occurred-at of the
	// tickets' opening; zero means unbounded.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// GroupBy lists dimensions among severity, product, partner, customer,
	// locale; empty gives only the total.
	GroupBy []string `json:"groupBy,omitempty"`
	// Now judges unanswered tickets; Horizon is how close to its deadline
	// an unanswered open ticket must be to count as at risk.
	Now     time.Time     `json:"now"`
	Horizon time.Duration `json:"-"` // not serialized: the API takes it as the horizon query parameter
	// Slices, with From and To, also reports the period cut into this many
	// equal slices by opening time (Report.Over), in the same pass.
	Slices int `json:"slices,omitempty"`
	Scope
}

// MaxSlices bounds ReportQuery.Slices.
const MaxSlices = 100

// ReportSlice is the compliance of the tickets opened in one slice of a
// report's period (its counters; no percentiles).
type ReportSlice struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	ReportGroup
}

// Report is an SLA compliance report.
type Report struct {
	From           time.Time     `json:"from,omitzero"`
	To             time.Time     `json:"to,omitzero"`
	Now            time.Time     `json:"now"`
	HorizonSeconds float64       `json:"horizonSeconds"`
	GroupBy        []string      `json:"groupBy"`
	Total          ReportGroup   `json:"total"`
	Groups         []ReportGroup `json:"groups"`
	// Over is the period in ReportQuery.Slices slices, oldest first.
	Over []ReportSlice `json:"over,omitempty"`
}

// ReportGroup is the compliance of one group of tickets.
type ReportGroup struct {
	// Key holds the group's value for each GroupBy dimension.
	Key map[string]string `json:"key,omitempty"`
	// Tickets counts tickets with a deadline; Answered those with a first
	// response. Met + Breached + Pending = Tickets.
	Tickets  int `json:"tickets"`
	Answered int `json:"answered"`
	Met      int `json:"met"`
	Breached int `json:"breached"`
	Pending  int `json:"pending"`
	// CompliancePct is Met / (Met + Breached) × 100 (100 when nothing is
	// decided yet).
	CompliancePct float64 `json:"compliancePct"`
	// NearMisses counts met responses given in the last 10% of the window.
	NearMisses int `json:"nearMisses"`
	// TimeToFirstResponse: wall-clock seconds; BusinessTimeToFirstResponse:
	// seconds counted against the target.
	TimeToFirstResponse         Percentiles `json:"timeToFirstResponse"`
	BusinessTimeToFirstResponse Percentiles `json:"businessTimeToFirstResponse"`
	// AtRisk counts open unanswered tickets whose deadline falls within the
	// horizon; BreachedUnanswered open unanswered tickets past it.
	AtRisk             int `json:"atRisk"`
	BreachedUnanswered int `json:"breachedUnanswered"`
}

// Percentiles of a time to first response, in seconds (nearest rank).
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

type groupKey [5]uint32

// nameKey returns the names of key's values by dimension, as the report's
// group key and in the order of dims.
func (t *Tickets) nameKey(dims []string, key groupKey) (map[string]string, []string) {
	byDim, names := make(map[string]string, len(dims)), make([]string, len(dims))
	for j, d := range dims {
		names[j] = t.strs.str(key[j])
		byDim[d] = names[j]
	}
	return byDim, names
}

// acc accumulates the counters of one group; the response times of its
// tickets are gathered afterwards into one shared array.
type acc struct {
	g        ReportGroup
	key      groupKey
	off, cnt int
}

func (a *acc) add(r *rec, now int64, risk sla.RiskThreshold) {
	g := &a.g
	switch r.verdict(now) {
	case SLAMet:
		g.Met++
	case SLABreached:
		g.Breached++
	default:
		g.Pending++
	}
	g.Tickets++
	if r.responded {
		g.Answered++
		if r.nearMiss() {
			g.NearMisses++
		}
	} else if now != 0 {
		if r.atRisk(now, risk) {
			g.AtRisk++
		} else if r.breachedUnanswered(now) {
			g.BreachedUnanswered++
		}
	}
}

func (a *acc) finish(wall, counted []int64) ReportGroup {
	g := a.g
	g.CompliancePct = 100
	if d := g.Met + g.Breached; d > 0 {
		g.CompliancePct = float64(g.Met) * 100 / float64(d)
	}
	g.TimeToFirstResponse = percentiles(wall)
	g.BusinessTimeToFirstResponse = percentiles(counted)
	return g
}

// percentiles returns nearest-rank percentiles of v, reordering v (linear
// time selection, no full sort).
func percentiles(v []int64) Percentiles {
	n := len(v)
	if n == 0 {
		return Percentiles{}
	}
	rank := func(p float64) int { return min(max(int(p*float64(n)+0.999999)-1, 0), n-1) }
	k50, k90, k99 := rank(0.50), rank(0.90), rank(0.99)
	selectK(v, k50)
	selectK(v[k50:], k90-k50)
	selectK(v[k90:], k99-k90)
	mx := v[k99]
	for _, x := range v[k99:] {
		mx = max(mx, x)
	}
	return Percentiles{Count: n, P50: seconds(v[k50]), P90: seconds(v[k90]), P99: seconds(v[k99]), Max: seconds(mx)}
}

// selectK reorders v so that v[k] is the k-th smallest, smaller or equal
// values before it and greater or equal after (quickselect, median of three).
func selectK(v []int64, k int) {
	lo, hi := 0, len(v)-1
	for hi > lo {
		if hi-lo < 16 {
			for i := lo + 1; i <= hi; i++ {
				for j := i; j > lo && v[j] < v[j-1]; j-- {
					v[j], v[j-1] = v[j-1], v[j]
				}
			}
			return
		}
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		pivot := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// Report computes SLA compliance over the tickets opened in [q.From, q.To),
// in total and per group.
func (t *Tickets) Report(q ReportQuery) (Report, error) { return t.report(q, true) }

// report is Report, from the aggregates when they serve q and useAgg
// (false: always by visiting the tickets, as the tests compare).
func (t *Tickets) report(q ReportQuery, useAgg bool) (Report, error) {
	dims := make([]string, len(q.GroupBy))
	for i, d := range q.GroupBy {
		dims[i] = strings.ToLower(d)
		switch dims[i] {
		case DimSeverity, DimProduct, DimPartner, DimCustomer, DimLocale:
		default:
			return Report{}, domain.Errorf(domain.KindInvalid, "invalid-filter", "groupBy", "cannot group by %q: use severity, product, partner, customer or locale", d)
		}
	}
	if len(dims) > len(groupKey{}) {
		return Report{}, domain.Errorf(domain.KindInvalid, "invalid-filter", "groupBy", "group by at most %d dimensions", len(groupKey{}))
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	m, err := t.compile(TicketFilter{Scope: q.Scope, OpenedFrom: q.From, OpenedTo: q.To})
	if err != nil {
		return Report{}, err
	}
	if q.Slices < 0 || q.Slices > MaxSlices || (q.Slices > 0 && (q.From.IsZero() || q.To.IsZero() || q.To.Sub(q.From) < time.Duration(q.Slices))) {
		return Report{}, domain.Errorf(domain.KindInvalid, "invalid-filter", "slices", "slices=%d: give from and to (from before to) and at most %d slices", q.Slices, MaxSlices)
	}
	rep := Report{From: q.From, To: q.To, Now: q.Now, HorizonSeconds: q.Horizon.Seconds(), GroupBy: dims, Groups: []ReportGroup{}}
	if useAgg && aggServes(&q, dims) {
		t.reportAgg(&rep, dims, unixNano(q.Now), int64(q.Horizon))
		return rep, nil
	}
	t.reportScan(&rep, &q, &m, dims)
	return rep, nil
}

// reportScan fills rep by visiting every ticket m selects; the read lock
// is held.
func (t *Tickets) reportScan(rep *Report, q *ReportQuery, m *match, dims []string) {
	now, risk := unixNano(q.Now), sla.LeadTime(q.Horizon)
	over := make([]acc, q.Slices)
	from, span := unixNano(q.From), unixNano(q.To)-unixNano(q.From)
	var step int64 // each slice's length; the last one also takes the remainder
	if q.Slices > 0 {
		step = span / int64(q.Slices)
	}

	// Pass 1: counters per group, and which answered ticket is in which group.
	var total acc
	var accs []acc
	ids := map[groupKey]int32{}
	var answered, gidOf []int32
	for i := 0; i < t.n && !m.none; i++ {
		r := t.at(i)
		if !r.deadlineSet || !m.ok(r) {
			continue
		}
		total.add(r, now, risk)
		if len(over) > 0 {
			over[min((r.openedAt-from)/step, int64(len(over)-1))].add(r, now, risk)
		}
		if len(dims) == 0 {
			if r.responded {
				answered = append(answered, int32(i))
			}
			continue
		}
		var k groupKey
		for j, d := range dims {
			switch d {
			case DimSeverity:
				k[j] = r.severity
			case DimProduct:
				k[j] = r.product
			case DimPartner:
				k[j] = r.partner
			case DimCustomer:
				k[j] = r.customer
			case DimLocale:
				k[j] = r.locale
			}
		}
		gid, ok := ids[k]
		if !ok {
			gid = int32(len(accs))
			ids[k] = gid
			accs = append(accs, acc{key: k})
		}
		a := &accs[gid]
		a.add(r, now, risk)
		if r.responded {
			a.cnt++
			answered = append(answered, int32(i))
			gidOf = append(gidOf, gid)
		}
	}

	// Pass 2: response times gathered by group, then percentiles.
	wall, counted := make([]int64, len(answered)), make([]int64, len(answered))
	off := 0
	for g := range accs {
		accs[g].off = off
		off += accs[g].cnt
		accs[g].cnt = 0
	}
	for j, i := range answered {
		r := t.at(int(i))
		at := j
		if len(dims) > 0 {
			a := &accs[gidOf[j]]
			at = a.off + a.cnt
			a.cnt++
		}
		from := r.dl.from
		if from == 0 {
			from = r.openedAt
		}
		wall[at], counted[at] = r.respondedAt-from, r.respCounted
	}
	keys := make([][]string, len(accs))
	for g := range accs {
		a := &accs[g]
		grp := a.finish(wall[a.off:a.off+a.cnt], counted[a.off:a.off+a.cnt])
		grp.Key, keys[g] = t.nameKey(dims, a.key)
		rep.Groups = append(rep.Groups, grp)
	}
	rep.Total = total.finish(wall, counted)
	for i := range over {
		sl := ReportSlice{From: fromNano(from + step*int64(i)), To: fromNano(from + step*int64(i+1)), ReportGroup: over[i].finish(nil, nil)}
		if i == len(over)-1 {
			sl.To = q.To
		}
		rep.Over = append(rep.Over, sl)
	}
	sortGroups(rep, keys)
}

// sortGroups orders rep.Groups by their keys' values (keys[i] are those of
// rep.Groups[i], in GroupBy order).
func sortGroups(rep *Report, keys [][]string) {
	order := make([]int, len(rep.Groups))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return slices.Compare(keys[order[i]], keys[order[j]]) < 0 })
	sorted := make([]ReportGroup, len(order))
	for i, g := range order {
		sorted[i] = rep.Groups[g]
	}
	rep.Groups = sorted
}

// AtRiskQuery asks for the open unanswered tickets at risk or already
// breached at Now.
type AtRiskQuery struct {
	Now     time.Time     `json:"now"`
	Horizon time.Duration `json:"-"` // not serialized: the API takes it as the horizon query parameter
	// IncludeBreached adds open unanswered tickets whose deadline passed.
	IncludeBreached bool `json:"includeBreached"`
	Scope
	Severity string `json:"severity,omitempty"`
	Product  string `json:"product,omitempty"`
	Limit    int    `json:"limit,omitempty"`
}

// AtRisk lists open unanswered tickets whose deadline is within q.Horizon
// of q.Now (and, with IncludeBreached, those already past it), soonest
// deadline first.
func (t *Tickets) AtRisk(q AtRiskQuery) ([]TicketSLA, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m, err := t.compile(TicketFilter{Scope: q.Scope, Severity: q.Severity, Product: q.Product})
	if err != nil {
		return nil, err
	}
	now, risk := unixNano(q.Now), sla.LeadTime(q.Horizon)
	var hits []*rec
	for i := 0; i < t.n && !m.none; i++ {
		r := t.at(i)
		if m.ok(r) && (r.atRisk(now, risk) || (q.IncludeBreached && r.breachedUnanswered(now))) {
			hits = append(hits, r)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].dl.at < hits[j].dl.at })
	limit := Page{Limit: q.Limit}.limit()
	out := make([]TicketSLA, 0, min(len(hits), limit))
	for _, r := range hits[:min(len(hits), limit)] {
		out = append(out, t.ticketSLA(r, now, false))
	}
	return out, nil
}

// SLAFacts are the SLA facts of one vendor ticket, as the SLA metrics read
// them (Tickets.EachSLA).
type SLAFacts struct {
	// Severity and Product are the ticket's current ones.
	Severity domain.Severity
	Product  string
	// Open: filed and not resolved or closed (a reopened ticket is open).
	Open bool
	// Deadline is the first-response deadline in force (zero: none) and
	// Target its counted time.
	Deadline time.Time
	Target   time.Duration
	// Responded: a first response was recorded; Met is the verdict recorded
	// with it, JudgedSeverity the severity of the deadline it was judged
	// against (the ticket's severity at the response), and FirstResponse
	// the time from the clock's start to it, counted as its deadline counts.
	Responded      bool
	Met            bool
	JudgedSeverity domain.Severity
	FirstResponse  time.Duration

	Escalations    int
	DisputesOpened int
	FraudFlags     int
}

// EachSLA calls fn with the SLA facts of every vendor ticket (not of
// marketplace requests redirected to an ISV), in the order they were
// opened, under the read lock: fn must not call back into t.
func (t *Tickets) EachSLA(fn func(SLAFacts)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := 0; i < t.n; i++ {
		r := t.at(i)
		if r.status == stRedirected {
			continue
		}
		f := SLAFacts{
			Severity: domain.Severity(t.strs.str(r.severity)), Product: t.strs.str(r.product), Open: r.isOpen(),
			Responded: r.responded, Met: r.respMet,
			Escalations: int(r.escalations), DisputesOpened: int(r.disputesOpened), FraudFlags: int(r.fraudFlags),
		}
		if r.deadlineSet {
			f.Deadline, f.Target = fromNano(r.dl.at), time.Duration(r.dl.target)
		}
		if r.responded {
			f.JudgedSeverity, f.FirstResponse = f.Severity, time.Duration(r.respCounted)
			if r.respSeverity != 0 {
				f.JudgedSeverity = domain.Severity(t.strs.str(r.respSeverity))
			}
		}
		fn(f)
	}
}
