package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Default and largest limits of a Window.
const (
	DefaultMaxBackdate = 30 * 24 * time.Hour
	DefaultMaxSkew     = 2 * time.Minute
	// MaxBackdateLimit is the widest backdating window a ledger accepts
	// (100 years): wide enough for any desk's history, and far from the
	// overflow of time arithmetic.
	MaxBackdateLimit = 100 * 365 * 24 * time.Hour
	// MaxSkewLimit is the largest clock-skew allowance (1 hour): occurred-at
	// further ahead is a wrong clock, not drift.
	MaxSkewLimit = time.Hour
)

// Window bounds how far a command's occurred-at may lie from the ledger's
// now: commands carry when a thing happened in the world (occurred-at)
// separately from when the ledger records it (now), and late entries are
// welcome, but only within MaxBackdate; occurred-at later than now is allowed
// only within MaxSkew (clocks of callers drift). A zero field takes its
// default (30 days, 2 minutes). The ledger's operator configures both
// (ticketledger serve --max-backdate, --max-clock-skew).
type Window struct {
	MaxBackdate time.Duration
	MaxSkew     time.Duration
}

// Limits returns the window's effective limits: the defaults in place of
// zero fields.
func (w Window) Limits() (maxBackdate, maxSkew time.Duration) {
	back, skew := w.MaxBackdate, w.MaxSkew
	if back <= 0 {
		back = DefaultMaxBackdate
	}
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	return back, skew
}

// Validate checks a configured window: a backdating window of 1 second to
// MaxBackdateLimit and a skew allowance of 0 to MaxSkewLimit (zero fields
// stand for the defaults). The error names the setting and what to do.
func (w Window) Validate() error {
	switch {
	case w.MaxBackdate < 0:
		return fmt.Errorf("the backdating window %s is negative: give how far back occurred-at may lie, e.g. 30d or 720h", w.MaxBackdate)
	case w.MaxBackdate > MaxBackdateLimit:
		return fmt.Errorf("the backdating window %s is longer than %s: give at most %s", FormatLimit(w.MaxBackdate), FormatLimit(MaxBackdateLimit), FormatLimit(MaxBackdateLimit))
	case w.MaxSkew < 0:
		return fmt.Errorf("the clock-skew allowance %s is negative: give how far ahead of the ledger's clock occurred-at may lie, e.g. 2m", w.MaxSkew)
	case w.MaxSkew > MaxSkewLimit:
		return fmt.Errorf("the clock-skew allowance %s is longer than %s: fix the callers' clocks instead (NTP)", w.MaxSkew, MaxSkewLimit)
	}
	return nil
}

// Check returns an *Error when occurredAt is zero, in the future beyond the
// skew (RuleOccurredAtInFuture) or older than the backdating window
// (RuleBackdatedTooFar), measured from now. The messages name the
// configured limits.
func (w Window) Check(occurredAt, now time.Time) error {
	if now.IsZero() {
		return Errorf(KindInternal, RuleRequiredField, "now", "the ledger's clock reading (now) is missing: pass the time the command is recorded")
	}
	if occurredAt.IsZero() {
		return Errorf(KindInvalid, RuleRequiredField, "occurredAt", "occurred-at is missing: say when it happened")
	}
	back, skew := w.Limits()
	if occurredAt.After(now.Add(skew)) {
		return Errorf(KindInvalid, RuleOccurredAtInFuture, "occurredAt",
			"occurred-at %s is in the future (now is %s, allowed clock skew %s): use the time it actually happened",
			occurredAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), FormatLimit(skew))
	}
	if occurredAt.Before(now.Add(-back)) {
		return Errorf(KindInvalid, RuleBackdatedTooFar, "occurredAt",
			"occurred-at %s is more than %s before now (%s), this ledger's backdating window: entries cannot be backdated that far; record a note with the original time, or ask the operator to widen the window (serve --max-backdate, or --import-max-backdate for imports)",
			occurredAt.UTC().Format(time.RFC3339), FormatLimit(back), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// FormatLimit writes a window limit for people: whole days as "30d", other
// durations as Go writes them ("2m0s" as "2m").
func FormatLimit(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	for _, z := range []string{"m0s", "h0m"} {
		if strings.HasSuffix(s, z) {
			s = strings.TrimSuffix(s, z[1:])
		}
	}
	return s
}

// ParseLimit parses a window limit: a Go duration ("720h", "90m") or a
// whole number of days ("30d", "1095d").
func ParseLimit(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(t, "d"); ok {
		days, err := strconv.ParseInt(n, 10, 64)
		if err != nil || days < 0 || days > int64(1<<63-1)/int64(24*time.Hour) {
			return 0, fmt.Errorf("%q is not a number of days: write e.g. 30d or 1095d", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write e.g. 30d, 720h or 2m", s)
	}
	return d, nil
}
