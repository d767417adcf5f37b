package projections

import (
	"io"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// AuditName is the Name of the Audit projection.
const AuditName = "audit"

// aRec is one indexed event, flat.
type aRec struct {
	pos                uint64
	occurred, recorded int64
	eventID            uuid.UUID
	rev                uint32
	stream             uint32
	prevInStream       int32
	typ, actor, role   uint32
	actorPartner       uint32
	behalf             uint32
	partner, customer  uint32
	policy             uint32
}

type streamInfo struct {
	head              int32 // newest entry of the stream, -1 none
	partner, customer uint32
	// provider and reseller are the stream's other parties: for a ticket
	// the filer's provider and the reseller whose customer a provider
	// filed for, for a partner stream the reseller's provider.
	provider, reseller uint32
}

// hasParty: p (an interned partner id, not 0) is a party to the stream.
func (si *streamInfo) hasParty(p uint32) bool {
	return p != 0 && (si.partner == p || si.provider == p || si.reseller == p)
}

// parties calls fn with each distinct party of the stream.
func (si *streamInfo) parties(fn func(p uint32)) {
	if si.partner != 0 {
		fn(si.partner)
	}
	if si.provider != 0 && si.provider != si.partner {
		fn(si.provider)
	}
	if si.reseller != 0 && si.reseller != si.partner && si.reseller != si.provider {
		fn(si.reseller)
	}
}

// Audit is the audit index: every event of the ticket and partner streams,
// queryable by actor, partner, customer, ticket, type and time range on
// both axes. It is safe for concurrent use.
type Audit struct {
	model[aRec]
	strs    strtab
	streams idtab // stream names; index = sinfo index
	sinfo   []streamInfo

	// postings by interned string id: entry indexes in position order
	byActor, byPartner, byCustomer, byType postings
	// byParty: the entries of the streams a partner is a party to
	byParty postings
}

// postings maps an interned string id to the entries that carry it.
type postings [][]uint32

func (p *postings) add(id uint32, i uint32) {
	if int(id) >= len(*p) {
		*p = append(*p, make([][]uint32, int(id)+1-len(*p))...)
	}
	(*p)[id] = append((*p)[id], i)
}

func (p postings) get(id uint32) []uint32 {
	if int(id) < len(p) {
		return p[id]
	}
	return nil
}

var _ Projection = (*Audit)(nil)

// NewAudit returns an empty audit index.
func NewAudit() *Audit {
	a := &Audit{}
	a.init(a.fold, a.reset)
	return a
}

func (a *Audit) reset() {
	a.clear()
	a.strs, a.streams, a.sinfo = newStrtab(), newIDTab(), nil
	a.byActor, a.byPartner, a.byCustomer, a.byType, a.byParty = nil, nil, nil, nil, nil
}

// Name returns AuditName.
func (a *Audit) Name() string { return AuditName }

// fold applies one new event; the write lock is held.
func (a *Audit) fold(rec domain.Recorded) {
	e := &rec
	isTicket := strings.HasPrefix(e.Stream, ticket.StreamPrefix)
	if !isTicket && !strings.HasPrefix(e.Stream, partner.StreamPrefix) {
		a.stats.Unknown++
		return
	}
	if e.Event == nil {
		a.stats.Unknown++
		return
	}
	s, known := a.streams.get(e.Stream)
	if !known {
		s = a.streams.add(e.Stream)
		si := streamInfo{head: -1}
		if !isTicket {
			si.partner = a.strs.id(e.Stream[len(partner.StreamPrefix):])
		}
		a.sinfo = append(a.sinfo, si)
	}
	si := &a.sinfo[s]
	customer := si.customer
	switch ev := e.Event.(type) {
	case ticket.Opened:
		si.partner, si.customer = a.strs.id(ev.PartnerID), a.strs.id(ev.CustomerID)
		si.provider, si.reseller = a.strs.id(ev.ProviderID), a.strs.id(ev.ResellerID)
		customer = si.customer
	case ticket.RedirectedToISV:
		si.partner, si.customer = a.strs.id(ev.PartnerID), a.strs.id(ev.CustomerID)
		if ps, ok := a.streams.get(partner.StreamPrefix + ev.PartnerID); ok {
			si.provider = a.sinfo[ps].provider // the event names no provider: the filer's, as registered
		}
		customer = si.customer
	case partner.Registered:
		si.provider = a.strs.id(ev.ProviderID)
	case partner.CustomerLinked:
		customer = a.strs.id(ev.CustomerID)
	case partner.AzureAccessGranted:
		customer = a.strs.id(ev.CustomerID)
	case partner.AzureAccessRevoked:
		customer = a.strs.id(ev.CustomerID)
	}
	i, r := a.add()
	*r = aRec{
		pos: e.Position, occurred: unixNano(e.Meta.OccurredAt), recorded: unixNano(e.Meta.RecordedAt),
		eventID: e.Meta.EventID, rev: uint32(e.Revision), stream: s, prevInStream: si.head,
		typ: a.strs.id(e.Type), actor: a.strs.id(e.Meta.Actor.ID), role: a.strs.id(string(e.Meta.Actor.Role)),
		actorPartner: a.strs.id(e.Meta.Actor.Partner), behalf: a.strs.id(e.Meta.OnBehalfOf),
		partner: si.partner, customer: customer, policy: a.strs.id(e.Meta.PolicyVersion),
	}
	if r.typ == 0 {
		r.typ = a.strs.id(e.Event.EventType())
	}
	si.head = int32(i)
	a.post(i, r)
	si.parties(func(p uint32) { a.byParty.add(p, uint32(i)) })
	a.stats.Applied++
}

func (a *Audit) post(i int, r *aRec) {
	u := uint32(i)
	if r.actor != 0 {
		a.byActor.add(r.actor, u)
	}
	if r.partner != 0 {
		a.byPartner.add(r.partner, u)
	}
	if r.actorPartner != 0 && r.actorPartner != r.partner {
		a.byPartner.add(r.actorPartner, u)
	}
	if r.customer != 0 {
		a.byCustomer.add(r.customer, u)
	}
	if r.behalf != 0 && r.behalf != r.customer {
		a.byCustomer.add(r.behalf, u)
	}
	a.byType.add(r.typ, u)
}

// rebuildPostings builds the postings from the entries in two passes
// (count, then fill), so every list is allocated once at its final size.
func (a *Audit) rebuildPostings() {
	size := len(a.strs.s)
	counts := [5][]uint32{make([]uint32, size), make([]uint32, size), make([]uint32, size), make([]uint32, size), make([]uint32, size)}
	each := func(r *aRec, fn func(k int, id uint32)) {
		if r.actor != 0 {
			fn(0, r.actor)
		}
		if r.partner != 0 {
			fn(1, r.partner)
		}
		if r.actorPartner != 0 && r.actorPartner != r.partner {
			fn(1, r.actorPartner)
		}
		if r.customer != 0 {
			fn(2, r.customer)
		}
		if r.behalf != 0 && r.behalf != r.customer {
			fn(2, r.behalf)
		}
		fn(3, r.typ)
		a.sinfo[r.stream].parties(func(p uint32) { fn(4, p) })
	}
	for i := 0; i < a.n; i++ {
		each(a.at(i), func(k int, id uint32) { counts[k][id]++ })
	}
	lists := [5]*postings{&a.byActor, &a.byPartner, &a.byCustomer, &a.byType, &a.byParty}
	for k, l := range lists {
		*l = make(postings, size)
		for id, c := range counts[k] {
			if c > 0 {
				(*l)[id] = make([]uint32, 0, c)
			}
		}
	}
	for i := 0; i < a.n; i++ {
		u := uint32(i)
		each(a.at(i), func(k int, id uint32) { (*lists[k])[id] = append((*lists[k])[id], u) })
	}
}

// AuditQuery selects events. Empty fields do not filter; all given
// conditions must hold.
type AuditQuery struct {
	// Party restricts to the events of the streams the partner is a party
	// to: tickets it filed, its resellers filed (provider) or a provider
	// filed for its customer (reseller), its own partner stream and, for a
	// provider, its resellers' streams. The tenancy of a partner caller.
	Party string `json:"party,omitempty"`
	// Actor is the principal id of whoever caused the event.
	Actor string `json:"actor,omitempty"`
	// PartnerID matches events of the partner's tickets, of its own
	// stream, and events its people caused.
	PartnerID string `json:"partnerId,omitempty"`
	// CustomerID matches events of the customer's tickets and events done
	// on its behalf.
	CustomerID string `json:"customerId,omitempty"`
	TicketID   string `json:"ticketId,omitempty"`
	// Stream selects one stream by name (e.g. "partner-p1").
	Stream string   `json:"stream,omitempty"`
	Types  []string `json:"types,omitempty"`
	// RecordedFrom/OccurredFrom are inclusive, RecordedTo/OccurredTo
	// exclusive.
	RecordedFrom time.Time `json:"recordedFrom,omitzero"`
	RecordedTo   time.Time `json:"recordedTo,omitzero"`
	OccurredFrom time.Time `json:"occurredFrom,omitzero"`
	OccurredTo   time.Time `json:"occurredTo,omitzero"`
}

// AuditEntry is one event of the index.
type AuditEntry struct {
	EventRef
	Stream     string `json:"stream"`
	TicketID   string `json:"ticketId,omitempty"`
	PartnerID  string `json:"partnerId,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
}

// AuditPage is one page of Query. Next is the cursor of the following page,
// empty at the end.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Next    string       `json:"next,omitempty"`
}

func (a *Audit) view(r *aRec) AuditEntry {
	stream := a.streams.str(r.stream)
	actor := domain.Actor{ID: a.strs.str(r.actor), Role: domain.Role(a.strs.str(r.role)), Partner: a.strs.str(r.actorPartner)}
	v := AuditEntry{
		EventRef: newEventRef(r.pos, uint64(r.rev), r.eventID.String(), a.strs.str(r.typ), actor, a.strs.str(r.behalf),
			fromNano(r.occurred), fromNano(r.recorded), a.strs.str(r.policy)),
		Stream: stream, PartnerID: a.strs.str(r.partner), CustomerID: a.strs.str(r.customer),
	}
	if strings.HasPrefix(stream, ticket.StreamPrefix) {
		v.TicketID = stream[len(ticket.StreamPrefix):]
	}
	return v
}

// Query returns one page of the events matching q, by global-log position
// (oldest or newest first).
func (a *Audit) Query(q AuditQuery, p Page) (AuditPage, error) {
	newest := p.Order == NewestFirst
	if p.Order != "" && p.Order != OldestFirst && !newest {
		return AuditPage{}, domain.Errorf(domain.KindInvalid, "invalid-filter", "order", "unknown order %q: use oldest or newest", p.Order)
	}
	var cur uint64
	if p.Cursor != "" {
		c, err := parseCursor('a', p.Cursor)
		if err != nil {
			return AuditPage{}, err
		}
		cur = c
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	page := AuditPage{Entries: []AuditEntry{}}

	// Compile the filter; an unknown value matches nothing.
	none := false
	look := func(s string) uint32 {
		if s == "" {
			return 0
		}
		id, ok := a.strs.lookup(s)
		if !ok {
			none = true
		}
		return id
	}
	party, actor, partnerID, customer := look(q.Party), look(q.Actor), look(q.PartnerID), look(q.CustomerID)
	var types map[uint32]bool
	if len(q.Types) > 0 {
		types = map[uint32]bool{}
		for _, ty := range q.Types {
			if id, ok := a.strs.lookup(ty); ok {
				types[id] = true
			}
		}
		if len(types) == 0 {
			none = true
		}
	}
	stream, hasStream := uint32(0), false
	if q.TicketID != "" || q.Stream != "" {
		name := q.Stream
		if q.TicketID != "" {
			if name != "" && name != ticket.StreamPrefix+q.TicketID {
				none = true
			}
			name = ticket.StreamPrefix + q.TicketID
		}
		hasStream = true
		var ok bool
		if stream, ok = a.streams.get(name); !ok {
			none = true
		}
	}
	if none {
		return page, nil
	}
	rf, rt, of, ot := unixNano(q.RecordedFrom), unixNano(q.RecordedTo), unixNano(q.OccurredFrom), unixNano(q.OccurredTo)
	ok := func(r *aRec) bool {
		switch {
		case party != 0 && !a.sinfo[r.stream].hasParty(party),
			actor != 0 && r.actor != actor,
			partnerID != 0 && r.partner != partnerID && r.actorPartner != partnerID,
			customer != 0 && r.customer != customer && r.behalf != customer,
			hasStream && r.stream != stream,
			types != nil && !types[r.typ],
			rf != 0 && r.recorded < rf, rt != 0 && r.recorded >= rt,
			of != 0 && r.occurred < of, ot != 0 && r.occurred >= ot:
			return false
		}
		return true
	}

	// Candidates: the smallest list that covers the query, in position
	// order; nil means every entry.
	var cand []uint32
	all := true
	pick := func(l []uint32) {
		if all || len(l) < len(cand) {
			cand, all = l, false
		}
	}
	if hasStream {
		var chain []uint32
		for i := a.sinfo[stream].head; i >= 0; i = a.at(int(i)).prevInStream {
			chain = append(chain, uint32(i))
		}
		for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
			chain[i], chain[j] = chain[j], chain[i]
		}
		pick(chain)
	}
	if party != 0 {
		pick(a.byParty.get(party))
	}
	if actor != 0 {
		pick(a.byActor.get(actor))
	}
	if partnerID != 0 {
		pick(a.byPartner.get(partnerID))
	}
	if customer != 0 {
		pick(a.byCustomer.get(customer))
	}
	if types != nil {
		n := 0
		for ty := range types {
			n += len(a.byType.get(ty))
		}
		if all || n < len(cand) {
			merged := make([]uint32, 0, n)
			for ty := range types {
				merged = append(merged, a.byType.get(ty)...)
			}
			sort.Slice(merged, func(i, j int) bool { return merged[i] < merged[j] })
			cand, all = merged, false
		}
	}
	n := len(cand)
	if all {
		n = a.n
	}
	idx := func(k int) int {
		if all {
			return k
		}
		return int(cand[k])
	}
	// Start after the cursor.
	start := 0
	if p.Cursor != "" {
		start = sort.Search(n, func(k int) bool { return a.at(idx(k)).pos > cur })
	}
	end, step := n, 1
	if newest {
		start, end, step = n-1, -1, -1
		if p.Cursor != "" {
			start = sort.Search(n, func(k int) bool { return a.at(idx(k)).pos >= cur }) - 1
		}
	}
	limit := p.limit()
	var last uint64
	for k := start; k != end && k >= 0 && k < n; k += step {
		r := a.at(idx(k))
		if !ok(r) {
			continue
		}
		if len(page.Entries) == limit {
			page.Next = makeCursor('a', last)
			break
		}
		page.Entries = append(page.Entries, a.view(r))
		last = r.pos
	}
	return page, nil
}

// Snapshot writes the index and its position to w.
func (a *Audit) Snapshot(w io.Writer) error {
	return a.snapshot(w, "ticketledger.audit", 2, func(e *enc) {
		a.strs.encode(e)
		a.streams.encode(e)
		for _, s := range a.sinfo {
			e.uvarint(uint64(s.partner))
			e.uvarint(uint64(s.customer))
			e.uvarint(uint64(s.provider))
			e.uvarint(uint64(s.reseller))
			e.maybeFlush()
		}
		e.uvarint(uint64(a.n))
		var prev aRec
		for i := 0; i < a.n; i++ {
			r := a.at(i)
			e.uvarint(r.pos - prev.pos)
			e.varint(r.occurred - prev.occurred)
			e.varint(r.recorded - prev.recorded)
			e.raw(r.eventID[:])
			e.uvarint(uint64(r.rev))
			for _, v := range [...]uint32{r.stream, r.typ, r.actor, r.role, r.actorPartner, r.behalf, r.partner, r.customer, r.policy} {
				e.uvarint(uint64(v))
			}
			prev = *r
			e.maybeFlush()
		}
	})
}

// Restore replaces the index with a snapshot.
func (a *Audit) Restore(rd io.Reader) error {
	d := newDec(rd)
	n := &Audit{}
	n.reset()
	n.decodeHead(d, "ticketledger.audit", 2)
	n.strs.decode(d)
	n.streams.decode(d)
	if d.err == nil {
		n.sinfo = make([]streamInfo, n.streams.len())
		for i := range n.sinfo {
			si := streamInfo{head: -1, partner: d.u32(), customer: d.u32(), provider: d.u32(), reseller: d.u32()}
			if d.err == nil && int(max(si.partner, si.customer, si.provider, si.reseller)) >= len(n.strs.s) {
				d.fail("stream %d refers to an unknown string", i)
			}
			n.sinfo[i] = si
		}
	}
	cnt := d.count(20)
	var prev aRec
	for i := 0; i < cnt && d.err == nil; i++ {
		_, r := n.add()
		r.pos = prev.pos + d.uvarint()
		r.occurred = prev.occurred + d.varint()
		r.recorded = prev.recorded + d.varint()
		copy(r.eventID[:], d.bytes(16))
		r.rev = d.u32()
		for _, p := range [...]*uint32{&r.stream, &r.typ, &r.actor, &r.role, &r.actorPartner, &r.behalf, &r.partner, &r.customer, &r.policy} {
			*p = d.u32()
		}
		if d.err != nil {
			break
		}
		if int(r.stream) >= len(n.sinfo) || int(max(r.typ, r.actor, r.role, r.actorPartner, r.behalf, r.partner, r.customer, r.policy)) >= len(n.strs.s) {
			d.fail("entry %d refers to an unknown string", i)
			break
		}
		r.prevInStream = n.sinfo[r.stream].head
		n.sinfo[r.stream].head = int32(i)
		prev = *r
	}
	if d.err != nil {
		return d.err
	}
	n.rebuildPostings()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pos, a.stats, a.strs, a.streams, a.sinfo, a.chunks, a.n = n.pos, n.stats, n.strs, n.streams, n.sinfo, n.chunks, n.n
	a.byActor, a.byPartner, a.byCustomer, a.byType, a.byParty = n.byActor, n.byPartner, n.byCustomer, n.byType, n.byParty
	return nil
}
