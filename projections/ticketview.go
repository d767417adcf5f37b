package projections

import (
	"bytes"
	"encoding/base64"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// Ticket is the current state of one ticket, as served by the API.
type Ticket struct {
	ID       string          `json:"id"`
	Status   string          `json:"status"`
	Severity domain.Severity `json:"severity,omitempty"`
	Product  string          `json:"product"`
	// Title is the request's title as filed.
	Title string `json:"title,omitempty"`
	Class string `json:"class,omitempty"`
	// Context is "customer" (on behalf of a customer) or "own" (the
	// partner's own tenant).
	Context    string `json:"context,omitempty"`
	Channel    string `json:"channel,omitempty"`
	Route      string `json:"route,omitempty"`
	Language   string `json:"language,omitempty"`
	Locale     string `json:"locale,omitempty"`
	PartnerID  string `json:"partnerId"`
	CustomerID string `json:"customerId,omitempty"`
	// FiledBy is the actor who filed the request; OnBehalfOf the customer
	// it was filed for.
	FiledBy    domain.Actor `json:"filedBy"`
	OnBehalfOf string       `json:"onBehalfOf,omitempty"`
	Assignee   string       `json:"assignee,omitempty"`
	// ISV is the publisher a marketplace request was redirected to.
	ISV         string      `json:"isv,omitempty"`
	Escalations Escalations `json:"escalations"`
	Disputes    Disputes    `json:"disputes"`
	Fraud       Fraud       `json:"fraud"`
	// Deadline is the first-response deadline in force and how it was
	// derived (policy version, clock, calendar, target, start).
	Deadline *Deadline `json:"deadline,omitempty"`
	// DeadlineCause says which event set the deadline in force
	// ("opened" or "severity_changed"); DeadlineChanges counts the
	// deadlines it replaced.
	DeadlineCause   string         `json:"deadlineCause,omitempty"`
	DeadlineChanges int            `json:"deadlineChanges"`
	FirstResponse   *FirstResponse `json:"firstResponse,omitempty"`
	InfoPending     bool           `json:"infoPending"`
	Notes           int            `json:"notes"`
	Reopens         int            `json:"reopens"`
	// OpenedAt is when the request was filed (occurred-at), RecordedAt when
	// the ledger stored it; UpdatedAt/UpdatedRecordedAt likewise for the
	// last event.
	OpenedAt          time.Time  `json:"openedAt"`
	RecordedAt        time.Time  `json:"recordedAt"`
	UpdatedAt         time.Time  `json:"updatedAt"`
	UpdatedRecordedAt time.Time  `json:"updatedRecordedAt"`
	ResolvedAt        *time.Time `json:"resolvedAt,omitempty"`
	ClosedAt          *time.Time `json:"closedAt,omitempty"`
	// AtRiskNoticedAt and BreachNoticedAt are when the ledger last noticed,
	// by itself, that the first-response deadline was at risk or had
	// passed unanswered (ticket.sla_noticed): when the partner was told.
	AtRiskNoticedAt *time.Time `json:"atRiskNoticedAt,omitempty"`
	BreachNoticedAt *time.Time `json:"breachNoticedAt,omitempty"`
	// Events counts the ticket's events; Revision is the stream revision
	// and Position the global-log position of the last one.
	Events   int    `json:"events"`
	Revision uint64 `json:"revision"`
	Position uint64 `json:"position"`
	// SLA is the ticket's SLA state at the instant of the listing (List
	// with a Now); nil for a request without a deadline (a marketplace
	// redirect) or when the listing was not judged at an instant.
	SLA *SLAState `json:"sla,omitempty"`
}

// SLAState is a ticket's SLA state at an instant, as listings show it.
type SLAState struct {
	// State is "met" or "breached" (answered, by the recorded verdict),
	// "breached_unanswered" (open, unanswered, deadline passed), "at_risk"
	// (open, unanswered, deadline within the horizon) or "pending" (open
	// and unanswered otherwise; also a ticket closed unanswered before its
	// deadline). A ticket closed unanswered after its deadline is
	// "breached".
	State string `json:"state"`
	// Verdict is sla.Judge's: "met", "breached" or "pending".
	Verdict string    `json:"verdict"`
	At      time.Time `json:"at"`
	// RemainingSeconds is the wall-clock time left to the deadline of an
	// unanswered ticket at At, negative once it passed.
	RemainingSeconds *float64 `json:"remainingSeconds,omitempty"`
	// NearMiss: met, but in the last 10% of the window (TicketSLA.NearMiss).
	NearMiss bool `json:"nearMiss,omitempty"`
}

// Escalations summarises a ticket's escalations.
type Escalations struct {
	Count  int        `json:"count"`
	Level  int        `json:"level"`
	LastAt *time.Time `json:"lastAt,omitempty"`
}

// Disputes summarises a ticket's billing disputes.
type Disputes struct {
	Opened int `json:"opened"` // ever opened
	Open   int `json:"open"`   // not yet resolved
}

// Fraud summarises a ticket's fraud flags.
type Fraud struct {
	Flagged       bool       `json:"flagged"` // a flag is active (not cleared)
	Flags         int        `json:"flags"`   // flags ever raised
	LastFlaggedAt *time.Time `json:"lastFlaggedAt,omitempty"`
}

// FirstResponse is the first response of vendor support and its recorded
// verdict.
type FirstResponse struct {
	At         time.Time `json:"at"`
	By         string    `json:"by"`
	DeadlineAt time.Time `json:"deadlineAt"` // deadline in force when it was given
	Met        bool      `json:"met"`        // verdict recorded in the event
}

func (t *Tickets) view(r *rec) Ticket {
	v := Ticket{
		ID: t.id(r), Status: statusNames[r.status], Severity: domain.Severity(t.strs.str(r.severity)),
		Product: t.strs.str(r.product), Title: t.strs.str(r.title), Class: t.strs.str(r.class), Context: t.strs.str(r.context),
		Channel: t.strs.str(r.channel), Route: t.strs.str(r.route), Language: t.strs.str(r.language),
		Locale: t.strs.str(r.locale), PartnerID: t.strs.str(r.partner), CustomerID: t.strs.str(r.customer),
		FiledBy: domain.Actor{ID: t.strs.str(r.filedBy), Role: domain.Role(t.strs.str(r.filedByRole)),
			Partner: t.strs.str(r.filedByPartner)},
		OnBehalfOf: t.strs.str(r.behalfOf), Assignee: t.strs.str(r.assignee), ISV: t.strs.str(r.isv),
		Escalations: Escalations{Count: int(r.escalations), Level: int(r.escalationLevel), LastAt: ptrTime(r.lastEscalatedAt)},
		Disputes:    Disputes{Opened: int(r.disputesOpened), Open: int(r.disputesOpen)},
		Fraud:       Fraud{Flagged: r.fraudActive, Flags: int(r.fraudFlags), LastFlaggedAt: ptrTime(r.fraudFlaggedAt)},
		InfoPending: r.infoPending, Notes: int(r.notes), Reopens: int(r.reopens),
		OpenedAt: fromNano(r.openedAt), RecordedAt: fromNano(r.recAt), UpdatedAt: fromNano(r.updatedAt),
		UpdatedRecordedAt: fromNano(r.updRecAt), ResolvedAt: ptrTime(r.resolvedAt), ClosedAt: ptrTime(r.closedAt),
		AtRiskNoticedAt: ptrTime(r.riskNoticedAt), BreachNoticedAt: ptrTime(r.breachNoticedAt),
		Events: int(r.events), Revision: uint64(r.lastRev), Position: r.lastPos,
	}
	if r.deadlineSet {
		d := DeadlineOf(t.deadline(&r.dl))
		v.Deadline = &d
		v.DeadlineCause = causeName(r.dl.cause)
		for p := r.dl.prev; p >= 0; p = t.hist[p].prev {
			v.DeadlineChanges++
		}
	}
	if r.responded {
		v.FirstResponse = &FirstResponse{At: fromNano(r.respondedAt), By: t.strs.str(r.responder),
			DeadlineAt: fromNano(r.respDeadlineAt), Met: r.respMet}
	}
	return v
}

func causeName(c uint8) string {
	switch c {
	case causeOpened:
		return DeadlineCauseOpened
	case causeSeverityChanged:
		return DeadlineCauseSeverityChanged
	}
	return ""
}

// Get returns the current state of ticket id.
func (t *Tickets) Get(id string) (Ticket, bool) { return readOne(t, id, t.view) }

// readOne answers fn of ticket id under the read lock; false for a ticket
// the model does not hold.
func readOne[T any](t *Tickets, id string, fn func(*rec) T) (T, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i, ok := t.ids.get(id)
	if !ok {
		var zero T
		return zero, false
	}
	return fn(t.at(int(i))), true
}

// Order is the direction of a paged query.
type Order string

// Orders. The zero value is OldestFirst.
const (
	OldestFirst Order = "oldest"
	NewestFirst Order = "newest"
)

// Page asks for one page of a listing. Cursor is the Next of the previous
// page ("" for the first); Limit defaults to DefaultLimit and is capped at
// MaxLimit.
type Page struct {
	Cursor string `json:"cursor,omitempty"`
	Limit  int    `json:"limit,omitempty"`
	Order  Order  `json:"order,omitempty"`
}

// Page size limits.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// RuleCursor is the rule a malformed or foreign cursor breaks.
const RuleCursor domain.Rule = "invalid-cursor"

// Cursors are opaque strings over a global-log position, which never changes
// once assigned: a page boundary stays put while new events arrive and
// across rebuilds.
func makeCursor(kind byte, pos uint64) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendUint([]byte{kind, ':'}, pos, 10))
}

func parseCursor(kind byte, c string) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 3 || b[0] != kind || b[1] != ':' {
		return 0, domain.Errorf(domain.KindInvalid, RuleCursor, "cursor", "cursor %q is not a cursor of this listing: pass the \"next\" value of the previous page unchanged", c)
	}
	p, err := strconv.ParseUint(string(b[2:]), 10, 64)
	if err != nil {
		return 0, domain.Errorf(domain.KindInvalid, RuleCursor, "cursor", "cursor %q is damaged: pass the \"next\" value of the previous page unchanged", c)
	}
	return p, nil
}

// Scope narrows a listing, report or what-if to some tickets; empty fields
// do not narrow. Party restricts to the tickets the partner is a party to
// (IsParty): the tenancy of a partner caller. PartnerID selects by filing
// partner, CustomerID by customer.
type Scope struct {
	Party      string `json:"party,omitempty"`
	PartnerID  string `json:"partnerId,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
}

// TicketFilter selects tickets in List. Empty fields do not filter.
type TicketFilter struct {
	Scope
	Status   string `json:"status,omitempty"`
	Severity string `json:"severity,omitempty"`
	Product  string `json:"product,omitempty"`
	// SLA selects by SLA state at Now: "met", "breached", "pending",
	// "at_risk" (open, unanswered, deadline within Horizon of Now) or
	// "breached_unanswered" (open, unanswered, deadline passed).
	SLA     string        `json:"sla,omitempty"`
	Now     time.Time     `json:"now,omitzero"`
	Horizon time.Duration `json:"-"` // not serialized: the API takes it as the horizon query parameter
	// OpenedFrom (inclusive) and OpenedTo (exclusive) bound the occurred-at
	// of the opening.
	OpenedFrom time.Time `json:"openedFrom,omitzero"`
	OpenedTo   time.Time `json:"openedTo,omitzero"`
	// IDPrefix selects the tickets whose id starts with it (a short id
	// typed by a person; within Party's tenancy like every filter).
	IDPrefix string `json:"idPrefix,omitempty"`
	// Search selects, for a person typing into a search box, the tickets
	// whose id starts with it, or for which each of its words begins a
	// word (ignoring case) of the title, the partner id or the customer id.
	Search string `json:"search,omitempty"`
}

// SLA filter values.
const (
	SLAMet                = string(sla.VerdictMet)
	SLABreached           = string(sla.VerdictBreached)
	SLAPending            = string(sla.VerdictPending)
	SLAAtRisk             = "at_risk"
	SLABreachedUnanswered = "breached_unanswered"
)

// TicketPage is one page of List. Next is the cursor of the following page,
// empty at the end.
type TicketPage struct {
	Tickets []Ticket `json:"tickets"`
	Next    string   `json:"next,omitempty"`
}

// match is a compiled TicketFilter.
type match struct {
	party                                uint32
	partner, customer, severity, product uint32
	hasParty, hasPartner, hasCustomer    bool
	hasSev                               bool
	hasProduct                           bool
	status                               uint8
	sla                                  string
	risk                                 sla.RiskThreshold
	now, from, to                        int64
	prefix                               []byte       // IDPrefix
	searchID                             []byte       // Search, whole (an id prefix)
	words                                []searchWord // Search's words
	ids                                  *idtab       // the ticket ids, for prefix
	strs                                 *strtab      // the interned strings, for search
	none                                 bool         // a value is unknown: nothing matches
}

func (t *Tickets) compile(f TicketFilter) (match, error) {
	m := match{sla: f.SLA, risk: sla.LeadTime(f.Horizon), now: unixNano(f.Now), from: unixNano(f.OpenedFrom), to: unixNano(f.OpenedTo),
		ids: &t.ids}
	if f.IDPrefix != "" {
		m.prefix = []byte(f.IDPrefix)
	}
	for _, w := range strings.Fields(f.Search) {
		m.words = append(m.words, newSearchWord(w))
		m.searchID, m.strs = []byte(strings.TrimSpace(f.Search)), &t.strs
	}
	look := func(s string, id *uint32, has *bool) {
		if s == "" {
			return
		}
		*has = true
		var ok bool
		if *id, ok = t.strs.lookup(s); !ok {
			m.none = true
		}
	}
	look(f.Party, &m.party, &m.hasParty)
	look(f.PartnerID, &m.partner, &m.hasPartner)
	look(f.CustomerID, &m.customer, &m.hasCustomer)
	look(f.Severity, &m.severity, &m.hasSev)
	look(f.Product, &m.product, &m.hasProduct)
	if f.Status != "" {
		c, ok := statusCode(f.Status)
		if !ok {
			return m, domain.Errorf(domain.KindInvalid, "invalid-filter", "status", "unknown status %q: use one of %s", f.Status, strings.Join(statusNames[1:], ", "))
		}
		m.status = c
	}
	switch f.SLA {
	case "", SLAMet, SLABreached, SLAPending, SLAAtRisk, SLABreachedUnanswered:
	default:
		return m, domain.Errorf(domain.KindInvalid, "invalid-filter", "sla", "unknown SLA state %q: use met, breached, pending, at_risk or breached_unanswered", f.SLA)
	}
	if f.SLA != "" && f.SLA != SLAMet && f.Now.IsZero() {
		return m, domain.Errorf(domain.KindInvalid, "invalid-filter", "now", "filtering by SLA state %q needs the instant to judge it at (now)", f.SLA)
	}
	return m, nil
}

func (m *match) ok(r *rec) bool {
	switch {
	case m.hasParty && !r.hasParty(m.party),
		m.hasPartner && r.partner != m.partner,
		m.hasCustomer && r.customer != m.customer,
		m.hasSev && r.severity != m.severity,
		m.hasProduct && r.product != m.product,
		m.status != 0 && r.status != m.status,
		m.from != 0 && r.openedAt < m.from,
		m.to != 0 && r.openedAt >= m.to,
		m.prefix != nil && !bytes.HasPrefix(m.ids.bytes(r.idx), m.prefix),
		m.words != nil && !m.found(r):
		return false
	}
	switch m.sla {
	case "":
		return true
	case SLAAtRisk:
		return r.atRisk(m.now, m.risk)
	case SLABreachedUnanswered:
		return r.breachedUnanswered(m.now)
	}
	return r.verdict(m.now) == m.sla
}

// found: r's id starts with the search, or each of its words begins a
// word of r's title, partner id or customer id (ignoring case). Partner
// and customer ids repeat across tickets: their answers are remembered.
func (m *match) found(r *rec) bool {
	if bytes.HasPrefix(m.ids.bytes(r.idx), m.searchID) {
		return true
	}
	title := m.strs.str(r.title)
	for i := range m.words {
		w := &m.words[i]
		if !m.inID(w, r.partner) && !m.inID(w, r.customer) && !w.begins(title) { // the remembered ids first
			return false
		}
	}
	return true
}

// inID answers w.begins for an interned partner or customer id, once per
// id (remembered by interned index: 1 no, 2 yes).
func (m *match) inID(w *searchWord, id uint32) bool {
	if id == 0 {
		return false
	}
	if w.ids == nil {
		w.ids = make([]uint8, len(m.strs.s))
	}
	if int(id) >= len(w.ids) {
		return w.begins(m.strs.str(id))
	}
	if v := w.ids[id]; v != 0 {
		return v == 2
	}
	v := w.begins(m.strs.str(id))
	w.ids[id] = 1
	if v {
		w.ids[id] = 2
	}
	return v
}

// searchWord is one word of a search, folded once.
type searchWord struct {
	word  string
	lower []byte // ASCII words: the word in lower case
	ascii bool
	ids   []uint8 // inID's answers, by interned index
}

func newSearchWord(w string) searchWord {
	sw := searchWord{word: w, ascii: true}
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			sw.ascii = false
		}
	}
	if sw.ascii {
		sw.lower = []byte(strings.ToLower(w))
	}
	return sw
}

// begins reports whether a word of s (letters and digits after a space, a
// dash or other punctuation) begins with the search word, ignoring case,
// without allocating; ASCII words compare bytes.
func (w *searchWord) begins(s string) bool {
	if !w.ascii {
		return wordPrefixFold(s, w.word)
	}
	n := len(w.lower)
outer:
	for i := 0; i+n <= len(s); i++ {
		if i > 0 && wordByte(s[i-1]) {
			continue
		}
		for j := 0; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != w.lower[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

// wordByte: b is part of a word (an ASCII letter or digit, or a byte of a
// non-ASCII character).
func wordByte(b byte) bool {
	return b >= 0x80 || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9')
}

// wordPrefixFold is searchWord.begins for any word: Unicode case folding.
func wordPrefixFold(s, sub string) bool {
	start := true
	for i, c := range s {
		word := unicode.IsLetter(c) || unicode.IsDigit(c)
		if word && start && i+len(sub) <= len(s) && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
		start = !word
	}
	return false
}

// hasParty: p (an interned partner id, not 0) is the filer, the filer's
// provider or the reseller whose customer a provider filed for.
func (r *rec) hasParty(p uint32) bool {
	return p != 0 && (r.partner == p || r.provider == p || r.reseller == p)
}

// IsParty reports whether partner is a party to ticket id: its filer, the
// filer's indirect provider, or the reseller whose customer a provider
// filed for. False for a ticket the model does not hold. It answers from
// the model, without reading the ticket's stream.
func (t *Tickets) IsParty(id, partner string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i, ok := t.ids.get(id)
	if !ok {
		return false
	}
	p, ok := t.strs.lookup(partner)
	return ok && t.at(int(i)).hasParty(p)
}

// ProviderOf returns the indirect provider of a registered reseller; ""
// for a provider, or a partner the model has not seen registered.
func (t *Tickets) ProviderOf(partner string) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	p, ok := t.strs.lookup(partner)
	if !ok {
		return ""
	}
	return t.strs.str(t.providers[p])
}

// isOpen: the request is still being worked and counts for at-risk.
func (r *rec) isOpen() bool {
	return r.status == stOpen || r.status == stInProgress || r.status == stAwaitingInfo
}

// verdict is met, breached or pending at now (sla.Judge; now 0: unanswered
// tickets are pending); "" when the ticket has no deadline (marketplace
// redirect).
func (r *rec) verdict(now int64) string {
	if !r.deadlineSet && !r.responded {
		return ""
	}
	return string(sla.Judge(fromNano(r.dl.at), fromNano(now), r.responded, r.respMet))
}

// waiting: open, with a deadline and no first response yet.
func (r *rec) waiting() bool { return r.deadlineSet && !r.responded && r.isOpen() }

// atRisk: waiting, and at risk at now by th (sla.RiskThreshold.AtRisk).
func (r *rec) atRisk(now int64, th sla.RiskThreshold) bool {
	return r.waiting() && th.AtRisk(fromNano(r.dl.at), time.Duration(r.dl.target), fromNano(now))
}

// breachedUnanswered: waiting, and the deadline passed at now.
func (r *rec) breachedUnanswered(now int64) bool {
	return r.waiting() && sla.Judge(fromNano(r.dl.at), fromNano(now), false, false) == sla.VerdictBreached
}

// slaState is r's SLA state at now with at-risk threshold th; nil without
// a deadline.
func (r *rec) slaState(now int64, th sla.RiskThreshold) *SLAState {
	verdict := r.verdict(now)
	if verdict == "" {
		return nil
	}
	s := &SLAState{State: verdict, Verdict: verdict, At: fromNano(now), NearMiss: r.nearMiss()}
	if r.deadlineSet && !r.responded {
		rem := seconds(r.dl.at - now)
		s.RemainingSeconds = &rem
	}
	switch {
	case r.breachedUnanswered(now):
		s.State = SLABreachedUnanswered
	case r.atRisk(now, th):
		s.State = SLAAtRisk
	}
	return s
}

// List returns one page of the tickets matching f, in the order they were
// opened (oldest or newest first). With f.Now, each ticket carries its SLA
// state at that instant (at risk by f.Horizon). A search visits only the
// tickets the search index names.
func (t *Tickets) List(f TicketFilter, p Page) (TicketPage, error) {
	return t.list(f, p, true)
}

// list is List; without indexed, a search visits every ticket (the
// reference the index is tested against).
func (t *Tickets) list(f TicketFilter, p Page, indexed bool) (TicketPage, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m, err := t.compile(f)
	if err != nil {
		return TicketPage{}, err
	}
	page := TicketPage{Tickets: []Ticket{}}
	if m.none {
		return page, nil
	}
	var only []uint32
	if indexed && m.words != nil {
		only = t.searchCandidates(&m)
	}
	limit := p.limit()
	last := -1
	err = t.scan(p, only, func(i int, r *rec) bool {
		if !m.ok(r) {
			return true
		}
		if len(page.Tickets) == limit {
			page.Next = makeCursor('t', t.at(last).openedPos)
			return false
		}
		v := t.view(r)
		if m.now != 0 {
			v.SLA = r.slaState(m.now, m.risk)
		}
		page.Tickets = append(page.Tickets, v)
		last = i
		return true
	})
	return page, err
}

// searchCandidates returns the ascending indexes of the tickets m's search
// may find (its id prefix, or every word in the index); nil for every
// ticket, when no word narrows. match.found still decides.
func (t *Tickets) searchCandidates(m *match) []uint32 {
	c, all := t.search.candidates(m.words)
	if all {
		return nil
	}
	c = union(c, t.search.idsWithPrefix(&t.ids, m.searchID))
	if c == nil {
		c = noWords
	}
	return c
}

// scan visits tickets after the cursor in page order until fn returns
// false; only those in only (ascending indexes) unless it is nil.
func (t *Tickets) scan(p Page, only []uint32, fn func(i int, r *rec) bool) error {
	newest := p.Order == NewestFirst
	if p.Order != "" && p.Order != OldestFirst && !newest {
		return domain.Errorf(domain.KindInvalid, "invalid-filter", "order", "unknown order %q: use oldest or newest", p.Order)
	}
	start, end, step := 0, t.n, 1
	if newest {
		start, end, step = t.n-1, -1, -1
	}
	if p.Cursor != "" {
		c, err := parseCursor('t', p.Cursor)
		if err != nil {
			return err
		}
		// first index whose openedPos > c
		k := sort.Search(t.n, func(i int) bool { return t.at(i).openedPos > c })
		if newest {
			start = k - 1
			for start >= 0 && t.at(start).openedPos >= c {
				start--
			}
		} else {
			start = k
		}
	}
	if only != nil {
		return t.scanOnly(only, start, newest, fn)
	}
	for i := start; i != end && i >= 0 && i < t.n; i += step {
		if !fn(i, t.at(i)) {
			return nil
		}
	}
	return nil
}

// scanOnly is scan over the tickets in only, from index start on (down
// when newest).
func (t *Tickets) scanOnly(only []uint32, start int, newest bool, fn func(i int, r *rec) bool) error {
	k, _ := slices.BinarySearch(only, uint32(max(start, 0))) // first ≥ start
	if newest {
		if start < 0 {
			return nil
		}
		if k == len(only) || int(only[k]) > start {
			k--
		}
		for ; k >= 0; k-- {
			if i := int(only[k]); i < t.n && !fn(i, t.at(i)) {
				return nil
			}
		}
		return nil
	}
	for ; k < len(only); k++ {
		if i := int(only[k]); i < t.n && !fn(i, t.at(i)) {
			return nil
		}
	}
	return nil
}
