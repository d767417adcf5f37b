package principal

import "github.com/ticketledger/ticketledger/domain"

// Specs lists the token stream's event types with their schema versions.
func Specs() []domain.EventSpec {
	return []domain.EventSpec{
		{Type: TypeTokenIssued, Version: 1, New: func() domain.Event { return &TokenIssued{} }},
		{Type: TypeTokenRevoked, Version: 1, New: func() domain.Event { return &TokenRevoked{} }},
	}
}
