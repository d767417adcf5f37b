package ticket

import (
	"fmt"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// active are the statuses in which a ticket is being worked on.
var active = []Status{StatusOpen, StatusAwaitingPartner}

// live are the statuses in which a ticket still takes notes and housekeeping.
var live = []Status{StatusOpen, StatusAwaitingPartner, StatusResolved}

// FirstResponse records vendor support's first response.
type FirstResponse struct{ Summary string }

// Decide records vendor support's first response at occurredAt
// (RespondedAt). Met is whether it came no later than the deadline in force
// at that instant. Only once; only vendor support.
func (a FirstResponse) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	if err := t.begin("record a first response on", actor, occurredAt, now, vendor, active...); err != nil {
		return nil, err
	}
	if t.responded {
		return nil, domain.Errorf(domain.KindConflict, domain.RuleFirstResponseRecorded, "respondedAt",
			"the first response on ticket %q was already recorded at %s: record later replies as notes", t.id, t.respondedAt.UTC().Format(time.RFC3339))
	}
	s := strings.TrimSpace(a.Summary)
	if len([]rune(s)) > MaxText {
		return nil, required("summary", "summary is longer than %d characters", MaxText)
	}
	return t.emit(t.firstResponse(actor, occurredAt, s)), nil
}

// firstResponse builds the FirstResponseRecorded event for a response at at.
func (t *Ticket) firstResponse(actor domain.Actor, at time.Time, summary string) FirstResponseRecorded {
	d := t.DeadlineAt(at)
	return FirstResponseRecorded{Responder: actor.ID, RespondedAt: at, Deadline: d, Met: !at.After(d.At), Summary: summary}
}

// respondFirst returns the implicit first response a vendor action carries
// when none is recorded yet (asking for information or resolving is a
// response), or nothing.
func (t *Ticket) respondFirst(actor domain.Actor, at time.Time, summary string) []domain.Event {
	if t.responded {
		return nil
	}
	return []domain.Event{t.firstResponse(actor, at, summary)}
}

// SeverityChange changes the severity; the deadline is recomputed from the
// opening under the policy.
type SeverityChange struct {
	To     domain.Severity
	Reason string
}

// Decide changes the business impact while the ticket is open or
// awaiting the partner. The deadline is recomputed with policy from the
// ticket's creation (OpenedAt: "retroactive start") under the new
// severity; the old promise stays in Previous. BreachedOnChange is set when
// the new deadline had already passed at occurredAt with no first response.
// After the first response the change is still recorded (with its
// deadline, AfterFirstResponse set) but no longer decides compliance.
// Changing to the current severity emits nothing. Only partners.
func (a SeverityChange) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, policy DeadlinePolicy) ([]domain.Event, error) {
	if err := t.begin("change the severity of", actor, occurredAt, now, partners, active...); err != nil {
		return nil, err
	}
	if !a.To.Valid() {
		return nil, required("severity", "severity %q is not A, B or C", a.To)
	}
	if a.To == t.severity {
		return nil, nil
	}
	reason, err := text("reason", a.Reason, MaxText)
	if err != nil {
		return nil, err
	}
	if last := t.deadlines[len(t.deadlines)-1].from; occurredAt.Before(last) {
		return nil, domain.Errorf(domain.KindConflict, domain.RuleOutOfOrder, "occurredAt",
			"the severity of ticket %q last changed at %s, after %s: a severity change cannot be dated before the previous one; use the time it actually happened",
			t.id, last.UTC().Format(time.RFC3339), occurredAt.UTC().Format(time.RFC3339))
	}
	if policy == nil {
		return nil, domain.Errorf(domain.KindInternal, domain.RuleRequiredField, "policy", "no SLA policy was given to recompute the first-response deadline")
	}
	d, err := policy.Deadline(sla.Request{Class: t.class, Severity: a.To, Language: t.language, Locale: t.locale, OpenedAt: t.openedAt})
	if err != nil {
		return nil, fmt.Errorf("change severity of ticket %s: first-response deadline: %w", t.id, err)
	}
	return t.emit(SeverityChanged{
		From: t.severity, To: a.To, Reason: reason, Previous: t.Deadline(), Deadline: d,
		BreachedOnChange: !t.responded && occurredAt.After(d.At), ChangedAt: occurredAt,
		AfterFirstResponse: t.responded,
	}), nil
}

// Escalation escalates the request with the escalation criteria met.
type Escalation struct {
	Reason   string
	Criteria []string
}

// Decide escalates the ticket to the vendor (domain.md rule 6): it needs
// a reason and at least one escalation criterion met. Escalating again
// needs a reason not given before. Only partners.
func (a Escalation) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	if err := t.begin("escalate", actor, occurredAt, now, partners, active...); err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(a.Reason)
	var met []string
	for _, c := range a.Criteria {
		if c = strings.TrimSpace(c); c != "" {
			met = append(met, c)
		}
	}
	if reason == "" || len(met) == 0 {
		return nil, domain.Errorf(domain.KindInvalid, domain.RuleEscalationNeedsReasonAndCriteria, "reason",
			"an escalation records why the partner cannot solve the problem itself and which escalation criteria it meets (reason given: %t, criteria met: %d): give both", reason != "", len(met))
	}
	if len([]rune(reason)) > MaxText {
		return nil, required("reason", "reason is longer than %d characters", MaxText)
	}
	for i, r := range t.escalations {
		if strings.EqualFold(r, reason) {
			return nil, domain.Errorf(domain.KindConflict, domain.RuleEscalationNeedsNewReason, "reason",
				"ticket %q was already escalated (level %d) for this reason: escalate again only for a new reason, or add a note", t.id, i+1)
		}
	}
	return t.emit(Escalated{Level: len(t.escalations) + 1, Reason: reason, CriteriaMet: met}), nil
}

// InfoRequest is vendor support asking the partner for information.
type InfoRequest struct{ Question string }

// Decide asks the partner for information; the ticket awaits the
// partner until it answers. With no first response yet, it also records one
// (a question is a response). Only vendor support.
func (a InfoRequest) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	q, err := t.beginText("request information on", actor, occurredAt, now, vendor, active, "question", a.Question)
	if err != nil {
		return nil, err
	}
	evs := append(t.respondFirst(actor, occurredAt, "information requested"), InfoRequested{Question: q})
	return t.emit(evs...), nil
}

// InfoAnswer is the partner's answer to an information request.
type InfoAnswer struct{ Answer string }

// Decide answers a pending information request; the ticket is open
// again. Only partners.
func (a InfoAnswer) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	if err := t.begin("provide information on", actor, occurredAt, now, partners, active...); err != nil {
		return nil, err
	}
	if t.status != StatusAwaitingPartner {
		return nil, domain.Errorf(domain.KindConflict, domain.RuleNoInfoRequested, "status",
			"vendor support has not asked for information on ticket %q: add it as a note instead", t.id)
	}
	answer, err := text("answer", a.Answer, MaxText)
	if err != nil {
		return nil, err
	}
	return t.emit(InfoProvided{Answer: answer}), nil
}

// Dispute opens a billing dispute.
type Dispute struct {
	DisputeID   string
	InvoiceRef  string
	AmountCents int64
	Currency    string // ISO 4217, e.g. EUR
	Reason      string
}

// Decide opens a billing dispute on the ticket. A dispute id is
// used once per ticket. Only partners.
func (in Dispute) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	if err := t.begin("open a billing dispute on", actor, occurredAt, now, partners, active...); err != nil {
		return nil, err
	}
	var f texts
	id := f.get("disputeId", in.DisputeID, maxShortString)
	inv := f.get("invoiceRef", in.InvoiceRef, maxShortString)
	if f.err != nil {
		return nil, f.err
	}
	if in.AmountCents <= 0 {
		return nil, required("amountCents", "the disputed amount must be positive (minor units, e.g. 1250 for 12.50)")
	}
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if !currency(cur) {
		return nil, required("currency", "%q is not an ISO 4217 currency code (e.g. EUR, USD)", in.Currency)
	}
	reason, err := text("reason", in.Reason, MaxText)
	if err != nil {
		return nil, err
	}
	if _, ok := t.disputes[id]; ok {
		return nil, domain.Errorf(domain.KindConflict, domain.RuleDisputeExists, "disputeId",
			"ticket %q already has billing dispute %q: use a new dispute id", t.id, id)
	}
	return t.emit(BillingDisputeOpened{DisputeID: id, InvoiceRef: inv, AmountCents: in.AmountCents, Currency: cur, Reason: reason}), nil
}

// Dispute outcomes.
const (
	OutcomeUpheld   = "upheld"   // the partner was right: credit the whole amount (or what is due)
	OutcomeRejected = "rejected" // no credit
	OutcomePartial  = "partial"  // part of the amount is credited
)

// Decision decides a billing dispute.
type Decision struct {
	DisputeID         string
	Outcome           string // upheld | rejected | partial
	CreditAmountCents int64
	Currency          string // defaults to the dispute's currency
	Explanation       string
}

// Decide decides an open billing dispute. A rejected dispute
// credits nothing; an upheld or partial one credits a positive amount no
// larger than the disputed one (partial: smaller). Only vendor support.
func (in Decision) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	if err := t.begin("resolve a billing dispute on", actor, occurredAt, now, vendor, active...); err != nil {
		return nil, err
	}
	d, ok := t.disputes[in.DisputeID]
	if !ok || !d.open {
		state := "no such dispute"
		if ok {
			state = "already resolved"
		}
		return nil, domain.Errorf(domain.KindConflict, domain.RuleDisputeNotOpen, "disputeId",
			"billing dispute %q on ticket %q is not open (%s): check the dispute id; open disputes: %v", in.DisputeID, t.id, state, t.OpenDisputes())
	}
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if cur == "" {
		cur = d.currency
	}
	if cur != d.currency {
		return nil, required("currency", "the dispute is in %s: credit in the same currency", d.currency)
	}
	switch in.Outcome {
	case OutcomeRejected:
		if in.CreditAmountCents != 0 {
			return nil, required("creditAmountCents", "a rejected dispute credits nothing: set the credit to 0, or use outcome partial")
		}
	case OutcomeUpheld, OutcomePartial:
		if in.CreditAmountCents <= 0 || in.CreditAmountCents > d.amountCents {
			return nil, required("creditAmountCents", "an %s dispute credits a positive amount up to the disputed %d: set the credit", in.Outcome, d.amountCents)
		}
		if in.Outcome == OutcomePartial && in.CreditAmountCents == d.amountCents {
			return nil, required("creditAmountCents", "a partial credit is less than the disputed %d: use outcome upheld for the full amount", d.amountCents)
		}
	default:
		return nil, required("outcome", "outcome %q is unknown: use upheld, rejected or partial", in.Outcome)
	}
	expl, err := text("explanation", in.Explanation, MaxText)
	if err != nil {
		return nil, err
	}
	return t.emit(BillingDisputeResolved{DisputeID: in.DisputeID, Outcome: in.Outcome, CreditAmountCents: in.CreditAmountCents, Currency: cur, Explanation: expl}), nil
}

// FraudFlag flags suspected fraud.
type FraudFlag struct {
	Reason     string
	Indicators []string
}

// Decide flags suspected fraud. Flagging a flagged ticket is a conflict
// (add a note with new indicators). Only partners.
func (a FraudFlag) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	reason, err := t.beginText("flag fraud on", actor, occurredAt, now, partners, active, "reason", a.Reason)
	if err != nil {
		return nil, err
	}
	if t.fraud {
		return nil, domain.Errorf(domain.KindConflict, domain.RuleFraudAlreadyFlagged, "status",
			"fraud is already flagged on ticket %q: add a note with the new indicators", t.id)
	}
	var ind []string
	for _, i := range a.Indicators {
		if i = strings.TrimSpace(i); i != "" {
			ind = append(ind, i)
		}
	}
	return t.emit(FraudFlagged{Reason: reason, Indicators: ind}), nil
}

// FraudClearance clears a fraud flag.
type FraudClearance struct{ Reason string }

// Decide clears a fraud flag. Only vendor support; the ticket must be
// flagged.
func (a FraudClearance) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	if err := t.begin("clear fraud on", actor, occurredAt, now, vendor, live...); err != nil {
		return nil, err
	}
	if !t.fraud {
		return nil, domain.Errorf(domain.KindConflict, domain.RuleFraudNotFlagged, "status",
			"no fraud is flagged on ticket %q (never flagged, or already cleared): there is nothing to clear", t.id)
	}
	reason, err := text("reason", a.Reason, MaxText)
	if err != nil {
		return nil, err
	}
	return t.emit(FraudCleared{Reason: reason}), nil
}

// Note adds a free-text note.
type Note struct{ Text string }

// Decide adds a free-text note. Partners, vendor support and the system
// may add notes until the ticket is closed. A note may be backdated to any
// time since the opening (within the window).
func (a Note) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	n, err := t.beginText("add a note to", actor, occurredAt, now, partners|vendor|system, live, "text", a.Text)
	if err != nil {
		return nil, err
	}
	return t.emit(NoteAdded{Text: n}), nil
}

// Reassignment moves the request to another engineer or queue.
type Reassignment struct{ To, Reason string }

// Decide moves the ticket to another owner (engineer or queue).
// Reassigning to the current owner emits nothing. Only vendor support.
func (a Reassignment) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	if err := t.begin("reassign", actor, occurredAt, now, vendor, live...); err != nil {
		return nil, err
	}
	to, err := text("to", a.To, maxShortString)
	if err != nil {
		return nil, err
	}
	if to == t.owner {
		return nil, nil
	}
	return t.emit(Reassigned{From: t.owner, To: to, Reason: strings.TrimSpace(a.Reason)}), nil
}

// Resolution resolves the request, saying how.
type Resolution struct{ Text string }

// Decide resolves the ticket. With no first response yet, it also records
// one. A ticket with an open billing dispute cannot be resolved. Only vendor
// support.
func (a Resolution) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	if err := t.begin("resolve", actor, occurredAt, now, vendor, active...); err != nil {
		return nil, err
	}
	if err := t.noOpenDispute("resolve"); err != nil {
		return nil, err
	}
	r, err := text("resolution", a.Text, MaxText)
	if err != nil {
		return nil, err
	}
	evs := append(t.respondFirst(actor, occurredAt, "resolved"), Resolved{Resolution: r})
	return t.emit(evs...), nil
}

// Reopening reopens a resolved request.
type Reopening struct{ Reason string }

// Decide reopens a resolved ticket; it is open again (its first response
// and deadlines stay as they were). Only partners.
func (a Reopening) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	reason, err := t.beginText("reopen", actor, occurredAt, now, partners, []Status{StatusResolved}, "reason", a.Reason)
	if err != nil {
		return nil, err
	}
	return t.emit(Reopened{Reason: reason}), nil
}

// Closure closes the request for good.
type Closure struct{ Reason string }

// Decide closes the ticket for good. The partners may close it when resolved
// or withdraw it while open or awaiting them; the system closes only
// resolved tickets (auto-close). A ticket with an open billing dispute
// cannot be closed.
func (a Closure) Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	allowed := live
	if actor.Role == domain.RoleSystem {
		allowed = []Status{StatusResolved}
	}
	if err := t.begin("close", actor, occurredAt, now, partners|system, allowed...); err != nil {
		return nil, err
	}
	if err := t.noOpenDispute("close"); err != nil {
		return nil, err
	}
	reason, err := text("reason", a.Reason, MaxText)
	if err != nil {
		return nil, err
	}
	return t.emit(Closed{Reason: reason}), nil
}

func (t *Ticket) noOpenDispute(cmd string) error {
	if open := t.OpenDisputes(); len(open) > 0 {
		return domain.Errorf(domain.KindConflict, domain.RuleDisputeOpen, "status",
			"ticket %q has open billing disputes %v, so you cannot %s it: resolve the disputes first", t.id, open, cmd)
	}
	return nil
}

func currency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
