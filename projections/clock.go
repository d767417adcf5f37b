package projections

import (
	"time"

	"github.com/ticketledger/ticketledger/domain/sla"
)

// Clock counts the time that runs against a first-response deadline: wall
// time for around-the-clock deadlines, business time of the deadline's
// calendar for business-hours ones. Elapsed returns the counted time from
// d.From to to (0 when to is before d.From). The SLA policy package provides
// the calendar-aware implementation; the read models only depend on this
// method.
type Clock interface {
	Elapsed(d sla.Deadline, to time.Time) time.Duration
}

// ClockFunc adapts a function to Clock.
type ClockFunc func(d sla.Deadline, to time.Time) time.Duration

// Elapsed calls f.
func (f ClockFunc) Elapsed(d sla.Deadline, to time.Time) time.Duration { return f(d, to) }

// WallClock counts wall-clock time for every deadline, whatever its clock.
// It is the default when no calendar-aware Clock is given, and is exact for
// around-the-clock (24x7) deadlines only.
type WallClock struct{}

// Elapsed returns to − d.From, or 0 when negative.
func (WallClock) Elapsed(d sla.Deadline, to time.Time) time.Duration {
	if e := to.Sub(d.From); e > 0 {
		return e
	}
	return 0
}

// isNearMiss reports whether a met response used the last
// sla.DefaultNearMissFraction (10%) of its target window, in counted time:
// counted ≥ (1 − 0.1) × target, the rule of sla.Policy.NearMiss.
func isNearMiss(counted, target int64) bool {
	return target > 0 && counted <= target && float64(counted) >= (1-sla.DefaultNearMissFraction)*float64(target)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func ptrTime(n int64) *time.Time {
	if n == 0 {
		return nil
	}
	t := fromNano(n)
	return &t
}

func seconds(d int64) float64 { return float64(d) / float64(time.Second) }
