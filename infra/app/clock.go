package app

import (
	"time"

	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/projections"
)

// SLAClock returns the calendar-aware projections.Clock of a set of policy
// versions: a deadline's elapsed time is counted by the policy version that
// set it (its calendars), or by the current policy when that version is not
// held. Should the policy fail to count (an unknown calendar), it falls back
// to wall-clock time rather than fail a query.
func SLAClock(ps *sla.Policies) projections.Clock {
	return projections.ClockFunc(func(d sla.Deadline, to time.Time) time.Duration {
		p, err := ps.Get(d.PolicyVersion)
		if err != nil {
			p = ps.Current()
		}
		if e, err := p.Elapsed(d, to); err == nil {
			return e
		}
		return projections.WallClock{}.Elapsed(d, to)
	})
}
