package sla

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// Verdict is a request's compliance with its first-response deadline.
type Verdict string

// Verdicts.
const (
	VerdictMet      Verdict = "met"      // first response at or before the deadline
	VerdictBreached Verdict = "breached" // first response late, or none and the deadline passed
	VerdictPending  Verdict = "pending"  // no first response yet, deadline not passed
)

// Met reports whether a first response at respondedAt met the deadline
// (responded at or before At).
func (d Deadline) Met(respondedAt time.Time) bool { return !respondedAt.After(d.At) }

// Passed reports whether the deadline has passed as of now (now after At):
// without a first response by then, the request is breached.
func (d Deadline) Passed(now time.Time) bool { return now.After(d.At) }

// Judge is the verdict on a request whose deadline is at, as of now. An
// answered request keeps the verdict recorded with its first response (met,
// decided by Deadline.Met when it was recorded); an unanswered one is
// breached once the deadline has passed (Deadline.Passed) and pending
// before, or when now is zero (no instant to judge it at).
func Judge(at, now time.Time, answered, met bool) Verdict {
	switch {
	case answered && met:
		return VerdictMet
	case answered, !now.IsZero() && now.After(at):
		return VerdictBreached
	}
	return VerdictPending
}

// DefaultNearMissFraction is the share of the window that counts as "near":
// a response in the last 10% of the target is a near miss.
const DefaultNearMissFraction = 0.1

func checkFraction(f float64) error {
	if !(f > 0 && f <= 1) {
		return domain.Errorf(domain.KindInvalid, RuleInvalidFraction, "fraction", "fraction %v is not in (0, 1]: use e.g. %v for the last 10%% of the window", f, DefaultNearMissFraction)
	}
	return nil
}

// NearMiss is the near-miss rule in counted time: a first response that
// took counted (as its deadline counts, see Counter) against a positive
// target met it, but only in the last fraction of the window: counted ≤
// target and counted ≥ target − fraction × target. fraction is in (0, 1];
// reports use DefaultNearMissFraction.
func NearMiss(counted, target time.Duration, fraction float64) bool {
	return target > 0 && counted <= target && counted >= target-time.Duration(fraction*float64(target))
}

// Report horizon and gauge threshold: the two ways the ledger judges a
// request at risk (see RiskThreshold).
const (
	// DefaultReportHorizon is the lead time of SLA reports and the at-risk
	// board when the caller gives none.
	DefaultReportHorizon = time.Hour
	// GaugeRiskFraction is the share of its target an unanswered request
	// has left when the ticketledger_tickets_at_risk gauge counts it.
	GaugeRiskFraction = 0.25
)

// GaugeRisk is the threshold of the at-risk gauge: less than a quarter of
// the target left.
var GaugeRisk = RiskThreshold{fraction: GaugeRiskFraction}

// RiskThreshold says how close to its deadline a request still waiting for
// its first response must be to count as at risk: either a fixed lead time
// (LeadTime: the reports' horizon) or a fraction of its target (TargetFraction:
// the gauge). The zero value is a lead time of zero.
type RiskThreshold struct {
	lead     time.Duration
	fraction float64 // > 0: a fraction of the target; 0: lead
}

// LeadTime is the threshold "the deadline is at most lead away". A negative
// lead puts nothing at risk.
func LeadTime(lead time.Duration) RiskThreshold { return RiskThreshold{lead: lead} }

// TargetFraction is the threshold "at most fraction of the target is left
// before the deadline"; fraction must be in (0, 1] (else a *domain.Error
// with rule invalid-fraction).
func TargetFraction(fraction float64) (RiskThreshold, error) {
	if err := checkFraction(fraction); err != nil {
		return RiskThreshold{}, err
	}
	return RiskThreshold{fraction: fraction}, nil
}

// Window is how long before a deadline with the given target the request
// becomes at risk.
func (r RiskThreshold) Window(target time.Duration) time.Duration {
	if r.fraction > 0 {
		return time.Duration(r.fraction * float64(target))
	}
	return r.lead
}

// AtRisk is the at-risk rule: a request still waiting for its first
// response, whose deadline is at with the given target, is at risk as of
// now when the deadline has not passed (Deadline.Passed) and is at most
// Window(target) away, in wall-clock time. Whether the request is still
// waiting (open, unanswered) is the caller's to say.
func (r RiskThreshold) AtRisk(at time.Time, target time.Duration, now time.Time) bool {
	return !now.After(at) && at.Sub(now) <= r.Window(target)
}

// AtRiskFrom is the first instant at which d is at risk under r: Window
// before d.At (d.At itself when the window is negative or zero).
func (d Deadline) AtRiskFrom(r RiskThreshold) time.Time {
	return d.At.Add(-max(r.Window(d.Target), 0))
}

// AtRisk is RiskThreshold.AtRisk for d.
func (d Deadline) AtRisk(now time.Time, r RiskThreshold) bool { return r.AtRisk(d.At, d.Target, now) }

// WallElapsed is the wall-clock time from d.From to to, 0 if to is not
// after d.From: the count of 24x7 deadlines, and the fallback of Counter.
func (d Deadline) WallElapsed(to time.Time) time.Duration {
	if !to.After(d.From) {
		return 0
	}
	return to.Sub(d.From)
}
