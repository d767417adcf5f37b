package partner

import (
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/domaintest"
)

var (
	t0, now                                           = domaintest.T0, domaintest.T0.Add(time.Hour)
	system, admin, prov, prov2, resl, vendor, auditor = domaintest.System, domaintest.Admin, domaintest.Provider, domaintest.OtherProvider, domaintest.Reseller, domaintest.Vendor, domaintest.Auditor
	noActor                                           = domain.Actor{}

	provReg  = Registered{PartnerID: "prov", Name: "Prov Ltd", Role: string(domain.RoleIndirectProvider), Email: "support@prov.example"}
	reslReg  = Registered{PartnerID: "resl", Name: "Resl AB", Role: string(domain.RoleIndirectReseller), ProviderID: "prov", Email: "help@resl.example"}
	contoso  = CustomerLinked{CustomerID: "c1", Name: "Contoso", Domain: "contoso.onmicrosoft.com"}
	premier  = SupportPlanRecorded{PlanID: "pl1", Kind: PlanPremier, Reference: "PREM-1", ValidFrom: t0.AddDate(0, -1, 0)}
	granted  = AzureAccessGranted{CustomerID: "c1", GrantedBy: "prov"}
	revoked  = AzureAccessRevoked{CustomerID: "c1", RevokedBy: "prov", Reason: "ended"}
	premEnds = SupportPlanEnded{PlanID: "pl1", Reason: "cancelled", EndedAt: t0}
)

type when func(p *Partner) ([]domain.Event, error)

// cmd is the when of command run by a, for something that happened at
// occurredAt, with its one argument.
func cmd[A any](command func(*Partner, domain.Actor, time.Time, time.Time, A) ([]domain.Event, error), a domain.Actor, occurredAt time.Time, arg A) when {
	return domaintest.Command(command, a, occurredAt, now, arg)
}

func TestCommands(t *testing.T) {
	cases := []struct {
		name  string
		id    string
		given []domain.Event
		when  when
		then  []domain.Event
		kind  domain.Kind
		rule  domain.Rule
	}{
		// Register
		{name: "register provider by itself", id: "prov",
			when: cmd((*Partner).Register, prov, t0, Registration{Name: " Prov Ltd ", Role: domain.RoleIndirectProvider, Email: "support@prov.example"}),
			then: []domain.Event{provReg}},
		{name: "register reseller by its provider", id: "resl",
			when: cmd((*Partner).Register, prov, t0, Registration{Name: "Resl AB", Role: domain.RoleIndirectReseller, ProviderID: "prov", Email: "help@resl.example"}),
			then: []domain.Event{reslReg}},
		{name: "register by system", id: "resl",
			when: cmd((*Partner).Register, system, t0, Registration{Name: "Resl AB", Role: domain.RoleIndirectReseller, ProviderID: "prov", Email: "help@resl.example"}),
			then: []domain.Event{reslReg}},
		{name: "register by admin", id: "resl",
			when: cmd((*Partner).Register, admin, t0, Registration{Name: "Resl AB", Role: domain.RoleIndirectReseller, ProviderID: "prov", Email: "help@resl.example"}),
			then: []domain.Event{reslReg}},
		{name: "register by another provider", id: "resl",
			when: cmd((*Partner).Register, prov2, t0, Registration{Name: "Resl AB", Role: domain.RoleIndirectReseller, ProviderID: "prov", Email: "help@resl.example"}),
			kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "register by auditor", id: "prov",
			when: cmd((*Partner).Register, auditor, t0, Registration{Name: "x", Role: domain.RoleIndirectProvider, Email: "a@b.example"}),
			kind: domain.KindForbidden, rule: domain.RuleAuditorReadOnly},
		{name: "register with incomplete actor", id: "prov",
			when: cmd((*Partner).Register, noActor, t0, Registration{}),
			kind: domain.KindInvalid, rule: domain.RuleActorRequired},
		{name: "register in the future", id: "prov",
			when: cmd((*Partner).Register, system, now.Add(time.Hour), Registration{Name: "x", Role: domain.RoleIndirectProvider, Email: "a@b.example"}),
			kind: domain.KindInvalid, rule: domain.RuleOccurredAtInFuture},
		{name: "register twice", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).Register, prov, t0, Registration{Name: "Prov Ltd", Role: domain.RoleIndirectProvider, Email: "support@prov.example"}),
			kind: domain.KindConflict, rule: domain.RulePartnerExists},
		{name: "register without id", id: " ",
			when: cmd((*Partner).Register, system, t0, Registration{Name: "x", Role: domain.RoleIndirectProvider, Email: "a@b.example"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "register without name", id: "prov",
			when: cmd((*Partner).Register, system, t0, Registration{Role: domain.RoleIndirectProvider, Email: "a@b.example"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "register with bad email", id: "prov",
			when: cmd((*Partner).Register, system, t0, Registration{Name: "x", Role: domain.RoleIndirectProvider, Email: "nobody"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "register provider naming a provider", id: "prov",
			when: cmd((*Partner).Register, system, t0, Registration{Name: "x", Role: domain.RoleIndirectProvider, ProviderID: "y", Email: "a@b.example"}),
			kind: domain.KindInvalid, rule: domain.RuleResellerNeedsProvider},
		{name: "register reseller without provider", id: "resl",
			when: cmd((*Partner).Register, system, t0, Registration{Name: "x", Role: domain.RoleIndirectReseller, Email: "a@b.example"}),
			kind: domain.KindInvalid, rule: domain.RuleResellerNeedsProvider},
		{name: "register with non-partner role", id: "x",
			when: cmd((*Partner).Register, system, t0, Registration{Name: "x", Role: domain.RoleVendorSupport, Email: "a@b.example"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},

		// LinkCustomer
		{name: "link customer", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).LinkCustomer, prov, t0, Link{CustomerID: "c1", Name: "Contoso", Domain: " Contoso.onmicrosoft.com "}),
			then: []domain.Event{contoso}},
		{name: "link same customer again emits nothing", id: "prov", given: []domain.Event{provReg, contoso},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.LinkCustomer(system, t0, now, Link{CustomerID: "c1", Name: "Contoso", Domain: "contoso.onmicrosoft.com"})
			}},
		{name: "relink with admin rights updates", id: "prov", given: []domain.Event{provReg, contoso},
			when: cmd((*Partner).LinkCustomer, system, t0, Link{CustomerID: "c1", Name: "Contoso", Domain: "contoso.onmicrosoft.com", AdminRights: true}),
			then: []domain.Event{CustomerLinked{CustomerID: "c1", Name: "Contoso", Domain: "contoso.onmicrosoft.com", AdminRights: true}}},
		{name: "link customer by admin", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).LinkCustomer, admin, t0, Link{CustomerID: "c1", Name: "Contoso", Domain: "contoso.onmicrosoft.com"}),
			then: []domain.Event{contoso}},
		{name: "link on unregistered partner", id: "prov",
			when: cmd((*Partner).LinkCustomer, prov, t0, Link{CustomerID: "c1", Name: "Contoso"}),
			kind: domain.KindNotFound, rule: domain.RulePartnerNotFound},
		{name: "link on another partner", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).LinkCustomer, resl, t0, Link{CustomerID: "c1", Name: "Contoso"}),
			kind: domain.KindForbidden, rule: domain.RuleNotOwnPartner},
		{name: "link by vendor support", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).LinkCustomer, vendor, t0, Link{CustomerID: "c1", Name: "Contoso"}),
			kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "link without customer id", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).LinkCustomer, prov, t0, Link{Name: "Contoso"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "link without name", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).LinkCustomer, prov, t0, Link{CustomerID: "c1"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "link with bad domain", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).LinkCustomer, prov, t0, Link{CustomerID: "c1", Name: "Contoso", Domain: "bob@contoso"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},

		// RecordSupportPlan / EndSupportPlan
		{name: "record plan", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).RecordSupportPlan, vendor, t0, Plan{PlanID: "pl1", Kind: PlanPremier, Reference: " PREM-1 ", ValidFrom: t0.AddDate(0, -1, 0)}),
			then: []domain.Event{premier}},
		{name: "record same plan again emits nothing", id: "prov", given: []domain.Event{provReg, premier},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.RecordSupportPlan(prov, t0, now, Plan{PlanID: "pl1", Kind: PlanPremier, Reference: "PREM-1", ValidFrom: t0.AddDate(0, -1, 0)})
			}},
		{name: "record plan id with other content", id: "prov", given: []domain.Event{provReg, premier},
			when: cmd((*Partner).RecordSupportPlan, prov, t0, Plan{PlanID: "pl1", Kind: PlanASfP, Reference: "ASFP-1", ValidFrom: t0}),
			kind: domain.KindConflict, rule: domain.RulePlanExists},
		{name: "record plan of unknown kind", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).RecordSupportPlan, prov, t0, Plan{PlanID: "pl1", Kind: "gold", Reference: "G", ValidFrom: t0}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "record plan without id", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).RecordSupportPlan, prov, t0, Plan{Kind: PlanASfP, Reference: "G", ValidFrom: t0}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "record plan without reference", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).RecordSupportPlan, prov, t0, Plan{PlanID: "x", Kind: PlanASfP, ValidFrom: t0}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "record plan without validFrom", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).RecordSupportPlan, prov, t0, Plan{PlanID: "x", Kind: PlanASfP, Reference: "A"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "record plan ending before it starts", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).RecordSupportPlan, prov, t0, Plan{PlanID: "x", Kind: PlanASfP, Reference: "A", ValidFrom: t0, ValidUntil: t0}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "record plan by auditor", id: "prov", given: []domain.Event{provReg},
			when: cmd((*Partner).RecordSupportPlan, auditor, t0, Plan{}),
			kind: domain.KindForbidden, rule: domain.RuleAuditorReadOnly},
		{name: "end plan", id: "prov", given: []domain.Event{provReg, premier},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.EndSupportPlan(prov, t0, now, "pl1", " cancelled ")
			},
			then: []domain.Event{premEnds}},
		{name: "end ended plan emits nothing", id: "prov", given: []domain.Event{provReg, premier, premEnds},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.EndSupportPlan(prov, t0, now, "pl1", "again")
			}},
		{name: "end unknown plan", id: "prov", given: []domain.Event{provReg},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.EndSupportPlan(prov, t0, now, "nope", "x")
			},
			kind: domain.KindNotFound, rule: domain.RulePlanNotFound},
		{name: "end plan without reason", id: "prov", given: []domain.Event{provReg, premier},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.EndSupportPlan(prov, t0, now, "pl1", " ")
			},
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},

		// Grant / revoke
		{name: "grant by own provider", id: "resl", given: []domain.Event{reslReg, contoso},
			when: cmd((*Partner).GrantAzureAccess, prov, t0, "c1"),
			then: []domain.Event{granted}},
		{name: "grant again emits nothing", id: "resl", given: []domain.Event{reslReg, contoso, granted},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.GrantAzureAccess(prov, t0, now, "c1")
			}},
		{name: "grant by another provider", id: "resl", given: []domain.Event{reslReg, contoso},
			when: cmd((*Partner).GrantAzureAccess, prov2, t0, "c1"),
			kind: domain.KindForbidden, rule: domain.RuleGrantByOwnProvider},
		{name: "grant by the reseller itself", id: "resl", given: []domain.Event{reslReg, contoso},
			when: cmd((*Partner).GrantAzureAccess, resl, t0, "c1"),
			kind: domain.KindForbidden, rule: domain.RuleGrantByOwnProvider},
		{name: "grant by system", id: "resl", given: []domain.Event{reslReg, contoso},
			when: cmd((*Partner).GrantAzureAccess, system, t0, "c1"),
			kind: domain.KindForbidden, rule: domain.RuleGrantByOwnProvider},
		{name: "grant on a provider", id: "prov", given: []domain.Event{provReg, contoso},
			when: cmd((*Partner).GrantAzureAccess, prov, t0, "c1"),
			kind: domain.KindConflict, rule: domain.RuleGrantOnResellerOnly},
		{name: "grant for a customer the reseller does not serve", id: "resl", given: []domain.Event{reslReg},
			when: cmd((*Partner).GrantAzureAccess, prov, t0, "c1"),
			kind: domain.KindForbidden, rule: domain.RulePartnerServesCustomer},
		{name: "grant on unregistered reseller", id: "resl",
			when: cmd((*Partner).GrantAzureAccess, prov, t0, "c1"),
			kind: domain.KindNotFound, rule: domain.RulePartnerNotFound},
		{name: "grant backdated too far", id: "resl", given: []domain.Event{reslReg, contoso},
			when: cmd((*Partner).GrantAzureAccess, prov, now.AddDate(0, 0, -31), "c1"),
			kind: domain.KindInvalid, rule: domain.RuleBackdatedTooFar},
		{name: "revoke", id: "resl", given: []domain.Event{reslReg, contoso, granted},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.RevokeAzureAccess(prov, t0, now, "c1", " ended ")
			},
			then: []domain.Event{revoked}},
		{name: "revoke missing grant emits nothing", id: "resl", given: []domain.Event{reslReg, contoso},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.RevokeAzureAccess(prov, t0, now, "c1", "x")
			}},
		{name: "revoke by another provider", id: "resl", given: []domain.Event{reslReg, contoso, granted},
			when: func(p *Partner) ([]domain.Event, error) {
				return p.RevokeAzureAccess(prov2, t0, now, "c1", "x")
			},
			kind: domain.KindForbidden, rule: domain.RuleGrantByOwnProvider},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := New(c.id)
			if len(c.given) > 0 {
				var err error
				if p, err = Rebuild(c.id, c.given); err != nil {
					t.Fatalf("given: %v", err)
				}
			}
			before := p.Version()
			got, err := c.when(p)
			domaintest.CheckOutcome(t, p, before, got, err, c.then, c.kind, c.rule)
		})
	}
}

func TestQuestions(t *testing.T) {
	asfp := SupportPlanRecorded{PlanID: "pl2", Kind: PlanASfP, Reference: "ASFP-9", ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0)}
	mpn := SupportPlanRecorded{PlanID: "pl3", Kind: PlanPartnerNetwork, Reference: "MPN-7", ValidFrom: t0}
	p, err := Rebuild("resl", []domain.Event{&reslReg, contoso, premier, premEnds, asfp, mpn, granted})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "resl" || p.Name() != "Resl AB" || p.Email() != "help@resl.example" || !p.Registered() ||
		p.Role() != domain.RoleIndirectReseller || p.Provider() != "prov" || p.Version() != 7 {
		t.Fatalf("state: %+v", p)
	}
	if !p.ServesCustomer("c1") || p.ServesCustomer("c2") {
		t.Fatal("ServesCustomer")
	}
	if c, ok := p.Customer("c1"); !ok || c.Domain != "contoso.onmicrosoft.com" {
		t.Fatalf("Customer: %+v", c)
	}
	if !p.HasAzureAccess("c1") || p.HasAzureAccess("c2") {
		t.Fatal("HasAzureAccess")
	}
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"premier before its end", p.HasPlanAtLeast(PlanASfP, t0.Add(-time.Hour)), true},
		{"premier ended, asfp from t0", p.HasPlanAtLeast(PlanASfP, t0), true},
		{"premier tier after premier ended", p.HasPlanAtLeast(PlanPremier, t0), false},
		{"premier tier before premier ended", p.HasPlanAtLeast(PlanPremier, t0.Add(-time.Minute)), true},
		{"asfp expired", p.HasPlanAtLeast(PlanASfP, t0.AddDate(1, 0, 0)), false},
		{"nothing before premier starts", p.HasPlanAtLeast(PlanAzureSupportAgreement, t0.AddDate(0, -2, 0)), false},
		{"mpn is not asfp", p.HasPlanAtLeast(PlanASfP, t0.AddDate(2, 0, 0)), false},
		{"entitlement mpn", p.ValidEntitlement(" mpn-7 ", t0.AddDate(2, 0, 0)), true},
		{"entitlement ended premier", p.ValidEntitlement("PREM-1", t0), false},
		{"entitlement premier before end", p.ValidEntitlement("PREM-1", t0.Add(-time.Second)), true},
		{"entitlement empty", p.ValidEntitlement("", t0), false},
		{"entitlement unknown", p.ValidEntitlement("X", t0), false},
		{"unified counts as asfp or higher", PlanUnified.AtLeast(PlanASfP), true},
		{"unknown kind is nothing", PlanKind("gold").AtLeast(PlanAzureSupportAgreement), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %t", c.name, c.got)
		}
	}
	// Revoking removes access.
	if _, err := p.RevokeAzureAccess(prov, t0, now, "c1", "x"); err != nil || p.HasAzureAccess("c1") {
		t.Fatalf("revoke: %v", err)
	}
}

func TestRebuild(t *testing.T) {
	if _, err := Rebuild("prov", nil); domain.KindOf(err) != domain.KindNotFound || domain.RuleOf(err) != domain.RulePartnerNotFound {
		t.Fatalf("empty history: %v", err)
	}
	if _, err := Rebuild("prov", []domain.Event{contoso}); err == nil || domain.KindOf(err) != domain.KindInternal {
		t.Fatalf("history without registration: %v", err)
	}
	if _, err := Rebuild("prov", []domain.Event{provReg, provReg}); err == nil {
		t.Fatal("two registrations accepted")
	}
	if _, err := Rebuild("prov", []domain.Event{provReg, nil}); err == nil {
		t.Fatal("nil event accepted")
	}
	if _, err := Rebuild("prov", []domain.Event{provReg, domaintest.Alien{}}); err == nil {
		t.Fatal("unknown event accepted")
	}
}

func TestWindow(t *testing.T) {
	p := New("prov").WithWindow(domain.Window{MaxBackdate: time.Hour})
	_, err := p.Register(system, now.Add(-2*time.Hour), now, Registration{Name: "x", Role: domain.RoleIndirectProvider, Email: "a@b.example"})
	if domain.RuleOf(err) != domain.RuleBackdatedTooFar {
		t.Fatalf("custom window: %v", err)
	}
}

func TestSpecs(t *testing.T) {
	domaintest.CheckSpecs(t, Specs(), 6, nil)
}
