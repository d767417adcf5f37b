package domain

import "time"

// Default limits of a Window.
const (
	DefaultMaxBackdate = 30 * 24 * time.Hour
	DefaultMaxSkew     = 2 * time.Minute
)

// Window bounds how far a command's occurred-at may lie from the ledger's
// now: commands carry when a thing happened in the world (occurred-at)
// separately from when the ledger records it (now), and late entries are
// welcome, but only within MaxBackdate; occurred-at later than now is allowed
// only within MaxSkew (clocks of callers drift). A zero field takes its
// default (30 days, 2 minutes).
type Window struct {
	MaxBackdate time.Duration
	MaxSkew     time.Duration
}

// Check returns an *Error when occurredAt is zero, in the future beyond the
// skew (RuleOccurredAtInFuture) or older than the backdating window
// (RuleBackdatedTooFar), measured from now.
func (w Window) Check(occurredAt, now time.Time) error {
	if now.IsZero() {
		return Errorf(KindInternal, RuleRequiredField, "now", "the ledger's clock reading (now) is missing: pass the time the command is recorded")
	}
	if occurredAt.IsZero() {
		return Errorf(KindInvalid, RuleRequiredField, "occurredAt", "occurred-at is missing: say when it happened")
	}
	back, skew := w.MaxBackdate, w.MaxSkew
	if back <= 0 {
		back = DefaultMaxBackdate
	}
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if occurredAt.After(now.Add(skew)) {
		return Errorf(KindInvalid, RuleOccurredAtInFuture, "occurredAt",
			"occurred-at %s is in the future (now is %s, allowed skew %s): use the time it actually happened",
			occurredAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), skew)
	}
	if occurredAt.Before(now.Add(-back)) {
		return Errorf(KindInvalid, RuleBackdatedTooFar, "occurredAt",
			"occurred-at %s is more than %s before now (%s): entries cannot be backdated that far; record a note with the original time, or ask an operator to widen the window",
			occurredAt.UTC().Format(time.RFC3339), back, now.UTC().Format(time.RFC3339))
	}
	return nil
}
