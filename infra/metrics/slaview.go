package metrics

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/projections"
)

// SLAViewName is the projection name of SLAView (snapshots, lag metrics).
const SLAViewName = "metrics_sla"

// SLAView is an SLASource kept as a projection: a pure fold of ticket events
// into one small TicketSLA per ticket stream. It implements
// projections.Projection, so the projector drives and snapshots it like any
// other read model, and the SLA metrics are right after a restart. It ignores
// events it does not need and never fails. Safe for concurrent use.
type SLAView struct {
	clock projections.Clock

	mu      sync.RWMutex
	tickets map[string]*viewEntry // by stream name
	stats   projections.Stats
}

type viewEntry struct {
	T TicketSLA    `json:"t"`
	D sla.Deadline `json:"d"` // the deadline in force, for counting time
}

var (
	_ SLASource              = (*SLAView)(nil)
	_ projections.Projection = (*SLAView)(nil)
)

// NewSLAView returns an empty view. clock counts the time to first response
// against the ticket's deadline (business time for business-hours tickets);
// nil means wall-clock time.
func NewSLAView(clock projections.Clock) *SLAView {
	return &SLAView{clock: clock, tickets: map[string]*viewEntry{}}
}

// Name implements projections.Projection.
func (v *SLAView) Name() string { return SLAViewName }

// Apply implements projections.Projection: it folds one recorded event.
// Events at or below the last applied position are ignored (when positions
// are set); events of other streams and types are ignored; ticket events of
// a stream never opened as a vendor ticket (marketplace redirects) are
// counted as orphans only when they are not redirects.
func (v *SLAView) Apply(rec domain.Recorded) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if rec.Position != 0 {
		if rec.Position <= v.stats.Position {
			v.stats.Duplicates++
			return
		}
		v.stats.Position = rec.Position
	}
	v.stats.Applied++
	// Type switches on pointer and value forms, without copying payloads
	// into a new interface (which would allocate per event).
	switch e := rec.Event.(type) {
	case ticket.Opened:
		v.open(rec, &e)
		return
	case *ticket.Opened:
		v.open(rec, e)
		return
	}
	ent := v.tickets[rec.Stream]
	if ent == nil {
		return
	}
	t := &ent.T
	switch e := rec.Event.(type) {
	case ticket.FirstResponseRecorded:
		v.respond(rec, ent, e.RespondedAt, e.Met)
	case *ticket.FirstResponseRecorded:
		v.respond(rec, ent, e.RespondedAt, e.Met)
	case ticket.SeverityChanged:
		t.Severity, t.Deadline, t.Target, ent.D = e.To, e.Deadline.At, e.Deadline.Target, e.Deadline
	case *ticket.SeverityChanged:
		t.Severity, t.Deadline, t.Target, ent.D = e.To, e.Deadline.At, e.Deadline.Target, e.Deadline
	case ticket.Escalated, *ticket.Escalated:
		t.Escalations++
	case ticket.BillingDisputeOpened, *ticket.BillingDisputeOpened:
		t.DisputesOpened++
	case ticket.FraudFlagged, *ticket.FraudFlagged:
		t.FraudFlags++
	case ticket.Resolved, *ticket.Resolved, ticket.Closed, *ticket.Closed:
		t.Open = false
	case ticket.Reopened, *ticket.Reopened:
		t.Open = true
	}
}

// open starts (or restarts) the entry of a ticket.Opened stream.
func (v *SLAView) open(rec domain.Recorded, e *ticket.Opened) {
	opened := e.Deadline.From
	if opened.IsZero() {
		opened = rec.Meta.OccurredAt
	}
	v.tickets[rec.Stream] = &viewEntry{
		T: TicketSLA{Severity: e.Severity, Product: e.Product, Open: true, OpenedAt: opened,
			Deadline: e.Deadline.At, Target: e.Deadline.Target},
		D: e.Deadline,
	}
}

// respond records the first response to a ticket; later ones are ignored.
func (v *SLAView) respond(rec domain.Recorded, ent *viewEntry, at time.Time, met bool) {
	t := &ent.T
	if t.Responded {
		return
	}
	if at.IsZero() {
		at = rec.Meta.OccurredAt
	}
	t.Responded, t.Met, t.JudgedSeverity = true, met, t.Severity
	d := ent.D
	if d.From.IsZero() {
		d.From = t.OpenedAt
	}
	if v.clock != nil && !d.At.IsZero() {
		t.FirstResponse = v.clock.Elapsed(d, at)
	} else {
		t.FirstResponse = at.Sub(d.From)
	}
	t.FirstResponse = max(t.FirstResponse, 0)
}

// EachTicket implements SLASource.
func (v *SLAView) EachTicket(fn func(TicketSLA)) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, e := range v.tickets {
		fn(e.T)
	}
}

// Len returns the number of vendor tickets in the view.
func (v *SLAView) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.tickets)
}

// Position implements projections.Projection.
func (v *SLAView) Position() uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.stats.Position
}

// Stats implements projections.Projection.
func (v *SLAView) Stats() projections.Stats {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.stats
}

// Reset implements projections.Projection.
func (v *SLAView) Reset() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.tickets = map[string]*viewEntry{}
	v.stats = projections.Stats{}
}

// The snapshot format: viewSnapshotMagic, a version byte, the position, the
// number of tickets, then per ticket its stream name and fields as varints.
// Strings other than stream names are interned per snapshot: a reference
// equal to the table's length introduces a new string, which follows; a
// smaller one names a string seen before (0 is ""). Times are a presence
// bit in the flags, then Unix seconds and nanoseconds (restored in UTC).
// Version 1 was JSON, which starts with '{' and is rejected as corrupt: the
// projector then rebuilds the view from the log.
const (
	viewSnapshotMagic   = "TLSV"
	viewSnapshotVersion = 2
)

// Flag bits of one snapshot entry.
const (
	fOpen = 1 << iota
	fResponded
	fMet
	fOpenedAt    // T.OpenedAt is set
	fDeadline    // T.Deadline is set
	fSameAsD     // T.Deadline == D.At and T.Target == D.Target: not repeated
	fDAt         // D.At is set
	fDFrom       // D.From is set
	fFromOpened  // D.From == T.OpenedAt: not repeated
	fJudgedIsSev // JudgedSeverity == Severity: not repeated
)

// Snapshot implements projections.Projection: the state and its position, in
// a compact binary form streamed through a buffer.
func (v *SLAView) Snapshot(w io.Writer) error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	e := viewEnc{w: bufio.NewWriterSize(w, 64<<10), b: make([]byte, 0, 40<<10), strs: map[string]uint64{"": 0}}
	e.b = append(e.b, viewSnapshotMagic...)
	e.b = append(e.b, viewSnapshotVersion)
	e.uvarint(v.stats.Position)
	e.uvarint(uint64(len(v.tickets)))
	for k, ent := range v.tickets {
		e.uvarint(uint64(len(k)))
		e.b = append(e.b, k...)
		e.entry(ent)
		e.flush(false)
	}
	e.flush(true)
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("snapshot %s: %w", SLAViewName, err)
	}
	return nil
}

// viewEnc appends the encoding to b, which Snapshot hands to w after each
// ticket once it holds 32 KiB or more.
type viewEnc struct {
	w    *bufio.Writer
	b    []byte
	strs map[string]uint64
}

func (e *viewEnc) uvarint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *viewEnc) varint(x int64)   { e.b = binary.AppendVarint(e.b, x) }

// flush hands the buffered bytes to w when there are enough of them, or
// all of them when force is set.
func (e *viewEnc) flush(force bool) {
	if len(e.b) >= 32<<10 || force {
		e.w.Write(e.b) // an error sticks in w: Flush reports it
		e.b = e.b[:0]
	}
}

// str writes an interned string.
func (e *viewEnc) str(s string) {
	if s == "" {
		e.b = append(e.b, 0)
		return
	}
	if id, ok := e.strs[s]; ok {
		e.uvarint(id)
		return
	}
	id := uint64(len(e.strs))
	e.strs[s] = id
	e.uvarint(id)
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *viewEnc) time(t time.Time) {
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

func (e *viewEnc) entry(ent *viewEntry) {
	t, d := &ent.T, &ent.D
	var f uint64
	set := func(bit uint64, ok bool) {
		if ok {
			f |= bit
		}
	}
	same := t.Deadline.Equal(d.At) && t.Target == d.Target
	fromOpened := d.From.Equal(t.OpenedAt)
	set(fOpen, t.Open)
	set(fResponded, t.Responded)
	set(fMet, t.Met)
	set(fOpenedAt, !t.OpenedAt.IsZero())
	set(fSameAsD, same)
	set(fDeadline, !same && !t.Deadline.IsZero())
	set(fDAt, !d.At.IsZero())
	set(fFromOpened, fromOpened)
	set(fDFrom, !fromOpened && !d.From.IsZero())
	set(fJudgedIsSev, t.JudgedSeverity == t.Severity)
	e.uvarint(f)
	e.str(string(t.Severity))
	e.str(string(t.Product))
	if f&fJudgedIsSev == 0 {
		e.str(string(t.JudgedSeverity))
	}
	if f&fOpenedAt != 0 {
		e.time(t.OpenedAt)
	}
	if f&fSameAsD == 0 {
		if f&fDeadline != 0 {
			e.time(t.Deadline)
		}
		e.varint(int64(t.Target))
	}
	e.varint(int64(t.FirstResponse))
	e.varint(int64(t.Escalations))
	e.varint(int64(t.DisputesOpened))
	e.varint(int64(t.FraudFlags))
	if f&fDAt != 0 {
		e.time(d.At)
	}
	if f&fDFrom != 0 {
		e.time(d.From)
	}
	e.varint(int64(d.Target))
	e.str(string(d.Clock))
	e.str(d.Calendar)
	e.str(string(d.Class))
	e.str(string(d.Severity))
	e.str(d.PolicyVersion)
	e.str(d.Language)
	e.str(d.Locale)
}

// Restore implements projections.Projection: it replaces the state with one
// written by Snapshot. A snapshot of another format (such as the JSON of
// version 1), a truncated or a corrupt one is an error wrapping
// projections.ErrCorruptSnapshot, and the state is left unchanged.
func (v *SLAView) Restore(r io.Reader) error {
	d := viewDec{r: bufio.NewReaderSize(r, 64<<10), strs: []string{""}}
	pos, tickets := d.all()
	if d.err != nil {
		return fmt.Errorf("restore %s: %w: %w (rebuild from the start)", SLAViewName, projections.ErrCorruptSnapshot, d.err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.tickets = tickets
	v.stats = projections.Stats{Position: pos}
	return nil
}

type viewDec struct {
	r    *bufio.Reader
	strs []string
	buf  []byte
	err  error // the first error; later reads return zero values
}

func (d *viewDec) fail(err error) {
	if d.err == nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		d.err = err
	}
}

func (d *viewDec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, err := binary.ReadUvarint(d.r)
	if err != nil {
		d.fail(err)
	}
	return x
}

func (d *viewDec) varint() int64 {
	if d.err != nil {
		return 0
	}
	x, err := binary.ReadVarint(d.r)
	if err != nil {
		d.fail(err)
	}
	return x
}

// bytes reads n bytes into a buffer reused by the next call.
func (d *viewDec) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > 1<<20 {
		d.fail(fmt.Errorf("string of %d bytes", n))
		return nil
	}
	if uint64(cap(d.buf)) < n {
		d.buf = make([]byte, n)
	}
	b := d.buf[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail(err)
		return nil
	}
	return b
}

// str reads an interned string.
func (d *viewDec) str() string {
	id := d.uvarint()
	switch {
	case d.err != nil:
		return ""
	case id < uint64(len(d.strs)):
		return d.strs[id]
	case id > uint64(len(d.strs)):
		d.fail(fmt.Errorf("string reference %d of %d", id, len(d.strs)))
		return ""
	}
	s := string(d.bytes(d.uvarint()))
	if d.err == nil {
		d.strs = append(d.strs, s)
	}
	return s
}

func (d *viewDec) time() time.Time {
	sec := d.varint()
	ns := d.uvarint()
	if ns >= 1e9 {
		d.fail(fmt.Errorf("%d nanoseconds", ns))
	}
	return time.Unix(sec, int64(ns)).UTC()
}

func (d *viewDec) all() (uint64, map[string]*viewEntry) {
	var hdr [len(viewSnapshotMagic) + 1]byte
	if _, err := io.ReadFull(d.r, hdr[:]); err != nil {
		d.fail(err)
		return 0, nil
	}
	if string(hdr[:len(viewSnapshotMagic)]) != viewSnapshotMagic {
		d.fail(errors.New("not a binary SLA view snapshot (a JSON one from an older version?)"))
		return 0, nil
	}
	if hdr[len(viewSnapshotMagic)] != viewSnapshotVersion {
		d.fail(fmt.Errorf("snapshot format %d, want %d", hdr[len(viewSnapshotMagic)], viewSnapshotVersion))
		return 0, nil
	}
	pos := d.uvarint()
	n := d.uvarint()
	if d.err != nil {
		return 0, nil
	}
	if n > 1<<32 {
		d.fail(fmt.Errorf("%d tickets", n))
		return 0, nil
	}
	tickets := make(map[string]*viewEntry, min(n, 1<<20))
	var slab []viewEntry // entries allocated in chunks, not one by one
	for i := uint64(0); i < n && d.err == nil; i++ {
		k := string(d.bytes(d.uvarint()))
		if len(slab) == 0 {
			slab = make([]viewEntry, min(n-i, 4096))
		}
		ent := &slab[0]
		slab = slab[1:]
		d.entry(ent)
		if _, dup := tickets[k]; dup && d.err == nil {
			d.fail(fmt.Errorf("stream %q twice", k))
		}
		tickets[k] = ent
	}
	if d.err != nil {
		return 0, nil
	}
	return pos, tickets
}

func (d *viewDec) entry(ent *viewEntry) {
	t, dl := &ent.T, &ent.D
	f := d.uvarint()
	t.Open, t.Responded, t.Met = f&fOpen != 0, f&fResponded != 0, f&fMet != 0
	t.Severity = domain.Severity(d.str())
	t.Product = ticket.Product(d.str())
	t.JudgedSeverity = t.Severity
	if f&fJudgedIsSev == 0 {
		t.JudgedSeverity = domain.Severity(d.str())
	}
	if f&fOpenedAt != 0 {
		t.OpenedAt = d.time()
	}
	if f&fSameAsD == 0 {
		if f&fDeadline != 0 {
			t.Deadline = d.time()
		}
		t.Target = time.Duration(d.varint())
	}
	t.FirstResponse = time.Duration(d.varint())
	t.Escalations = int(d.varint())
	t.DisputesOpened = int(d.varint())
	t.FraudFlags = int(d.varint())
	if f&fDAt != 0 {
		dl.At = d.time()
	}
	switch {
	case f&fFromOpened != 0:
		dl.From = t.OpenedAt
	case f&fDFrom != 0:
		dl.From = d.time()
	}
	dl.Target = time.Duration(d.varint())
	if f&fSameAsD != 0 {
		t.Deadline, t.Target = dl.At, dl.Target
	}
	dl.Clock = sla.Clock(d.str())
	dl.Calendar = d.str()
	dl.Class = sla.Class(d.str())
	dl.Severity = domain.Severity(d.str())
	dl.PolicyVersion = d.str()
	dl.Language = d.str()
	dl.Locale = d.str()
}
