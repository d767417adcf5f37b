package ticket

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// NoticeRisk is the at-risk threshold of SLA notices: the one the at-risk
// gauge uses (sla.GaugeRisk, less than a quarter of the target left), so a
// ticket the gauge counts is the ticket the partner is told about.
var NoticeRisk = sla.GaugeRisk

// NoticeDue returns when the notice of kind falls due for deadline d: the
// instant it becomes at risk under NoticeRisk (d.AtRiskFrom), or just after
// d.At for a breach (sla.Deadline.Passed is strict).
func NoticeDue(kind string, d sla.Deadline) time.Time {
	if kind == NoticeAtRisk {
		return d.AtRiskFrom(NoticeRisk)
	}
	return d.At.Add(time.Nanosecond)
}

// NoticeSLA records that the ledger noticed at now that d — the deadline
// a notice was scheduled for — is at risk (NoticeAtRisk, under NoticeRisk)
// or has passed (NoticeBreached) with no first response. occurredAt is the
// command's and normally now; the event's NoticedAt is now. Only the
// system.
//
// A notice that no longer applies emits nothing (not an error), so a
// watcher may fire late, twice, or on two replicas at once: the ticket is
// not open or awaiting the partner, it was answered, d is not the deadline
// in force any more (a severity change moved it: compared by instant,
// severity and policy version), the same notice of the same deadline is
// recorded already, or it does not hold at now (at_risk: d.AtRisk(now,
// NoticeRisk), which also means not passed; breached: d.Passed(now)).
func (t *Ticket) NoticeSLA(actor domain.Actor, occurredAt, now time.Time, kind string, d sla.Deadline) ([]domain.Event, error) {
	if err := authorize("record an SLA notice on", actor, system); err != nil {
		return nil, err
	}
	if err := t.window.Check(occurredAt, now); err != nil {
		return nil, err
	}
	if kind != NoticeAtRisk && kind != NoticeBreached {
		return nil, required("notice", "SLA notice %q is unknown: use %s or %s", kind, NoticeAtRisk, NoticeBreached)
	}
	if t.status == StatusNew {
		return nil, domain.Errorf(domain.KindNotFound, domain.RuleTicketNotFound, "ticketId",
			"ticket %q was never opened, so it has no deadline to notice: check the ticket id", t.id)
	}
	if !t.noticeApplies(kind, d, now) {
		return nil, nil
	}
	return t.emit(SLANoticed{Notice: kind, Deadline: t.Deadline(), NoticedAt: now}), nil
}

// noticeApplies: the notice of kind for d is still to be recorded at now.
func (t *Ticket) noticeApplies(kind string, d sla.Deadline, now time.Time) bool {
	if t.status != StatusOpen && t.status != StatusAwaitingPartner || t.responded || len(t.deadlines) == 0 {
		return false
	}
	cur := t.Deadline()
	if !sameDeadline(cur, d) {
		return false
	}
	for _, n := range t.notices {
		if n.Notice == kind && sameDeadline(n.Deadline, cur) {
			return false
		}
	}
	if kind == NoticeAtRisk {
		return cur.AtRisk(now, NoticeRisk)
	}
	return cur.Passed(now)
}

// sameDeadline: a and b are the same promise (instant, severity, policy).
func sameDeadline(a, b sla.Deadline) bool {
	return a.At.Equal(b.At) && a.Severity == b.Severity && a.PolicyVersion == b.PolicyVersion
}

// Noticed returns when the notice of kind was recorded for the deadline
// in force, and whether it was.
func (t *Ticket) Noticed(kind string) (time.Time, bool) {
	cur := t.Deadline()
	for _, n := range t.notices {
		if n.Notice == kind && sameDeadline(n.Deadline, cur) {
			return n.NoticedAt, true
		}
	}
	return time.Time{}, false
}

// SLANotice records an SLA notice the ledger noticed by itself (NoticeSLA):
// the action the deadline watcher runs as the system principal.
type SLANotice struct {
	Notice   string       // NoticeAtRisk or NoticeBreached
	Deadline sla.Deadline // the deadline the notice was scheduled for
}

// Verb implements Action.
func (SLANotice) Verb() string { return "record an SLA notice on" }

// Decide implements Action.
func (a SLANotice) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.NoticeSLA(actor, at, now, a.Notice, a.Deadline)
}
