package ticket

import (
	"testing"

	"github.com/ticketledger/ticketledger/domain"
)

// domainRules maps each rule of domain.md (and its product rules) to the
// named error that enforces it.
var domainRules = []struct {
	source string
	rule   domain.Rule
}{
	{"rule 1: contact details are the partner's", domain.RulePartnerContactOnly},
	{"rule 2: no phone channel", domain.RuleNoPhoneChannel},
	{"rule 3: Dynamics 365 needs ASfP or higher", domain.RuleDynamicsNeedsASfP},
	{"rule 4: reseller Azure needs the provider's grant", domain.RuleResellerAzureNeedsGrant},
	{"rule 5: own tenant needs an entitlement", domain.RuleOwnTenantNeedsEntitlement},
	{"rule 5: direct sign-in is own context", domain.RuleDirectSignInIsOwnContext},
	{"rule 6: escalation needs reason and criteria", domain.RuleEscalationNeedsReasonAndCriteria},
	{"Azure: support plan Cloud Solution Provider", domain.RuleAzureSupportPlanCSP},
	{"marketplace: no vendor ticket", domain.RuleMarketplaceISVOnly},
	{"marketplace: ISV contact required", domain.RuleISVContactRequired},
	{"who acts: the partner serves the customer", domain.RulePartnerServesCustomer},
	{"who acts: auditors change nothing", domain.RuleAuditorReadOnly},
	{"SLA: bitemporal occurred-at in the future", domain.RuleOccurredAtInFuture},
	{"SLA: bitemporal backdating window", domain.RuleBackdatedTooFar},
	{"SLA: no response before the opening", domain.RuleOccurredBeforeOpening},
}

// partnerOnly are rules only the partner, token or subject aggregate
// enforces (tested there).
var partnerOnly = []domain.Rule{
	domain.RulePartnerExists, domain.RuleResellerNeedsProvider, domain.RuleGrantOnResellerOnly,
	domain.RuleGrantByOwnProvider, domain.RulePlanExists, domain.RulePlanNotFound,
	// and the token aggregate (domain/principal)
	domain.RuleTokenNotFound, domain.RuleTokenExists,
	// and the erasure of data subjects (domain/subject)
	domain.RuleSubjectNotFound, domain.RuleSubjectErased,
	// and webhook subscriptions (domain/webhook; delivery-not-parked in infra/webhook)
	domain.RuleSubscriptionNotFound, domain.RuleSubscriptionExists, domain.RuleSubscriptionDeleted,
	domain.RuleWebhookURLRefused, domain.RuleWebhookTypeUnknown, domain.RuleDeliveryNotParked,
	// and the import of another desk's history (infra/importer and
	// app.ImportTicket, tested there)
	domain.RuleImportMalformedLine, domain.RuleImportOpenFirst, domain.RuleImportNotContiguous, domain.RuleImportDuplicateSource,
	domain.RuleImportSourceChanged, domain.RuleImportDiverged, domain.RuleImportTooLong, domain.RuleImportOutsideTenancy,
}

// TestRuleCatalogue checks that every rule of domain.md maps to a named
// error that a test case here triggers, and that every rule in the
// catalogue (domain.Rules) is triggered by a ticket case or belongs to the
// partner aggregate.
func TestRuleCatalogue(t *testing.T) {
	tested := map[domain.Rule]bool{}
	for _, cases := range [][]tcase{openCases(), redirectCases(), commandCases(), partyCases()} {
		for _, c := range cases {
			tested[c.rule] = true
		}
	}
	for _, r := range domainRules {
		if !tested[r.rule] {
			t.Errorf("%s: no test case triggers %s", r.source, r.rule)
		}
	}
	for _, r := range partnerOnly {
		tested[r] = true
	}
	for _, d := range domain.Rules() {
		if !tested[d.Rule] {
			t.Errorf("rule %s is in the catalogue but no test case triggers it", d.Rule)
		}
	}
}
