// Package subject records the erasure of a data subject: a person whose
// personal data (a ticket contact's name, e-mail and phone) the ledger holds
// only encrypted, under a key of that subject kept outside the log
// (infra/subjects). Erasing destroys the key, so every copy of the
// ciphertext — in the log, in backups of the log, in evidence exports —
// reads as erased from then on, while every hash, signature and seal over
// it still verifies.
//
// The erasure itself is recorded, without the data: one stream per subject,
// "subject-<id>" (StreamPrefix + id), holding at most one subject.erased
// event that says which subject (its opaque id, never the e-mail) was
// erased, by whom (the event's actor) and when (its recorded-at), and why.
//
// Only an admin erases (a data-protection officer's request is carried out
// by whoever operates the ledger); auditors change nothing
// (auditor-read-only); every other role is refused (role-not-allowed).
package subject

import (
	"strings"

	"github.com/ticketledger/ticketledger/domain"
)

// TypeErased is the persisted type name of an erasure. Never rename, never
// reuse.
const TypeErased = "subject.erased"

// StreamPrefix is the category of erasure streams: "subject-" + subject id.
const StreamPrefix = "subject-"

// Stream returns the erasure stream of a subject.
func Stream(id string) string { return StreamPrefix + id }

// Erased: the key of a data subject was destroyed; the subject's personal
// data in the log reads as erased from now on. It holds no personal data.
type Erased struct {
	SubjectID string `json:"subjectId"`
	Reason    string `json:"reason,omitempty"`
	ErasedBy  string `json:"erasedBy"` // the erasing actor's id
}

// EventType implements domain.Event.
func (Erased) EventType() string { return TypeErased }

// Specs lists the erasure stream's event types with their schema versions.
func Specs() []domain.EventSpec {
	return domain.SpecsOf(Erased{})
}

// Erase decides the erasure of subject id by actor, given the subject's
// erasure stream as recorded (history) and whether the subject is known to
// the key store (known). It returns the event to record, or an error: an
// unknown subject is KindNotFound (subject-not-found), one erased before
// KindConflict (subject-erased) — unless its key survived a failed erasure
// (known), when the erasure is completed without a second event (nil, nil).
func Erase(actor domain.Actor, id, reason string, known bool, history []domain.Event) (domain.Event, error) {
	if err := actor.Validate(); err != nil {
		return nil, err
	}
	switch {
	case actor.Role == domain.RoleAuditor:
		return nil, domain.Errorf(domain.KindForbidden, domain.RuleAuditorReadOnly, "", "auditors change nothing: an admin erases a data subject")
	case !actor.Role.Operates():
		return nil, domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "", "only an admin erases a data subject (role %s may not)", actor.Role)
	}
	if strings.TrimSpace(id) == "" {
		return nil, domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, "subject", "no subject given: name the subject id or the contact's e-mail")
	}
	for _, ev := range history {
		if _, ok := ev.(Erased); ok {
			if known {
				return nil, nil // recorded, but the key survived: destroy it now
			}
			return nil, domain.Errorf(domain.KindConflict, domain.RuleSubjectErased, "subject", "subject %s is already erased: its personal data reads as erased everywhere; nothing to do", id)
		}
	}
	if !known {
		return nil, domain.Errorf(domain.KindNotFound, domain.RuleSubjectNotFound, "subject",
			"no data subject %q is known to this ledger's key store: give the contact's e-mail as filed (any letter case), or the subject id (sub-…, as in the sealed values of the ticket's evidence export)", id)
	}
	return Erased{SubjectID: id, Reason: strings.TrimSpace(reason), ErasedBy: actor.ID}, nil
}
