package projections

import (
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// TicketsName is the Name of the Tickets projection.
const TicketsName = "tickets"

// Ticket statuses. Derived by the projection; not persisted in events.
const (
	StatusOpen         = "open"              // filed, no first response yet
	StatusInProgress   = "in_progress"       // vendor support responded
	StatusAwaitingInfo = "awaiting_info"     // vendor support asked the partner for information
	StatusResolved     = "resolved"          // resolved (may be reopened)
	StatusClosed       = "closed"            // closed for good
	StatusRedirected   = "redirected_to_isv" // marketplace product: no vendor ticket, sent to the ISV
)

const (
	stNone uint8 = iota
	stOpen
	stInProgress
	stAwaitingInfo
	stResolved
	stClosed
	stRedirected
)

var statusNames = [...]string{"", StatusOpen, StatusInProgress, StatusAwaitingInfo, StatusResolved, StatusClosed, StatusRedirected}

func statusCode(s string) (uint8, bool) {
	for i, n := range statusNames {
		if i > 0 && n == s {
			return uint8(i), true
		}
	}
	return 0, false
}

// Deadline causes.
const (
	causeOpened uint8 = iota + 1
	causeSeverityChanged
)

// DeadlineCause values name the event that set a deadline.
const (
	DeadlineCauseOpened          = "opened"           // ticket.opened
	DeadlineCauseSeverityChanged = "severity_changed" // ticket.severity_changed
)

// dlRec is a deadline in compact form, with the link to the one it
// replaced (an index into Tickets.hist, -1 for none).
type dlRec struct {
	at, from, target, setAt int64
	setRec                  int64 // recorded-at of the event that set it
	clock, calendar, class  uint32
	severity, policy        uint32
	prev                    int32
	cause                   uint8
	breachedOnChange        bool
}

// rec is one ticket, flat: interned strings, Unix-nanosecond times.
type rec struct {
	idx                 uint32 // index of the ticket (and of its id in Tickets.ids)
	openedPos, lastPos  uint64
	openedAt, recAt     int64 // occurred-at and recorded-at of the opening event
	updatedAt, updRecAt int64 // of the last event
	respondedAt         int64
	respDeadlineAt      int64 // deadline in force at the first response
	respTarget          int64
	respCounted         int64 // counted (business) time to first response
	resolvedAt          int64
	closedAt            int64
	lastEscalatedAt     int64
	fraudFlaggedAt      int64
	// riskNoticedAt and breachNoticedAt are when the ledger last recorded
	// an SLA notice of each kind (ticket.sla_noticed); riskNoticedFor and
	// breachNoticedFor the deadline instant each was for.
	riskNoticedAt, breachNoticedAt   int64
	riskNoticedFor, breachNoticedFor int64
	dl                               dlRec
	lastRev                          uint32
	events                           uint32

	partner, customer, product, severity           uint32
	filedBy, filedByRole, filedByPartner, behalfOf uint32
	locale, language, class, context               uint32
	channel, route, assignee, responder            uint32
	isv, respSeverity, respClock                   uint32
	title                                          uint32
	// provider and reseller are the other parties to the ticket besides
	// the filing partner: the filer's indirect provider and the reseller
	// whose customer a provider filed for (0: none).
	provider, reseller uint32

	escalations, escalationLevel uint32
	disputesOpened, disputesOpen uint32
	fraudFlags, notes, reopens   uint32

	status                                uint8
	responded, respMet                    bool
	fraudActive, infoPending, deadlineSet bool
}

// TicketsOptions configures a Tickets read model.
type TicketsOptions struct {
	// Clock counts business time for the time to first response. Default:
	// sla.Counter{}, wall-clock time.
	Clock Clock
}

// Tickets is the read model of current ticket state and SLA compliance. It
// is safe for concurrent use: Apply takes a write lock, queries a read lock.
type Tickets struct {
	clock Clock

	model[rec] // tickets in the order they were opened (by position)
	strs       strtab
	ids        idtab        // ticket ids; index = ticket index
	search     *searchIndex // the words of titles, partner and customer ids
	hist       []dlRec      // earlier deadlines, linked from dlRec.prev
	agg        *slaAgg      // the SLA report's aggregates, per severity × product × locale
	// providers maps a registered reseller to its indirect provider
	// (interned ids), from partner.registered: the tenancy relation.
	providers map[uint32]uint32
	// onChange is told the id of every ticket an event changed (OnChange).
	onChange func(id string)
}

var _ Projection = (*Tickets)(nil)

// NewTickets returns an empty Tickets read model.
func NewTickets(opts TicketsOptions) *Tickets {
	t := &Tickets{clock: opts.Clock}
	if t.clock == nil {
		t.clock = sla.Counter{}
	}
	t.init(t.fold, t.reset)
	return t
}

func (t *Tickets) reset() {
	t.clear()
	t.strs, t.ids, t.hist, t.search = newStrtab(), newIDTab(), nil, newSearchIndex()
	t.agg = newSLAAgg()
	t.providers = map[uint32]uint32{}
}

// Name returns TicketsName.
func (t *Tickets) Name() string { return TicketsName }

// fold applies one new event; the write lock is held.
func (t *Tickets) fold(rec domain.Recorded) {
	e := &rec
	if !strings.HasPrefix(e.Stream, ticket.StreamPrefix) {
		if strings.HasPrefix(e.Stream, partner.StreamPrefix) {
			// Partner events do not change ticket state; a registration
			// says who a reseller's provider is.
			if ev, ok := e.Event.(partner.Registered); ok && ev.ProviderID != "" {
				t.providers[t.strs.id(e.Stream[len(partner.StreamPrefix):])] = t.strs.id(ev.ProviderID)
			}
			return
		}
		t.stats.Unknown++
		return
	}
	id := e.Stream[len(ticket.StreamPrefix):]
	switch ev := e.Event.(type) {
	case ticket.Opened:
		if _, dup := t.ids.get(id); dup {
			t.stats.Orphans++
			return
		}
		r := t.addID(id)
		t.open(r, e, &ev)
		t.search.add(&t.strs, r)
		t.agg.apply(slaPartOf(r), 1)
	case ticket.RedirectedToISV:
		if _, dup := t.ids.get(id); dup {
			t.stats.Orphans++
			return
		}
		r := t.addID(id)
		t.begin(r, e)
		r.status = stRedirected
		r.partner, r.customer = t.strs.id(ev.PartnerID), t.strs.id(ev.CustomerID)
		r.provider = t.providers[r.partner] // the event names no provider: the filer's, as registered
		r.product = t.strs.id(string(ticket.ProductMarketplace))
		r.isv = t.strs.id(ev.ISV)
		r.title = t.strs.id(ev.Title)
		t.search.add(&t.strs, r)
	default:
		i, ok := t.ids.get(id)
		if !ok {
			if isTicketEvent(e.Event) {
				t.stats.Orphans++
			} else {
				t.stats.Unknown++
			}
			return
		}
		r := t.at(int(i))
		before := slaPartOf(r)
		if !t.change(r, e) {
			t.stats.Unknown++
			return
		}
		t.agg.update(before, slaPartOf(r))
	}
	t.stats.Applied++
	if t.onChange != nil {
		t.onChange(id)
	}
}

// OnChange registers fn to be told the id of every ticket an applied event
// changed (the deadline watcher's feed), replacing any earlier fn. fn runs
// under the model's write lock: it must return at once and must not call
// the model.
func (t *Tickets) OnChange(fn func(id string)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onChange = fn
}

// addID adds a ticket record for id.
func (t *Tickets) addID(id string) *rec {
	i, r := t.add()
	t.ids.add(id)
	r.idx = uint32(i)
	return r
}

// id returns the ticket id of r.
func (t *Tickets) id(r *rec) string { return t.ids.str(r.idx) }

func isTicketEvent(ev domain.Event) bool {
	return ev != nil && strings.HasPrefix(ev.EventType(), "ticket.")
}

func (t *Tickets) begin(r *rec, e *domain.Recorded) {
	r.openedPos, r.lastPos = e.Position, e.Position
	r.openedAt, r.recAt = unixNano(e.Meta.OccurredAt), unixNano(e.Meta.RecordedAt)
	r.updatedAt, r.updRecAt = r.openedAt, r.recAt
	r.lastRev = uint32(e.Revision)
	r.events = 1
	r.filedBy, r.filedByRole = t.strs.id(e.Meta.Actor.ID), t.strs.id(string(e.Meta.Actor.Role))
	r.filedByPartner, r.behalfOf = t.strs.id(e.Meta.Actor.Partner), t.strs.id(e.Meta.OnBehalfOf)
	r.dl.prev = -1
}

func (t *Tickets) open(r *rec, e *domain.Recorded, ev *ticket.Opened) {
	t.begin(r, e)
	r.status = stOpen
	r.partner, r.customer = t.strs.id(ev.PartnerID), t.strs.id(ev.CustomerID)
	r.provider, r.reseller = t.strs.id(ev.ProviderID), t.strs.id(ev.ResellerID)
	r.product, r.severity = t.strs.id(string(ev.Product)), t.strs.id(string(ev.Severity))
	r.class, r.context = t.strs.id(string(ev.Class)), t.strs.id(string(ev.Context))
	r.channel, r.route = t.strs.id(string(ev.Channel)), t.strs.id(string(ev.Route))
	r.locale, r.language = t.strs.id(ev.Locale), t.strs.id(ev.Language)
	r.title = t.strs.id(ev.Title)
	if r.behalfOf == 0 {
		r.behalfOf = r.customer
	}
	if !ev.Deadline.At.IsZero() {
		r.dl = t.dlOf(&ev.Deadline, causeOpened, r.openedAt)
		r.dl.setRec = r.recAt
		r.deadlineSet = true
	}
}

func (t *Tickets) dlOf(d *sla.Deadline, cause uint8, setAt int64) dlRec {
	return dlRec{
		at: unixNano(d.At), from: unixNano(d.From), target: int64(d.Target), setAt: setAt,
		clock: t.strs.id(string(d.Clock)), calendar: t.strs.id(d.Calendar), class: t.strs.id(string(d.Class)),
		severity: t.strs.id(string(d.Severity)), policy: t.strs.id(d.PolicyVersion), prev: -1, cause: cause,
	}
}

func (t *Tickets) deadline(d *dlRec) sla.Deadline {
	return sla.Deadline{
		At: fromNano(d.at), Target: time.Duration(d.target), Clock: sla.Clock(t.strs.str(d.clock)),
		Calendar: t.strs.str(d.calendar), Class: sla.Class(t.strs.str(d.class)),
		Severity: domain.Severity(t.strs.str(d.severity)), PolicyVersion: t.strs.str(d.policy), From: fromNano(d.from),
	}
}

// change applies a non-creating ticket event; false when the payload is not
// a known ticket event.
func (t *Tickets) change(r *rec, e *domain.Recorded) bool {
	occ := unixNano(e.Meta.OccurredAt)
	switch ev := e.Event.(type) {
	case ticket.FirstResponseRecorded:
		if !r.responded {
			r.responded = true
			r.respondedAt = unixNano(ev.RespondedAt)
			if r.respondedAt == 0 {
				r.respondedAt = occ
			}
			r.responder = t.strs.id(ev.Responder)
			r.respMet = ev.Met
			d := ev.Deadline
			if d.At.IsZero() && r.deadlineSet {
				d = t.deadline(&r.dl)
			}
			r.respDeadlineAt, r.respTarget = unixNano(d.At), int64(d.Target)
			r.respSeverity, r.respClock = t.strs.id(string(d.Severity)), t.strs.id(string(d.Clock))
			if d.From.IsZero() {
				d.From = fromNano(r.openedAt)
			}
			r.respCounted = int64(t.clock.Elapsed(d, fromNano(r.respondedAt)))
			if r.status == stOpen {
				r.status = stInProgress
			}
		}
	case ticket.SeverityChanged:
		r.severity = t.strs.id(string(ev.To))
		if r.deadlineSet {
			t.hist = append(t.hist, r.dl)
		}
		prev := int32(len(t.hist) - 1)
		if !r.deadlineSet {
			prev = -1
		}
		r.dl = t.dlOf(&ev.Deadline, causeSeverityChanged, occ)
		r.dl.setRec = unixNano(e.Meta.RecordedAt)
		r.dl.prev = prev
		r.dl.breachedOnChange = ev.BreachedOnChange
		r.deadlineSet = !ev.Deadline.At.IsZero()
	case ticket.Escalated:
		r.escalations++
		r.escalationLevel = uint32(max(ev.Level, 0))
		r.lastEscalatedAt = occ
	case ticket.InfoRequested:
		r.infoPending = true
		if r.status == stOpen || r.status == stInProgress {
			r.status = stAwaitingInfo
		}
	case ticket.InfoProvided:
		r.infoPending = false
		if r.status == stAwaitingInfo {
			r.status = r.activeStatus()
		}
	case ticket.BillingDisputeOpened:
		r.disputesOpened++
		r.disputesOpen++
	case ticket.BillingDisputeResolved:
		if r.disputesOpen > 0 {
			r.disputesOpen--
		}
	case ticket.FraudFlagged:
		r.fraudFlags++
		r.fraudActive = true
		r.fraudFlaggedAt = occ
	case ticket.FraudCleared:
		r.fraudActive = false
	case ticket.NoteAdded:
		r.notes++
	case ticket.Reassigned:
		r.assignee = t.strs.id(ev.To)
	case ticket.Resolved:
		r.status = stResolved
		r.resolvedAt = occ
	case ticket.Reopened:
		r.reopens++
		r.resolvedAt = 0
		r.status = r.activeStatus()
		if r.infoPending {
			r.status = stAwaitingInfo
		}
	case ticket.Closed:
		r.status = stClosed
		r.closedAt = occ
	case ticket.SLANoticed:
		at, dl := unixNano(ev.NoticedAt), unixNano(ev.Deadline.At)
		if at == 0 {
			at = occ
		}
		if ev.Notice == ticket.NoticeAtRisk {
			r.riskNoticedAt, r.riskNoticedFor = at, dl
		} else {
			r.breachNoticedAt, r.breachNoticedFor = at, dl
		}
	default:
		return false
	}
	r.lastPos, r.lastRev = e.Position, uint32(e.Revision)
	r.updatedAt, r.updRecAt = occ, unixNano(e.Meta.RecordedAt)
	r.events++
	return true
}

func (r *rec) activeStatus() uint8 {
	if r.responded {
		return stInProgress
	}
	return stOpen
}

// ticketsSnapshotVersion is the Tickets snapshot format (4: deadlines keep
// when they were recorded, tickets their SLA notices and their titles). An
// older snapshot is refused and the model rebuilt from the log.
const ticketsSnapshotVersion = 4

// Snapshot writes the model and its position to w.
func (t *Tickets) Snapshot(w io.Writer) error {
	return t.snapshot(w, "ticketledger.tickets", ticketsSnapshotVersion, func(e *enc) {
		t.strs.encode(e)
		e.uvarint(uint64(len(t.hist)))
		for i := range t.hist {
			encDL(e, &t.hist[i])
		}
		encProviders(e, t.providers)
		t.ids.encode(e)
		e.uvarint(uint64(t.n))
		for i := 0; i < t.n; i++ {
			encRec(e, t.at(i))
			e.maybeFlush()
		}
	})
}

// Restore replaces the model with a snapshot.
func (t *Tickets) Restore(rd io.Reader) error {
	d := newDec(rd)
	n := &Tickets{clock: t.clock}
	n.reset()
	n.decodeHead(d, "ticketledger.tickets", ticketsSnapshotVersion)
	n.strs.decode(d)
	nh := d.count(8)
	if d.err == nil {
		n.hist = make([]dlRec, nh)
		for i := range n.hist {
			decDL(d, &n.hist[i])
			if d.err == nil && n.hist[i].prev >= int32(i) {
				d.fail("deadline history link %d → %d", i, n.hist[i].prev)
			}
		}
	}
	n.providers = decProviders(d, len(n.strs.s))
	n.ids.decode(d)
	nt := d.count(16)
	if d.err == nil && nt != n.ids.len() {
		d.fail("%d tickets but %d ids", nt, n.ids.len())
	}
	for i := 0; i < nt && d.err == nil; i++ {
		_, r := n.add()
		decRec(d, r)
		r.idx = uint32(i)
		if d.err == nil && r.dl.prev >= int32(len(n.hist)) {
			d.fail("ticket %d links to deadline %d of %d", i, r.dl.prev, len(n.hist))
		}
		if d.err == nil {
			n.search.add(&n.strs, r)
		}
	}
	if d.err != nil {
		return d.err
	}
	n.agg.build(n)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pos, t.stats, t.strs, t.chunks, t.n, t.ids, t.hist = n.pos, n.stats, n.strs, n.chunks, n.n, n.ids, n.hist
	t.providers, t.search, t.agg = n.providers, n.search, n.agg
	return nil
}

// encProviders writes the reseller → provider map in key order.
func encProviders(e *enc, m map[uint32]uint32) {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.uvarint(uint64(k))
		e.uvarint(uint64(m[k]))
	}
}

// decProviders reads what encProviders wrote; strs is the number of
// interned strings the ids refer to.
func decProviders(d *dec, strs int) map[uint32]uint32 {
	n := d.count(2)
	m := make(map[uint32]uint32, n)
	for i := 0; i < n && d.err == nil; i++ {
		k, v := d.u32(), d.u32()
		if d.err == nil && (int(k) >= strs || int(v) >= strs) {
			d.fail("provider link %d → %d refers to an unknown string", k, v)
		}
		m[k] = v
	}
	return m
}

func encDL(e *enc, d *dlRec) {
	e.varint(d.at)
	e.varint(d.from)
	e.varint(d.target)
	e.varint(d.setAt)
	e.varint(d.setRec)
	e.uvarint(uint64(d.clock))
	e.uvarint(uint64(d.calendar))
	e.uvarint(uint64(d.class))
	e.uvarint(uint64(d.severity))
	e.uvarint(uint64(d.policy))
	e.varint(int64(d.prev))
	e.u8(d.cause)
	e.bool(d.breachedOnChange)
}

func decDL(d *dec, x *dlRec) {
	x.at, x.from, x.target, x.setAt, x.setRec = d.varint(), d.varint(), d.varint(), d.varint(), d.varint()
	x.clock, x.calendar, x.class, x.severity, x.policy = d.u32(), d.u32(), d.u32(), d.u32(), d.u32()
	x.prev = int32(d.varint())
	x.cause = d.u8()
	x.breachedOnChange = d.bool()
}

func encRec(e *enc, r *rec) {
	e.uvarint(r.openedPos)
	e.uvarint(r.lastPos - r.openedPos)
	for _, v := range [...]int64{r.openedAt, r.recAt, r.updatedAt, r.updRecAt, r.respondedAt, r.respDeadlineAt,
		r.respTarget, r.respCounted, r.resolvedAt, r.closedAt, r.lastEscalatedAt, r.fraudFlaggedAt,
		r.riskNoticedAt, r.breachNoticedAt, r.riskNoticedFor, r.breachNoticedFor} {
		e.varint(v)
	}
	encDL(e, &r.dl)
	for _, v := range [...]uint32{r.lastRev, r.events, r.partner, r.customer, r.product, r.severity,
		r.filedBy, r.filedByRole, r.filedByPartner, r.behalfOf, r.locale, r.language, r.class, r.context,
		r.channel, r.route, r.assignee, r.responder, r.isv, r.respSeverity, r.respClock, r.provider, r.reseller, r.title,
		r.escalations, r.escalationLevel, r.disputesOpened, r.disputesOpen, r.fraudFlags, r.notes, r.reopens} {
		e.uvarint(uint64(v))
	}
	e.u8(r.status)
	var f uint8
	for i, b := range [...]bool{r.responded, r.respMet, r.fraudActive, r.infoPending, r.deadlineSet} {
		if b {
			f |= 1 << i
		}
	}
	e.u8(f)
}

func decRec(d *dec, r *rec) {
	r.openedPos = d.uvarint()
	r.lastPos = r.openedPos + d.uvarint()
	for _, p := range [...]*int64{&r.openedAt, &r.recAt, &r.updatedAt, &r.updRecAt, &r.respondedAt, &r.respDeadlineAt,
		&r.respTarget, &r.respCounted, &r.resolvedAt, &r.closedAt, &r.lastEscalatedAt, &r.fraudFlaggedAt,
		&r.riskNoticedAt, &r.breachNoticedAt, &r.riskNoticedFor, &r.breachNoticedFor} {
		*p = d.varint()
	}
	decDL(d, &r.dl)
	for _, p := range [...]*uint32{&r.lastRev, &r.events, &r.partner, &r.customer, &r.product, &r.severity,
		&r.filedBy, &r.filedByRole, &r.filedByPartner, &r.behalfOf, &r.locale, &r.language, &r.class, &r.context,
		&r.channel, &r.route, &r.assignee, &r.responder, &r.isv, &r.respSeverity, &r.respClock, &r.provider, &r.reseller, &r.title,
		&r.escalations, &r.escalationLevel, &r.disputesOpened, &r.disputesOpen, &r.fraudFlags, &r.notes, &r.reopens} {
		*p = d.u32()
	}
	r.status = d.u8()
	if r.status >= uint8(len(statusNames)) {
		d.fail("ticket status %d", r.status)
	}
	f := d.u8()
	r.responded, r.respMet, r.fraudActive = f&1 != 0, f&2 != 0, f&4 != 0
	r.infoPending, r.deadlineSet = f&8 != 0, f&16 != 0
}
