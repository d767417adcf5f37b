package projections

import (
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// The SLA policy package plugs in directly: a policy version is a Policy
// (what-if) and its counter a Clock (business time).
var (
	_ Policy = (*sla.Policy)(nil)
	_ Clock  = sla.Counter{}
)

// With the shipped policy, a Swedish-language request counts business time
// only, and a what-if under the same version flips nothing.
func TestShippedPolicy(t *testing.T) {
	pol := sla.Shipped().Current()
	friday := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC) // 16:00 in Stockholm
	d, err := pol.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: domain.SeverityC, Language: "sv", Locale: "sv-SE", OpenedAt: friday})
	if err != nil {
		t.Skipf("shipped policy cannot set a deadline for sv-SE: %v", err)
	}
	w := newWorld()
	w.add("ticket-t", provider, friday, friday, ticket.Opened{TicketID: "t", PartnerID: "p1", CustomerID: "c1", Product: ticket.ProductAzure,
		Class: sla.ClassBreakFix, Severity: domain.SeverityC, Language: "sv", Locale: "sv-SE", Deadline: d})
	resp := friday.Add(72 * time.Hour) // Monday 16:00 Stockholm
	w.respond("t", resp, d)
	tk := NewTickets(TicketsOptions{Clock: sla.Shipped().Counter()})
	for _, e := range w.g.Events {
		tk.Apply(e)
	}
	s, _ := tk.SLA("t", resp)
	if *s.BusinessTimeToFirstResponseSeconds >= *s.TimeToFirstResponseSeconds {
		t.Errorf("business %v should be less than wall %v over a weekend", *s.BusinessTimeToFirstResponseSeconds, *s.TimeToFirstResponseSeconds)
	}
	rep, err := tk.WhatIf(WhatIfQuery{Now: resp, PolicyVersion: pol.Version()}, pol)
	if err != nil || rep.Evaluated != 1 || len(rep.Flips) != 0 {
		t.Errorf("what-if under the recording policy: %+v %v", rep, err)
	}
}
