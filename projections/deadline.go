package projections

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// Deadline is a first-response deadline as the API and evidence bundles
// show it: sla.Deadline with its target in whole seconds ("targetSeconds")
// instead of the nanoseconds the persisted events carry ("target").
type Deadline struct {
	At            time.Time       `json:"at"`
	TargetSeconds int64           `json:"targetSeconds"` // counted time (wall or business)
	Clock         sla.Clock       `json:"clock"`
	Calendar      string          `json:"calendar,omitempty"`
	Class         sla.Class       `json:"class"`
	Severity      domain.Severity `json:"severity"`
	PolicyVersion string          `json:"policyVersion"`
	From          time.Time       `json:"from"`
	Language      string          `json:"language,omitempty"`
	Locale        string          `json:"locale,omitempty"`
}

// DeadlineOf renders a deadline for the API.
func DeadlineOf(d sla.Deadline) Deadline {
	return Deadline{At: d.At, TargetSeconds: int64(d.Target / time.Second), Clock: d.Clock, Calendar: d.Calendar, Class: d.Class,
		Severity: d.Severity, PolicyVersion: d.PolicyVersion, From: d.From, Language: d.Language, Locale: d.Locale}
}

// DeadlinePtr is DeadlineOf for an optional deadline.
func DeadlinePtr(d *sla.Deadline) *Deadline {
	if d == nil {
		return nil
	}
	v := DeadlineOf(*d)
	return &v
}

// Target is the target as a duration.
func (d Deadline) Target() time.Duration { return time.Duration(d.TargetSeconds) * time.Second }

// SLA converts back to the domain's deadline.
func (d Deadline) SLA() sla.Deadline {
	return sla.Deadline{At: d.At, Target: d.Target(), Clock: d.Clock, Calendar: d.Calendar, Class: d.Class,
		Severity: d.Severity, PolicyVersion: d.PolicyVersion, From: d.From, Language: d.Language, Locale: d.Locale}
}
