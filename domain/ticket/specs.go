package ticket

import "github.com/ticketledger/ticketledger/domain"

// Specs lists the ticket stream's event types with their schema versions.
// Bump Version and add an Upcast when a payload's shape changes.
func Specs() []domain.EventSpec {
	return []domain.EventSpec{
		{Type: TypeOpened, Version: 1, New: func() domain.Event { return &Opened{} }},
		{Type: TypeRedirectedToISV, Version: 1, New: func() domain.Event { return &RedirectedToISV{} }},
		{Type: TypeFirstResponseRecorded, Version: 1, New: func() domain.Event { return &FirstResponseRecorded{} }},
		{Type: TypeSeverityChanged, Version: 1, New: func() domain.Event { return &SeverityChanged{} }},
		{Type: TypeEscalated, Version: 1, New: func() domain.Event { return &Escalated{} }},
		{Type: TypeInfoRequested, Version: 1, New: func() domain.Event { return &InfoRequested{} }},
		{Type: TypeInfoProvided, Version: 1, New: func() domain.Event { return &InfoProvided{} }},
		{Type: TypeBillingDisputeOpened, Version: 1, New: func() domain.Event { return &BillingDisputeOpened{} }},
		{Type: TypeBillingDisputeClosed, Version: 1, New: func() domain.Event { return &BillingDisputeResolved{} }},
		{Type: TypeFraudFlagged, Version: 1, New: func() domain.Event { return &FraudFlagged{} }},
		{Type: TypeFraudCleared, Version: 1, New: func() domain.Event { return &FraudCleared{} }},
		{Type: TypeNoteAdded, Version: 1, New: func() domain.Event { return &NoteAdded{} }},
		{Type: TypeReassigned, Version: 1, New: func() domain.Event { return &Reassigned{} }},
		{Type: TypeResolved, Version: 1, New: func() domain.Event { return &Resolved{} }},
		{Type: TypeReopened, Version: 1, New: func() domain.Event { return &Reopened{} }},
		{Type: TypeClosed, Version: 1, New: func() domain.Event { return &Closed{} }},
		{Type: TypeSLANoticed, Version: 1, New: func() domain.Event { return &SLANoticed{} }},
	}
}
