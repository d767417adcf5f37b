package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/importer"
)

// Tenancy: who sees and does what, decided once per request by admit
// before the route's handler runs, from the actor the request yields
// (actorOf) and the read models — never from the ticket's stream, so a
// refusal costs what a lookup of an unknown id costs.
//
//   - An indirect reseller sees and acts on the tickets it is a party to:
//     those it filed and those its provider filed for its customers.
//   - An indirect provider sees and acts on its own tickets and its
//     resellers' (projections: filer, the filer's provider, the reseller a
//     provider filed for).
//   - Vendor support and the system see every ticket; the domain decides
//     which commands their role may issue.
//   - An auditor reads everything and changes nothing: every command is
//     403 auditor-read-only, before anything is read.
//   - An admin runs the ledger — partner onboarding, partner records,
//     tokens, configuration (policies), erasing data subjects, the signing
//     key (rotation: the admin alone), importing any partner's history
//     from another desk, webhook subscriptions (ledger-wide or for a
//     partner) and the dead-letter list — and reads no ticket data: ticket reads,
//     listings, reports and the audit index are 403 role-not-allowed, as
//     are ticket commands.
//   - An import (POST /v1/admin/import) is for admins and partners; a
//     partner's import may name no other partner as an actor (each such
//     line is refused, import-outside-tenancy, from the line alone: nothing
//     is looked up, so nothing is learnt), and its tickets get ids derived
//     from the filer, so they cannot collide with another partner's.
//
// Outside its tenancy a ticket does not exist for a partner: every
// per-ticket route answers errNoTicket, exactly as for an id never used.
// Listings, reports and the audit index count only the tickets the partner
// is a party to; a partnerId naming a partner outside them selects nothing
// (an empty result, the same as for a partner id never used). A partner
// reads its own partner record, its provider's and its resellers'; any
// other is errNoPartner, as for an id never registered, and so are partner
// commands on them.
//
// Webhook subscriptions: a partner creates them for its own tickets and
// manages only its own; another partner's subscription answers 404
// subscription-not-found, as an id never used. Vendor support and
// auditors manage none (403). Replaying or skipping a parked delivery is
// for admins alone. A delivery log shows ticket ids, sequences and event
// types, never the delivered body.

// scope is what a route's data is, for admit.
type scope uint8

const (
	scopeNone      scope = iota // not declared: New refuses the route
	scopePublic                 // no actor needed (health, OpenAPI)
	scopeTicket                 // one ticket, the path's {id}
	scopeTickets                // ticket data across tickets (listings, reports, audit), or a new ticket
	scopePartner                // one partner, the path's {id}
	scopePartners               // partner onboarding (a new partner)
	scopeConfig                 // the ledger's configuration (policy versions)
	scopeIntegrity              // signed tree heads and the keyring: auditor and admin only
	scopeKeys                   // the signing key (rotation): admin only
	scopeBackup                 // online backups of the whole log: admin only
	scopeWebhooks               // webhook subscriptions: the service decides (a partner its own, an admin all)
	scopeImport                 // importing history: admins, and partners for their own (importer.Permitted)
)

// scopeOf is the tenancy table: the scope of every route, by operationId.
// A route missing here makes New fail.
func scopeOf(op string) scope {
	switch op {
	case "recordFirstResponse", "changeSeverity", "escalate", "requestInfo", "provideInfo",
		"openBillingDispute", "resolveBillingDispute", "flagFraud", "clearFraud", "addNote",
		"reassign", "resolve", "reopen", "close",
		"getTicket", "getTicketSLA", "getTicketHistory", "exportEvidence", "exportEvidenceBundle", "verifyTicket":
		return scopeTicket
	case "openTicket", "redirectToISV", "listTickets", "queryAudit", "slaReport", "atRisk", "whatIf":
		return scopeTickets
	case "linkCustomer", "recordSupportPlan", "endSupportPlan", "grantAzureAccess", "revokeAzureAccess", "getPartner":
		return scopePartner
	case "registerPartner":
		return scopePartners
	case "listPolicies", "issueToken", "listTokens", "revokeToken":
		return scopeConfig // the token routes are admin-only (adminOf, authn.go)
	case "forgetSubject":
		return scopeConfig // admin only: the domain refuses every other role (domain/subject)
	case "getTreeHead", "listKeys", "getInclusionProof", "getConsistencyProof":
		return scopeIntegrity
	case "rotateSigningKey":
		return scopeKeys
	case "createBackup":
		return scopeBackup
	case "createWebhook", "listWebhooks", "getWebhook", "rotateWebhookSecret", "pauseWebhook", "resumeWebhook",
		"deleteWebhook", "listWebhookDeliveries", "listWebhookDeadLetters", "replayWebhookDelivery", "skipWebhookDelivery":
		return scopeWebhooks // infra/webhook.Service and domain/webhook: another partner's subscription answers as never created
	case "importHistory":
		return scopeImport
	case "ledgerInfo":
		return scopeConfig
	case "healthz", "readyz", "openapi":
		return scopePublic
	}
	return scopeNone
}

// withScopes sets each route's scope from the tenancy table; a route
// without one, or a public route declared otherwise, is an error.
func withScopes(rts []route) ([]route, error) {
	for i := range rts {
		s := scopeOf(rts[i].op)
		if s == scopeNone || (s == scopePublic) != rts[i].public {
			return nil, fmt.Errorf("http server: route %s (%s) has no tenancy scope, or one that disagrees with its public flag: add it to the tenancy table (tenancy.go)", rts[i].pattern(), rts[i].op)
		}
		rts[i].scope = s
	}
	return rts, nil
}

// errNoTicket is the one answer for a ticket the caller may not see and
// for an id never used: the same status, rule, field and wording (the
// problem's instance and correlation id are the request's).
func errNoTicket() error {
	return domain.Errorf(domain.KindNotFound, domain.RuleTicketNotFound, "ticketId",
		"no such ticket: check the ticket id (a ticket you just opened appears once the read models include it)")
}

// errNoPartner is errNoTicket's counterpart for partner records.
func errNoPartner() error {
	return domain.Errorf(domain.KindNotFound, domain.RulePartnerNotFound, "partnerId",
		"no such partner: check the partner id")
}

// Denial reasons (DenialObserver).
const (
	DeniedRole    = "role"    // 403: the role may not do this (auditor writes, admin reads tickets, …)
	DeniedTenancy = "tenancy" // the ticket or partner is outside the caller's tenancy: answered as never used
)

// DenialObserver counts denied attempts: refusals for the caller's role
// and tenancy refusals (answered as for an id never used). Nothing is
// appended for them. A Config.Observer that also implements it gets them.
type DenialObserver interface {
	ObserveDenied(route, reason string, role domain.Role)
}

// deniedError marks an error as a denied attempt of the given reason.
type deniedError struct {
	reason string
	err    error
}

func (d *deniedError) Error() string { return d.err.Error() }
func (d *deniedError) Unwrap() error { return d.err }

func denied(reason string, err error) error { return &deniedError{reason: reason, err: err} }

// roleDenied is a 403 for the actor's role.
func roleDenied(actor domain.Actor, what string) error {
	return denied(DeniedRole, domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor.role",
		"%s may not %s", actor.Role.Indefinite(), what))
}

// admit checks the request's actor against the route's scope before the
// handler runs (see the tenancy rules above).
func (a *API) admit(rt route, r *http.Request) error {
	if rt.scope == scopePublic {
		return nil
	}
	actor, err := actorOf(r)
	if err != nil {
		return err
	}
	if rt.command && actor.Role == domain.RoleAuditor {
		return denied(DeniedRole, domain.Errorf(domain.KindForbidden, domain.RuleAuditorReadOnly, "actor.role",
			"auditor %q reads everything and changes nothing: use the queries and the audit index", actor.ID))
	}
	ticketID := ""
	if rt.scope == scopeTicket {
		if _, ticketID, err = app.TicketStream(r.PathValue("id")); err != nil {
			return err // not a UUID: malformed, whoever asks
		}
	}
	switch rt.scope {
	case scopeTicket, scopeTickets:
		if actor.Role == domain.RoleAdmin {
			return roleDenied(actor, "read or change ticket data: an admin manages partners, tokens and configuration")
		}
		if rt.scope == scopeTicket && actor.Role.IsPartner() && !a.tickets.IsParty(ticketID, actor.Partner) {
			return denied(DeniedTenancy, errNoTicket())
		}
	case scopeIntegrity:
		if actor.Role != domain.RoleAuditor && actor.Role != domain.RoleAdmin {
			return roleDenied(actor, "read the ledger's tree heads and keys: they are for auditors and admins (a head's size is the ledger's total volume)")
		}
	case scopeKeys:
		if actor.Role != domain.RoleAdmin {
			return roleDenied(actor, "rotate the ledger's signing key: an admin runs the ledger's keys")
		}
	case scopeBackup:
		if actor.Role != domain.RoleAdmin {
			return roleDenied(actor, "back up the ledger: a backup holds every party's data, so an admin takes it")
		}
	case scopeImport:
		if err := importer.Permitted(actor); err != nil {
			return denied(DeniedRole, err)
		}
	case scopePartner:
		if actor.Role.IsPartner() && !a.related(actor.Partner, r.PathValue("id")) {
			return denied(DeniedTenancy, errNoPartner())
		}
	}
	return nil
}

// related reports whether partner self may see partner id: itself, its
// provider, or one of its resellers (from the read model's registrations).
func (a *API) related(self, id string) bool {
	return id == self || (id != "" && a.tickets.ProviderOf(id) == self) || a.tickets.ProviderOf(self) == id
}

// normalise makes the answers of a route about a missing ticket or partner
// the never-used ones, whoever asks and whichever layer found it missing;
// the domain's not-own-ticket becomes the never-used answer too (the read
// model let the caller through, the ticket's stream did not).
func normalise(rt route, err error) error {
	var d *deniedError
	switch rule := domain.RuleOf(err); {
	case err == nil, errors.As(err, &d):
		return err
	case rt.scope == scopeTicket && rule == domain.RuleNotOwnTicket:
		return denied(DeniedTenancy, errNoTicket())
	case rt.scope == scopeTicket && rule == domain.RuleTicketNotFound && domain.KindOf(err) == domain.KindNotFound:
		return errNoTicket()
	case rt.scope == scopePartner && rule == domain.RulePartnerNotFound && domain.KindOf(err) == domain.KindNotFound:
		return errNoPartner()
	}
	return err
}

// observeDenied counts and logs a denied attempt, with the principal.
func (a *API) observeDenied(rt route, r *http.Request, err error) {
	var d *deniedError
	reason := ""
	switch {
	case errors.As(err, &d):
		reason = d.reason
	case domain.KindOf(err) == domain.KindForbidden:
		switch domain.RuleOf(err) {
		case domain.RuleRoleNotAllowed, domain.RuleAuditorReadOnly:
			reason = DeniedRole
		case domain.RuleNotOwnPartner, domain.RuleGrantByOwnProvider:
			reason = DeniedTenancy
		}
	}
	if reason == "" {
		return
	}
	actor, _ := actorOf(r)
	a.log.Info("http server: denied", "route", rt.pattern(), "reason", reason, "principal", actor.ID, "role", actor.Role,
		"partner", actor.Partner, "correlationId", correlationID(r.Context()))
	if a.denials != nil {
		a.denials.ObserveDenied(rt.pattern(), reason, actor.Role)
	}
}
