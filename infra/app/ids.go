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

// newTicket is the stream a ticket about to be created gets.
type newTicket struct {
	id string
	// fresh: the id was made just now (a new random UUID), so no stream
	// can have it and there is nothing to read before appending; the
	// append expects no stream all the same.
	fresh bool
}

// newTicketID picks the id of a ticket about to be created: the given one,
// else derived from the idempotency key within the principal's scope (a
// retry opens the same ticket), else a new time-ordered UUID.
func newTicketID(cmd Command, given string) newTicket {
	switch {
	case given != "":
		return newTicket{id: given}
	case cmd.IdempotencyKey != "":
		return newTicket{id: idemID(append([]string{"ticket", cmd.IdempotencyKey}, principal(cmd.Actor)...)...).String()}
	}
	if id, err := uuid.NewV7(); err == nil {
		return newTicket{id: id.String(), fresh: true}
	}
	return newTicket{id: uuid.NewString(), fresh: true}
}
