package ticket

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// Persisted event type names of the ticket stream ("ticket-<uuid>"). They are
// a contract with every event ever stored: never rename, never reuse.
const (
	TypeOpened                = "ticket.opened"
	TypeRedirectedToISV       = "ticket.redirected_to_isv"
	TypeFirstResponseRecorded = "ticket.first_response_recorded"
	TypeSeverityChanged       = "ticket.severity_changed"
	TypeEscalated             = "ticket.escalated"
	TypeInfoRequested         = "ticket.info_requested"
	TypeInfoProvided          = "ticket.info_provided"
	TypeBillingDisputeOpened  = "ticket.billing_dispute_opened"
	TypeBillingDisputeClosed  = "ticket.billing_dispute_resolved"
	TypeFraudFlagged          = "ticket.fraud_flagged"
	TypeFraudCleared          = "ticket.fraud_cleared"
	TypeNoteAdded             = "ticket.note_added"
	TypeReassigned            = "ticket.reassigned"
	TypeResolved              = "ticket.resolved"
	TypeReopened              = "ticket.reopened"
	TypeClosed                = "ticket.closed"
	// TypeSLANoticed: the ledger noticed by itself that the first-response
	// deadline in force is at risk or passed unanswered (NoticeSLA).
	TypeSLANoticed = "ticket.sla_noticed"
)

// StreamPrefix is the category of ticket streams: "ticket-" + ticket id.
const StreamPrefix = "ticket-"

// Product is the product family a request is about. Persisted.
type Product string

// Product families (domain.md "What a request is about").
const (
	ProductAzure       Product = "azure"
	ProductOffice365   Product = "office365"
	ProductDynamics365 Product = "dynamics365" // Dynamics 365 / Dynamics CRM Online
	ProductEMS         Product = "ems"         // Enterprise Mobility Suite
	ProductBilling     Product = "billing"     // billing and subscription management
	ProductMarketplace Product = "marketplace" // commercial-marketplace product: ISV support only
)

// Context says on whose behalf a request is filed. Persisted.
type Context string

// Contexts.
const (
	ContextCustomer Context = "customer" // on behalf of a customer, through the partner center
	ContextOwn      Context = "own"      // the partner's own tenant/subscriptions
)

// Route is the way a request reached the vendor. Persisted.
type Route string

// Routes.
const (
	RoutePartnerCenter     Route = "partner_center"      // partner center, customer context
	RouteCustomerPortal    Route = "customer_portal"     // portal.azure.com/<customerdomain>, without admin rights
	RouteAzurePortalDirect Route = "azure_portal_direct" // signed in directly: partner's own context
	RouteAdminCenterDirect Route = "admin_center_direct" // Office 365 admin center directly: own context
	RouteAzureSupportGroup Route = "azure_support_group" // a support group created in the Azure service portal
)

// Channel is how a request is submitted. Only written channels exist; "phone"
// is refused (rule no-phone-channel). Persisted.
type Channel string

// Channels.
const (
	ChannelWeb   Channel = "web"
	ChannelEmail Channel = "email"
	ChannelAPI   Channel = "api"
	ChannelPhone Channel = "phone" // never accepted; named so the refusal can name it
)

// Contact is the contact person on a request: always the partner's.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
	// Organisation is the partner id the contact belongs to.
	Organisation string `json:"organisation"`
}

// ISVContact is how to reach the ISV that publishes a marketplace product: at
// least one of the three.
type ISVContact struct {
	SupportURL   string `json:"supportUrl,omitempty"`
	SupportEmail string `json:"supportEmail,omitempty"`
	SupportPhone string `json:"supportPhone,omitempty"`
}

// Opened: a service request was filed with the vendor.
type Opened struct {
	TicketID    string          `json:"ticketId"`
	Context     Context         `json:"context"`
	PartnerID   string          `json:"partnerId"`
	CustomerID  string          `json:"customerId,omitempty"` // empty in own context
	Product     Product         `json:"product"`
	Class       sla.Class       `json:"class"`
	Severity    domain.Severity `json:"severity"`
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	Channel     Channel         `json:"channel"`
	Route       Route           `json:"route"`
	Contact     Contact         `json:"contact"`
	// SupportPlan is the support-plan field of an Azure request ("Cloud
	// Solution Provider" in customer context).
	SupportPlan string `json:"supportPlan,omitempty"`
	// Entitlement is the support-plan entitlement reference of an
	// own-context request (partner-network contract id, Premier, Azure
	// support agreement).
	Entitlement string `json:"entitlement,omitempty"`
	Language    string `json:"language"` // "en" = English 24x7; anything else = local language, business hours
	Locale      string `json:"locale"`   // requester's locale, picks the calendar
	// Deadline is the first-response promise made at filing.
	Deadline sla.Deadline `json:"deadline"`
	// OpenedAt is when the request was filed (the event's occurred-at),
	// the instant every deadline of the ticket counts from.
	OpenedAt time.Time `json:"openedAt"`
	// ProviderID is the indirect provider over a filing reseller (empty
	// when a provider files). That provider may act on the ticket too.
	ProviderID string `json:"providerId,omitempty"`
	// ResellerID is the reseller whose customer this is, when an indirect
	// provider files for a customer of one of its resellers. That reseller
	// may act on the ticket too.
	ResellerID string `json:"resellerId,omitempty"`
	// PortalURL is the customer's own portal address
	// (https://portal.azure.com/<customer domain>) when Route is
	// customer_portal.
	PortalURL string `json:"portalUrl,omitempty"`
}

// RedirectedToISV: a marketplace request; no vendor ticket is opened, the
// partner is sent to the ISV that published the product.
type RedirectedToISV struct {
	TicketID    string     `json:"ticketId"`
	PartnerID   string     `json:"partnerId"`
	CustomerID  string     `json:"customerId,omitempty"`
	ProductName string     `json:"productName"`
	ISV         string     `json:"isv"`
	ISVContact  ISVContact `json:"isvContact"`
	Title       string     `json:"title"`
}

// FirstResponseRecorded: vendor support gave its first response. RespondedAt
// is when it happened (also the event's occurred-at); Deadline is the promise
// in force at that moment; Met is the verdict under that promise.
type FirstResponseRecorded struct {
	Responder   string       `json:"responder"`
	RespondedAt time.Time    `json:"respondedAt"`
	Deadline    sla.Deadline `json:"deadline"`
	Met         bool         `json:"met"`
	Summary     string       `json:"summary,omitempty"`
}

// SeverityChanged: the business impact changed while the request was open.
// The deadline is recomputed from the request's creation under the new
// severity; Previous keeps the old promise.
type SeverityChanged struct {
	From     domain.Severity `json:"from"`
	To       domain.Severity `json:"to"`
	Reason   string          `json:"reason"`
	Previous sla.Deadline    `json:"previous"`
	Deadline sla.Deadline    `json:"deadline"`
	// BreachedOnChange is true when the recomputed deadline had already
	// passed when the change was made and no first response was recorded.
	BreachedOnChange bool `json:"breachedOnChange"`
	// ChangedAt is when the severity changed (the event's occurred-at):
	// from then on Deadline is the promise in force.
	ChangedAt time.Time `json:"changedAt"`
	// AfterFirstResponse is true when the change came after the first
	// response: Deadline is recorded but no longer decides compliance.
	AfterFirstResponse bool `json:"afterFirstResponse,omitempty"`
}

// Escalated: the partner escalated the request to the vendor.
type Escalated struct {
	Level       int      `json:"level"` // 1 for the first escalation, then 2, 3, …
	Reason      string   `json:"reason"`
	CriteriaMet []string `json:"criteriaMet"`
}

// InfoRequested: vendor support asked the partner for information.
type InfoRequested struct {
	Question string `json:"question"`
}

// InfoProvided: the partner answered an information request.
type InfoProvided struct {
	Answer string `json:"answer"`
}

// BillingDisputeOpened: a billing dispute was opened on the request.
type BillingDisputeOpened struct {
	DisputeID   string `json:"disputeId"`
	InvoiceRef  string `json:"invoiceRef"`
	AmountCents int64  `json:"amountCents"` // disputed amount in minor units
	Currency    string `json:"currency"`    // ISO 4217
	Reason      string `json:"reason"`
}

// BillingDisputeResolved: a billing dispute was decided.
type BillingDisputeResolved struct {
	DisputeID         string `json:"disputeId"`
	Outcome           string `json:"outcome"` // upheld | rejected | partial
	CreditAmountCents int64  `json:"creditAmountCents"`
	Currency          string `json:"currency"`
	Explanation       string `json:"explanation"`
}

// FraudFlagged: suspected fraud was flagged on the request.
type FraudFlagged struct {
	Reason     string   `json:"reason"`
	Indicators []string `json:"indicators,omitempty"`
}

// FraudCleared: a fraud flag was cleared.
type FraudCleared struct {
	Reason string `json:"reason"`
}

// NoteAdded: a free-text note.
type NoteAdded struct {
	Text string `json:"text"`
}

// Reassigned: the request moved to another owner (engineer or queue).
type Reassigned struct {
	From   string `json:"from,omitempty"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// Resolved: the request was resolved.
type Resolved struct {
	Resolution string `json:"resolution"`
}

// Reopened: a resolved request was reopened.
type Reopened struct {
	Reason string `json:"reason"`
}

// Closed: the request was closed for good.
type Closed struct {
	Reason string `json:"reason"`
}

// SLA notice kinds (SLANoticed.Notice). Persisted: never rename a value.
const (
	// NoticeAtRisk: the deadline in force is near (sla.GaugeRisk) and no
	// first response is recorded.
	NoticeAtRisk = "at_risk"
	// NoticeBreached: the deadline in force passed with no first response.
	NoticeBreached = "breached"
)

// SLANoticed: the ledger itself (role system) noticed that the
// first-response deadline in force is at risk or has passed with no
// response, which no command causes. Deadline is that promise as the ticket
// holds it (its at, clock, calendar, target and policyVersion); NoticedAt
// is when the ledger noticed (also the event's occurred-at), the instant a
// dispute can show the partner was told — later than Deadline.At when the
// ledger was down at the deadline.
type SLANoticed struct {
	Notice    string       `json:"notice"` // NoticeAtRisk or NoticeBreached
	Deadline  sla.Deadline `json:"deadline"`
	NoticedAt time.Time    `json:"noticedAt"`
}

// EventType implementations: the persisted names above.
func (Opened) EventType() string                 { return TypeOpened }
func (RedirectedToISV) EventType() string        { return TypeRedirectedToISV }
func (FirstResponseRecorded) EventType() string  { return TypeFirstResponseRecorded }
func (SeverityChanged) EventType() string        { return TypeSeverityChanged }
func (Escalated) EventType() string              { return TypeEscalated }
func (InfoRequested) EventType() string          { return TypeInfoRequested }
func (InfoProvided) EventType() string           { return TypeInfoProvided }
func (BillingDisputeOpened) EventType() string   { return TypeBillingDisputeOpened }
func (BillingDisputeResolved) EventType() string { return TypeBillingDisputeClosed }
func (FraudFlagged) EventType() string           { return TypeFraudFlagged }
func (FraudCleared) EventType() string           { return TypeFraudCleared }
func (NoteAdded) EventType() string              { return TypeNoteAdded }
func (Reassigned) EventType() string             { return TypeReassigned }
func (Resolved) EventType() string               { return TypeResolved }
func (Reopened) EventType() string               { return TypeReopened }
func (Closed) EventType() string                 { return TypeClosed }
func (SLANoticed) EventType() string             { return TypeSLANoticed }
