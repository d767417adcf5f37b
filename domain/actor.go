package domain

import "strings"

// Role is what an actor is to the ledger. Persisted in event metadata: never
// rename a value.
type Role string

// Roles.
const (
	RoleIndirectProvider Role = "indirect_provider" // files and escalates for its customers and its resellers' customers
	RoleIndirectReseller Role = "indirect_reseller" // files for its own customers
	RoleVendorSupport    Role = "vendor_support"    // first response, information requests, resolution
	RoleAuditor          Role = "auditor"           // reads everything, changes nothing
	RoleSystem           Role = "system"            // the ledger itself (demo generator, migrations)
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleIndirectProvider, RoleIndirectReseller, RoleVendorSupport, RoleAuditor, RoleSystem:
		return true
	}
	return false
}

// IsPartner reports whether r is one of the two partner roles.
func (r Role) IsPartner() bool { return r == RoleIndirectProvider || r == RoleIndirectReseller }

// Actor is the principal behind a command: who (ID), acting as what (Role),
// for which partner organisation (Partner; empty for vendor support, auditors
// and the system).
type Actor struct {
	ID      string `json:"id"`
	Role    Role   `json:"role"`
	Partner string `json:"partner,omitempty"`
}

// Validate checks that the actor is complete.
func (a Actor) Validate() error {
	if strings.TrimSpace(a.ID) == "" {
		return Errorf(KindInvalid, RuleActorRequired, "actor.id", "the actor id is empty: say who acts (e.g. --actor alice@contoso-partner.example)")
	}
	if !a.Role.Valid() {
		return Errorf(KindInvalid, RuleActorRequired, "actor.role", "unknown actor role %q: use one of indirect_provider, indirect_reseller, vendor_support, auditor, system", a.Role)
	}
	if a.Role.IsPartner() && strings.TrimSpace(a.Partner) == "" {
		return Errorf(KindInvalid, RuleActorRequired, "actor.partner", "a %s acts for a partner organisation: set the actor's partner id", a.Role)
	}
	return nil
}

// RuleActorRequired: every command names a complete actor.
const RuleActorRequired Rule = "actor-required"
