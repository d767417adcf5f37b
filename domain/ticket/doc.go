// Package ticket is the service-request aggregate: one stream per ticket,
// "ticket-<id>", holding every event of the request from its filing on.
//
// # Life cycle
//
// New(id) is a ticket that does not exist yet; Open (a vendor ticket) or
// RedirectToISV (a marketplace request) starts its stream. Rebuild(history)
// replays a stored stream. Commands check the rules, apply the events they
// emit to the ticket, and return them ([]domain.Event, values) for the
// caller to append; a command that would change nothing emits nothing
// (same severity, same owner). Read Version before a command for the
// expected revision of the append.
//
// Every command on an existing ticket is a value, an Action
// (FirstResponse, SeverityChange, …, Closure; Dispute and Decision), whose
// Decide holds its rules: what the HTTP API decodes and the application
// service runs.
//
// The state machine (Status):
//
//	(new)                    --Open-->           open
//	(new)                    --RedirectToISV-->  redirected (terminal)
//	open                     --InfoRequest-->    awaiting_partner
//	awaiting_partner         --InfoAnswer-->     open
//	open, awaiting_partner   --Resolution-->     resolved
//	resolved                 --Reopening-->      open
//	resolved                 --Closure-->        closed (final)
//	open, awaiting_partner   --Closure-->        closed (the partner withdraws)
//
// The other commands keep the status: FirstResponse, SeverityChange,
// Escalation, Dispute, FraudFlag and Decision apply while open or awaiting
// the partner; FraudClearance, Note and Reassignment also while resolved. A ticket with an open billing dispute cannot be resolved
// or closed.
//
// Anything else is a KindConflict error naming the rule (ticket-closed,
// ticket-redirected, invalid-transition, first-response-already-recorded,
// no-info-requested, dispute-not-open, dispute-open, fraud-not-flagged,
// fraud-already-flagged, escalation-needs-new-reason, ticket-exists); a
// command on a ticket never opened is KindNotFound (ticket-not-found).
//
// # Who may act
//
//   - Partners (indirect provider, indirect reseller): Open, RedirectToISV,
//     SeverityChange, Escalation, InfoAnswer, Dispute, FraudFlag, Note,
//     Reopening, Closure.
//   - Vendor support: FirstResponse, InfoRequest, Resolution, Decision,
//     FraudClearance, Reassignment, Note.
//   - The system: Note, and Closure of a resolved ticket (auto-close).
//   - Auditors: nothing (auditor-read-only).
//
// A partner acts only on tickets of its own chain: the filer, the filer's
// indirect provider (Opened.ProviderID, when a reseller filed), and the
// reseller whose customer a provider filed for (Opened.ResellerID).
// Anyone else gets not-own-ticket.
//
// # Rules checked by Open
//
// The rules of domain.md, each a *domain.Error with its Rule: the contact is
// the filing partner's (partner-contact-only); no phone channel
// (no-phone-channel); Dynamics 365 for a customer needs ASfP or higher at
// occurred-at (dynamics-needs-asfp); an indirect reseller filing Azure for a
// customer needs its provider's grant unless it files through the customer's
// portal domain, route customer_portal, whose URL the event records
// (reseller-azure-needs-grant); an own-context request needs a support-plan
// entitlement valid at occurred-at (own-tenant-needs-entitlement), and
// signing in directly to the Azure portal or admin center is own context
// (direct-sign-in-is-own-context); Azure in customer context carries the
// support plan "Cloud Solution Provider" (azure-support-plan-csp);
// marketplace products get RedirectToISV, never a vendor ticket
// (marketplace-isv-only, isv-contact-required); the partner (or the named
// reseller of a filing provider) serves the customer
// (partner-must-serve-customer). An Escalation needs a reason and a criterion met
// (escalation-needs-reason-and-criteria).
//
// # Time
//
// Every command takes occurredAt (when it happened in the world) and now
// (when the ledger records it); occurredAt may lie up to Window.MaxBackdate
// (the ledger's configured window, 30 days by default) before now and up to
// Window.MaxSkew (2 minutes by default) after it
// (backdated-too-far, occurred-at-in-future), and never before the ticket's
// opening (occurred-before-opening).
//
// # The first-response SLA
//
// Open asks the DeadlinePolicy for the deadline (class break_fix; billing
// and NonCritical requests non_critical) from occurredAt and records it in
// Opened.Deadline. A SeverityChange recomputes it from the ticket's creation
// time under the new severity ("retroactive start", as ServiceNow does): a
// B ticket raised to A after three hours gets the A deadline of creation +
// 2 h, already passed, which the event records as BreachedOnChange. The old
// promise stays in SeverityChanged.Previous and every promise stays in the
// history. Severity may change while the ticket is open or awaiting the
// partner, also after the first response: the change and its deadline are
// recorded (AfterFirstResponse) but no longer decide compliance.
// A FirstResponse is judged against the deadline in force at
// the response's occurred-at (Met = respondedAt <= deadline). Asking for
// information or resolving before any first response also records the first
// response: the first contact from vendor support counts.
package ticket
