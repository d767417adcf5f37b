package ticket

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// An Action is a command on an existing ticket, as a value: what the HTTP
// API decodes from a request, what the demo and the tests send, and what
// the application service runs on the ticket it loads. Each Decide calls
// the Ticket method that holds the rules.
type Action interface {
	// Verb names the action in errors ("escalate" in "escalate ticket
	// 7d1c…: …").
	Verb() string
	// Decide runs the action on t for actor: the events it produces, or
	// the rule it breaks. policy computes deadlines (a severity change).
	Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, policy DeadlinePolicy) ([]domain.Event, error)
}

// FirstResponse records vendor support's first response (RecordFirstResponse).
type FirstResponse struct{ Summary string }

// SeverityChange changes the severity; the deadline is recomputed from the
// opening under the policy (ChangeSeverity).
type SeverityChange struct {
	To     domain.Severity
	Reason string
}

// Escalation escalates the request with the escalation criteria met
// (Escalate).
type Escalation struct {
	Reason   string
	Criteria []string
}

// InfoRequest is vendor support asking the partner for information
// (RequestInfo).
type InfoRequest struct{ Question string }

// InfoAnswer is the partner's answer to an information request
// (ProvideInfo).
type InfoAnswer struct{ Answer string }

// FraudFlag flags suspected fraud (FlagFraud).
type FraudFlag struct {
	Reason     string
	Indicators []string
}

// FraudClearance clears a fraud flag (ClearFraud).
type FraudClearance struct{ Reason string }

// Note adds a free-text note (AddNote).
type Note struct{ Text string }

// Reassignment moves the request to another engineer or queue (Reassign).
type Reassignment struct{ To, Reason string }

// Resolution resolves the request, saying how (Resolve).
type Resolution struct{ Text string }

// Reopening reopens a resolved request (Reopen).
type Reopening struct{ Reason string }

// Closure closes the request for good (Close).
type Closure struct{ Reason string }

// The verbs, in the words of "cannot VERB ticket …".
func (FirstResponse) Verb() string  { return "record first response on" }
func (SeverityChange) Verb() string { return "change severity of" }
func (Escalation) Verb() string     { return "escalate" }
func (InfoRequest) Verb() string    { return "request information on" }
func (InfoAnswer) Verb() string     { return "provide information on" }
func (Dispute) Verb() string        { return "open a billing dispute on" }
func (Decision) Verb() string       { return "resolve a billing dispute on" }
func (FraudFlag) Verb() string      { return "flag fraud on" }
func (FraudClearance) Verb() string { return "clear fraud on" }
func (Note) Verb() string           { return "add a note to" }
func (Reassignment) Verb() string   { return "reassign" }
func (Resolution) Verb() string     { return "resolve" }
func (Reopening) Verb() string      { return "reopen" }
func (Closure) Verb() string        { return "close" }

// Decide implements Action.
func (a FirstResponse) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.RecordFirstResponse(actor, at, now, a.Summary)
}

// Decide implements Action.
func (a SeverityChange) Decide(t *Ticket, actor domain.Actor, at, now time.Time, p DeadlinePolicy) ([]domain.Event, error) {
	return t.ChangeSeverity(actor, at, now, a.To, a.Reason, p)
}

// Decide implements Action.
func (a Escalation) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.Escalate(actor, at, now, a.Reason, a.Criteria)
}

// Decide implements Action.
func (a InfoRequest) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.RequestInfo(actor, at, now, a.Question)
}

// Decide implements Action.
func (a InfoAnswer) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.ProvideInfo(actor, at, now, a.Answer)
}

// Decide implements Action.
func (a Dispute) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.OpenBillingDispute(actor, at, now, a)
}

// Decide implements Action.
func (a Decision) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.ResolveBillingDispute(actor, at, now, a)
}

// Decide implements Action.
func (a FraudFlag) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.FlagFraud(actor, at, now, a.Reason, a.Indicators)
}

// Decide implements Action.
func (a FraudClearance) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.ClearFraud(actor, at, now, a.Reason)
}

// Decide implements Action.
func (a Note) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.AddNote(actor, at, now, a.Text)
}

// Decide implements Action.
func (a Reassignment) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.Reassign(actor, at, now, a.To, a.Reason)
}

// Decide implements Action.
func (a Resolution) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.Resolve(actor, at, now, a.Text)
}

// Decide implements Action.
func (a Reopening) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.Reopen(actor, at, now, a.Reason)
}

// Decide implements Action.
func (a Closure) Decide(t *Ticket, actor domain.Actor, at, now time.Time, _ DeadlinePolicy) ([]domain.Event, error) {
	return t.Close(actor, at, now, a.Reason)
}
