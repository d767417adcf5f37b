package app

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
)

// MaxPartnerID is the longest partner id accepted, in bytes.
const MaxPartnerID = 100

// PartnerStream returns the stream of a partner, "partner-<id>". An empty
// id, or one with spaces or control characters, is a KindInvalid error.
func PartnerStream(partnerID string) (string, error) {
	bad := partnerID == "" || len(partnerID) > MaxPartnerID ||
		strings.ContainsFunc(partnerID, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	if bad {
		return "", domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, "partnerId",
			"partner id %q is not usable: give 1 to %d characters without spaces, e.g. contoso-partner", partnerID, MaxPartnerID)
	}
	return partner.StreamPrefix + partnerID, nil
}

// partnerState reads the state of partner id's stream (an invalid id is a
// KindInvalid error).
func (s *Service) partnerState(ctx context.Context, id string) (*snapshot, error) {
	stream, err := PartnerStream(id)
	if err != nil {
		return nil, err
	}
	l, err := s.state(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("load partner %s: %w", id, err)
	}
	return l, nil
}

// partnerFacts returns a partner as it is now, for reading only (it may be
// shared with other commands: never call its commands); nil when it was
// never registered.
func (s *Service) partnerFacts(ctx context.Context, id string) (*partner.Partner, error) {
	l, err := s.partnerState(ctx, id)
	if err != nil {
		return nil, err
	}
	if !l.exists() {
		return nil, nil
	}
	p, err := l.partnerFacts(id, s.window)
	if err != nil {
		return nil, fmt.Errorf("load partner %s: %w", id, err)
	}
	return p, nil
}

// Partner rebuilds a partner from its stream and returns it with the
// stream's last revision. A partner never registered is a KindNotFound
// error.
func (s *Service) Partner(ctx context.Context, partnerID string) (*partner.Partner, uint64, error) {
	l, err := s.partnerState(ctx, partnerID)
	if err != nil {
		return nil, 0, err
	}
	p, err := partner.Rebuild(partnerID, l.history)
	if err != nil {
		return nil, 0, fmt.Errorf("load partner %s: %w", partnerID, err)
	}
	rev, _ := l.last()
	return p, rev, nil
}

// onPartner runs a partner command. register allows a partner that does not
// exist yet.
func (s *Service) onPartner(ctx context.Context, cmd Command, partnerID, what, customer string, register bool,
	f func(p *partner.Partner, occurredAt, now time.Time) ([]domain.Event, error)) (Result, error) {
	stream, err := PartnerStream(partnerID)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", what, err)
	}
	res, err := s.run(ctx, cmd, stream, false, func(l *snapshot, occurredAt, now time.Time) (decision, error) {
		p := partner.New(partnerID)
		if !register || l.exists() {
			var err error
			if p, err = partner.Rebuild(partnerID, l.history); err != nil {
				return decision{}, err
			}
		}
		evs, err := f(p.WithWindow(s.window), occurredAt, now)
		return decision{events: evs, customer: customer}, err
	})
	res.PartnerID = partnerID
	if err != nil {
		return res, fmt.Errorf("%s partner %s: %w", what, partnerID, err)
	}
	return res, nil
}

// RegisterPartner registers a partner organisation.
func (s *Service) RegisterPartner(ctx context.Context, cmd Command, partnerID string, in partner.Registration) (Result, error) {
	return s.onPartner(ctx, cmd, partnerID, "register", "", true, func(p *partner.Partner, at, now time.Time) ([]domain.Event, error) {
		return p.Register(cmd.Actor, at, now, in)
	})
}

// LinkCustomer records that the partner serves a customer.
func (s *Service) LinkCustomer(ctx context.Context, cmd Command, partnerID string, in partner.Link) (Result, error) {
	return s.onPartner(ctx, cmd, partnerID, "link a customer to", strings.TrimSpace(in.CustomerID), false, func(p *partner.Partner, at, now time.Time) ([]domain.Event, error) {
		return p.LinkCustomer(cmd.Actor, at, now, in)
	})
}

// RecordSupportPlan records a support contract or entitlement of the partner.
func (s *Service) RecordSupportPlan(ctx context.Context, cmd Command, partnerID string, in partner.Plan) (Result, error) {
	return s.onPartner(ctx, cmd, partnerID, "record a support plan of", "", false, func(p *partner.Partner, at, now time.Time) ([]domain.Event, error) {
		return p.RecordSupportPlan(cmd.Actor, at, now, in)
	})
}

// EndSupportPlan ends a support plan of the partner.
func (s *Service) EndSupportPlan(ctx context.Context, cmd Command, partnerID, planID, reason string) (Result, error) {
	return s.onPartner(ctx, cmd, partnerID, "end a support plan of", "", false, func(p *partner.Partner, at, now time.Time) ([]domain.Event, error) {
		return p.EndSupportPlan(cmd.Actor, at, now, planID, reason)
	})
}

// GrantAzureAccess records, on the reseller, that its indirect provider
// granted it access to a customer's Azure account.
func (s *Service) GrantAzureAccess(ctx context.Context, cmd Command, resellerID, customerID string) (Result, error) {
	return s.onPartner(ctx, cmd, resellerID, "grant Azure access to", strings.TrimSpace(customerID), false, func(p *partner.Partner, at, now time.Time) ([]domain.Event, error) {
		return p.GrantAzureAccess(cmd.Actor, at, now, customerID)
	})
}

// RevokeAzureAccess withdraws such a grant.
func (s *Service) RevokeAzureAccess(ctx context.Context, cmd Command, resellerID, customerID, reason string) (Result, error) {
	return s.onPartner(ctx, cmd, resellerID, "revoke Azure access of", strings.TrimSpace(customerID), false, func(p *partner.Partner, at, now time.Time) ([]domain.Event, error) {
		return p.RevokeAzureAccess(cmd.Actor, at, now, customerID, reason)
	})
}
