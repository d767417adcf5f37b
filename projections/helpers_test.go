package projections

import (
	"bytes"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/projections/projectionstest"
)

var (
	t0       = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday
	provider = domain.Actor{ID: "alice@p1.example", Role: domain.RoleIndirectProvider, Partner: "p1"}
	reseller = domain.Actor{ID: "rob@p2.example", Role: domain.RoleIndirectReseller, Partner: "p2"}
	engineer = domain.Actor{ID: "eve@vendor.example", Role: domain.RoleVendorSupport}
)

func dlFor(sev domain.Severity, from time.Time) sla.Deadline {
	return projectionstest.Deadline(sev, "en", "en-US", from, "v1")
}

// world builds histories: events of one or more tickets with increasing
// positions.
type world struct{ g *projectionstest.Generator }

func newWorld() *world { return &world{g: projectionstest.NewGenerator(7)} }

func (w *world) add(stream string, a domain.Actor, occurred, recorded time.Time, ev domain.Event) domain.Recorded {
	return w.g.Add(stream, domain.Meta{Actor: a, OnBehalfOf: "c1", OccurredAt: occurred, RecordedAt: recorded, PolicyVersion: "v1"}, ev)
}

func (w *world) open(id string, sev domain.Severity, at time.Time) domain.Recorded {
	return w.add(ticket.StreamPrefix+id, provider, at, at, ticket.Opened{
		TicketID: id, Context: ticket.ContextCustomer, PartnerID: "p1", CustomerID: "c1", Product: ticket.ProductAzure,
		Class: sla.ClassBreakFix, Severity: sev, Title: "VM down", Channel: ticket.ChannelWeb, Route: ticket.RoutePartnerCenter,
		Language: "en", Locale: "en-US", Deadline: dlFor(sev, at),
	})
}

func (w *world) respond(id string, at time.Time, d sla.Deadline) domain.Recorded {
	return w.add(ticket.StreamPrefix+id, engineer, at, at, ticket.FirstResponseRecorded{
		Responder: engineer.ID, RespondedAt: at, Deadline: d, Met: !at.After(d.At),
	})
}

func (w *world) stream(id string) []domain.Recorded {
	var out []domain.Recorded
	for _, e := range w.g.Events {
		if e.Stream == ticket.StreamPrefix+id {
			out = append(out, e)
		}
	}
	return out
}

func fold(evs []domain.Recorded) (*Tickets, *Audit) {
	t, a := NewTickets(TicketsOptions{}), NewAudit()
	for _, e := range evs {
		t.Apply(e)
		a.Apply(e)
	}
	return t, a
}

// snapshot returns a snapshot of p; failing to take it fails t.
func snapshot(t testing.TB, p Projection) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// roundTrip restores to from a snapshot of from.
func roundTrip(t testing.TB, from, to Projection) {
	t.Helper()
	if err := to.Restore(bytes.NewReader(snapshot(t, from))); err != nil {
		t.Fatal(err)
	}
}
