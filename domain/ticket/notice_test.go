package ticket

import (
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

func notice(a domain.Actor, when time.Time, kind string, d sla.Deadline) cmdFn {
	return func(t *Ticket) ([]domain.Event, error) { return t.NoticeSLA(a, when, when, kind, d) }
}

func TestNoticeSLA(t *testing.T) {
	dA, dB := deadline(domain.SeverityA), deadline(domain.SeverityB) // B: 4h, at risk from 3h
	breached := func(d sla.Deadline, when time.Time) SLANoticed {
		return SLANoticed{Notice: NoticeBreached, Deadline: d, NoticedAt: when}
	}
	toA := SeverityChanged{From: "B", To: "A", Reason: "worse", Previous: dB, Deadline: dA, ChangedAt: at(time.Hour)}
	run(t, []tcase{
		{name: "breach just after the deadline", given: given(evOpened), when: notice(systemA, dB.At.Add(time.Second), NoticeBreached, dB),
			then: []domain.Event{breached(dB, dB.At.Add(time.Second))}},
		{name: "breach noticed late (the ledger was down) says when it noticed", given: given(evOpened), when: notice(systemA, dB.At.Add(3*time.Hour), NoticeBreached, dB),
			then: []domain.Event{breached(dB, dB.At.Add(3*time.Hour))}},
		{name: "no breach at the deadline itself", given: given(evOpened), when: notice(systemA, dB.At, NoticeBreached, dB)},
		{name: "no breach before the deadline", given: given(evOpened), when: notice(systemA, at(time.Hour), NoticeBreached, dB)},
		{name: "at risk in the last quarter", given: given(evOpened), when: notice(systemA, at(3*time.Hour), NoticeAtRisk, dB),
			then: []domain.Event{SLANoticed{Notice: NoticeAtRisk, Deadline: dB, NoticedAt: at(3 * time.Hour)}}},
		{name: "not at risk before the last quarter", given: given(evOpened), when: notice(systemA, at(2*time.Hour), NoticeAtRisk, dB)},
		{name: "not at risk once passed", given: given(evOpened), when: notice(systemA, dB.At.Add(time.Minute), NoticeAtRisk, dB)},
		{name: "answered before the deadline: no breach", given: given(evOpened, evResponded), when: notice(systemA, dB.At.Add(time.Second), NoticeBreached, dB)},
		{name: "resolved: no breach", given: given(evOpened, evResponded, evResolved), when: notice(systemA, dB.At.Add(time.Second), NoticeBreached, dB)},
		{name: "a moved deadline leaves the old notice stale", given: given(evOpened, toA), when: notice(systemA, dB.At.Add(time.Second), NoticeBreached, dB)},
		{name: "the moved deadline is noticed", given: given(evOpened, toA), when: notice(systemA, dA.At.Add(time.Second), NoticeBreached, dA),
			then: []domain.Event{breached(dA, dA.At.Add(time.Second))}},
		{name: "the same notice twice", given: given(evOpened, breached(dB, dB.At.Add(time.Second))), when: notice(systemA, dB.At.Add(time.Minute), NoticeBreached, dB)},
		{name: "breach after at risk", given: given(evOpened, SLANoticed{Notice: NoticeAtRisk, Deadline: dB, NoticedAt: at(3 * time.Hour)}),
			when: notice(systemA, dB.At.Add(time.Second), NoticeBreached, dB), then: []domain.Event{breached(dB, dB.At.Add(time.Second))}},
		{name: "a partner cannot notice", given: given(evOpened), when: notice(provA, dB.At.Add(time.Second), NoticeBreached, dB), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "vendor support cannot notice", given: given(evOpened), when: notice(vendorA, dB.At.Add(time.Second), NoticeBreached, dB), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "unknown notice kind", given: given(evOpened), when: notice(systemA, dB.At.Add(time.Second), "late", dB), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "never opened", when: notice(systemA, dB.At.Add(time.Second), NoticeBreached, dB), kind: domain.KindNotFound, rule: domain.RuleTicketNotFound},
		{name: "redirected request has no deadline", given: given(evRedirected), when: notice(systemA, dB.At.Add(time.Second), NoticeBreached, dB)},
	})
}

func TestNoticed(t *testing.T) {
	dB := deadline(domain.SeverityB)
	tk, err := Rebuild(given(evOpened, SLANoticed{Notice: NoticeBreached, Deadline: dB, NoticedAt: dB.At.Add(time.Second)}))
	if err != nil {
		t.Fatal(err)
	}
	if at, ok := tk.Noticed(NoticeBreached); !ok || !at.Equal(dB.At.Add(time.Second)) {
		t.Errorf("Noticed(breached) = %v, %v; want %v", at, ok, dB.At.Add(time.Second))
	}
	if _, ok := tk.Noticed(NoticeAtRisk); ok {
		t.Error("Noticed(at_risk) = true, want false")
	}
	if got, want := NoticeDue(NoticeAtRisk, dB), dB.At.Add(-time.Hour); !got.Equal(want) {
		t.Errorf("NoticeDue(at_risk) = %v, want %v (a quarter of 4h before the deadline)", got, want)
	}
	if got := NoticeDue(NoticeBreached, dB); !dB.Passed(got) {
		t.Errorf("NoticeDue(breached) = %v: the deadline %v has not passed then", got, dB.At)
	}
}
