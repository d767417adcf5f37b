package webhook

import "github.com/ticketledger/ticketledger/domain"

// Specs lists the webhook event types with their schema versions.
func Specs() []domain.EventSpec {
	return domain.SpecsOf(Subscribed{}, SecretRotated{}, Paused{}, Resumed{}, Deleted{}, Delivered{}, Parked{},
		Held{}, ReplayRequested{}, Skipped{}, DispatchMark{})
}
