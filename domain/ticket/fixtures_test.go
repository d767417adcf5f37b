package ticket

import (
	"fmt"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/domaintest"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// Times: tickets open at t0; the ledger records everything at now.
var t0, now = domaintest.T0, domaintest.T0.Add(24 * time.Hour)

func at(d time.Duration) time.Time { return t0.Add(d) }

// Actors: the shared cast, and a provider with no customers.
var (
	provA, reslA, otherA, vendorA, auditorA, systemA = domaintest.Provider, domaintest.Reseller, domaintest.OtherProvider, domaintest.Vendor, domaintest.Auditor, domaintest.System
	prov0A                                           = domain.Actor{ID: "zed@prov0.example", Role: domain.RoleIndirectProvider, Partner: "prov0"}
)

// fakePolicy promises 2/4/8 hours by severity (break_fix) or 24 hours
// (non_critical) of wall-clock time from OpenedAt. Locale "xx" fails.
type fakePolicy struct{}

func (fakePolicy) Deadline(r sla.Request) (sla.Deadline, error) {
	if r.Locale == "xx" {
		return sla.Deadline{}, domain.Errorf(domain.KindInvalid, "unknown-calendar", "locale", "no calendar for locale xx")
	}
	if r.OpenedAt.IsZero() {
		return sla.Deadline{}, fmt.Errorf("no opening time")
	}
	target := map[domain.Severity]time.Duration{domain.SeverityA: 2 * time.Hour, domain.SeverityB: 4 * time.Hour, domain.SeverityC: 8 * time.Hour}[r.Severity]
	if r.Class == sla.ClassNonCritical {
		target = 24 * time.Hour
	}
	return sla.Deadline{At: r.OpenedAt.Add(target), Target: target, Clock: sla.ClockAroundTheClock, Class: r.Class,
		Severity: r.Severity, PolicyVersion: "test-1", From: r.OpenedAt}, nil
}

func deadline(s domain.Severity) sla.Deadline {
	d, _ := fakePolicy{}.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: s, OpenedAt: t0})
	return d
}

// Partners.
func mustPartner(id string, events ...domain.Event) *partner.Partner {
	p, err := partner.Rebuild(id, events)
	if err != nil {
		panic(err)
	}
	return p
}

var (
	contoso  = partner.CustomerLinked{CustomerID: "c1", Name: "Contoso", Domain: "contoso.onmicrosoft.com"}
	fabrikam = partner.CustomerLinked{CustomerID: "c2", Name: "Fabrikam", Domain: "fabrikam.com"}
	nodomain = partner.CustomerLinked{CustomerID: "c3", Name: "Nodomain"}
	asfp     = partner.SupportPlanRecorded{PlanID: "p1", Kind: partner.PlanASfP, Reference: "ASFP-1", ValidFrom: t0.AddDate(0, -1, 0), ValidUntil: t0.AddDate(1, 0, 0)}
	mpn      = partner.SupportPlanRecorded{PlanID: "p2", Kind: partner.PlanPartnerNetwork, Reference: "MPN-1", ValidFrom: t0.AddDate(0, -1, 0)}

	// prov: provider serving c1 and c3, ASfP and MPN plans.
	prov = mustPartner("prov", partner.Registered{PartnerID: "prov", Name: "Prov", Role: string(domain.RoleIndirectProvider), Email: "s@prov.example"}, contoso, nodomain, asfp, mpn)
	// prov0: provider serving c1, no plans.
	prov0 = mustPartner("prov0", partner.Registered{PartnerID: "prov0", Name: "Prov0", Role: string(domain.RoleIndirectProvider), Email: "s@prov0.example"}, contoso)
	// resl: reseller of prov serving c1 (Azure access granted) and c2 (none).
	resl = mustPartner("resl", partner.Registered{PartnerID: "resl", Name: "Resl", Role: string(domain.RoleIndirectReseller), ProviderID: "prov", Email: "s@resl.example"},
		contoso, fabrikam, partner.AzureAccessGranted{CustomerID: "c1", GrantedBy: "prov"})
	// foreign: reseller of another provider.
	foreign = mustPartner("foreign", partner.Registered{PartnerID: "foreign", Name: "Foreign", Role: string(domain.RoleIndirectReseller), ProviderID: "other", Email: "s@foreign.example"}, fabrikam)
)

func facts(filer *partner.Partner) Facts { return Facts{Filer: filer, Policy: fakePolicy{}} }

// req is a valid Azure request by prov for c1; mut adjusts it.
func req(mut func(*OpenRequest)) OpenRequest {
	r := OpenRequest{
		Context: ContextCustomer, CustomerID: "c1", Product: ProductAzure, Severity: domain.SeverityB,
		Title: " VMs down ", Description: "all of them", Channel: ChannelWeb, Route: RoutePartnerCenter,
		Contact:  Contact{Name: "Ann", Email: "ann@prov.example", Organisation: "prov"},
		Language: "en", Locale: "en-US",
	}
	if mut != nil {
		mut(&r)
	}
	return r
}

// opened is the event req(nil) makes at t0; mut adjusts it.
func opened(mut func(*Opened)) Opened {
	e := Opened{
		TicketID: "t1", Context: ContextCustomer, PartnerID: "prov", CustomerID: "c1", Product: ProductAzure,
		Class: sla.ClassBreakFix, Severity: domain.SeverityB, Title: "VMs down", Description: "all of them",
		Channel: ChannelWeb, Route: RoutePartnerCenter, Contact: Contact{Name: "Ann", Email: "ann@prov.example", Organisation: "prov"},
		SupportPlan: SupportPlanCSP, Language: "en", Locale: "en-US", Deadline: deadline(domain.SeverityB), OpenedAt: t0,
	}
	if mut != nil {
		mut(&e)
	}
	return e
}

// Given events.
var (
	evOpened      = opened(nil)
	evResponded   = FirstResponseRecorded{Responder: "eng1", RespondedAt: at(time.Hour), Deadline: deadline(domain.SeverityB), Met: true, Summary: "on it"}
	evInfoReq     = InfoRequested{Question: "logs?"}
	evInfo        = InfoProvided{Answer: "here"}
	evResolved    = Resolved{Resolution: "fixed"}
	evReopened    = Reopened{Reason: "back"}
	evClosed      = Closed{Reason: "done"}
	evRedirected  = RedirectedToISV{TicketID: "t1", PartnerID: "prov", ProductName: "Widget", ISV: "WidgetCo", ISVContact: ISVContact{SupportURL: "https://widget.example/support"}, Title: "widget broken"}
	evDispute     = BillingDisputeOpened{DisputeID: "d1", InvoiceRef: "INV-1", AmountCents: 10000, Currency: "EUR", Reason: "double charge"}
	evDisputeDone = BillingDisputeResolved{DisputeID: "d1", Outcome: OutcomeRejected, Currency: "EUR", Explanation: "single charge"}
	evFraud       = FraudFlagged{Reason: "odd orders", Indicators: []string{"new card"}}
	evFraudClear  = FraudCleared{Reason: "verified"}
	evEscalated   = Escalated{Level: 1, Reason: "outage continues", CriteriaMet: []string{"production down"}}
	evAssigned    = Reassigned{To: "queue-a"}
)

func given(events ...domain.Event) []domain.Event { return events }

// cmd is the when of command run by a, for something that happened at
// occurredAt, with its one argument.
func cmd[A any](command func(*Ticket, domain.Actor, time.Time, time.Time, A) ([]domain.Event, error), a domain.Actor, occurredAt time.Time, arg A) func(*Ticket) ([]domain.Event, error) {
	return domaintest.Command(command, a, occurredAt, now, arg)
}

// act is the when of action a run by actor, for something that happened at
// occurredAt, under fakePolicy.
func act(actor domain.Actor, occurredAt time.Time, a Action) func(*Ticket) ([]domain.Event, error) {
	return func(t *Ticket) ([]domain.Event, error) { return a.Decide(t, actor, occurredAt, now, fakePolicy{}) }
}

// tcase is one given/when/then case.
type tcase struct {
	name  string
	given []domain.Event
	when  func(t *Ticket) ([]domain.Event, error)
	then  []domain.Event
	kind  domain.Kind
	rule  domain.Rule
}

func run(t *testing.T, cases []tcase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := New("t1")
			if len(c.given) > 0 {
				var err error
				if tk, err = Rebuild(c.given); err != nil {
					t.Fatalf("given: %v", err)
				}
			}
			before := tk.Version()
			got, err := c.when(tk)
			domaintest.CheckOutcome(t, tk, before, got, err, c.then, c.kind, c.rule)
		})
	}
}
