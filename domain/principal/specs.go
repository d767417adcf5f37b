package principal

import "github.com/ticketledger/ticketledger/domain"

// Specs lists the token stream's event types with their schema versions.
func Specs() []domain.EventSpec {
	return domain.SpecsOf(TokenIssued{}, TokenRevoked{})
}
