package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/subject"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/subjects"
)

// Subjects is the key store of data subjects (infra/subjects.FileStore):
// one random 256-bit key per contact person, kept outside the event log.
type Subjects interface {
	// Subject returns the subject of a contact e-mail and its key,
	// creating both the first time.
	Subject(email string) (id string, key []byte, err error)
	// Lookup returns the subject of a contact e-mail, if there is one.
	Lookup(email string) (id string, ok bool, err error)
	// Key returns the key of a subject, if it was not destroyed.
	Key(id string) (key []byte, ok bool, err error)
	// Destroy removes a subject's key for good.
	Destroy(id string) error
}

// ErasedValue is what a personal field reads as once its subject is erased.
const ErasedValue = "[erased]"

// Field names of the personal data of ticket.opened: they are also the
// additional data the values are sealed with.
const (
	fieldContactName  = "contact.name"
	fieldContactEmail = "contact.email"
	fieldContactPhone = "contact.phone"
)

// sealPersonal returns events with the personal data of each contact
// (ticket.opened: name, e-mail, phone) sealed under the key of the
// contact's subject (by e-mail), before the events are encoded, so the log
// and every hash, signature and seal over it hold ciphertext only. Without
// a key store the events are returned as they are.
func (s *Service) sealPersonal(events []domain.Event) ([]domain.Event, error) {
	if s.subjects == nil {
		return events, nil
	}
	var out []domain.Event
	for i, ev := range events {
		o, ok := ev.(ticket.Opened)
		if !ok || subjects.IsSealed(o.Contact.Email) {
			continue
		}
		id, key, err := s.subjects.Subject(o.Contact.Email)
		if err != nil {
			return nil, fmt.Errorf("seal the contact's personal data: %w", err)
		}
		c := &o.Contact
		for _, f := range []struct {
			name string
			v    *string
		}{{fieldContactName, &c.Name}, {fieldContactEmail, &c.Email}, {fieldContactPhone, &c.Phone}} {
			if *f.v, err = subjects.Seal(key, id, f.name, *f.v); err != nil {
				return nil, fmt.Errorf("seal the contact's personal data: %w", err)
			}
		}
		if out == nil {
			out = append([]domain.Event(nil), events...)
		}
		out[i] = o
	}
	if out == nil {
		return events, nil
	}
	return out, nil
}

// revealPersonal returns recs with the personal data of every contact
// opened with its subject's key, or ErasedValue once the subject is erased
// (its key destroyed). recs is not changed. Nothing is kept in plaintext.
func (s *Service) revealPersonal(recs []domain.Recorded) ([]domain.Recorded, error) {
	for i := range recs {
		o, ok := recs[i].Event.(ticket.Opened)
		if !ok || !subjects.IsSealed(o.Contact.Email) {
			continue
		}
		var key []byte
		if s.subjects != nil {
			id, _ := subjects.SubjectOf(o.Contact.Email)
			k, ok, err := s.subjects.Key(id)
			if err != nil {
				return nil, fmt.Errorf("open the contact's personal data: %w", err)
			}
			if ok {
				key = k
			}
		}
		c := &o.Contact
		for _, f := range []struct {
			name string
			v    *string
		}{{fieldContactName, &c.Name}, {fieldContactEmail, &c.Email}, {fieldContactPhone, &c.Phone}} {
			*f.v = reveal(key, f.name, *f.v)
		}
		recs[i].Event = o
	}
	return recs, nil
}

// reveal opens one sealed value with key (nil: the subject is erased).
func reveal(key []byte, field, v string) string {
	if !subjects.IsSealed(v) {
		return v
	}
	if key == nil {
		return ErasedValue
	}
	pt, err := subjects.Unseal(key, field, v)
	if err != nil {
		return ErasedValue // does not open with the subject's key: not its data
	}
	return pt
}

// Erasure is what Forget did.
type Erasure struct {
	Result
	// SubjectID is the subject erased.
	SubjectID string
	// ErasedAt is when the erasure was recorded.
	ErasedAt time.Time
}

// Forget erases a data subject, named by its id ("sub-…") or by the
// contact's e-mail: it records subject.erased on the subject's stream
// (who, when, why; no personal data), then destroys the subject's key, so
// the subject's personal data reads as ErasedValue everywhere while the log
// is unchanged. An unknown subject is a KindNotFound error and nothing is
// appended; a subject erased before is a KindConflict. If the key could
// not be destroyed after the erasure was recorded, running Forget again
// completes it.
func (s *Service) Forget(ctx context.Context, cmd Command, who, reason string) (Erasure, error) {
	who = strings.TrimSpace(who)
	if s.subjects == nil {
		return Erasure{}, domain.Errorf(domain.KindInternal, domain.RuleRequiredField, "subject",
			"this ledger has no subject key store, so it holds no encrypted personal data to erase: start it with one (serve --subject-keys DIR)")
	}
	id := who
	if strings.Contains(who, "@") {
		found, ok, err := s.subjects.Lookup(who)
		if err != nil {
			return Erasure{}, fmt.Errorf("forget %s: %w", who, err)
		}
		if !ok {
			_, err := subject.Erase(cmd.Actor, who, reason, false, nil)
			return Erasure{}, err
		}
		id = found
	}
	if !subjects.ValidID(id) {
		_, err := subject.Erase(cmd.Actor, id, reason, false, nil)
		return Erasure{}, err
	}
	_, known, err := s.subjects.Key(id)
	if err != nil {
		return Erasure{}, fmt.Errorf("forget %s: %w", id, err)
	}
	res, err := s.run(ctx, cmd, subject.Stream(id), false, func(l *snapshot, _, _ time.Time) (decision, error) {
		ev, err := subject.Erase(cmd.Actor, id, reason, known, l.history)
		if ev == nil || err != nil {
			return decision{}, err
		}
		return decision{events: []domain.Event{ev}}, nil
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("forget subject %s: %w", id, err)
	}
	if err := s.subjects.Destroy(id); err != nil && !errors.Is(err, subjects.ErrUnknown) {
		return Erasure{}, fmt.Errorf("forget subject %s: the erasure is recorded but its key was not destroyed: %w; run forget again to complete it", id, err)
	}
	out := Erasure{Result: res, SubjectID: id}
	if n := len(res.Events); n > 0 {
		out.ErasedAt = res.Events[n-1].Meta.RecordedAt
	}
	return out, nil
}
