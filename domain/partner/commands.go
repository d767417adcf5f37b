package partner

import (
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// Registration is the input of Register.
type Registration struct {
	Name       string
	Role       domain.Role // domain.RoleIndirectProvider or domain.RoleIndirectReseller
	ProviderID string      // a reseller's indirect provider; empty for a provider
	Email      string      // the partner's support contact e-mail
}

// Link is the input of LinkCustomer.
type Link struct {
	CustomerID  string
	Name        string
	Domain      string // e.g. contoso.onmicrosoft.com
	AdminRights bool
}

// Plan is the input of RecordSupportPlan.
type Plan struct {
	PlanID     string
	Kind       PlanKind
	Reference  string
	ValidFrom  time.Time
	ValidUntil time.Time // zero: open-ended
}

// Register registers the partner. Allowed to an admin or the system (onboarding), to
// the partner itself (an actor of that partner with the registered role),
// and to an indirect provider registering a reseller that names it as
// provider.
func (p *Partner) Register(actor domain.Actor, occurredAt, now time.Time, in Registration) ([]domain.Event, error) {
	if err := p.begin(actor, occurredAt, now); err != nil {
		return nil, err
	}
	switch {
	case actor.Role.Operates():
	case actor.Role.IsPartner() && actor.Partner == p.id && actor.Role == in.Role:
	case actor.Role == domain.RoleIndirectProvider && in.Role == domain.RoleIndirectReseller && in.ProviderID == actor.Partner:
	default:
		return nil, domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor",
			"%s %q may not register partner %q: a partner registers itself, a provider its own resellers, or an admin onboards it", actor.Role, actor.ID, p.id)
	}
	if p.registered {
		return nil, domain.Errorf(domain.KindConflict, domain.RulePartnerExists, "partnerId", "partner %q is already registered: use it as it is", p.id)
	}
	if strings.TrimSpace(p.id) == "" {
		return nil, required("partnerId", "the partner id is empty")
	}
	if strings.TrimSpace(in.Name) == "" {
		return nil, required("name", "the partner's name is empty")
	}
	if !validEmail(in.Email) {
		return nil, required("email", "the partner's support e-mail %q is not an e-mail address", in.Email)
	}
	switch in.Role {
	case domain.RoleIndirectProvider:
		if in.ProviderID != "" {
			return nil, domain.Errorf(domain.KindInvalid, domain.RuleResellerNeedsProvider, "providerId", "an indirect provider buys from the vendor directly: leave providerId empty")
		}
	case domain.RoleIndirectReseller:
		if strings.TrimSpace(in.ProviderID) == "" || in.ProviderID == p.id {
			return nil, domain.Errorf(domain.KindInvalid, domain.RuleResellerNeedsProvider, "providerId", "an indirect reseller names the indirect provider it buys through (another partner id)")
		}
	default:
		return nil, required("role", "role %q is not a partner role: use indirect_provider or indirect_reseller", in.Role)
	}
	return p.emit(Registered{PartnerID: p.id, Name: strings.TrimSpace(in.Name), Role: string(in.Role), ProviderID: in.ProviderID, Email: strings.TrimSpace(in.Email)}), nil
}

// LinkCustomer records that the partner serves a customer, or updates the
// link (name, domain, admin rights). Relinking with the same details emits
// nothing. Allowed to an admin, the system and to the partner itself.
func (p *Partner) LinkCustomer(actor domain.Actor, occurredAt, now time.Time, in Link) ([]domain.Event, error) {
	if err := p.own(actor, occurredAt, now, false); err != nil {
		return nil, err
	}
	in.CustomerID, in.Name, in.Domain = strings.TrimSpace(in.CustomerID), strings.TrimSpace(in.Name), strings.ToLower(strings.TrimSpace(in.Domain))
	if in.CustomerID == "" {
		return nil, required("customerId", "the customer id is empty")
	}
	if in.Name == "" {
		return nil, required("name", "the customer's name is empty")
	}
	if in.Domain != "" && (strings.ContainsAny(in.Domain, " /@") || !strings.Contains(in.Domain, ".")) {
		return nil, required("domain", "%q is not a domain name (e.g. contoso.onmicrosoft.com)", in.Domain)
	}
	c := Customer{ID: in.CustomerID, Name: in.Name, Domain: in.Domain, AdminRights: in.AdminRights}
	if old, ok := p.customers[in.CustomerID]; ok && old == c {
		return nil, nil
	}
	return p.emit(CustomerLinked{CustomerID: in.CustomerID, Name: in.Name, Domain: in.Domain, AdminRights: in.AdminRights}), nil
}

// RecordSupportPlan records a support contract or entitlement of the
// partner. Recording the same plan again emits nothing; the same plan id
// with other content is a conflict. Allowed to an admin, the system, vendor support
// and the partner itself.
func (p *Partner) RecordSupportPlan(actor domain.Actor, occurredAt, now time.Time, in Plan) ([]domain.Event, error) {
	if err := p.own(actor, occurredAt, now, true); err != nil {
		return nil, err
	}
	in.PlanID, in.Reference = strings.TrimSpace(in.PlanID), strings.TrimSpace(in.Reference)
	switch {
	case in.PlanID == "":
		return nil, required("planId", "the plan id is empty")
	case !in.Kind.Valid():
		return nil, required("kind", "plan kind %q is unknown: use azure_support_agreement, partner_network, asfp, premier or unified", in.Kind)
	case in.Reference == "":
		return nil, required("reference", "the contract id / agreement number is empty")
	case in.ValidFrom.IsZero():
		return nil, required("validFrom", "say from when the plan is valid")
	case !in.ValidUntil.IsZero() && !in.ValidUntil.After(in.ValidFrom):
		return nil, required("validUntil", "validUntil %s is not after validFrom %s", in.ValidUntil.Format(time.RFC3339), in.ValidFrom.Format(time.RFC3339))
	}
	ev := SupportPlanRecorded(in)
	for _, pl := range p.plans {
		if pl.PlanID != in.PlanID {
			continue
		}
		if pl.SupportPlanRecorded.Kind == ev.Kind && pl.Reference == ev.Reference && pl.ValidFrom.Equal(ev.ValidFrom) && pl.ValidUntil.Equal(ev.ValidUntil) {
			return nil, nil
		}
		return nil, domain.Errorf(domain.KindConflict, domain.RulePlanExists, "planId", "plan %q is already recorded with other details: use a new plan id, or end the old plan first", in.PlanID)
	}
	return p.emit(ev), nil
}

// EndSupportPlan ends a plan at occurredAt: requests dated from then on are
// no longer covered. Ending an ended plan emits nothing. Allowed to the
// system (or an admin), vendor support and the partner itself.
func (p *Partner) EndSupportPlan(actor domain.Actor, occurredAt, now time.Time, planID, reason string) ([]domain.Event, error) {
	if err := p.own(actor, occurredAt, now, true); err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, required("reason", "say why the plan ends")
	}
	for _, pl := range p.plans {
		if pl.PlanID == planID {
			if pl.ended {
				return nil, nil
			}
			return p.emit(SupportPlanEnded{PlanID: planID, Reason: strings.TrimSpace(reason), EndedAt: occurredAt}), nil
		}
	}
	return nil, domain.Errorf(domain.KindNotFound, domain.RulePlanNotFound, "planId", "partner %q has no plan %q: check the plan id", p.id, planID)
}

// GrantAzureAccess records, on a reseller's aggregate, that its indirect
// provider granted it access to a customer's Azure account (domain.md rule
// 4; separate from Office 365 delegated administration). Only the
// reseller's own provider may grant, and only for a customer the reseller
// serves. Granting an existing grant emits nothing.
func (p *Partner) GrantAzureAccess(actor domain.Actor, occurredAt, now time.Time, customerID string) ([]domain.Event, error) {
	if err := p.grantor(actor, occurredAt, now, "grant"); err != nil {
		return nil, err
	}
	if !p.ServesCustomer(customerID) {
		return nil, domain.Errorf(domain.KindForbidden, domain.RulePartnerServesCustomer, "customerId",
			"reseller %q does not serve customer %q: link the customer to the reseller first", p.id, customerID)
	}
	if p.HasAzureAccess(customerID) {
		return nil, nil
	}
	return p.emit(AzureAccessGranted{CustomerID: customerID, GrantedBy: actor.Partner}), nil
}

// RevokeAzureAccess withdraws a grant. Only the reseller's own provider may
// revoke; revoking a grant that does not exist emits nothing.
func (p *Partner) RevokeAzureAccess(actor domain.Actor, occurredAt, now time.Time, customerID, reason string) ([]domain.Event, error) {
	if err := p.grantor(actor, occurredAt, now, "revoke"); err != nil {
		return nil, err
	}
	if !p.HasAzureAccess(customerID) {
		return nil, nil
	}
	return p.emit(AzureAccessRevoked{CustomerID: customerID, RevokedBy: actor.Partner, Reason: strings.TrimSpace(reason)}), nil
}

// begin runs the checks every command shares: a complete actor who is not an
// auditor, and an occurred-at inside the window.
func (p *Partner) begin(actor domain.Actor, occurredAt, now time.Time) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if actor.Role == domain.RoleAuditor {
		return domain.Errorf(domain.KindForbidden, domain.RuleAuditorReadOnly, "actor", "auditor %q reads everything and changes nothing: use the audit queries", actor.ID)
	}
	return p.window.Check(occurredAt, now)
}

// own checks a command on a registered partner that an admin or the system, the partner
// itself or (when vendor is true) vendor support may issue.
func (p *Partner) own(actor domain.Actor, occurredAt, now time.Time, vendor bool) error {
	if err := p.begin(actor, occurredAt, now); err != nil {
		return err
	}
	if err := p.mustExist(); err != nil {
		return err
	}
	switch {
	case actor.Role.Operates(), vendor && actor.Role == domain.RoleVendorSupport:
		return nil
	case actor.Role.IsPartner():
		if actor.Partner != p.id {
			return domain.Errorf(domain.KindForbidden, domain.RuleNotOwnPartner, "actor.partner", "partner %q may not change partner %q's record: act on your own record", actor.Partner, p.id)
		}
		return nil
	}
	return domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor.role", "%s may not change a partner's record: ask the partner or an operator", actor.Role)
}

// grantor checks a grant or revocation: on a registered reseller, by its
// own indirect provider.
func (p *Partner) grantor(actor domain.Actor, occurredAt, now time.Time, verb string) error {
	if err := p.begin(actor, occurredAt, now); err != nil {
		return err
	}
	if err := p.mustExist(); err != nil {
		return err
	}
	if p.role != domain.RoleIndirectReseller {
		return domain.Errorf(domain.KindConflict, domain.RuleGrantOnResellerOnly, "partnerId", "partner %q is an %s: Azure access is granted to indirect resellers only", p.id, p.role)
	}
	if actor.Role != domain.RoleIndirectProvider || actor.Partner != p.provider {
		return domain.Errorf(domain.KindForbidden, domain.RuleGrantByOwnProvider, "actor",
			"only reseller %q's indirect provider %q may %s its Azure access (actor is %s of %q): ask that provider", p.id, p.provider, verb, actor.Role, actor.Partner)
	}
	return nil
}

func (p *Partner) mustExist() error {
	if !p.registered {
		return domain.Errorf(domain.KindNotFound, domain.RulePartnerNotFound, "partnerId", "partner %q is not registered: register it first", p.id)
	}
	return nil
}

// emit applies the events to p and returns them.
func (p *Partner) emit(events ...domain.Event) []domain.Event {
	for _, e := range events {
		p.apply(e)
	}
	return events
}

func required(field, format string, args ...any) error {
	return domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, field, format+": fill in "+field, args...)
}

func validEmail(s string) bool {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t") && strings.Contains(s[at+1:], ".")
}
