package subject_test

import (
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/subject"
)

func TestErase(t *testing.T) {
	admin := domain.Actor{ID: "ops@vendor.example", Role: domain.RoleAdmin, Auth: domain.AuthToken}
	auditor := domain.Actor{ID: "carol@audit.example", Role: domain.RoleAuditor, Auth: domain.AuthToken}
	support := domain.Actor{ID: "bob@vendor.example", Role: domain.RoleVendorSupport, Auth: domain.AuthToken}
	const id = "sub-0123456789abcdef0123456789abcdef"
	erased := []domain.Event{subject.Erased{SubjectID: id, ErasedBy: admin.ID}}
	cases := []struct {
		name    string
		actor   domain.Actor
		id      string
		known   bool
		history []domain.Event
		want    domain.Event
		rule    domain.Rule
	}{
		{"admin erases a known subject", admin, id, true, nil, subject.Erased{SubjectID: id, Reason: "GDPR art. 17 request", ErasedBy: admin.ID}, ""},
		{"unknown subject", admin, id, false, nil, nil, domain.RuleSubjectNotFound},
		{"no subject", admin, " ", true, nil, nil, domain.RuleRequiredField},
		{"erased before", admin, id, false, erased, nil, domain.RuleSubjectErased},
		{"recorded but the key survived", admin, id, true, erased, nil, ""},
		{"auditor", auditor, id, true, nil, nil, domain.RuleAuditorReadOnly},
		{"vendor support", support, id, true, nil, nil, domain.RuleRoleNotAllowed},
		{"no actor", domain.Actor{}, id, true, nil, nil, domain.RuleActorRequired},
	}
	for _, c := range cases {
		got, err := subject.Erase(c.actor, c.id, " GDPR art. 17 request ", c.known, c.history)
		if domain.RuleOf(err) != c.rule || (c.rule != "" && err == nil) {
			t.Errorf("%s: error %v, want rule %q", c.name, err, c.rule)
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %#v, want %#v", c.name, got, c.want)
		}
	}
}
