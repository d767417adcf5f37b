package projections

import (
	"slices"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// tenancyWorld: provider p1 with resellers r11 and r12, provider p2 with
// reseller r21. Tickets: tp1 (p1 for its customer), tr11 (r11 for its
// customer, provider p1), tp1r12 (p1 for a customer of r12), tp2 (p2),
// xr11 (r11's marketplace redirect, which names no provider).
func tenancyWorld() (*world, map[string][]string) {
	w := newWorld()
	reg := func(id, role, provider string) {
		w.add(partner.StreamPrefix+id, domain.Actor{ID: "ops", Role: domain.RoleAdmin}, t0, t0,
			partner.Registered{PartnerID: id, Name: id, Role: role, ProviderID: provider, Email: "s@" + id + ".example"})
	}
	reg("p1", string(domain.RoleIndirectProvider), "")
	reg("r11", string(domain.RoleIndirectReseller), "p1")
	reg("r12", string(domain.RoleIndirectReseller), "p1")
	reg("p2", string(domain.RoleIndirectProvider), "")
	reg("r21", string(domain.RoleIndirectReseller), "p2")
	open := func(id, filer, provider, reseller string) {
		w.add(ticket.StreamPrefix+id, domain.Actor{ID: "a@" + filer, Role: domain.RoleIndirectProvider, Partner: filer}, t0, t0, ticket.Opened{
			TicketID: id, Context: ticket.ContextCustomer, PartnerID: filer, CustomerID: "c-" + id, Product: ticket.ProductAzure,
			Class: sla.ClassBreakFix, Severity: domain.SeverityA, Language: "en", Locale: "en-US", Deadline: dlFor(domain.SeverityA, t0),
			ProviderID: provider, ResellerID: reseller,
		})
		w.add(ticket.StreamPrefix+id, engineer, t0.Add(30*time.Minute), t0.Add(30*time.Minute), ticket.NoteAdded{Text: "n"})
	}
	open("tp1", "p1", "", "")
	open("tr11", "r11", "p1", "")
	open("tp1r12", "p1", "", "r12")
	open("tp2", "p2", "", "")
	w.add(ticket.StreamPrefix+"xr11", domain.Actor{ID: "a@r11", Role: domain.RoleIndirectReseller, Partner: "r11"}, t0, t0,
		ticket.RedirectedToISV{TicketID: "xr11", PartnerID: "r11", CustomerID: "c-x", ProductName: "Widget", ISV: "Acme", Title: "t"})
	sees := map[string][]string{
		"p1":  {"tp1", "tr11", "tp1r12", "xr11"},
		"r11": {"tr11", "xr11"},
		"r12": {"tp1r12"},
		"p2":  {"tp2"},
		"r21": nil,
		"zz":  nil, // never registered
	}
	return w, sees
}

func TestTicketsTenancy(t *testing.T) {
	w, sees := tenancyWorld()
	tk, _ := fold(w.g.Events)
	restored := NewTickets(TicketsOptions{})
	roundTrip(t, tk, restored)
	all := []string{"tp1", "tr11", "tp1r12", "tp2", "xr11"}
	for name, m := range map[string]*Tickets{"folded": tk, "restored": restored} {
		for p, want := range sees {
			page, err := m.List(TicketFilter{Scope: Scope{Party: p}}, Page{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range page.Tickets {
				got = append(got, v.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s lists %v, want %v", name, p, got, want)
			}
			for _, id := range append(all, "never") {
				if m.IsParty(id, p) != slices.Contains(want, id) {
					t.Errorf("%s: IsParty(%s, %s) = %v", name, id, p, !slices.Contains(want, id))
				}
			}
			rep, err := m.Report(ReportQuery{Scope: Scope{Party: p}, Now: t0.Add(time2h)})
			if err != nil {
				t.Fatal(err)
			}
			vendor := 0 // redirects carry no deadline and count in no report
			for _, id := range want {
				if id != "xr11" {
					vendor++
				}
			}
			if rep.Total.Tickets != vendor {
				t.Errorf("%s: %s's report counts %d tickets, want %d", name, p, rep.Total.Tickets, vendor)
			}
			risk, err := m.AtRisk(AtRiskQuery{Scope: Scope{Party: p}, Now: t0.Add(time2h), IncludeBreached: true, Horizon: time2h})
			if err != nil {
				t.Fatal(err)
			}
			if len(risk) != vendor {
				t.Errorf("%s: %s's at-risk lists %d, want %d", name, p, len(risk), vendor)
			}
			wi, err := m.WhatIf(WhatIfQuery{Scope: Scope{Party: p}, Now: t0.Add(time2h), PolicyVersion: "v1"}, PolicyFunc(func(r sla.Request) (sla.Deadline, error) {
				return dlFor(r.Severity, r.OpenedAt), nil
			}))
			if err != nil || wi.Evaluated != vendor {
				t.Errorf("%s: %s's what-if evaluated %d, want %d (%v)", name, p, wi.Evaluated, vendor, err)
			}
		}
		// Party and the filing partner combine: a provider naming another
		// provider's id gets nothing, naming its reseller gets what that
		// reseller filed.
		if page, _ := m.List(TicketFilter{Scope: Scope{Party: "p1", PartnerID: "p2"}}, Page{}); len(page.Tickets) != 0 {
			t.Errorf("%s: p1 filtering by p2 got %d tickets", name, len(page.Tickets))
		}
		if page, _ := m.List(TicketFilter{Scope: Scope{Party: "p1", PartnerID: "r11"}}, Page{}); len(page.Tickets) != 2 {
			t.Errorf("%s: p1 filtering by r11 got %d tickets, want 2", name, len(page.Tickets))
		}
		if got := m.ProviderOf("r12"); got != "p1" {
			t.Errorf("%s: ProviderOf(r12) = %q", name, got)
		}
		if got := m.ProviderOf("p1") + m.ProviderOf("zz"); got != "" {
			t.Errorf("%s: providers of p1 and zz = %q", name, got)
		}
	}
}

const time2h = 2 * time.Hour

func TestAuditTenancy(t *testing.T) {
	w, sees := tenancyWorld()
	_, au := fold(w.g.Events)
	restored := NewAudit()
	roundTrip(t, au, restored)
	// A partner's audit covers the tickets it is a party to, its own
	// partner stream and, for a provider, its resellers' streams.
	streams := map[string][]string{
		"p1":  {"partner-p1", "partner-r11", "partner-r12"},
		"r11": {"partner-r11"},
		"r12": {"partner-r12"},
		"p2":  {"partner-p2", "partner-r21"},
		"r21": {"partner-r21"},
		"zz":  nil,
	}
	for name, a := range map[string]*Audit{"folded": au, "restored": restored} {
		for p, tickets := range sees {
			want := map[string]bool{}
			for _, s := range streams[p] {
				want[s] = true
			}
			for _, id := range tickets {
				want[ticket.StreamPrefix+id] = true
			}
			page, err := a.Query(AuditQuery{Party: p}, Page{Limit: MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, e := range page.Entries {
				got[e.Stream] = true
			}
			if len(got) != len(want) {
				t.Errorf("%s: %s's audit covers %v, want %v", name, p, got, want)
			}
			for s := range want {
				if !got[s] {
					t.Errorf("%s: %s's audit lacks %s", name, p, s)
				}
			}
			// Combined with another filter the party still holds.
			page, _ = a.Query(AuditQuery{Party: p, Types: []string{"ticket.note_added"}}, Page{Limit: MaxLimit})
			for _, e := range page.Entries {
				if !want[e.Stream] {
					t.Errorf("%s: %s sees %s", name, p, e.Stream)
				}
			}
		}
		if page, _ := a.Query(AuditQuery{Party: "r11", PartnerID: "r12"}, Page{}); len(page.Entries) != 0 {
			t.Errorf("%s: r11 filtering by sibling r12 got %d entries", name, len(page.Entries))
		}
	}
}
