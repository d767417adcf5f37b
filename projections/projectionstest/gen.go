// Package projectionstest generates realistic, deterministic event
// histories for tests and benchmarks of the read models and the projector.
package projectionstest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// Epoch is the instant the generated histories start.
var Epoch = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// Options shape a generated history.
type Options struct {
	Tickets   int
	Partners  int     // default 200
	Customers int     // default 20,000
	Seed      uint64  // default 1
	LateShare float64 // share of first responses recorded late (default 0.02)
	// Interleave is how many tickets are open at once (their events are
	// interleaved in the log); default 64.
	Interleave int
	// Spacing is the time between two ticket openings; default 30s.
	Spacing time.Duration
}

// Targets are the break-fix first-response targets the generator promises.
var Targets = map[domain.Severity]time.Duration{domain.SeverityA: 2 * time.Hour, domain.SeverityB: 4 * time.Hour, domain.SeverityC: 8 * time.Hour}

// Deadline is the generator's policy: the target counted in wall time from
// opened (business-hours deadlines are modelled as 3× the wall target).
func Deadline(sev domain.Severity, lang, locale string, opened time.Time, version string) sla.Deadline {
	d := sla.Deadline{Target: Targets[sev], Clock: sla.ClockAroundTheClock, Class: sla.ClassBreakFix, Severity: sev, PolicyVersion: version, From: opened}
	d.At = opened.Add(d.Target)
	if lang != "en" {
		d.Clock, d.Calendar = sla.ClockBusinessHours, locale
		d.At = opened.Add(3 * d.Target)
	}
	return d
}

// Generator appends events with increasing positions and per-stream
// revisions.
type Generator struct {
	Pos    uint64
	revs   map[string]uint64
	rng    *rand.Rand
	Events []domain.Recorded
}

// NewGenerator returns a generator whose first event gets position 1.
func NewGenerator(seed uint64) *Generator {
	return &Generator{revs: map[string]uint64{}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Add appends one event of stream with the given metadata (EventID, times
// and policy are taken from m; a zero RecordedAt means OccurredAt).
func (g *Generator) Add(stream string, m domain.Meta, ev domain.Event) domain.Recorded {
	g.Pos++
	rev := g.revs[stream]
	g.revs[stream] = rev + 1
	if m.EventID == uuid.Nil {
		var b [16]byte
		for i := range b {
			b[i] = byte(g.rng.Uint32())
		}
		m.EventID = uuid.UUID(b)
	}
	if m.RecordedAt.IsZero() {
		m.RecordedAt = m.OccurredAt
	}
	m.SchemaVersion = 1
	r := domain.Recorded{Stream: stream, Revision: rev, Position: g.Pos, Type: ev.EventType(), Meta: m, Event: ev}
	g.Events = append(g.Events, r)
	return r
}

var (
	severities = []domain.Severity{domain.SeverityA, domain.SeverityB, domain.SeverityC}
	products   = []ticket.Product{ticket.ProductAzure, ticket.ProductOffice365, ticket.ProductDynamics365, ticket.ProductEMS, ticket.ProductBilling}
	locales    = [][2]string{{"en", "en-US"}, {"en", "en-GB"}, {"sv", "sv-SE"}, {"de", "de-DE"}, {"fr", "fr-FR"}}
)

type pending struct {
	stream string
	steps  []func()
}

// Generate returns a deterministic history: partner registrations, then
// o.Tickets tickets whose lives (opening, severity changes, first
// response, notes, escalations, disputes, fraud flags, resolution,
// closing) interleave in the log.
func Generate(o Options) []domain.Recorded {
	if o.Partners <= 0 {
		o.Partners = 200
	}
	if o.Customers <= 0 {
		o.Customers = 20000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.LateShare == 0 {
		o.LateShare = 0.02
	}
	if o.Interleave <= 0 {
		o.Interleave = 64
	}
	if o.Spacing <= 0 {
		o.Spacing = 30 * time.Second
	}
	g := NewGenerator(o.Seed)
	g.Events = make([]domain.Recorded, 0, o.Tickets*6+o.Partners)
	sys := domain.Actor{ID: "system", Role: domain.RoleSystem}
	for p := 0; p < o.Partners; p++ {
		id := fmt.Sprintf("p%04d", p)
		g.Add(partner.StreamPrefix+id, domain.Meta{Actor: sys, OccurredAt: Epoch.Add(-time.Hour)},
			partner.Registered{PartnerID: id, Name: "Partner " + id, Role: string(domain.RoleIndirectProvider), Email: id + "@partner.example"})
	}
	var live []*pending
	rng := g.rng
	for i := 0; i < o.Tickets || len(live) > 0; {
		if i < o.Tickets && (len(live) < o.Interleave || rng.IntN(2) == 0) {
			if p := g.ticket(i, o, Epoch.Add(time.Duration(i)*o.Spacing)); len(p.steps) > 0 {
				live = append(live, p)
			}
			i++
			continue
		}
		k := rng.IntN(len(live))
		p := live[k]
		p.steps[0]()
		p.steps = p.steps[1:]
		if len(p.steps) == 0 {
			live[k] = live[len(live)-1]
			live = live[:len(live)-1]
		}
	}
	return g.Events
}

func (g *Generator) ticket(i int, o Options, opened time.Time) *pending {
	rng := g.rng
	id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	stream := ticket.StreamPrefix + id
	pid := fmt.Sprintf("p%04d", rng.IntN(o.Partners))
	cid := fmt.Sprintf("c%06d", rng.IntN(o.Customers))
	filer := domain.Actor{ID: "agent" + pid[1:] + "@partner.example", Role: domain.RoleIndirectProvider, Partner: pid}
	vendor := domain.Actor{ID: fmt.Sprintf("engineer%03d@vendor.example", rng.IntN(300)), Role: domain.RoleVendorSupport}
	sev := severities[rng.IntN(3)]
	loc := locales[rng.IntN(len(locales))]
	prod := products[rng.IntN(len(products))]
	dl := Deadline(sev, loc[0], loc[1], opened, "2026-01")
	meta := func(a domain.Actor, at time.Time) domain.Meta {
		return domain.Meta{Actor: a, OnBehalfOf: cid, OccurredAt: at, PolicyVersion: "2026-01", CorrelationID: id}
	}
	p := &pending{stream: stream}
	g.Add(stream, meta(filer, opened), ticket.Opened{
		TicketID: id, Context: ticket.ContextCustomer, PartnerID: pid, CustomerID: cid, Product: prod,
		Class: sla.ClassBreakFix, Severity: sev, Title: "Service problem " + id[:8], Channel: ticket.ChannelWeb,
		Route: ticket.RoutePartnerCenter, Contact: ticket.Contact{Name: "Agent", Email: filer.ID, Organisation: pid},
		Language: loc[0], Locale: loc[1], Deadline: dl,
	})
	at := opened
	step := func(f func()) { p.steps = append(p.steps, f) }
	if rng.Float64() < 0.1 {
		to := severities[(int(sev[0]-'A')+1+rng.IntN(2))%3]
		at = at.Add(20 * time.Minute)
		when := at
		prev := dl
		dl = Deadline(to, loc[0], loc[1], opened, "2026-01")
		sevNow := to
		step(func() {
			g.Add(stream, meta(filer, when), ticket.SeverityChanged{From: prev.Severity, To: sevNow, Reason: "impact changed", Previous: prev, Deadline: dl, BreachedOnChange: when.After(dl.At)})
		})
	}
	if rng.Float64() < 0.9 {
		// response time: mostly within target, some late
		frac := rng.Float64() * 1.15
		resp := opened.Add(time.Duration(frac * float64(dl.At.Sub(opened))))
		if resp.Before(at) {
			resp = at.Add(time.Minute)
		}
		at = resp
		d := dl
		m := meta(vendor, resp)
		if rng.Float64() < o.LateShare {
			m.RecordedAt = resp.Add(3 * time.Hour)
		}
		step(func() {
			g.Add(stream, m, ticket.FirstResponseRecorded{Responder: vendor.ID, RespondedAt: resp, Deadline: d, Met: !resp.After(d.At), Summary: "looking into it"})
		})
	}
	if rng.Float64() < 0.5 {
		at = at.Add(time.Duration(rng.IntN(60)+1) * time.Minute)
		when := at
		step(func() { g.Add(stream, meta(vendor, when), ticket.NoteAdded{Text: "collected logs"}) })
	}
	if rng.Float64() < 0.1 {
		at = at.Add(time.Hour)
		when := at
		step(func() {
			g.Add(stream, meta(filer, when), ticket.Escalated{Level: 1, Reason: "production impact", CriteriaMet: []string{"business-critical"}})
		})
	}
	if rng.Float64() < 0.03 {
		at = at.Add(time.Hour)
		when := at
		step(func() {
			g.Add(stream, meta(filer, when), ticket.BillingDisputeOpened{DisputeID: "d-" + id[:8], InvoiceRef: "INV-1", AmountCents: 12000, Currency: "EUR", Reason: "double charge"})
		})
	}
	if rng.Float64() < 0.01 {
		at = at.Add(time.Hour)
		when := at
		step(func() {
			g.Add(stream, meta(vendor, when), ticket.FraudFlagged{Reason: "suspicious subscription", Indicators: []string{"velocity"}})
		})
	}
	if rng.Float64() < 0.7 {
		at = at.Add(time.Duration(rng.IntN(48)+1) * time.Hour)
		when := at
		step(func() { g.Add(stream, meta(vendor, when), ticket.Resolved{Resolution: "fixed"}) })
		if rng.Float64() < 0.7 {
			at = at.Add(24 * time.Hour)
			when := at
			step(func() { g.Add(stream, meta(filer, when), ticket.Closed{Reason: "confirmed"}) })
		}
	}
	return p
}
