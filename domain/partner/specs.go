package partner

import "github.com/ticketledger/ticketledger/domain"

// Specs lists the partner stream's event types with their schema versions.
func Specs() []domain.EventSpec {
	return []domain.EventSpec{
		{Type: TypeRegistered, Version: 1, New: func() domain.Event { return &Registered{} }},
		{Type: TypeCustomerLinked, Version: 1, New: func() domain.Event { return &CustomerLinked{} }},
		{Type: TypeSupportPlanRecorded, Version: 1, New: func() domain.Event { return &SupportPlanRecorded{} }},
		{Type: TypeSupportPlanEnded, Version: 1, New: func() domain.Event { return &SupportPlanEnded{} }},
		{Type: TypeAzureAccessGranted, Version: 1, New: func() domain.Event { return &AzureAccessGranted{} }},
		{Type: TypeAzureAccessRevoked, Version: 1, New: func() domain.Event { return &AzureAccessRevoked{} }},
	}
}
