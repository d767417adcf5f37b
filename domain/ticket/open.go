package ticket

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// SupportPlanCSP is the support-plan field every Azure request in customer
// context carries.
const SupportPlanCSP = "Cloud Solution Provider"

// Field limits.
const (
	MaxTitle       = 200
	MaxText        = 10000 // descriptions, notes, answers, reasons
	maxShortString = 200
)

// OpenRequest is what a partner files.
type OpenRequest struct {
	Context    Context
	CustomerID string // required in customer context, empty in own context
	Product    Product
	// NonCritical marks a request within the entitlement that is not a
	// break-fix incident (one business day). Billing requests are always
	// non-critical.
	NonCritical bool
	Severity    domain.Severity
	Title       string
	Description string
	Channel     Channel
	Route       Route
	Contact     Contact
	// SupportPlan is the support-plan field. Azure in customer context:
	// "Cloud Solution Provider" (filled in when empty).
	SupportPlan string
	// Entitlement is the support-plan reference of an own-context request.
	Entitlement string
	Language    string // "en" or a local language (business hours)
	Locale      string // e.g. "sv-SE"
}

// Defaults of the fields a filer may leave out of an OpenRequest.
const (
	// DefaultChannel is the channel the request came through when it names
	// none: a request without one was sent by a program over the API (the
	// CLI is such a program); web forms and e-mail intake name theirs.
	DefaultChannel = ChannelAPI
	// DefaultRoute is the partner center, the route of customer context.
	DefaultRoute = RoutePartnerCenter
)

// WithDefaults returns r with the fields a filer may leave empty filled in,
// for a request filed by partner filer: the channel DefaultChannel, the route
// DefaultRoute, the context customer when a customer is named (else own),
// and the contact's organisation the filer (the contact is always the
// filing partner's). It is the one place these defaults are decided; the
// HTTP API applies it to every request it receives. Open itself takes the
// request as given and refuses what is missing.
func (r OpenRequest) WithDefaults(filer string) OpenRequest {
	if r.Channel == "" {
		r.Channel = DefaultChannel
	}
	if r.Route == "" {
		r.Route = DefaultRoute
	}
	if r.Context == "" {
		r.Context = ContextOwn
		if strings.TrimSpace(r.CustomerID) != "" {
			r.Context = ContextCustomer
		}
	}
	if r.Contact.Organisation == "" {
		r.Contact.Organisation = filer
	}
	return r
}

// Facts are what Open needs to know beyond the request: the filing
// partner's aggregate, the reseller's aggregate when a provider files for a
// customer of one of its resellers, and the SLA policy.
type Facts struct {
	Filer    *partner.Partner
	Reseller *partner.Partner // optional: only when a provider files for its reseller's customer
	Policy   DeadlinePolicy
}

// Open files a service request (domain.md rules 1–5 and the product
// rules). Only the partners (indirect provider, indirect reseller) file;
// the actor's partner must be facts.Filer. It computes the first-response
// deadline with facts.Policy from occurredAt: class break_fix, or
// non_critical for billing and requests marked NonCritical.
func (t *Ticket) Open(actor domain.Actor, occurredAt, now time.Time, req OpenRequest, facts Facts) ([]domain.Event, error) {
	const cmd = "open a ticket"
	if err := authorize(cmd, actor, partners); err != nil {
		return nil, err
	}
	if err := t.window.Check(occurredAt, now); err != nil {
		return nil, err
	}
	if err := t.fresh(); err != nil {
		return nil, err
	}
	filer, err := filingPartner(actor, facts.Filer)
	if err != nil {
		return nil, err
	}
	if facts.Policy == nil {
		return nil, domain.Errorf(domain.KindInternal, domain.RuleRequiredField, "policy", "no SLA policy was given to compute the first-response deadline")
	}

	switch req.Product {
	case ProductMarketplace:
		return nil, domain.Errorf(domain.KindForbidden, domain.RuleMarketplaceISVOnly, "product",
			"the vendor gives no support for commercial-marketplace products, so no vendor ticket is opened: record a redirect to the ISV that published the product (RedirectToISV) with its support contact")
	case ProductAzure, ProductOffice365, ProductDynamics365, ProductEMS, ProductBilling:
	default:
		return nil, required("product", "product %q is unknown: use azure, office365, dynamics365, ems, billing or marketplace", req.Product)
	}
	title, err := text("title", req.Title, MaxTitle)
	if err != nil {
		return nil, err
	}
	desc := strings.TrimSpace(req.Description)
	if len([]rune(desc)) > MaxText {
		return nil, required("description", "description is longer than %d characters: attach the rest as notes", MaxText)
	}
	if !req.Severity.Valid() {
		return nil, required("severity", "severity %q is not A, B or C: choose the business impact (A critical, B moderate, C minimal)", req.Severity)
	}
	lang, err := text("language", req.Language, 35)
	if err != nil {
		return nil, err
	}
	locale, err := text("locale", req.Locale, 35)
	if err != nil {
		return nil, err
	}
	switch req.Channel {
	case ChannelWeb, ChannelEmail, ChannelAPI:
	case ChannelPhone:
		return nil, domain.Errorf(domain.KindInvalid, domain.RuleNoPhoneChannel, "channel",
			"phone support is not offered for requests filed on behalf of customers: file in writing (web, email or api)")
	default:
		return nil, required("channel", "channel %q is unknown: use web, email or api", req.Channel)
	}

	customer, err := t.checkContext(req, filer, facts.Reseller)
	if err != nil {
		return nil, err
	}
	contact, err := checkContact(req.Contact, filer, customer)
	if err != nil {
		return nil, err
	}

	ev := Opened{
		TicketID: t.id, Context: req.Context, PartnerID: filer.ID(), CustomerID: customer.ID,
		Product: req.Product, Class: sla.ClassBreakFix, Severity: req.Severity,
		Title: title, Description: desc, Channel: req.Channel, Route: req.Route, Contact: contact,
		SupportPlan: strings.TrimSpace(req.SupportPlan), Entitlement: strings.TrimSpace(req.Entitlement),
		Language: lang, Locale: locale, OpenedAt: occurredAt,
	}
	if filer.Role() == domain.RoleIndirectReseller {
		ev.ProviderID = filer.Provider()
	} else if facts.Reseller != nil && req.Context == ContextCustomer {
		ev.ResellerID = facts.Reseller.ID()
	}
	if req.Route == RouteCustomerPortal {
		ev.PortalURL = "https://portal.azure.com/" + customer.Domain
	}

	if req.Context == ContextCustomer {
		if req.Product == ProductAzure {
			switch {
			case ev.SupportPlan == "":
				ev.SupportPlan = SupportPlanCSP
			case strings.EqualFold(ev.SupportPlan, SupportPlanCSP):
				ev.SupportPlan = SupportPlanCSP
			default:
				return nil, domain.Errorf(domain.KindInvalid, domain.RuleAzureSupportPlanCSP, "supportPlan",
					"an Azure request on behalf of a customer carries the support plan %q, not %q: choose Cloud Solution Provider in the support plan field", SupportPlanCSP, ev.SupportPlan)
			}
		}
		// Rule 3: Dynamics 365 for a CSP customer needs ASfP or higher.
		if req.Product == ProductDynamics365 && !filer.HasPlanAtLeast(partner.PlanASfP, occurredAt) {
			return nil, domain.Errorf(domain.KindForbidden, domain.RuleDynamicsNeedsASfP, "product",
				"partner %q holds no Advanced Support for Partners (ASfP), Premier or Unified contract valid at %s, which Dynamics 365 requests on behalf of a CSP customer need: record such a support plan for the partner first",
				filer.ID(), occurredAt.UTC().Format(time.RFC3339))
		}
		// Rule 4: a reseller needs its provider's grant for Azure, unless
		// it files through the customer's own portal domain.
		if req.Product == ProductAzure && filer.Role() == domain.RoleIndirectReseller &&
			req.Route != RouteCustomerPortal && !filer.HasAzureAccess(customer.ID) {
			hint := "link the customer's domain to file through its portal"
			if customer.Domain != "" {
				hint = "https://portal.azure.com/" + customer.Domain
			}
			return nil, domain.Errorf(domain.KindForbidden, domain.RuleResellerAzureNeedsGrant, "route",
				"indirect reseller %q has no access to customer %q's Azure account: ask indirect provider %q to grant it (separate from Office 365 delegated administration), or file through the customer's own portal domain with route customer_portal (%s)",
				filer.ID(), customer.ID, filer.Provider(), hint)
		}
	} else {
		// Rule 5: the CSP entitlement does not cover the partner's own tenant.
		if strings.EqualFold(ev.SupportPlan, SupportPlanCSP) {
			return nil, domain.Errorf(domain.KindForbidden, domain.RuleOwnTenantNeedsEntitlement, "supportPlan",
				"the Cloud Solution Provider plan does not cover the partner's own tenant: give a support-plan entitlement (partner-network contract id, Premier, or an Azure support agreement) instead")
		}
		if !filer.ValidEntitlement(ev.Entitlement, occurredAt) {
			why := "no entitlement reference was given"
			if ev.Entitlement != "" {
				why = fmt.Sprintf("%q is not a support plan of partner %q valid at %s", ev.Entitlement, filer.ID(), occurredAt.UTC().Format(time.RFC3339))
			}
			return nil, domain.Errorf(domain.KindForbidden, domain.RuleOwnTenantNeedsEntitlement, "entitlement",
				"a request for the partner's own tenant is not covered by the CSP entitlement and %s: give a valid support-plan reference (partner-network contract id, Premier, or an Azure support agreement) recorded for the partner", why)
		}
	}

	if req.Product == ProductBilling || req.NonCritical {
		ev.Class = sla.ClassNonCritical
	}
	d, err := facts.Policy.Deadline(sla.Request{Class: ev.Class, Severity: ev.Severity, Language: lang, Locale: locale, OpenedAt: occurredAt})
	if err != nil {
		return nil, fmt.Errorf("open ticket %s: first-response deadline: %w", t.id, err)
	}
	ev.Deadline = d
	return t.emit(ev), nil
}

// fresh checks that the ticket has no history and an id.
func (t *Ticket) fresh() error {
	if t.status != StatusNew {
		return domain.Errorf(domain.KindConflict, domain.RuleTicketExists, "ticketId",
			"ticket %q already exists (%s): use a new ticket id, or act on the existing ticket", t.id, t.status)
	}
	if strings.TrimSpace(t.id) == "" {
		return required("ticketId", "the ticket id is empty: give the new ticket an id")
	}
	return nil
}

// filingPartner checks that the filer is registered and is the actor's
// partner, in the actor's role.
func filingPartner(actor domain.Actor, filer *partner.Partner) (*partner.Partner, error) {
	if filer == nil || !filer.Registered() {
		return nil, domain.Errorf(domain.KindNotFound, domain.RulePartnerNotFound, "actor.partner",
			"partner %q is not registered: register the partner before it files requests", actor.Partner)
	}
	if filer.ID() != actor.Partner {
		return nil, domain.Errorf(domain.KindForbidden, domain.RuleNotOwnPartner, "actor.partner",
			"the filing partner's record is %q but the actor acts for %q: file with your own partner record", filer.ID(), actor.Partner)
	}
	if filer.Role() != actor.Role {
		return nil, domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor.role",
			"the actor acts as %s but partner %q is registered as %s: act in the partner's role", actor.Role, filer.ID(), filer.Role())
	}
	return filer, nil
}

// checkContext checks the context, the route and the customer, and returns
// the customer (zero in own context).
func (t *Ticket) checkContext(req OpenRequest, filer, reseller *partner.Partner) (partner.Customer, error) {
	switch req.Route {
	case RoutePartnerCenter, RouteCustomerPortal, RouteAzurePortalDirect, RouteAdminCenterDirect, RouteAzureSupportGroup:
	default:
		return partner.Customer{}, required("route", "route %q is unknown: use partner_center, customer_portal, azure_support_group, azure_portal_direct or admin_center_direct", req.Route)
	}
	switch req.Context {
	case ContextCustomer:
	case ContextOwn:
		if req.CustomerID != "" {
			return partner.Customer{}, required("customerId", "an own-context request is for the partner's own tenant and names no customer: leave customerId empty, or file in customer context")
		}
		if reseller != nil {
			return partner.Customer{}, required("reseller", "an own-context request is for the filing partner's own tenant: name no reseller")
		}
		switch {
		case req.Route == RouteCustomerPortal, req.Route == RouteAzureSupportGroup:
			return partner.Customer{}, domain.Errorf(domain.KindInvalid, domain.RuleRouteMismatch, "route",
				"route %s files in a customer's context, not the partner's own: use azure_portal_direct, admin_center_direct or partner_center", req.Route)
		case req.Route == RouteAzurePortalDirect && req.Product != ProductAzure && req.Product != ProductBilling,
			req.Route == RouteAdminCenterDirect && req.Product == ProductAzure:
			return partner.Customer{}, domain.Errorf(domain.KindInvalid, domain.RuleRouteMismatch, "route",
				"route %s does not serve %s requests: Azure is filed in the Azure portal, Office 365, Dynamics 365 and EMS in the admin center", req.Route, req.Product)
		}
		return partner.Customer{}, nil
	default:
		return partner.Customer{}, required("context", "context %q is unknown: use customer (on behalf of a customer) or own (the partner's own tenant)", req.Context)
	}

	// Customer context.
	if req.Route == RouteAzurePortalDirect || req.Route == RouteAdminCenterDirect {
		return partner.Customer{}, domain.Errorf(domain.KindInvalid, domain.RuleDirectSignInIsOwnContext, "route",
			"signing in directly to the Azure portal or the Office 365 admin center (route %s) files in the partner's own context, not the customer's: file through the partner center (or, for Azure, the customer's portal domain), or file the request in own context for your own subscriptions", req.Route)
	}
	if (req.Route == RouteCustomerPortal || req.Route == RouteAzureSupportGroup) && req.Product != ProductAzure {
		return partner.Customer{}, domain.Errorf(domain.KindInvalid, domain.RuleRouteMismatch, "route",
			"route %s is for Azure requests only: file %s requests through the partner center", req.Route, req.Product)
	}
	id := strings.TrimSpace(req.CustomerID)
	if id == "" {
		return partner.Customer{}, required("customerId", "a request on behalf of a customer names the customer: fill in customerId, or file in own context")
	}
	server := filer
	if reseller != nil {
		if filer.Role() != domain.RoleIndirectProvider || !reseller.Registered() || reseller.Provider() != filer.ID() {
			return partner.Customer{}, domain.Errorf(domain.KindForbidden, domain.RulePartnerServesCustomer, "reseller",
				"%q is not a reseller of indirect provider %q: a provider files only for its own customers and those of its resellers", reseller.ID(), filer.ID())
		}
		server = reseller
	}
	c, ok := server.Customer(id)
	if !ok {
		return partner.Customer{}, domain.Errorf(domain.KindForbidden, domain.RulePartnerServesCustomer, "customerId",
			"partner %q does not serve customer %q: link the customer to the partner first (or, as a provider filing for a reseller's customer, name the reseller)", server.ID(), id)
	}
	if req.Route == RouteCustomerPortal && c.Domain == "" {
		return partner.Customer{}, required("route", "the customer-portal route goes through portal.azure.com/<customer domain> but customer %q has no domain on record: link the customer with its domain first", id)
	}
	return c, nil
}

// checkContact checks rule 1: the contact is the filing partner's.
func checkContact(c Contact, filer *partner.Partner, customer partner.Customer) (Contact, error) {
	c.Name, c.Email, c.Phone, c.Organisation = strings.TrimSpace(c.Name), strings.TrimSpace(c.Email), strings.TrimSpace(c.Phone), strings.TrimSpace(c.Organisation)
	if c.Name == "" {
		return c, required("contact.name", "the contact's name is empty: give the partner's contact person")
	}
	dom := emailDomain(c.Email)
	if dom == "" {
		return c, required("contact.email", "%q is not an e-mail address: give the partner contact's e-mail", c.Email)
	}
	if c.Organisation != filer.ID() {
		return c, domain.Errorf(domain.KindInvalid, domain.RulePartnerContactOnly, "contact.organisation",
			"the contact belongs to %q, but contact details on a request are the filing partner's, never the customer's: give a contact of partner %q (organisation %q)", c.Organisation, filer.ID(), filer.ID())
	}
	if cd := customer.Domain; cd != "" && (dom == cd || strings.HasSuffix(dom, "."+cd)) {
		return c, domain.Errorf(domain.KindInvalid, domain.RulePartnerContactOnly, "contact.email",
			"%s is an address of customer %q (domain %s): contact details on a request are the partner's, never the customer's; give the partner's contact", c.Email, customer.ID, cd)
	}
	return c, nil
}

// RedirectRequest is a marketplace request: the ISV, not the vendor,
// supports the product.
type RedirectRequest struct {
	CustomerID  string // optional
	ProductName string
	ISV         string
	ISVContact  ISVContact
	Title       string
}

// RedirectToISV records that a marketplace request was sent to the ISV that
// published the product instead of opening a vendor ticket. The ticket is
// terminal from then on. Only partners redirect; at least one ISV support
// contact is required (RuleISVContactRequired).
func (t *Ticket) RedirectToISV(actor domain.Actor, occurredAt, now time.Time, req RedirectRequest) ([]domain.Event, error) {
	if err := authorize("redirect a request to the ISV", actor, partners); err != nil {
		return nil, err
	}
	if err := t.window.Check(occurredAt, now); err != nil {
		return nil, err
	}
	if err := t.fresh(); err != nil {
		return nil, err
	}
	var f texts
	title := f.get("title", req.Title, MaxTitle)
	product := f.get("productName", req.ProductName, maxShortString)
	isv := f.get("isv", req.ISV, maxShortString)
	if f.err != nil {
		return nil, f.err
	}
	c := ISVContact{SupportURL: strings.TrimSpace(req.ISVContact.SupportURL), SupportEmail: strings.TrimSpace(req.ISVContact.SupportEmail), SupportPhone: strings.TrimSpace(req.ISVContact.SupportPhone)}
	if c == (ISVContact{}) {
		return nil, domain.Errorf(domain.KindInvalid, domain.RuleISVContactRequired, "isvContact",
			"the vendor does not support marketplace products: give at least one of the ISV's support URL, support e-mail or support phone, from the product's marketplace page")
	}
	if c.SupportURL != "" {
		if u, err := url.Parse(c.SupportURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, required("isvContact.supportUrl", "%q is not an http(s) URL: copy the ISV's support link", c.SupportURL)
		}
	}
	if c.SupportEmail != "" && emailDomain(c.SupportEmail) == "" {
		return nil, required("isvContact.supportEmail", "%q is not an e-mail address", c.SupportEmail)
	}
	return t.emit(RedirectedToISV{
		TicketID: t.id, PartnerID: actor.Partner, CustomerID: strings.TrimSpace(req.CustomerID),
		ProductName: product, ISV: isv, ISVContact: c, Title: title,
	}), nil
}
