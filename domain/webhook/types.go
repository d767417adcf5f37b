package webhook

import (
	"slices"
	"strings"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// Subscription types beyond the ticket event names: the two SLA notices,
// ticket.sla_noticed with notice at_risk or breached.
const (
	TypeSLAAtRisk   = "sla.at_risk"
	TypeSLABreached = "sla.breached"
)

// Types lists every type a subscription may name, in a stable order: the
// ticket events a partner hears about, then the two SLA notices.
func Types() []string {
	return []string{
		ticket.TypeOpened, ticket.TypeSeverityChanged, ticket.TypeEscalated, ticket.TypeFirstResponseRecorded,
		ticket.TypeBillingDisputeOpened, ticket.TypeBillingDisputeClosed, ticket.TypeFraudFlagged, ticket.TypeFraudCleared,
		ticket.TypeResolved, ticket.TypeClosed, TypeSLAAtRisk, TypeSLABreached,
	}
}

// SubscriptionType returns the subscription type an event of type
// eventType (with notice, the "notice" field of an SLA notice) is
// delivered as, and whether there is one.
func SubscriptionType(eventType, notice string) (string, bool) {
	if eventType == ticket.TypeSLANoticed {
		switch notice {
		case ticket.NoticeAtRisk:
			return TypeSLAAtRisk, true
		case ticket.NoticeBreached:
			return TypeSLABreached, true
		}
		return "", false
	}
	if eventType == TypeSLAAtRisk || eventType == TypeSLABreached {
		return "", false // not ledger events
	}
	return eventType, slices.Contains(Types(), eventType)
}

// CheckTypes checks the types of a subscription: at least one, each one of
// Types; duplicates are dropped and the order made Types'.
func CheckTypes(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, domain.Errorf(domain.KindInvalid, domain.RuleWebhookTypeUnknown, "types",
			"a subscription names at least one type: any of %s", strings.Join(Types(), ", "))
	}
	var out []string
	for _, t := range Types() {
		if slices.Contains(in, t) {
			out = append(out, t)
		}
	}
	for _, t := range in {
		if !slices.Contains(out, t) {
			return nil, domain.Errorf(domain.KindInvalid, domain.RuleWebhookTypeUnknown, "types",
				"unknown webhook type %q: use any of %s", t, strings.Join(Types(), ", "))
		}
	}
	return out, nil
}
