package partner

import "time"

// Persisted event type names of the partner stream ("partner-<id>"). Never
// rename, never reuse.
const (
	TypeRegistered          = "partner.registered"
	TypeCustomerLinked      = "partner.customer_linked"
	TypeSupportPlanRecorded = "partner.support_plan_recorded"
	TypeSupportPlanEnded    = "partner.support_plan_ended"
	TypeAzureAccessGranted  = "partner.reseller_access_granted"
	TypeAzureAccessRevoked  = "partner.reseller_access_revoked"
)

// StreamPrefix is the category of partner streams: "partner-" + partner id.
const StreamPrefix = "partner-"

// PlanKind is a kind of support contract or entitlement. Persisted.
type PlanKind string

// Plan kinds, weakest first.
const (
	PlanAzureSupportAgreement PlanKind = "azure_support_agreement"
	PlanPartnerNetwork        PlanKind = "partner_network" // partner-network (MPN) contract id
	PlanASfP                  PlanKind = "asfp"            // Advanced Support for Partners
	PlanPremier               PlanKind = "premier"
	PlanUnified               PlanKind = "unified"
)

// Registered: a partner organisation joined the ledger with its role. A
// reseller names the indirect provider it buys through.
type Registered struct {
	PartnerID  string `json:"partnerId"`
	Name       string `json:"name"`
	Role       string `json:"role"` // domain.RoleIndirectProvider or domain.RoleIndirectReseller
	ProviderID string `json:"providerId,omitempty"`
	Email      string `json:"email"` // the partner's support contact
}

// CustomerLinked: the partner serves this customer (a CSP relationship).
type CustomerLinked struct {
	CustomerID string `json:"customerId"`
	Name       string `json:"name"`
	Domain     string `json:"domain"` // e.g. contoso.onmicrosoft.com, for the customer-portal route
	// AdminRights: the partner holds delegated admin rights for this customer.
	AdminRights bool `json:"adminRights"`
}

// SupportPlanRecorded: the partner holds a support contract or entitlement.
type SupportPlanRecorded struct {
	PlanID     string    `json:"planId"`
	Kind       PlanKind  `json:"kind"`
	Reference  string    `json:"reference"` // contract id / agreement number
	ValidFrom  time.Time `json:"validFrom"`
	ValidUntil time.Time `json:"validUntil"` // zero: open-ended
}

// SupportPlanEnded: a support contract ended early or was withdrawn.
type SupportPlanEnded struct {
	PlanID string `json:"planId"`
	Reason string `json:"reason"`
	// EndedAt is when the plan stopped covering requests (the command's
	// occurred-at); requests dated before it are still covered. Added to
	// schema version 1 (zero in events written before: ended "always").
	EndedAt time.Time `json:"endedAt,omitzero"`
}

// AzureAccessGranted: in the reseller's stream, its indirect provider granted
// it access to a customer's Azure account (separate from Office 365 delegated
// administration).
type AzureAccessGranted struct {
	CustomerID string `json:"customerId"`
	GrantedBy  string `json:"grantedBy"` // provider partner id
}

// AzureAccessRevoked: that grant was withdrawn.
type AzureAccessRevoked struct {
	CustomerID string `json:"customerId"`
	RevokedBy  string `json:"revokedBy"`
	Reason     string `json:"reason,omitempty"`
}

// EventType implementations: the persisted names above.
func (Registered) EventType() string          { return TypeRegistered }
func (CustomerLinked) EventType() string      { return TypeCustomerLinked }
func (SupportPlanRecorded) EventType() string { return TypeSupportPlanRecorded }
func (SupportPlanEnded) EventType() string    { return TypeSupportPlanEnded }
func (AzureAccessGranted) EventType() string  { return TypeAzureAccessGranted }
func (AzureAccessRevoked) EventType() string  { return TypeAzureAccessRevoked }
