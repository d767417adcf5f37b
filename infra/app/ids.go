package app

import (
	"strings"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// TicketStream returns the stream of a ticket, "ticket-<uuid>", and the
// ticket id in canonical form. A ticket id that is not a UUID is a
// KindInvalid error.
func TicketStream(ticketID string) (stream, id string, err error) {
	u, err := uuid.Parse(strings.TrimSpace(ticketID))
	if err != nil {
		return "", "", domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, "ticketId",
			"ticket id %q is not a UUID: use the id the ledger returned when the ticket was opened", ticketID)
	}
	id = u.String()
	return ticket.StreamPrefix + id, id, nil
}

// newTicketID picks the id of a ticket about to be created: the given one,
// else derived from the idempotency key within the principal's scope (a
// retry opens the same ticket), else a new time-ordered UUID.
func newTicketID(cmd Command, given string) string {
	switch {
	case given != "":
		return given
	case cmd.IdempotencyKey != "":
		return idemID(append([]string{"ticket", cmd.IdempotencyKey}, principal(cmd.Actor)...)...).String()
	}
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}
