package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

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

// Open files a service request: it loads the filing partner (the actor's
// partner) and, when given, the reseller, and runs ticket.Open with the
// current SLA policy. The result carries the ticket id and the
// first-response deadline.
func (s *Service) Open(ctx context.Context, cmd Command, in OpenTicket) (Result, error) {
	res, err := s.create(ctx, cmd, newTicketID(cmd, in.TicketID), "open", func(t *ticket.Ticket, occurredAt, now time.Time) ([]domain.Event, error) {
		return s.open(ctx, t, cmd.Actor, occurredAt, now, in)
	})
	if err != nil {
		return res, err
	}
	if res.Events, err = s.revealPersonal(res.Events); err != nil {
		return res, fmt.Errorf("open ticket %s: %w", res.TicketID, err)
	}
	return res, nil
}

// open runs ticket.Open on t with the facts it needs: the filing partner
// (the actor's partner) and the named reseller as they are now, and the
// current SLA policy.
func (s *Service) open(ctx context.Context, t *ticket.Ticket, actor domain.Actor, occurredAt, now time.Time, in OpenTicket) ([]domain.Event, error) {
	facts := ticket.Facts{Policy: s.policies.Current()}
	var err error
	if actor.Partner != "" {
		if facts.Filer, err = s.partnerFacts(ctx, actor.Partner); err != nil {
			return nil, err
		}
	}
	if r := strings.TrimSpace(in.ResellerID); r != "" {
		if facts.Reseller, err = s.partnerFacts(ctx, r); err != nil {
			return nil, err
		}
		if facts.Reseller == nil {
			facts.Reseller = partner.New(r) // unregistered: Open refuses with partner-must-serve-customer
		}
	}
	return t.Open(actor, occurredAt, now, in.OpenRequest, facts)
}

// RedirectToISV records a marketplace request redirected to the ISV.
func (s *Service) RedirectToISV(ctx context.Context, cmd Command, in RedirectTicket) (Result, error) {
	return s.create(ctx, cmd, newTicketID(cmd, in.TicketID), "redirect to the ISV", func(t *ticket.Ticket, occurredAt, now time.Time) ([]domain.Event, error) {
		return t.RedirectToISV(cmd.Actor, occurredAt, now, in.RedirectRequest)
	})
}

// ticketDecider is what a ticket command decides on the ticket.
type ticketDecider func(t *ticket.Ticket, occurredAt, now time.Time) ([]domain.Event, error)

// create runs a command that creates a ticket (see decide).
func (s *Service) create(ctx context.Context, cmd Command, nt newTicket, what string, f ticketDecider) (Result, error) {
	return s.decide(ctx, cmd, nt.id, true, nt.fresh, what, f)
}

// decide runs one command on a ticket's stream: it loads the ticket (a new
// one when create is set and the stream does not exist yet; fresh: known
// not to exist, not read), lets f decide on it, and appends what f returns
// (Service.run). what names the command in errors ("escalate" ticket 7d1c…).
func (s *Service) decide(ctx context.Context, cmd Command, ticketID string, create, fresh bool, what string, f ticketDecider) (Result, error) {
	stream, id, err := TicketStream(ticketID)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", what, err)
	}
	res, err := s.run(ctx, cmd, stream, create && fresh, func(l *snapshot, occurredAt, now time.Time) (decision, error) {
		t := ticket.New(id)
		if l.exists() || !create {
			var err error
			if t, err = ticket.Rebuild(l.history); err != nil {
				return decision{}, err
			}
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

// Act runs an action (a command on an existing ticket: first response,
// severity change, escalation, …) on the ticket. A severity change
// recomputes the deadline under the current SLA policy and returns it in
// Result.Deadline.
func (s *Service) Act(ctx context.Context, cmd Command, ticketID string, a ticket.Action) (Result, error) {
	return s.decide(ctx, cmd, ticketID, false, false, a.Verb(), func(t *ticket.Ticket, at, now time.Time) ([]domain.Event, error) {
		return a.Decide(t, cmd.Actor, at, now, s.policies.Current())
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
// for the pure per-ticket queries (projections.History, projections.AsOf),
// with the contact's personal data opened with its subject's key (or
// ErasedValue once the subject is erased). A ticket that does not exist is
// a KindNotFound error.
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
	return s.revealPersonal(l.records())
}
