package ticket

import (
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

type cmdFn = func(*Ticket) ([]domain.Event, error)

func respond(a domain.Actor, when time.Time) cmdFn {
	return act(a, when, FirstResponse{Summary: " on it "})
}

func severity(a domain.Actor, when time.Time, to domain.Severity) cmdFn {
	return act(a, when, SeverityChange{To: to, Reason: "worse"})
}

func escalate(a domain.Actor, reason string, criteria ...string) cmdFn {
	return act(a, at(2*time.Hour), Escalation{Reason: reason, Criteria: criteria})
}

func note(a domain.Actor, when time.Time) cmdFn {
	return act(a, when, Note{Text: " called them "})
}

// commandCases covers every command after Open: its happy path, who may
// issue it, the statuses it applies in, and its own rules.
func commandCases() []tcase {
	dA, dB, dC := deadline(domain.SeverityA), deadline(domain.SeverityB), deadline(domain.SeverityC)
	respondedAt := func(d time.Duration, dl sla.Deadline, met bool) FirstResponseRecorded {
		return FirstResponseRecorded{Responder: "eng1", RespondedAt: at(d), Deadline: dl, Met: met, Summary: "on it"}
	}
	return []tcase{
		// FirstResponse.
		{name: "first response in time", given: given(evOpened), when: respond(vendorA, at(time.Hour)),
			then: []domain.Event{respondedAt(time.Hour, dB, true)}},
		{name: "first response exactly at the deadline meets it", given: given(evOpened), when: respond(vendorA, dB.At),
			then: []domain.Event{respondedAt(4*time.Hour, dB, true)}},
		{name: "first response late", given: given(evOpened), when: respond(vendorA, at(5*time.Hour)),
			then: []domain.Event{respondedAt(5*time.Hour, dB, false)}},
		{name: "first response after a severity change is judged by the new deadline",
			given: given(evOpened, SeverityChanged{From: "B", To: "A", Reason: "worse", Previous: dB, Deadline: dA, ChangedAt: at(time.Hour)}),
			when:  respond(vendorA, at(3*time.Hour)),
			then:  []domain.Event{respondedAt(3*time.Hour, dA, false)}},
		{name: "backdated first response is judged by the deadline in force then",
			given: given(evOpened, SeverityChanged{From: "B", To: "A", Reason: "worse", Previous: dB, Deadline: dA, ChangedAt: at(3 * time.Hour)}),
			when:  respond(vendorA, at(150*time.Minute)),
			then:  []domain.Event{respondedAt(150*time.Minute, dB, true)}},
		{name: "respond twice", given: given(evOpened, evResponded), when: respond(vendorA, at(2*time.Hour)), kind: domain.KindConflict, rule: domain.RuleFirstResponseRecorded},
		{name: "respond before the opening", given: given(evOpened), when: respond(vendorA, at(-time.Minute)), kind: domain.KindInvalid, rule: domain.RuleOccurredBeforeOpening},
		{name: "respond to a closed ticket", given: given(evOpened, evResolved, evClosed), when: respond(vendorA, at(time.Hour)), kind: domain.KindConflict, rule: domain.RuleTicketClosed},
		{name: "respond to a redirected request", given: given(evRedirected), when: respond(vendorA, at(time.Hour)), kind: domain.KindConflict, rule: domain.RuleTicketRedirected},
		{name: "respond to a ticket never opened", when: respond(vendorA, at(time.Hour)), kind: domain.KindNotFound, rule: domain.RuleTicketNotFound},
		{name: "partner records the first response", given: given(evOpened), when: respond(provA, at(time.Hour)), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "auditor records the first response", given: given(evOpened), when: respond(auditorA, at(time.Hour)), kind: domain.KindForbidden, rule: domain.RuleAuditorReadOnly},
		{name: "first response in the future", given: given(evOpened), when: respond(vendorA, now.Add(time.Hour)), kind: domain.KindInvalid, rule: domain.RuleOccurredAtInFuture},
		{name: "first response summary too long", given: given(evOpened),
			when: act(vendorA, at(time.Hour), FirstResponse{Summary: strings.Repeat("x", MaxText+1)}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},

		// SeverityChange.
		{name: "raise severity in time", given: given(evOpened), when: severity(provA, at(time.Hour), domain.SeverityA),
			then: []domain.Event{SeverityChanged{From: "B", To: "A", Reason: "worse", Previous: dB, Deadline: dA, ChangedAt: at(time.Hour)}}},
		{name: "raise severity after the new deadline passed breaches on change", given: given(evOpened), when: severity(provA, at(3*time.Hour), domain.SeverityA),
			then: []domain.Event{SeverityChanged{From: "B", To: "A", Reason: "worse", Previous: dB, Deadline: dA, BreachedOnChange: true, ChangedAt: at(3 * time.Hour)}}},
		{name: "lower severity", given: given(evOpened), when: severity(provA, at(time.Hour), domain.SeverityC),
			then: []domain.Event{SeverityChanged{From: "B", To: "C", Reason: "worse", Previous: dB, Deadline: dC, ChangedAt: at(time.Hour)}}},
		{name: "severity change after the first response is recorded, not breached", given: given(evOpened, evResponded), when: severity(provA, at(3*time.Hour), domain.SeverityA),
			then: []domain.Event{SeverityChanged{From: "B", To: "A", Reason: "worse", Previous: dB, Deadline: dA, ChangedAt: at(3 * time.Hour), AfterFirstResponse: true}}},
		{name: "second change keeps the first as previous",
			given: given(evOpened, SeverityChanged{From: "B", To: "A", Reason: "worse", Previous: dB, Deadline: dA, ChangedAt: at(time.Hour)}),
			when:  severity(provA, at(time.Hour), domain.SeverityC),
			then:  []domain.Event{SeverityChanged{From: "A", To: "C", Reason: "worse", Previous: dA, Deadline: dC, ChangedAt: at(time.Hour)}}},
		{name: "same severity emits nothing", given: given(evOpened), when: severity(provA, at(time.Hour), domain.SeverityB)},
		{name: "severity change dated before the previous one",
			given: given(evOpened, SeverityChanged{From: "B", To: "A", Reason: "worse", Previous: dB, Deadline: dA, ChangedAt: at(2 * time.Hour)}),
			when:  severity(provA, at(time.Hour), domain.SeverityC), kind: domain.KindConflict, rule: domain.RuleOutOfOrder},
		{name: "bad severity", given: given(evOpened), when: severity(provA, at(time.Hour), "Z"), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "severity change without reason", given: given(evOpened),
			when: act(provA, at(time.Hour), SeverityChange{To: "A", Reason: " "}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "severity change without policy", given: given(evOpened),
			when: func(t *Ticket) ([]domain.Event, error) {
				return SeverityChange{To: "A", Reason: "worse"}.Decide(t, provA, at(time.Hour), now, nil)
			},
			kind: domain.KindInternal, rule: domain.RuleRequiredField},
		{name: "severity change the policy refuses", given: given(opened(func(e *Opened) { e.Locale = "xx" })),
			when: severity(provA, at(time.Hour), domain.SeverityA), kind: domain.KindInvalid, rule: "unknown-calendar"},
		{name: "vendor changes severity", given: given(evOpened), when: severity(vendorA, at(time.Hour), "A"), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "stranger changes severity", given: given(evOpened), when: severity(otherA, at(time.Hour), "A"), kind: domain.KindForbidden, rule: domain.RuleNotOwnTicket},
		{name: "severity of a resolved ticket", given: given(evOpened, evResolved), when: severity(provA, at(time.Hour), "A"), kind: domain.KindConflict, rule: domain.RuleInvalidTransition},

		// Escalation (rule 6).
		{name: "escalate", given: given(evOpened), when: escalate(provA, " outage continues ", "production down", " "),
			then: []domain.Event{evEscalated}},
		{name: "escalate again for a new reason", given: given(evOpened, evEscalated), when: escalate(provA, "data loss", "production down"),
			then: []domain.Event{Escalated{Level: 2, Reason: "data loss", CriteriaMet: []string{"production down"}}}},
		{name: "escalate while awaiting the partner", given: given(evOpened, evResponded, evInfoReq), when: escalate(provA, "slow", "sla at risk"),
			then: []domain.Event{Escalated{Level: 1, Reason: "slow", CriteriaMet: []string{"sla at risk"}}}},
		{name: "escalate without reason", given: given(evOpened), when: escalate(provA, " ", "production down"), kind: domain.KindInvalid, rule: domain.RuleEscalationNeedsReasonAndCriteria},
		{name: "escalate without criteria", given: given(evOpened), when: escalate(provA, "outage", " "), kind: domain.KindInvalid, rule: domain.RuleEscalationNeedsReasonAndCriteria},
		{name: "escalate again for the same reason", given: given(evOpened, evEscalated), when: escalate(provA, "Outage continues", "x"), kind: domain.KindConflict, rule: domain.RuleEscalationNeedsNewReason},
		{name: "escalation reason too long", given: given(evOpened), when: escalate(provA, strings.Repeat("x", MaxText+1), "x"), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "vendor escalates", given: given(evOpened), when: escalate(vendorA, "x", "y"), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "escalate a resolved ticket", given: given(evOpened, evResolved), when: escalate(provA, "x", "y"), kind: domain.KindConflict, rule: domain.RuleInvalidTransition},

		// InfoRequest / InfoAnswer.
		{name: "request info after the first response", given: given(evOpened, evResponded),
			when: act(vendorA, at(2*time.Hour), InfoRequest{Question: " logs? "}),
			then: []domain.Event{evInfoReq}},
		{name: "request info is a first response", given: given(evOpened),
			when: act(vendorA, at(5*time.Hour), InfoRequest{Question: "logs?"}),
			then: []domain.Event{FirstResponseRecorded{Responder: "eng1", RespondedAt: at(5 * time.Hour), Deadline: dB, Met: false, Summary: "information requested"}, evInfoReq}},
		{name: "request info without question", given: given(evOpened, evResponded),
			when: act(vendorA, at(2*time.Hour), InfoRequest{}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "partner requests info", given: given(evOpened),
			when: act(provA, at(2*time.Hour), InfoRequest{Question: "x"}),
			kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "provide info", given: given(evOpened, evResponded, evInfoReq),
			when: act(provA, at(3*time.Hour), InfoAnswer{Answer: "here"}),
			then: []domain.Event{evInfo}},
		{name: "provide info nobody asked for", given: given(evOpened, evResponded),
			when: act(provA, at(3*time.Hour), InfoAnswer{Answer: "here"}),
			kind: domain.KindConflict, rule: domain.RuleNoInfoRequested},
		{name: "provide info on a resolved ticket", given: given(evOpened, evResolved),
			when: act(provA, at(3*time.Hour), InfoAnswer{Answer: "here"}),
			kind: domain.KindConflict, rule: domain.RuleInvalidTransition},
		{name: "provide empty info", given: given(evOpened, evResponded, evInfoReq),
			when: act(provA, at(3*time.Hour), InfoAnswer{Answer: " "}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},

		// Billing disputes.
		{name: "open a dispute", given: given(evOpened),
			when: act(provA, at(time.Hour), Dispute{DisputeID: "d1", InvoiceRef: "INV-1", AmountCents: 10000, Currency: "eur", Reason: "double charge"}),
			then: []domain.Event{evDispute}},
		{name: "open a dispute id twice", given: given(evOpened, evDispute, evDisputeDone),
			when: act(provA, at(time.Hour), Dispute{DisputeID: "d1", InvoiceRef: "INV-1", AmountCents: 1, Currency: "EUR", Reason: "x"}),
			kind: domain.KindConflict, rule: domain.RuleDisputeExists},
		{name: "dispute without amount", given: given(evOpened),
			when: act(provA, at(time.Hour), Dispute{DisputeID: "d1", InvoiceRef: "INV-1", Currency: "EUR", Reason: "x"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "dispute with a bad currency", given: given(evOpened),
			when: act(provA, at(time.Hour), Dispute{DisputeID: "d1", InvoiceRef: "INV-1", AmountCents: 1, Currency: "E1R", Reason: "x"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "dispute without id", given: given(evOpened),
			when: act(provA, at(time.Hour), Dispute{InvoiceRef: "INV-1", AmountCents: 1, Currency: "EUR", Reason: "x"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "dispute without invoice", given: given(evOpened),
			when: act(provA, at(time.Hour), Dispute{DisputeID: "d1", AmountCents: 1, Currency: "EUR", Reason: "x"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "dispute without reason", given: given(evOpened),
			when: act(provA, at(time.Hour), Dispute{DisputeID: "d1", InvoiceRef: "I", AmountCents: 1, Currency: "EUR"}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "vendor opens a dispute", given: given(evOpened),
			when: act(vendorA, at(time.Hour), Dispute{}),
			kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "resolve a dispute", given: given(evOpened, evDispute), when: decide(Decision{DisputeID: "d1", Outcome: OutcomeRejected, Explanation: " single charge "}),
			then: []domain.Event{evDisputeDone}},
		{name: "uphold a dispute", given: given(evOpened, evDispute), when: decide(Decision{DisputeID: "d1", Outcome: OutcomeUpheld, CreditAmountCents: 10000, Currency: "eur", Explanation: "refund"}),
			then: []domain.Event{BillingDisputeResolved{DisputeID: "d1", Outcome: OutcomeUpheld, CreditAmountCents: 10000, Currency: "EUR", Explanation: "refund"}}},
		{name: "partial credit", given: given(evOpened, evDispute), when: decide(Decision{DisputeID: "d1", Outcome: OutcomePartial, CreditAmountCents: 5000, Explanation: "half"}),
			then: []domain.Event{BillingDisputeResolved{DisputeID: "d1", Outcome: OutcomePartial, CreditAmountCents: 5000, Currency: "EUR", Explanation: "half"}}},
		{name: "resolve a dispute that is not open", given: given(evOpened), when: decide(Decision{DisputeID: "d1", Outcome: OutcomeRejected, Explanation: "x"}), kind: domain.KindConflict, rule: domain.RuleDisputeNotOpen},
		{name: "resolve a dispute twice", given: given(evOpened, evDispute, evDisputeDone), when: decide(Decision{DisputeID: "d1", Outcome: OutcomeRejected, Explanation: "x"}), kind: domain.KindConflict, rule: domain.RuleDisputeNotOpen},
		{name: "rejected dispute with credit", given: given(evOpened, evDispute), when: decide(Decision{DisputeID: "d1", Outcome: OutcomeRejected, CreditAmountCents: 1, Explanation: "x"}), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "credit above the disputed amount", given: given(evOpened, evDispute), when: decide(Decision{DisputeID: "d1", Outcome: OutcomeUpheld, CreditAmountCents: 10001, Explanation: "x"}), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "partial credit of the whole amount", given: given(evOpened, evDispute), when: decide(Decision{DisputeID: "d1", Outcome: OutcomePartial, CreditAmountCents: 10000, Explanation: "x"}), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "credit in another currency", given: given(evOpened, evDispute), when: decide(Decision{DisputeID: "d1", Outcome: OutcomeUpheld, CreditAmountCents: 1, Currency: "USD", Explanation: "x"}), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "unknown outcome", given: given(evOpened, evDispute), when: decide(Decision{DisputeID: "d1", Outcome: "maybe", Explanation: "x"}), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "decision without explanation", given: given(evOpened, evDispute), when: decide(Decision{DisputeID: "d1", Outcome: OutcomeRejected}), kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "partner resolves a dispute", given: given(evOpened, evDispute),
			when: act(provA, at(time.Hour), Decision{}),
			kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},

		// Fraud.
		{name: "flag fraud", given: given(evOpened),
			when: act(provA, at(time.Hour), FraudFlag{Reason: "odd orders", Indicators: []string{" new card ", ""}}),
			then: []domain.Event{evFraud}},
		{name: "flag fraud twice", given: given(evOpened, evFraud),
			when: act(provA, at(time.Hour), FraudFlag{Reason: "again"}),
			kind: domain.KindConflict, rule: domain.RuleFraudAlreadyFlagged},
		{name: "flag fraud again after clearing", given: given(evOpened, evFraud, evFraudClear),
			when: act(provA, at(time.Hour), FraudFlag{Reason: "again"}),
			then: []domain.Event{FraudFlagged{Reason: "again"}}},
		{name: "flag fraud without reason", given: given(evOpened),
			when: act(provA, at(time.Hour), FraudFlag{}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "vendor flags fraud", given: given(evOpened),
			when: act(vendorA, at(time.Hour), FraudFlag{Reason: "x"}),
			kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "clear fraud", given: given(evOpened, evFraud),
			when: act(vendorA, at(time.Hour), FraudClearance{Reason: "verified"}),
			then: []domain.Event{evFraudClear}},
		{name: "clear fraud never flagged", given: given(evOpened),
			when: act(vendorA, at(time.Hour), FraudClearance{Reason: "x"}),
			kind: domain.KindConflict, rule: domain.RuleFraudNotFlagged},
		{name: "clear fraud already cleared", given: given(evOpened, evFraud, evFraudClear),
			when: act(vendorA, at(time.Hour), FraudClearance{Reason: "x"}),
			kind: domain.KindConflict, rule: domain.RuleFraudNotFlagged},
		{name: "clear fraud without reason", given: given(evOpened, evFraud),
			when: act(vendorA, at(time.Hour), FraudClearance{}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "partner clears fraud", given: given(evOpened, evFraud),
			when: act(provA, at(time.Hour), FraudClearance{Reason: "x"}),
			kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},

		// Notes.
		{name: "partner adds a note", given: given(evOpened), when: note(provA, at(time.Hour)), then: []domain.Event{NoteAdded{Text: "called them"}}},
		{name: "vendor adds a note to a resolved ticket", given: given(evOpened, evResolved), when: note(vendorA, at(time.Hour)), then: []domain.Event{NoteAdded{Text: "called them"}}},
		{name: "system adds a note", given: given(evOpened), when: note(systemA, at(time.Hour)), then: []domain.Event{NoteAdded{Text: "called them"}}},
		{name: "backdated note after later events", given: given(evOpened, evResponded, evEscalated), when: note(provA, at(time.Minute)), then: []domain.Event{NoteAdded{Text: "called them"}}},
		{name: "note before the opening", given: given(evOpened), when: note(provA, at(-time.Minute)), kind: domain.KindInvalid, rule: domain.RuleOccurredBeforeOpening},
		{name: "note on a closed ticket", given: given(evOpened, evResolved, evClosed), when: note(provA, at(time.Hour)), kind: domain.KindConflict, rule: domain.RuleTicketClosed},
		{name: "note on a redirected request", given: given(evRedirected), when: note(provA, at(time.Hour)), kind: domain.KindConflict, rule: domain.RuleTicketRedirected},
		{name: "auditor adds a note", given: given(evOpened), when: note(auditorA, at(time.Hour)), kind: domain.KindForbidden, rule: domain.RuleAuditorReadOnly},
		{name: "stranger adds a note", given: given(evOpened), when: note(otherA, at(time.Hour)), kind: domain.KindForbidden, rule: domain.RuleNotOwnTicket},
		{name: "empty note", given: given(evOpened),
			when: act(provA, at(time.Hour), Note{Text: " "}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},

		// Reassignment.
		{name: "reassign", given: given(evOpened),
			when: act(vendorA, at(time.Hour), Reassignment{To: " queue-a "}),
			then: []domain.Event{evAssigned}},
		{name: "reassign onwards", given: given(evOpened, evAssigned),
			when: act(vendorA, at(time.Hour), Reassignment{To: "eng2", Reason: " expert "}),
			then: []domain.Event{Reassigned{From: "queue-a", To: "eng2", Reason: "expert"}}},
		{name: "reassign to the current owner emits nothing", given: given(evOpened, evAssigned),
			when: act(vendorA, at(time.Hour), Reassignment{To: "queue-a"})},
		{name: "reassign to nobody", given: given(evOpened),
			when: act(vendorA, at(time.Hour), Reassignment{}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "partner reassigns", given: given(evOpened),
			when: act(provA, at(time.Hour), Reassignment{To: "x"}),
			kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},

		// Resolution.
		{name: "resolve", given: given(evOpened, evResponded), when: resolve(vendorA),
			then: []domain.Event{evResolved}},
		{name: "resolve is a first response", given: given(evOpened), when: resolve(vendorA),
			then: []domain.Event{FirstResponseRecorded{Responder: "eng1", RespondedAt: at(3 * time.Hour), Deadline: dB, Met: true, Summary: "resolved"}, evResolved}},
		{name: "resolve while awaiting the partner", given: given(evOpened, evResponded, evInfoReq), when: resolve(vendorA),
			then: []domain.Event{evResolved}},
		{name: "resolve with an open dispute", given: given(evOpened, evResponded, evDispute), when: resolve(vendorA), kind: domain.KindConflict, rule: domain.RuleDisputeOpen},
		{name: "resolve a resolved ticket", given: given(evOpened, evResolved), when: resolve(vendorA), kind: domain.KindConflict, rule: domain.RuleInvalidTransition},
		{name: "resolve a closed ticket", given: given(evOpened, evResolved, evClosed), when: resolve(vendorA), kind: domain.KindConflict, rule: domain.RuleTicketClosed},
		{name: "resolve without resolution", given: given(evOpened),
			when: act(vendorA, at(time.Hour), Resolution{}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "partner resolves", given: given(evOpened), when: resolve(provA), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},

		// Reopening.
		{name: "reopen", given: given(evOpened, evResponded, evResolved),
			when: act(provA, at(5*time.Hour), Reopening{Reason: "back"}),
			then: []domain.Event{evReopened}},
		{name: "reopen an open ticket", given: given(evOpened),
			when: act(provA, at(5*time.Hour), Reopening{Reason: "back"}),
			kind: domain.KindConflict, rule: domain.RuleInvalidTransition},
		{name: "reopen without reason", given: given(evOpened, evResolved),
			when: act(provA, at(5*time.Hour), Reopening{}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "vendor reopens", given: given(evOpened, evResolved),
			when: act(vendorA, at(5*time.Hour), Reopening{Reason: "x"}),
			kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "respond after reopening", given: given(evOpened, evResponded, evResolved, evReopened), when: respond(vendorA, at(6*time.Hour)),
			kind: domain.KindConflict, rule: domain.RuleFirstResponseRecorded},

		// Closure.
		{name: "partner closes a resolved ticket", given: given(evOpened, evResolved), when: closeBy(provA), then: []domain.Event{evClosed}},
		{name: "partner withdraws an open ticket", given: given(evOpened), when: closeBy(provA), then: []domain.Event{evClosed}},
		{name: "system closes a resolved ticket", given: given(evOpened, evResolved), when: closeBy(systemA), then: []domain.Event{evClosed}},
		{name: "system closes an open ticket", given: given(evOpened), when: closeBy(systemA), kind: domain.KindConflict, rule: domain.RuleInvalidTransition},
		{name: "system closes an awaiting ticket", given: given(evOpened, evResponded, evInfoReq), when: closeBy(systemA), kind: domain.KindConflict, rule: domain.RuleInvalidTransition},
		{name: "close a closed ticket", given: given(evOpened, evResolved, evClosed), when: closeBy(provA), kind: domain.KindConflict, rule: domain.RuleTicketClosed},
		{name: "close with an open dispute", given: given(evOpened, evDispute), when: closeBy(provA), kind: domain.KindConflict, rule: domain.RuleDisputeOpen},
		{name: "close without reason", given: given(evOpened, evResolved),
			when: act(provA, at(5*time.Hour), Closure{}),
			kind: domain.KindInvalid, rule: domain.RuleRequiredField},
		{name: "vendor closes", given: given(evOpened, evResolved), when: closeBy(vendorA), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "auditor closes", given: given(evOpened, evResolved), when: closeBy(auditorA), kind: domain.KindForbidden, rule: domain.RuleAuditorReadOnly},
		{name: "stranger closes", given: given(evOpened, evResolved), when: closeBy(otherA), kind: domain.KindForbidden, rule: domain.RuleNotOwnTicket},
		{name: "close backdated too far", given: given(evOpened, evResolved),
			when: act(provA, now.AddDate(0, 0, -40), Closure{Reason: "x"}),
			kind: domain.KindInvalid, rule: domain.RuleBackdatedTooFar},
	}
}

func decide(d Decision) cmdFn {
	return act(vendorA, at(time.Hour), d)
}

func resolve(a domain.Actor) cmdFn {
	return act(a, at(3*time.Hour), Resolution{Text: " fixed "})
}

func closeBy(a domain.Actor) cmdFn {
	return act(a, at(5*time.Hour), Closure{Reason: "done"})
}

func TestCommands(t *testing.T) { run(t, commandCases()) }

// partyCases: who of a partner chain may act on a ticket.
func partyCases() []tcase {
	byResl := opened(func(e *Opened) { e.PartnerID, e.ProviderID = "resl", "prov" })
	forResl := opened(func(e *Opened) { e.CustomerID, e.ResellerID = "c2", "resl" })
	foreignA := domain.Actor{ID: "f", Role: domain.RoleIndirectReseller, Partner: "foreign"}
	n := NoteAdded{Text: "called them"}
	return []tcase{
		{name: "reseller on its own ticket", given: given(byResl), when: note(reslA, at(time.Hour)), then: []domain.Event{n}},
		{name: "provider on its reseller's ticket", given: given(byResl), when: note(provA, at(time.Hour)), then: []domain.Event{n}},
		{name: "reseller on a ticket its provider filed for its customer", given: given(forResl), when: note(reslA, at(time.Hour)), then: []domain.Event{n}},
		{name: "reseller on its provider's own ticket", given: given(evOpened), when: note(reslA, at(time.Hour)), kind: domain.KindForbidden, rule: domain.RuleNotOwnTicket},
		{name: "another provider's reseller", given: given(byResl), when: note(foreignA, at(time.Hour)), kind: domain.KindForbidden, rule: domain.RuleNotOwnTicket},
	}
}

func TestParties(t *testing.T) { run(t, partyCases()) }
