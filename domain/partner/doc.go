// Package partner is the partner aggregate: one stream per partner
// organisation, "partner-<id>", holding its registration (role, and for an
// indirect reseller the indirect provider it buys through), the customers it
// serves, its support plans, and — on a reseller's stream — the Azure access
// grants its provider gave it.
//
// New(id) is a partner not registered yet; Register starts its stream.
// Rebuild(id, history) replays a stored stream. Commands check the rules,
// apply the events they emit to the partner and return them; a command that
// changes nothing emits nothing (linking a customer again with the same
// details, recording the same plan again, ending an ended plan, granting an
// existing grant, revoking a missing one).
//
// Who may act:
//   - Register: an admin or the system (onboarding), the partner itself in
//     its own role, or an indirect provider registering a reseller that
//     names it.
//   - LinkCustomer: an admin, the system or the partner itself.
//   - RecordSupportPlan, EndSupportPlan: an admin, the system, vendor
//     support or the partner itself.
//   - GrantAzureAccess, RevokeAzureAccess: only the reseller's own indirect
//     provider (grant-by-own-provider), on a reseller (grant-on-reseller-only),
//     for a customer the reseller serves (partner-must-serve-customer).
//   - Auditors: nothing (auditor-read-only).
//
// The ticket rules ask the questions: Role, Provider, ServesCustomer,
// Customer (for its domain), HasAzureAccess (domain.md rule 4),
// HasPlanAtLeast(PlanASfP, at) (rule 3: ASfP, Premier and Unified count) and
// ValidEntitlement(ref, at) (rule 5: any recorded plan whose reference
// matches and that is in force at that instant: from ValidFrom, before
// ValidUntil and before it was ended).
package partner
