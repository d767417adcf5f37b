// Package catalog lists every persisted event type of the ledger with its
// current schema version and upcaster, so the codec can decode any event ever
// stored.
package catalog

import (
	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/domain/subject"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/domain/webhook"
)

// All returns the spec of every event type: ticket, partner, token, the
// ledger's own (keyring and seals) events, erasures, then webhook
// subscriptions and deliveries.
func All() []domain.EventSpec {
	return append(append(append(append(append(ticket.Specs(), partner.Specs()...), principal.Specs()...), ledger.Specs()...), subject.Specs()...), webhook.Specs()...)
}

// ByType returns All indexed by type name.
func ByType() map[string]domain.EventSpec {
	m := make(map[string]domain.EventSpec)
	for _, s := range All() {
		m[s.Type] = s
	}
	return m
}
