package sla

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// Class is the kind of clock a request runs on. Persisted: never rename a value.
type Class string

// Classes.
const (
	ClassBreakFix    Class = "break_fix"    // technical break-fix incident: 2/4/8 h by severity
	ClassNonCritical Class = "non_critical" // within entitlement but not break-fix (incl. billing): one business day
)

// Clock says how time is counted against a target. Persisted.
type Clock string

// Clocks.
const (
	ClockAroundTheClock Clock = "24x7"     // English support: wall-clock time
	ClockBusinessHours  Clock = "business" // local-language support or non-critical: business time of a calendar
)

// Request is what the policy needs to set a first-response deadline.
type Request struct {
	Class    Class
	Severity domain.Severity
	Language string    // BCP 47 language of the support requested, e.g. "en", "sv"
	Locale   string    // requester's locale, e.g. "sv-SE": picks the business calendar
	OpenedAt time.Time // when the request was filed (occurred-at of ticket.opened)
}

// Deadline is a first-response promise and how it was derived. It is stored
// in the events that set it (ticket.opened, ticket.severity_changed), so the
// history keeps every earlier promise.
type Deadline struct {
	At            time.Time       `json:"at"`
	Target        time.Duration   `json:"target"` // nanoseconds of counted time (wall or business)
	Clock         Clock           `json:"clock"`
	Calendar      string          `json:"calendar,omitempty"` // calendar id when Clock is business
	Class         Class           `json:"class"`
	Severity      domain.Severity `json:"severity"`
	PolicyVersion string          `json:"policyVersion"`
	// From is the instant the clock starts (the request's creation; a
	// severity change recomputes from the same instant).
	From time.Time `json:"from"`
	// Language and Locale are the request's, kept so that the deadline can
	// be recomputed (severity change, what-if under another policy) from the
	// deadline alone. Empty in deadlines stored before they were added.
	Language string `json:"language,omitempty"`
	Locale   string `json:"locale,omitempty"`
}
