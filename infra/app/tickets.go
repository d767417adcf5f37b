package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
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

// OpenTicket is the input of Open.
type OpenTicket struct {
	// TicketID is the new ticket's id (a UUID), for in-process callers
	// only (imports, tests): the HTTP API never sets it, so no id a client
	// tries can collide with, and reveal, another partner's ticket. Empty:
	// derived from the idempotency key within the principal's scope if
	// there is one, else a new UUID.
	TicketID string
	// ResellerID names the reseller when an indirect provider files for a
	// customer of one of its resellers.
	ResellerID string
	ticket.OpenRequest
}

// RedirectTicket is the input of RedirectToISV.
type RedirectTicket struct {
	TicketID string // as OpenTicket.TicketID
	ticket.RedirectRequest
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

// Open files a service request: it loads the filing partner (the actor's
// partner) and, when given, the reseller, and runs ticket.Open with the
// current SLA policy. The result carries the ticket id and the
// first-response deadline.
func (s *Service) Open(ctx context.Context, cmd Command, in OpenTicket) (Result, error) {
	stream, id, err := TicketStream(newTicketID(cmd, in.TicketID))
	if err != nil {
		return Result{}, err
	}
	res, err := s.run(ctx, cmd, stream, func(l *snapshot, occurredAt, now time.Time) (decision, error) {
		t, err := s.rebuildOrNew(id, l)
		if err != nil {
			return decision{}, err
		}
		facts := ticket.Facts{Policy: s.policies.Current()}
		if cmd.Actor.Partner != "" {
			if facts.Filer, err = s.partnerFacts(ctx, cmd.Actor.Partner); err != nil {
				return decision{}, err
			}
		}
		if r := strings.TrimSpace(in.ResellerID); r != "" {
			if facts.Reseller, err = s.partnerFacts(ctx, r); err != nil {
				return decision{}, err
			}
			if facts.Reseller == nil {
				facts.Reseller = partner.New(r) // unregistered: Open refuses with partner-must-serve-customer
			}
		}
		evs, err := t.Open(cmd.Actor, occurredAt, now, in.OpenRequest, facts)
		return decision{events: evs, customer: t.Customer()}, err
	})
	res.TicketID = id
	if err != nil {
		return res, fmt.Errorf("open ticket %s: %w", id, err)
	}
	return res, nil
}

// RedirectToISV records a marketplace request redirected to the ISV.
func (s *Service) RedirectToISV(ctx context.Context, cmd Command, in RedirectTicket) (Result, error) {
	stream, id, err := TicketStream(newTicketID(cmd, in.TicketID))
	if err != nil {
		return Result{}, err
	}
	res, err := s.run(ctx, cmd, stream, func(l *snapshot, occurredAt, now time.Time) (decision, error) {
		t, err := s.rebuildOrNew(id, l)
		if err != nil {
			return decision{}, err
		}
		evs, err := t.RedirectToISV(cmd.Actor, occurredAt, now, in.RedirectRequest)
		return decision{events: evs, customer: t.Customer()}, err
	})
	res.TicketID = id
	if err != nil {
		return res, fmt.Errorf("redirect ticket %s to the ISV: %w", id, err)
	}
	return res, nil
}

func (s *Service) rebuildOrNew(id string, l *snapshot) (*ticket.Ticket, error) {
	if !l.exists() {
		return ticket.New(id).WithWindow(s.window), nil
	}
	t, err := ticket.Rebuild(l.history)
	if err != nil {
		return nil, err
	}
	return t.WithWindow(s.window), nil
}

// onTicket runs a command on an existing ticket.
func (s *Service) onTicket(ctx context.Context, cmd Command, ticketID, what string,
	f func(t *ticket.Ticket, occurredAt, now time.Time) ([]domain.Event, error)) (Result, error) {
	stream, id, err := TicketStream(ticketID)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", what, err)
	}
	res, err := s.run(ctx, cmd, stream, func(l *snapshot, occurredAt, now time.Time) (decision, error) {
		t, err := ticket.Rebuild(l.history)
		if err != nil {
			return decision{}, err
		}
		t.WithWindow(s.window)
		evs, err := f(t, occurredAt, now)
		return decision{events: evs, customer: t.Customer()}, err
	})
	res.TicketID = id
	if err != nil {
		return res, fmt.Errorf("%s ticket %s: %w", what, id, err)
	}
	return res, nil
}

// RecordFirstResponse records vendor support's first response.
func (s *Service) RecordFirstResponse(ctx context.Context, cmd Command, ticketID, summary string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "record first response on", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.RecordFirstResponse(cmd.Actor, at, now, summary)
	})
}

// ChangeSeverity changes the severity; the deadline is recomputed under the
// current SLA policy and returned in Result.Deadline.
func (s *Service) ChangeSeverity(ctx context.Context, cmd Command, ticketID string, to domain.Severity, reason string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "change severity of", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.ChangeSeverity(cmd.Actor, at, now, to, reason, s.policies.Current())
	})
}

// Escalate escalates the ticket to the vendor with a reason and the
// escalation criteria met.
func (s *Service) Escalate(ctx context.Context, cmd Command, ticketID, reason string, criteria []string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "escalate", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.Escalate(cmd.Actor, at, now, reason, criteria)
	})
}

// RequestInfo records vendor support asking the partner for information.
func (s *Service) RequestInfo(ctx context.Context, cmd Command, ticketID, question string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "request information on", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.RequestInfo(cmd.Actor, at, now, question)
	})
}

// ProvideInfo records the partner's answer to an information request.
func (s *Service) ProvideInfo(ctx context.Context, cmd Command, ticketID, answer string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "provide information on", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.ProvideInfo(cmd.Actor, at, now, answer)
	})
}

// OpenBillingDispute opens a billing dispute on the ticket.
func (s *Service) OpenBillingDispute(ctx context.Context, cmd Command, ticketID string, in ticket.Dispute) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "open a billing dispute on", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.OpenBillingDispute(cmd.Actor, at, now, in)
	})
}

// ResolveBillingDispute decides a billing dispute.
func (s *Service) ResolveBillingDispute(ctx context.Context, cmd Command, ticketID string, in ticket.Decision) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "resolve a billing dispute on", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.ResolveBillingDispute(cmd.Actor, at, now, in)
	})
}

// FlagFraud flags suspected fraud.
func (s *Service) FlagFraud(ctx context.Context, cmd Command, ticketID, reason string, indicators []string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "flag fraud on", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.FlagFraud(cmd.Actor, at, now, reason, indicators)
	})
}

// ClearFraud clears a fraud flag.
func (s *Service) ClearFraud(ctx context.Context, cmd Command, ticketID, reason string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "clear fraud on", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.ClearFraud(cmd.Actor, at, now, reason)
	})
}

// AddNote adds a free-text note.
func (s *Service) AddNote(ctx context.Context, cmd Command, ticketID, text string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "add a note to", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.AddNote(cmd.Actor, at, now, text)
	})
}

// Reassign moves the ticket to another owner.
func (s *Service) Reassign(ctx context.Context, cmd Command, ticketID, to, reason string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "reassign", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.Reassign(cmd.Actor, at, now, to, reason)
	})
}

// Resolve resolves the ticket.
func (s *Service) Resolve(ctx context.Context, cmd Command, ticketID, resolution string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "resolve", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.Resolve(cmd.Actor, at, now, resolution)
	})
}

// Reopen reopens a resolved ticket.
func (s *Service) Reopen(ctx context.Context, cmd Command, ticketID, reason string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "reopen", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.Reopen(cmd.Actor, at, now, reason)
	})
}

// Close closes the ticket for good.
func (s *Service) Close(ctx context.Context, cmd Command, ticketID, reason string) (Result, error) {
	return s.onTicket(ctx, cmd, ticketID, "close", func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return t.Close(cmd.Actor, at, now, reason)
	})
}

// Ticket rebuilds a ticket from its stream (the write model; the read
// models live in projections). It returns the stream's last revision.
func (s *Service) Ticket(ctx context.Context, ticketID string) (*ticket.Ticket, uint64, error) {
	stream, id, err := TicketStream(ticketID)
	if err != nil {
		return nil, 0, err
	}
	l, err := s.state(ctx, stream)
	if err != nil {
		return nil, 0, fmt.Errorf("load ticket %s: %w", id, err)
	}
	t, err := ticket.Rebuild(l.history)
	if err != nil {
		return nil, 0, fmt.Errorf("load ticket %s: %w", id, err)
	}
	rev, _ := l.last()
	return t, rev, nil
}

// Recorded returns a ticket's stream as recorded and decoded, oldest first,
// for the pure per-ticket queries (projections.History, projections.AsOf).
// A ticket that does not exist is a KindNotFound error.
func (s *Service) Recorded(ctx context.Context, ticketID string) ([]domain.Recorded, error) {
	stream, id, err := TicketStream(ticketID)
	if err != nil {
		return nil, err
	}
	l, err := s.state(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("read ticket %s: %w", id, err)
	}
	if !l.exists() {
		return nil, domain.Errorf(domain.KindNotFound, domain.RuleTicketNotFound, "ticketId", "ticket %q does not exist: check the ticket id", id)
	}
	return l.records(), nil
}
