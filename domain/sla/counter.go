package sla

import "time"

// Counter counts elapsed time against deadlines for read models, which
// cannot fail a query: a deadline is counted by the policy version that set
// it (its calendars), or by the current policy when that version is not
// held, and — should neither know the deadline's calendar or clock — in
// wall-clock time (never less than business time, so a breach is never
// hidden). The zero Counter counts wall-clock time for every deadline (exact
// for 24x7 deadlines only). Get one from Policies.Counter; it satisfies an
// interface { Elapsed(Deadline, time.Time) time.Duration } such as
// projections.Clock. Use Policy.Elapsed to see errors.
type Counter struct{ ps *Policies }

// Counter returns the elapsed-time counter of ps. It sees versions added to
// ps later, and follows SetCurrent.
func (ps *Policies) Counter() Counter { return Counter{ps} }

// Elapsed is the counted time from d.From to to (0 when to is not after
// d.From).
func (c Counter) Elapsed(d Deadline, to time.Time) time.Duration {
	if c.ps != nil {
		if p := c.ps.lookup(d.PolicyVersion); p != nil {
			if e, err := p.Elapsed(d, to); err == nil {
				return e
			}
		}
	}
	return d.WallElapsed(to)
}
