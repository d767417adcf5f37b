package domain

// The named rules of the ledger. Each is the Rule of the *Error a command
// returns when it is broken; docs/events.md lists them with what to do.
// Rule strings are a public contract: never rename or reuse one.

// Rules of domain.md ("Rules": each is a check with a clear error).
const (
	// RulePartnerContactOnly (domain.md rule 1): the contact on a request
	// is the filing partner's, never the customer's.
	RulePartnerContactOnly Rule = "partner-contact-only"
	// RuleNoPhoneChannel (rule 2): requests are filed in writing only.
	RuleNoPhoneChannel Rule = "no-phone-channel"
	// RuleDynamicsNeedsASfP (rule 3): a Dynamics 365 request on behalf of a
	// CSP customer needs an ASfP (or higher) support contract.
	RuleDynamicsNeedsASfP Rule = "dynamics-needs-asfp"
	// RuleResellerAzureNeedsGrant (rule 4): an indirect reseller files an
	// Azure request for a customer only with its provider's grant, or
	// through the customer's own portal domain.
	RuleResellerAzureNeedsGrant Rule = "reseller-azure-needs-grant"
	// RuleOwnTenantNeedsEntitlement (rule 5): an own-context request needs
	// a valid support-plan entitlement reference.
	RuleOwnTenantNeedsEntitlement Rule = "own-tenant-needs-entitlement"
	// RuleDirectSignInIsOwnContext (rule 5, the FAQ): signing in directly
	// to the Azure portal or the Office 365 admin center files in the
	// partner's own context, never a customer's.
	RuleDirectSignInIsOwnContext Rule = "direct-sign-in-is-own-context"
	// RuleEscalationNeedsReasonAndCriteria (rule 6): an escalation records
	// its reason and at least one escalation criterion met.
	RuleEscalationNeedsReasonAndCriteria Rule = "escalation-needs-reason-and-criteria"
)

// Rules from the product families of domain.md.
const (
	// RuleAzureSupportPlanCSP: an Azure request in customer context carries
	// the support plan "Cloud Solution Provider".
	RuleAzureSupportPlanCSP Rule = "azure-support-plan-csp"
	// RuleMarketplaceISVOnly: the vendor gives no support for
	// commercial-marketplace products; record a redirect to the ISV.
	RuleMarketplaceISVOnly Rule = "marketplace-isv-only"
	// RuleISVContactRequired: a redirect names at least one ISV support
	// contact (URL, e-mail or phone).
	RuleISVContactRequired Rule = "isv-contact-required"
	// RulePartnerServesCustomer: a partner files only for customers it (or,
	// for a provider, one of its resellers) serves.
	RulePartnerServesCustomer Rule = "partner-must-serve-customer"
	// RuleRouteMismatch: the route does not fit the context or product
	// (customer-portal and support-group routes are Azure, customer context).
	RuleRouteMismatch Rule = "route-mismatch"
)

// Input and time rules.
const (
	// RuleRequiredField: a field is missing or malformed (KindInvalid, Field
	// names it).
	RuleRequiredField Rule = "required-field"
	// RuleOccurredAtInFuture: occurred-at lies beyond now plus the allowed
	// clock skew.
	RuleOccurredAtInFuture Rule = "occurred-at-in-future"
	// RuleBackdatedTooFar: occurred-at lies further back than the backdating
	// window allows.
	RuleBackdatedTooFar Rule = "backdated-too-far"
	// RuleOccurredBeforeOpening: nothing happens to a ticket before it was
	// opened (e.g. a first response earlier than the opening).
	RuleOccurredBeforeOpening Rule = "occurred-before-opening"
	// RuleOutOfOrder: a change is dated before an earlier change of the same
	// kind it would follow (e.g. a severity change before the last one).
	RuleOutOfOrder Rule = "out-of-order"
)

// Who-may-act rules (KindForbidden).
const (
	// RuleAuditorReadOnly: a compliance auditor reads everything and
	// changes nothing.
	RuleAuditorReadOnly Rule = "auditor-read-only"
	// RuleRoleNotAllowed: the actor's role may not issue this command.
	RuleRoleNotAllowed Rule = "role-not-allowed"
	// RuleNotOwnTicket: a partner acts only on tickets it filed, that its
	// reseller filed (provider), or that were filed for its customer by its
	// provider (reseller).
	RuleNotOwnTicket Rule = "not-own-ticket"
	// RuleNotOwnPartner: a partner manages only its own partner record.
	RuleNotOwnPartner Rule = "not-own-partner"
	// RuleGrantByOwnProvider: only a reseller's own indirect provider grants
	// or revokes its access to a customer's Azure account.
	RuleGrantByOwnProvider Rule = "grant-by-own-provider"
)

// Ticket state-machine rules (KindConflict unless noted).
const (
	// RuleTicketNotFound (KindNotFound): the ticket was never opened.
	RuleTicketNotFound Rule = "ticket-not-found"
	// RuleTicketExists: the ticket id is already in use.
	RuleTicketExists Rule = "ticket-exists"
	// RuleTicketRedirected: a redirected marketplace request is terminal.
	RuleTicketRedirected Rule = "ticket-redirected"
	// RuleTicketClosed: a closed ticket is final.
	RuleTicketClosed Rule = "ticket-closed"
	// RuleInvalidTransition: the command does not apply in the ticket's
	// current status.
	RuleInvalidTransition Rule = "invalid-transition"
	// RuleFirstResponseRecorded: the first response is recorded once.
	RuleFirstResponseRecorded Rule = "first-response-already-recorded"
	// RuleEscalationNeedsNewReason: escalating again needs a reason not
	// given before.
	RuleEscalationNeedsNewReason Rule = "escalation-needs-new-reason"
	// RuleNoInfoRequested: information is provided only in answer to a
	// pending request.
	RuleNoInfoRequested Rule = "no-info-requested"
	// RuleDisputeExists: a dispute id is used once per ticket.
	RuleDisputeExists Rule = "dispute-exists"
	// RuleDisputeNotOpen: only an open dispute can be resolved.
	RuleDisputeNotOpen Rule = "dispute-not-open"
	// RuleDisputeOpen: a ticket with an open billing dispute cannot be
	// resolved or closed.
	RuleDisputeOpen Rule = "dispute-open"
	// RuleFraudAlreadyFlagged: fraud is flagged once until cleared.
	RuleFraudAlreadyFlagged Rule = "fraud-already-flagged"
	// RuleFraudNotFlagged: only a flagged ticket can be cleared.
	RuleFraudNotFlagged Rule = "fraud-not-flagged"
)

// Partner rules.
const (
	// RulePartnerNotFound (KindNotFound): the partner is not registered.
	RulePartnerNotFound Rule = "partner-not-found"
	// RulePartnerExists: the partner is already registered.
	RulePartnerExists Rule = "partner-exists"
	// RuleResellerNeedsProvider (KindInvalid): a reseller names its indirect
	// provider; a provider names none.
	RuleResellerNeedsProvider Rule = "reseller-needs-provider"
	// RuleGrantOnResellerOnly: Azure access is granted to resellers only.
	RuleGrantOnResellerOnly Rule = "grant-on-reseller-only"
	// RulePlanExists: a plan id is recorded once with one content.
	RulePlanExists Rule = "plan-exists"
	// RulePlanNotFound (KindNotFound): the plan id is not recorded.
	RulePlanNotFound Rule = "plan-not-found"
)

// Token rules (domain/principal).
const (
	// RuleTokenNotFound (KindNotFound): the token was never issued.
	RuleTokenNotFound Rule = "token-not-found"
	// RuleTokenExists: the token id is already issued.
	RuleTokenExists Rule = "token-exists"
)

// Data-subject rules (domain/subject).
const (
	// RuleSubjectNotFound (KindNotFound): the key store knows no such data
	// subject (never filed as a contact, or a mistyped id or e-mail).
	RuleSubjectNotFound Rule = "subject-not-found"
	// RuleSubjectErased (KindConflict): the subject was erased before.
	RuleSubjectErased Rule = "subject-erased"
)

// Webhook rules (domain/webhook).
const (
	// RuleSubscriptionNotFound (KindNotFound): no such webhook subscription
	// (or one of another partner, answered alike).
	RuleSubscriptionNotFound Rule = "subscription-not-found"
	// RuleSubscriptionExists: the subscription id is already used.
	RuleSubscriptionExists Rule = "subscription-exists"
	// RuleSubscriptionDeleted: the subscription was deleted.
	RuleSubscriptionDeleted Rule = "subscription-deleted"
	// RuleWebhookURLRefused: the target is not https, or reaches a
	// loopback, private, link-local or otherwise non-public address.
	RuleWebhookURLRefused Rule = "webhook-url-refused"
	// RuleWebhookTypeUnknown: a subscription names no type or an unknown one.
	RuleWebhookTypeUnknown Rule = "webhook-type-unknown"
	// RuleDeliveryNotParked: replay or skip of a delivery that is not at
	// the head of the dead-letter list.
	RuleDeliveryNotParked Rule = "delivery-not-parked"
)

// Import rules (ticketledger import, infra/importer): a line of another
// desk's history that cannot be taken in as it stands.
const (
	// RuleImportMalformedLine: the line is not a JSON object of the import
	// format (docs/import-format.md), or its data does not fit its command.
	RuleImportMalformedLine Rule = "import-malformed-line"
	// RuleImportOpenFirst: a ticket's lines do not start with its
	// openTicket or redirectToISV line.
	RuleImportOpenFirst Rule = "import-open-first"
	// RuleImportNotContiguous: a ticket's lines are not together: its key
	// comes back after another ticket's lines.
	RuleImportNotContiguous Rule = "import-not-contiguous"
	// RuleImportDuplicateSource: a source id appears twice in one ticket.
	RuleImportDuplicateSource Rule = "import-duplicate-source-id"
	// RuleImportSourceChanged (KindConflict): a source id was imported
	// before with other content.
	RuleImportSourceChanged Rule = "import-source-changed"
	// RuleImportDiverged (KindConflict): the ticket holds lines imported
	// before in another order, or a line between them is new.
	RuleImportDiverged Rule = "import-history-diverged"
	// RuleImportTooLong: a ticket has more lines than one import takes.
	RuleImportTooLong Rule = "import-ticket-too-long"
	// RuleImportOutsideTenancy (KindForbidden): a partner's import names
	// another partner as an actor (or filer).
	RuleImportOutsideTenancy Rule = "import-outside-tenancy"
)

// RuleDoc describes one rule for docs and problem documents.
type RuleDoc struct {
	Rule Rule
	Kind Kind
	// Source is where the rule comes from: "domain.md rule N", "domain.md
	// products", or "ledger" (a choice the ledger makes where the article
	// is silent).
	Source string
	When   string // when the rule is broken
	Fix    string // what to do
}

// Rules lists every named rule with its kind, its source and what to do.
// docs/events.md carries the same catalogue (a test keeps them in step).
func Rules() []RuleDoc {
	return []RuleDoc{
		{RuleActorRequired, KindInvalid, "ledger", "the actor has no id, an unknown role, a partner role without a partner id, an id over 200 characters or with unprintable characters, a malformed partner id, or an unknown authentication method", "name a complete actor within the identity limits"},
		{RulePartnerContactOnly, KindInvalid, "domain.md rule 1", "the contact's organisation is not the filing partner, or its e-mail is in the customer's domain", "give the partner's own contact person"},
		{RuleNoPhoneChannel, KindInvalid, "domain.md rule 2", "the channel is phone", "file in writing: web, email or api"},
		{RuleDynamicsNeedsASfP, KindForbidden, "domain.md rule 3", "a Dynamics 365 request for a customer while the filing partner holds no ASfP, Premier or Unified contract at occurred-at", "record an ASfP-or-higher support plan for the partner first"},
		{RuleResellerAzureNeedsGrant, KindForbidden, "domain.md rule 4", "a reseller files Azure for a customer without its provider's grant, through a route other than customer_portal", "ask the indirect provider to grant Azure access, or file through portal.azure.com/<customer domain> (route customer_portal)"},
		{RuleOwnTenantNeedsEntitlement, KindForbidden, "domain.md rule 5", "an own-context request without a support-plan reference valid at occurred-at (or with the CSP plan)", "give the reference of a partner-network, Premier/Unified/ASfP or Azure support agreement recorded for the partner"},
		{RuleDirectSignInIsOwnContext, KindInvalid, "domain.md rule 5", "a customer-context request with route azure_portal_direct or admin_center_direct", "file through the partner center (or the customer's portal domain), or file it in own context"},
		{RuleEscalationNeedsReasonAndCriteria, KindInvalid, "domain.md rule 6", "an escalation without a reason or without any criterion met", "say why the partner cannot solve it and which escalation criteria it meets"},
		{RuleAzureSupportPlanCSP, KindInvalid, "domain.md products", "an Azure customer-context request whose support plan is not \"Cloud Solution Provider\"", "set the support plan to Cloud Solution Provider (or leave it empty: the ledger fills it in)"},
		{RuleMarketplaceISVOnly, KindForbidden, "domain.md products", "Open with product marketplace", "record a redirect to the ISV (RedirectToISV)"},
		{RuleISVContactRequired, KindInvalid, "domain.md products", "a redirect without any ISV support URL, e-mail or phone", "copy the ISV's support contact from the product's marketplace page"},
		{RulePartnerServesCustomer, KindForbidden, "domain.md who acts", "the customer is not linked to the filing partner (or to the named reseller of a filing provider)", "link the customer to the partner first, or file in own context"},
		{RuleRouteMismatch, KindInvalid, "domain.md products", "the route does not fit the context or product", "use partner_center for customers, customer_portal/azure_support_group for Azure customers only"},
		{RuleRequiredField, KindInvalid, "ledger", "a field is missing or malformed (Field names it)", "fill in the field"},
		{RuleOccurredAtInFuture, KindInvalid, "ledger", "occurred-at is later than now plus the clock-skew allowance (serve --max-clock-skew, default 2 minutes)", "use the time it actually happened"},
		{RuleBackdatedTooFar, KindInvalid, "ledger", "occurred-at is older than the ledger's backdating window (serve --max-backdate, default 30 days; for imports --import-max-backdate)", "record it as a note with the original time in its text, or ask an operator to widen the window"},
		{RuleOccurredBeforeOpening, KindInvalid, "ledger", "a command is dated before the ticket was opened", "use a time at or after the opening"},
		{RuleOutOfOrder, KindConflict, "ledger", "a severity change is dated before the previous one", "use a time at or after the last severity change"},
		{RuleAuditorReadOnly, KindForbidden, "domain.md who acts", "an auditor issues a command", "auditors only read: use the audit queries"},
		{RuleRoleNotAllowed, KindForbidden, "domain.md who acts", "the role may not issue the command", "ask someone with the right role (see docs/events.md)"},
		{RuleNotOwnTicket, KindForbidden, "ledger", "a partner acts on a ticket of another partner chain", "act only on your tickets, your resellers' tickets, or tickets your provider filed for your customers"},
		{RuleNotOwnPartner, KindForbidden, "ledger", "a partner changes another partner's record", "act only on your own partner record"},
		{RuleGrantByOwnProvider, KindForbidden, "domain.md rule 4", "Azure access is granted or revoked by someone other than the reseller's provider", "ask the reseller's indirect provider to do it"},
		{RuleTicketNotFound, KindNotFound, "ledger", "a command on a ticket that was never opened", "open it first, or check the ticket id"},
		{RuleTicketExists, KindConflict, "ledger", "opening or redirecting a ticket id already used", "use a new ticket id"},
		{RuleTicketRedirected, KindConflict, "ledger", "a command on a redirected marketplace request", "contact the ISV; file a new request if the vendor is involved"},
		{RuleTicketClosed, KindConflict, "ledger", "a command on a closed ticket", "open a new ticket and mention the closed one"},
		{RuleInvalidTransition, KindConflict, "ledger", "the command does not apply in the current status", "follow the message (e.g. reopen a resolved ticket first)"},
		{RuleFirstResponseRecorded, KindConflict, "ledger", "a second first response", "add a note instead"},
		{RuleEscalationNeedsNewReason, KindConflict, "ledger", "escalating again with a reason already given", "give the new reason for escalating further"},
		{RuleNoInfoRequested, KindConflict, "ledger", "providing information while none is requested", "add a note instead"},
		{RuleDisputeExists, KindConflict, "ledger", "opening a billing dispute with an id already used on the ticket", "use a new dispute id"},
		{RuleDisputeNotOpen, KindConflict, "ledger", "resolving a dispute that is not open", "check the dispute id"},
		{RuleDisputeOpen, KindConflict, "ledger", "resolving or closing a ticket with an open billing dispute", "resolve the dispute first"},
		{RuleFraudAlreadyFlagged, KindConflict, "ledger", "flagging fraud on a ticket already flagged", "add a note with the new indicators"},
		{RuleFraudNotFlagged, KindConflict, "ledger", "clearing fraud that was never flagged (or already cleared)", "nothing to clear"},
		{RulePartnerNotFound, KindNotFound, "ledger", "a command on a partner that is not registered", "register the partner first"},
		{RulePartnerExists, KindConflict, "ledger", "registering a partner twice", "use the existing partner"},
		{RuleResellerNeedsProvider, KindInvalid, "domain.md who acts", "a reseller without a provider, or a provider naming one", "name the indirect provider of a reseller, none for a provider"},
		{RuleGrantOnResellerOnly, KindConflict, "domain.md rule 4", "granting or revoking Azure access on a partner that is not a reseller", "grant on the reseller's record"},
		{RulePlanExists, KindConflict, "ledger", "recording a plan id again with other content", "use a new plan id, or end the old plan first"},
		{RulePlanNotFound, KindNotFound, "ledger", "ending a plan that was never recorded", "check the plan id"},
		{RuleTokenNotFound, KindNotFound, "ledger", "revoking a token that was never issued", "check the token id (tokens list)"},
		{RuleTokenExists, KindConflict, "ledger", "issuing a token id already issued", "issue the new token under a new id"},
		{RuleSubjectNotFound, KindNotFound, "ledger", "forgetting a subject id or contact e-mail the key store does not know", "give the contact's e-mail as filed (any letter case), or the subject id (sub-…, as in the sealed values of an evidence export)"},
		{RuleSubscriptionNotFound, KindNotFound, "ledger", "managing a webhook subscription that does not exist (or belongs to another partner)", "check the id (webhooks list)"},
		{RuleSubscriptionExists, KindConflict, "ledger", "creating a webhook subscription under an id already used", "create it under a new id"},
		{RuleSubscriptionDeleted, KindConflict, "ledger", "rotating, pausing or resuming a deleted webhook subscription", "create a new subscription"},
		{RuleWebhookURLRefused, KindInvalid, "ledger", "a webhook target that is not https, carries credentials, or reaches a loopback, private, link-local, unspecified, multicast or reserved address", "give a public https:// receiver"},
		{RuleWebhookTypeUnknown, KindInvalid, "ledger", "a webhook subscription with no type or an unknown one", "name types from the list in the message"},
		{RuleDeliveryNotParked, KindConflict, "ledger", "replaying or skipping a delivery that is not parked", "pick one from the dead-letter list (webhooks dead-letters)"},
		{RuleImportMalformedLine, KindInvalid, "ledger", "an import line is not a JSON object of the import format, or its data does not fit its command", "fix the line (docs/import-format.md); the message names the field"},
		{RuleImportOpenFirst, KindInvalid, "ledger", "an imported ticket's lines do not start with its openTicket or redirectToISV line", "put the whole history of the ticket in the file, oldest first"},
		{RuleImportNotContiguous, KindInvalid, "ledger", "an imported ticket's lines are not together in the file", "sort the file by ticket, keeping each ticket's lines in order"},
		{RuleImportDuplicateSource, KindInvalid, "ledger", "a source id appears twice in one imported ticket", "give every line of the source its own source id"},
		{RuleImportSourceChanged, KindConflict, "ledger", "a source id was imported before with other content", "import changed history under new source ids, or add a note to the ticket"},
		{RuleImportDiverged, KindConflict, "ledger", "an imported ticket holds lines imported before in another order, or a new line sits between them", "import only lines that follow the history already imported"},
		{RuleImportTooLong, KindInvalid, "ledger", "an imported ticket has more lines than one import takes (10,000)", "fold the oldest entries of that ticket into notes with fewer lines"},
		{RuleImportOutsideTenancy, KindForbidden, "ledger", "a partner imports a line whose actor (or filer) is another partner", "import only your own history, or ask an admin to import it"},
		{RuleSubjectErased, KindConflict, "ledger", "forgetting a subject erased before", "nothing to do: its data already reads as erased"},
	}
}
