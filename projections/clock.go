package projections

import (
	"time"

	"github.com/ticketledger/ticketledger/domain/sla"
)

// Clock counts the time that runs against a first-response deadline: wall
// time for around-the-clock deadlines, business time of the deadline's
// calendar for business-hours ones. Elapsed returns the counted time from
// d.From to to (0 when to is before d.From). It is the read models'
// injection point; the implementation is the SLA policy's: sla.Counter
// (Policies.Counter), whose zero value, the default, counts wall-clock time.
type Clock interface {
	Elapsed(d sla.Deadline, to time.Time) time.Duration
}

// ClockFunc adapts a function to Clock.
type ClockFunc func(d sla.Deadline, to time.Time) time.Duration

// Elapsed calls f.
func (f ClockFunc) Elapsed(d sla.Deadline, to time.Time) time.Duration { return f(d, to) }

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
