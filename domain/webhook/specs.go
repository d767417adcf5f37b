package webhook

import "github.com/ticketledger/ticketledger/domain"

// Specs lists the webhook event types with their schema versions.
func Specs() []domain.EventSpec {
	spec := func(t string, n func() domain.Event) domain.EventSpec {
		return domain.EventSpec{Type: t, Version: 1, New: n}
	}
	return []domain.EventSpec{
		spec(TypeSubscribed, func() domain.Event { return &Subscribed{} }),
		spec(TypeSecretRotated, func() domain.Event { return &SecretRotated{} }),
		spec(TypePaused, func() domain.Event { return &Paused{} }),
		spec(TypeResumed, func() domain.Event { return &Resumed{} }),
		spec(TypeDeleted, func() domain.Event { return &Deleted{} }),
		spec(TypeDelivered, func() domain.Event { return &Delivered{} }),
		spec(TypeParked, func() domain.Event { return &Parked{} }),
		spec(TypeHeld, func() domain.Event { return &Held{} }),
		spec(TypeReplayRequested, func() domain.Event { return &ReplayRequested{} }),
		spec(TypeSkipped, func() domain.Event { return &Skipped{} }),
		spec(TypeDispatchMark, func() domain.Event { return &DispatchMark{} }),
	}
}
