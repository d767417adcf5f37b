package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Role is what an actor is to the ledger. Persisted in event metadata: never
// rename a value.
type Role string

// Roles.
const (
	RoleIndirectProvider Role = "indirect_provider" // files and escalates for its customers and its resellers' customers
	RoleIndirectReseller Role = "indirect_reseller" // files for its own customers
	RoleVendorSupport    Role = "vendor_support"    // first response, information requests, resolution
	RoleAuditor          Role = "auditor"           // reads everything, changes nothing
	// RoleAdmin manages principals (tokens) and configuration (calendars,
	// policy files) and onboards partners.
	RoleAdmin Role = "admin"
	// RoleSystem is the ledger itself: its internal principal (seals, SLA
	// notices, key rotation, bootstrap), which no request can claim. Events
	// written before RoleAdmin existed also carry it for human operators
	// and tools (demo generator, migrations).
	RoleSystem Role = "system"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleIndirectProvider, RoleIndirectReseller, RoleVendorSupport, RoleAuditor, RoleAdmin, RoleSystem:
		return true
	}
	return false
}

// IsPartner reports whether r is one of the two partner roles.
func (r Role) IsPartner() bool { return r == RoleIndirectProvider || r == RoleIndirectReseller }

// Operates reports whether r runs the ledger: an admin, or the ledger's own
// internal principal (system). Both may onboard partners and manage tokens.
func (r Role) Operates() bool { return r == RoleAdmin || r == RoleSystem }

// Indefinite returns the role with its indefinite article, for messages:
// "an auditor", "a vendor_support".
func (r Role) Indefinite() string {
	if s := string(r); s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + string(r)
}

// How a principal was authenticated (Actor.Auth). Persisted in event
// metadata: never rename a value.
const (
	AuthToken    = "token"    // a ledger-issued bearer token
	AuthOIDC     = "oidc"     // a JWT of the configured OpenID Connect issuer
	AuthProxy    = "proxy"    // identity headers from a trusted authenticating proxy
	AuthInternal = "internal" // the ledger's own internal principal
	// AuthImport: not authenticated by this ledger; the actor is the one
	// another desk's history names (ticketledger import), and the event's
	// Meta.ImportedBy is the authenticated principal who imported it.
	AuthImport = "import"
)

// Limits of the identity fields.
const (
	MaxActorID   = 200 // characters
	MaxPartnerID = 100 // bytes, as partner ids are stream names
)

// Actor is the principal behind a command: who (ID), acting as what (Role),
// for which partner organisation (Partner; empty for vendor support, auditors,
// admins and the system), and how the ledger authenticated it (Auth; empty in
// events recorded before authentication existed).
type Actor struct {
	ID      string `json:"id"`
	Role    Role   `json:"role"`
	Partner string `json:"partner,omitempty"`
	Auth    string `json:"auth,omitempty"`
}

// Validate checks that the actor is complete and that its identity fields
// are within their limits: an id of 1 to MaxActorID printable characters, a
// known role, a partner id (required for partner roles) of 1 to MaxPartnerID
// bytes without spaces or control characters, and an empty or known Auth.
func (a Actor) Validate() error {
	if strings.TrimSpace(a.ID) == "" {
		return Errorf(KindInvalid, RuleActorRequired, "actor.id", "the actor id is empty: say who acts (e.g. --actor alice@contoso-partner.example)")
	}
	if err := ValidateActorID(a.ID); err != nil {
		return err
	}
	if !a.Role.Valid() {
		return Errorf(KindInvalid, RuleActorRequired, "actor.role", "unknown actor role %q: use one of indirect_provider, indirect_reseller, vendor_support, auditor, admin, system", clip(a.Role))
	}
	if a.Role.IsPartner() && strings.TrimSpace(a.Partner) == "" {
		return Errorf(KindInvalid, RuleActorRequired, "actor.partner", "a %s acts for a partner organisation: set the actor's partner id", a.Role)
	}
	if a.Partner != "" && !validPartnerID(a.Partner) {
		return Errorf(KindInvalid, RuleActorRequired, "actor.partner",
			"the actor's partner id %q is not usable: give 1 to %d characters without spaces or control characters, e.g. contoso-partner", clip(a.Partner), MaxPartnerID)
	}
	switch a.Auth {
	case "", AuthToken, AuthOIDC, AuthProxy, AuthInternal, AuthImport:
	default:
		return Errorf(KindInvalid, RuleActorRequired, "actor.auth", "unknown authentication method %q: use token, oidc, proxy, internal or import", clip(a.Auth))
	}
	return nil
}

// ValidateActorID checks an actor id: 1 to MaxActorID characters of valid
// UTF-8, every one printable (no control or format characters, no line
// breaks). Errors name the field "actor.id".
func ValidateActorID(id string) error {
	if id == "" {
		return Errorf(KindInvalid, RuleActorRequired, "actor.id", "the actor id is empty: say who acts (e.g. alice@contoso-partner.example)")
	}
	if !utf8.ValidString(id) {
		return Errorf(KindInvalid, RuleActorRequired, "actor.id", "the actor id is not valid UTF-8: use printable characters")
	}
	if n := utf8.RuneCountInString(id); n > MaxActorID {
		return Errorf(KindInvalid, RuleActorRequired, "actor.id", "the actor id is %d characters long: keep it to %d", n, MaxActorID)
	}
	if i := strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(id[i:])
		return Errorf(KindInvalid, RuleActorRequired, "actor.id", "the actor id holds the unprintable character %U at byte %d: use printable characters only", r, i)
	}
	return nil
}

// ValidatePartnerID checks a partner id: 1 to MaxPartnerID bytes of valid
// UTF-8 without spaces or control characters. The KindInvalid
// RuleRequiredField error names field ("partnerId", "partner").
func ValidatePartnerID(field, id string) error {
	if !validPartnerID(id) {
		return Errorf(KindInvalid, RuleRequiredField, field,
			"partner id %q is not usable: give 1 to %d characters without spaces or control characters, e.g. contoso-partner", clip(id), MaxPartnerID)
	}
	return nil
}

func validPartnerID(id string) bool {
	return id != "" && len(id) <= MaxPartnerID && utf8.ValidString(id) &&
		!strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) })
}

// clip shortens a value quoted in an error message.
func clip[S ~string](s S) string {
	const max = 64
	if len(s) <= max {
		return string(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return string(s[:cut]) + "…"
}

// RuleActorRequired: every command names a complete actor within the
// identity limits.
const RuleActorRequired Rule = "actor-required"
