package ticket

import "github.com/ticketledger/ticketledger/domain"

// Specs lists the ticket stream's event types with their schema versions.
// When a payload's shape changes, its type leaves SpecsOf for an EventSpec
// written out with the bumped Version and an Upcast.
func Specs() []domain.EventSpec {
	return domain.SpecsOf(Opened{}, RedirectedToISV{}, FirstResponseRecorded{}, SeverityChanged{}, Escalated{},
		InfoRequested{}, InfoProvided{}, BillingDisputeOpened{}, BillingDisputeResolved{}, FraudFlagged{},
		FraudCleared{}, NoteAdded{}, Reassigned{}, Resolved{}, Reopened{}, Closed{}, SLANoticed{})
}

// known reports whether e is one of the ticket stream's event types (Specs).
var known = domain.KnownTo(Specs())
