package partner

import "github.com/ticketledger/ticketledger/domain"

// Specs lists the partner stream's event types with their schema versions.
func Specs() []domain.EventSpec {
	return domain.SpecsOf(Registered{}, CustomerLinked{}, SupportPlanRecorded{}, SupportPlanEnded{},
		AzureAccessGranted{}, AzureAccessRevoked{})
}

// known reports whether e is one of the partner stream's event types (Specs).
var known = domain.KnownTo(Specs())
