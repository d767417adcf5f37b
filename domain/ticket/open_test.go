package ticket

import (
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

func openWith(actor domain.Actor, r OpenRequest, f Facts) func(*Ticket) ([]domain.Event, error) {
	return func(t *Ticket) ([]domain.Event, error) { return t.Open(actor, t0, now, r, f) }
}

func openCases() []tcase {
	reslContact := func(r *OpenRequest) {
		r.Contact = Contact{Name: "Rita", Email: "rita@resl.example", Organisation: "resl"}
	}
	own := func(r *OpenRequest) {
		r.Context, r.CustomerID, r.Route, r.Entitlement = ContextOwn, "", RouteAzurePortalDirect, "MPN-1"
	}
	return []tcase{
		// Happy paths.
		{name: "provider files Azure for its customer", when: openWith(provA, req(nil), facts(prov)),
			then: []domain.Event{evOpened}},
		{name: "support plan spelled in another case is normalised",
			when: openWith(provA, req(func(r *OpenRequest) { r.SupportPlan = "cloud solution provider" }), facts(prov)),
			then: []domain.Event{evOpened}},
		{name: "reseller files Azure with its provider's grant",
			when: openWith(reslA, req(reslContact), facts(resl)),
			then: []domain.Event{opened(func(e *Opened) {
				e.PartnerID, e.ProviderID, e.Contact = "resl", "prov", Contact{Name: "Rita", Email: "rita@resl.example", Organisation: "resl"}
			})}},
		{name: "reseller without grant files Azure through the customer's portal",
			when: openWith(reslA, req(func(r *OpenRequest) { reslContact(r); r.CustomerID, r.Route = "c2", RouteCustomerPortal }), facts(resl)),
			then: []domain.Event{opened(func(e *Opened) {
				e.PartnerID, e.ProviderID, e.CustomerID, e.Route = "resl", "prov", "c2", RouteCustomerPortal
				e.Contact = Contact{Name: "Rita", Email: "rita@resl.example", Organisation: "resl"}
				e.PortalURL = "https://portal.azure.com/fabrikam.com"
			})}},
		{name: "reseller without Azure grant files Office 365",
			when: openWith(reslA, req(func(r *OpenRequest) { reslContact(r); r.CustomerID, r.Product = "c2", ProductOffice365 }), facts(resl)),
			then: []domain.Event{opened(func(e *Opened) {
				e.PartnerID, e.ProviderID, e.CustomerID, e.Product, e.SupportPlan = "resl", "prov", "c2", ProductOffice365, ""
				e.Contact = Contact{Name: "Rita", Email: "rita@resl.example", Organisation: "resl"}
			})}},
		{name: "provider files for its reseller's customer",
			when: openWith(provA, req(func(r *OpenRequest) { r.CustomerID = "c2" }), Facts{Filer: prov, Reseller: resl, Policy: fakePolicy{}}),
			then: []domain.Event{opened(func(e *Opened) { e.CustomerID, e.ResellerID = "c2", "resl" })}},
		{name: "Dynamics 365 with ASfP",
			when: openWith(provA, req(func(r *OpenRequest) { r.Product, r.Route = ProductDynamics365, RoutePartnerCenter }), facts(prov)),
			then: []domain.Event{opened(func(e *Opened) { e.Product, e.SupportPlan = ProductDynamics365, "" })}},
		{name: "own context with a valid entitlement",
			when: openWith(provA, req(own), facts(prov)),
			then: []domain.Event{opened(func(e *Opened) {
				e.Context, e.CustomerID, e.Route, e.Entitlement, e.SupportPlan = ContextOwn, "", RouteAzurePortalDirect, "MPN-1", ""
			})}},
		{name: "own context Office 365 in the admin center",
			when: openWith(provA, req(func(r *OpenRequest) { own(r); r.Product, r.Route = ProductOffice365, RouteAdminCenterDirect }), facts(prov)),
			then: []domain.Event{opened(func(e *Opened) {
				e.Context, e.CustomerID, e.Route, e.Entitlement, e.SupportPlan, e.Product = ContextOwn, "", RouteAdminCenterDirect, "MPN-1", "", ProductOffice365
			})}},
		{name: "billing runs on the non-critical clock",
			when: openWith(provA, req(func(r *OpenRequest) { r.Product = ProductBilling }), facts(prov)),
			then: []domain.Event{opened(func(e *Opened) {
				e.Product, e.SupportPlan, e.Class = ProductBilling, "", sla.ClassNonCritical
				e.Deadline, _ = fakePolicy{}.Deadline(sla.Request{Class: sla.ClassNonCritical, Severity: domain.SeverityB, OpenedAt: t0})
			})}},
		{name: "a request marked non-critical",
			when: openWith(provA, req(func(r *OpenRequest) { r.NonCritical = true }), facts(prov)),
			then: []domain.Event{opened(func(e *Opened) {
				e.Class = sla.ClassNonCritical
				e.Deadline, _ = fakePolicy{}.Deadline(sla.Request{Class: sla.ClassNonCritical, Severity: domain.SeverityB, OpenedAt: t0})
			})}},
		{name: "Azure through a support group",
			when: openWith(provA, req(func(r *OpenRequest) { r.Route = RouteAzureSupportGroup }), facts(prov)),
			then: []domain.Event{opened(func(e *Opened) { e.Route = RouteAzureSupportGroup })}},

		// Defaults: what the filer leaves out, WithDefaults fills in.
		{name: "defaults fill channel, route, context and the contact's organisation",
			when: openWith(provA, req(func(r *OpenRequest) {
				r.Channel, r.Route, r.Context, r.Contact.Organisation = "", "", "", ""
				*r = r.WithDefaults(provA.Partner)
			}), facts(prov)),
			then: []domain.Event{opened(func(e *Opened) { e.Channel = DefaultChannel })}},
		{name: "defaults take a request naming no customer as own context",
			when: openWith(provA, req(func(r *OpenRequest) {
				own(r)
				r.Context, r.Route = "", ""
				*r = r.WithDefaults(provA.Partner)
			}), facts(prov)),
			then: []domain.Event{opened(func(e *Opened) {
				e.Context, e.CustomerID, e.Route, e.Entitlement, e.SupportPlan = ContextOwn, "", RoutePartnerCenter, "MPN-1", ""
			})}},

		// Rule 1: partner contact only.
		{name: "contact of the customer's organisation",
			when: openWith(provA, req(func(r *OpenRequest) { r.Contact.Organisation = "c1" }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RulePartnerContactOnly},
		{name: "contact without organisation",
			when: openWith(provA, req(func(r *OpenRequest) { r.Contact.Organisation = "" }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RulePartnerContactOnly},
		{name: "contact e-mail in the customer's domain",
			when: openWith(provA, req(func(r *OpenRequest) { r.Contact.Email = "bob@Contoso.onmicrosoft.com" }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RulePartnerContactOnly},
		{name: "contact e-mail in a subdomain of the customer's",
			when: openWith(provA, req(func(r *OpenRequest) { r.Contact.Email = "bob@mail.contoso.onmicrosoft.com" }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RulePartnerContactOnly},
		// Rule 2: no phone.
		{name: "phone channel",
			when: openWith(provA, req(func(r *OpenRequest) { r.Channel = ChannelPhone }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RuleNoPhoneChannel},
		// Rule 3: Dynamics needs ASfP.
		{name: "Dynamics 365 without a support contract",
			when: openWith(prov0A, req(func(r *OpenRequest) { r.Product = ProductDynamics365; r.Contact.Organisation = "prov0" }), facts(prov0)),
			kind: domain.KindForbidden, rule: domain.RuleDynamicsNeedsASfP},
		{name: "Dynamics 365 dated before the ASfP contract",
			when: func(t *Ticket) ([]domain.Event, error) {
				f := facts(prov)
				return t.WithWindow(domain.Window{MaxBackdate: 90 * 24 * time.Hour}).Open(provA, t0.AddDate(0, -2, 0), now, req(func(r *OpenRequest) { r.Product = ProductDynamics365 }), f)
			},
			kind: domain.KindForbidden, rule: domain.RuleDynamicsNeedsASfP},
		// Rule 4: reseller Azure needs grant.
		{name: "reseller files Azure without grant",
			when: openWith(reslA, req(func(r *OpenRequest) { reslContact(r); r.CustomerID = "c2" }), facts(resl)),
			kind: domain.KindForbidden, rule: domain.RuleResellerAzureNeedsGrant},
		{name: "reseller files Azure without grant through a support group",
			when: openWith(reslA, req(func(r *OpenRequest) { reslContact(r); r.CustomerID, r.Route = "c2", RouteAzureSupportGroup }), facts(resl)),
			kind: domain.KindForbidden, rule: domain.RuleResellerAzureNeedsGrant},
		// Rule 5: own tenant needs entitlement; direct sign-in is own context.
		{name: "own context without entitlement",
			when: openWith(provA, req(func(r *OpenRequest) { own(r); r.Entitlement = "" }), facts(prov)),
			kind: domain.KindForbidden, rule: domain.RuleOwnTenantNeedsEntitlement},
		{name: "own context with an unknown entitlement",
			when: openWith(provA, req(func(r *OpenRequest) { own(r); r.Entitlement = "NOPE" }), facts(prov)),
			kind: domain.KindForbidden, rule: domain.RuleOwnTenantNeedsEntitlement},
		{name: "own context on the CSP plan",
			when: openWith(provA, req(func(r *OpenRequest) { own(r); r.SupportPlan = SupportPlanCSP }), facts(prov)),
			kind: domain.KindForbidden, rule: domain.RuleOwnTenantNeedsEntitlement},
		{name: "customer context signed in to the Azure portal directly",
			when: openWith(provA, req(func(r *OpenRequest) { r.Route = RouteAzurePortalDirect }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RuleDirectSignInIsOwnContext},
		{name: "customer context signed in to the admin center directly",
			when: openWith(provA, req(func(r *OpenRequest) { r.Product, r.Route = ProductOffice365, RouteAdminCenterDirect }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RuleDirectSignInIsOwnContext},
		// Product rules.
		{name: "Azure with another support plan",
			when: openWith(provA, req(func(r *OpenRequest) { r.SupportPlan = "Premier" }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RuleAzureSupportPlanCSP},
		{name: "marketplace product",
			when: openWith(provA, req(func(r *OpenRequest) { r.Product = ProductMarketplace }), facts(prov)),
			kind: domain.KindForbidden, rule: domain.RuleMarketplaceISVOnly},
		{name: "customer not served",
			when: openWith(provA, req(func(r *OpenRequest) { r.CustomerID = "c9" }), facts(prov)),
			kind: domain.KindForbidden, rule: domain.RulePartnerServesCustomer},
		{name: "provider names a reseller of another provider",
			when: openWith(provA, req(func(r *OpenRequest) { r.CustomerID = "c2" }), Facts{Filer: prov, Reseller: foreign, Policy: fakePolicy{}}),
			kind: domain.KindForbidden, rule: domain.RulePartnerServesCustomer},
		{name: "reseller names a reseller",
			when: openWith(reslA, req(func(r *OpenRequest) { reslContact(r) }), Facts{Filer: resl, Reseller: foreign, Policy: fakePolicy{}}),
			kind: domain.KindForbidden, rule: domain.RulePartnerServesCustomer},
		{name: "customer portal route for Office 365",
			when: openWith(provA, req(func(r *OpenRequest) { r.Product, r.Route = ProductOffice365, RouteCustomerPortal }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RuleRouteMismatch},
		{name: "own context through the customer portal",
			when: openWith(provA, req(func(r *OpenRequest) { own(r); r.Route = RouteCustomerPortal }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RuleRouteMismatch},
		{name: "own context Azure in the admin center",
			when: openWith(provA, req(func(r *OpenRequest) { own(r); r.Route = RouteAdminCenterDirect }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RuleRouteMismatch},
		{name: "own context Office 365 in the Azure portal",
			when: openWith(provA, req(func(r *OpenRequest) { own(r); r.Product = ProductOffice365 }), facts(prov)),
			kind: domain.KindInvalid, rule: domain.RuleRouteMismatch},

		// Required fields.
		{name: "no title", when: openWith(provA, req(func(r *OpenRequest) { r.Title = " " }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "title too long", when: openWith(provA, req(func(r *OpenRequest) { r.Title = strings.Repeat("x", MaxTitle+1) }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "description too long", when: openWith(provA, req(func(r *OpenRequest) { r.Description = strings.Repeat("x", MaxText+1) }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "bad severity", when: openWith(provA, req(func(r *OpenRequest) { r.Severity = "D" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "no language", when: openWith(provA, req(func(r *OpenRequest) { r.Language = "" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "no locale", when: openWith(provA, req(func(r *OpenRequest) { r.Locale = "" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "unknown product", when: openWith(provA, req(func(r *OpenRequest) { r.Product = "xbox" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "unknown channel", when: openWith(provA, req(func(r *OpenRequest) { r.Channel = "fax" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "unknown context", when: openWith(provA, req(func(r *OpenRequest) { r.Context = "" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "unknown route", when: openWith(provA, req(func(r *OpenRequest) { r.Route = "" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "no customer in customer context", when: openWith(provA, req(func(r *OpenRequest) { r.CustomerID = "" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "customer in own context", when: openWith(provA, req(func(r *OpenRequest) { own(r); r.CustomerID = "c1" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "reseller in own context", when: openWith(provA, req(own), Facts{Filer: prov, Reseller: resl, Policy: fakePolicy{}}), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "customer portal without the customer's domain", when: openWith(provA, req(func(r *OpenRequest) { r.CustomerID, r.Route = "c3", RouteCustomerPortal }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "no contact name", when: openWith(provA, req(func(r *OpenRequest) { r.Contact.Name = "" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "bad contact e-mail", when: openWith(provA, req(func(r *OpenRequest) { r.Contact.Email = "ann" }), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "no ticket id", when: func(*Ticket) ([]domain.Event, error) { return New("").Open(provA, t0, now, req(nil), facts(prov)) }, kind: domain.KindInvalid, rule: domain.RuleRequiredField},

		// Who, when, state.
		{name: "open an existing ticket", given: given(evOpened), when: openWith(provA, req(nil), facts(prov)), kind: domain.KindConflict, rule: domain.RuleTicketExists},
		{name: "open over a redirect", given: given(evRedirected), when: openWith(provA, req(nil), facts(prov)), kind: domain.KindConflict, rule: domain.RuleTicketExists},
		{name: "auditor opens", when: openWith(auditorA, req(nil), facts(prov)), kind: domain.KindForbidden, rule: domain.RuleAuditorReadOnly},
		{name: "vendor support opens", when: openWith(vendorA, req(nil), facts(prov)), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "system opens", when: openWith(systemA, req(nil), facts(prov)), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "incomplete actor", when: openWith(domain.Actor{ID: "x", Role: domain.RoleIndirectProvider}, req(nil), facts(prov)), kind: domain.KindInvalid, rule: domain.RuleActorRequired},
		{name: "filer not registered", when: openWith(provA, req(nil), Facts{Policy: fakePolicy{}}), kind: domain.KindNotFound, rule: domain.RulePartnerNotFound},
		{name: "filer is another partner", when: openWith(provA, req(nil), facts(prov0)), kind: domain.KindForbidden, rule: domain.RuleNotOwnPartner},
		{name: "actor's role is not the filer's", when: openWith(domain.Actor{ID: "x", Role: domain.RoleIndirectReseller, Partner: "prov"}, req(nil), facts(prov)), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "occurred in the future",
			when: func(t *Ticket) ([]domain.Event, error) {
				return t.Open(provA, now.Add(3*time.Minute), now, req(nil), facts(prov))
			},
			kind: domain.KindInvalid, rule: domain.RuleOccurredAtInFuture},
		{name: "within the clock-skew allowance",
			when: func(t *Ticket) ([]domain.Event, error) {
				return t.Open(provA, t0.Add(time.Minute), t0, req(nil), facts(prov))
			},
			then: []domain.Event{opened(func(e *Opened) {
				e.OpenedAt = t0.Add(time.Minute)
				e.Deadline, _ = fakePolicy{}.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: domain.SeverityB, OpenedAt: t0.Add(time.Minute)})
			})}},
		{name: "backdated too far",
			when: func(t *Ticket) ([]domain.Event, error) {
				return t.Open(provA, now.AddDate(0, 0, -31), now, req(nil), facts(prov))
			},
			kind: domain.KindInvalid, rule: domain.RuleBackdatedTooFar},
		{name: "no occurred-at",
			when: func(t *Ticket) ([]domain.Event, error) { return t.Open(provA, time.Time{}, now, req(nil), facts(prov)) },
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "no now",
			when: func(t *Ticket) ([]domain.Event, error) { return t.Open(provA, t0, time.Time{}, req(nil), facts(prov)) },
			kind: domain.KindInternal, rule: domain.RuleRequiredField},
		{name: "no policy", when: openWith(provA, req(nil), Facts{Filer: prov}), kind: domain.KindInternal, rule: domain.RuleRequiredField},
		{name: "policy refuses the locale", when: openWith(provA, req(func(r *OpenRequest) { r.Locale = "xx" }), facts(prov)), kind: domain.KindInvalid, rule: "unknown-calendar"},
	}
}

func TestOpen(t *testing.T) { run(t, openCases()) }

func TestOpenRequestDefaults(t *testing.T) {
	got := OpenRequest{CustomerID: "c1"}.WithDefaults("prov")
	if got.Channel != ChannelAPI || got.Route != RoutePartnerCenter || got.Context != ContextCustomer || got.Contact.Organisation != "prov" {
		t.Errorf("defaults of a customer request = %+v", got)
	}
	if got := (OpenRequest{}).WithDefaults("prov"); got.Context != ContextOwn {
		t.Errorf("context without a customer = %q, want own", got.Context)
	}
	given := OpenRequest{Channel: ChannelEmail, Route: RouteCustomerPortal, Context: ContextOwn, CustomerID: "c1",
		Contact: Contact{Organisation: "other"}}
	if got := given.WithDefaults("prov"); got != given {
		t.Errorf("WithDefaults changed given fields: %+v, want %+v", got, given)
	}
}

func redirectCases() []tcase {
	rr := func(mut func(*RedirectRequest)) RedirectRequest {
		r := RedirectRequest{ProductName: " Widget ", ISV: "WidgetCo", ISVContact: ISVContact{SupportURL: " https://widget.example/support "}, Title: "widget broken"}
		if mut != nil {
			mut(&r)
		}
		return r
	}
	redirect := func(a domain.Actor, r RedirectRequest) func(*Ticket) ([]domain.Event, error) {
		return cmd((*Ticket).RedirectToISV, a, t0, r)
	}
	return []tcase{
		{name: "redirect", when: redirect(provA, rr(nil)), then: []domain.Event{evRedirected}},
		{name: "redirect with e-mail and phone only",
			when: redirect(reslA, rr(func(r *RedirectRequest) {
				r.CustomerID, r.ISVContact = "c1", ISVContact{SupportEmail: "help@widget.example", SupportPhone: "+46 8 123"}
			})),
			then: []domain.Event{RedirectedToISV{TicketID: "t1", PartnerID: "resl", CustomerID: "c1", ProductName: "Widget", ISV: "WidgetCo",
				ISVContact: ISVContact{SupportEmail: "help@widget.example", SupportPhone: "+46 8 123"}, Title: "widget broken"}}},
		{name: "no ISV contact", when: redirect(provA, rr(func(r *RedirectRequest) { r.ISVContact = ISVContact{SupportURL: " "} })), kind: domain.KindInvalid, rule: domain.RuleISVContactRequired},
		{name: "bad ISV URL", when: redirect(provA, rr(func(r *RedirectRequest) { r.ISVContact.SupportURL = "widget.example" })), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "bad ISV e-mail", when: redirect(provA, rr(func(r *RedirectRequest) { r.ISVContact.SupportEmail = "help" })), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "no ISV", when: redirect(provA, rr(func(r *RedirectRequest) { r.ISV = "" })), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "no product name", when: redirect(provA, rr(func(r *RedirectRequest) { r.ProductName = "" })), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "no title", when: redirect(provA, rr(func(r *RedirectRequest) { r.Title = "" })), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "redirect an open ticket", given: given(evOpened), when: redirect(provA, rr(nil)), kind: domain.KindConflict, rule: domain.RuleTicketExists},
		{name: "vendor redirects", when: redirect(vendorA, rr(nil)), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "redirect in the future",
			when: func(t *Ticket) ([]domain.Event, error) {
				return t.RedirectToISV(provA, now.Add(time.Hour), now, rr(nil))
			},
			kind: domain.KindInvalid, rule: domain.RuleOccurredAtInFuture},
	}
}

func TestRedirectToISV(t *testing.T) { run(t, redirectCases()) }
