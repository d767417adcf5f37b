package ticket

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// An Action is a command on an existing ticket, as a value: what the HTTP
// API decodes from a request, what the demo and the tests send, and what
// the application service runs on the ticket it loads. Each Decide holds
// the rules of its command.
type Action interface {
	// Verb names the action in errors ("escalate" in "escalate ticket
	// 7d1c…: …").
	Verb() string
	// Decide runs the action on t for actor: the events it produces, or
	// the rule it breaks. policy computes deadlines (a severity change).
	Decide(t *Ticket, actor domain.Actor, occurredAt, now time.Time, policy DeadlinePolicy) ([]domain.Event, error)
}

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
