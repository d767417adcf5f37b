package sla

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/calendar"
)

// Rules of the sla package (see domain.Rule): never rename one.
const (
	// RuleUnknownLocale: the requester's locale has no business calendar.
	RuleUnknownLocale domain.Rule = calendar.RuleUnknownLocale
	// RuleUnknownSeverity: a break-fix request needs severity A, B or C.
	RuleUnknownSeverity domain.Rule = "unknown-severity"
	// RuleUnknownClass: the request class is not break_fix or non_critical.
	RuleUnknownClass domain.Rule = "unknown-class"
	// RuleUnknownClock: a deadline's clock is not 24x7 or business.
	RuleUnknownClock domain.Rule = "unknown-clock"
	// RuleOpenedAtRequired: the request has no creation instant.
	RuleOpenedAtRequired domain.Rule = "opened-at-required"
	// RuleInvalidPolicy: a policy definition is malformed.
	RuleInvalidPolicy domain.Rule = "invalid-policy"
	// RuleUnknownPolicyVersion: no policy has the requested version.
	RuleUnknownPolicyVersion domain.Rule = "unknown-policy-version"
	// RulePolicyVersionTaken: a policy with that version already exists.
	RulePolicyVersionTaken domain.Rule = "policy-version-taken"
	// RuleInvalidFraction: a near-miss or at-risk fraction is not in (0, 1].
	RuleInvalidFraction domain.Rule = "invalid-fraction"
)

// NonCriticalWorkday is the PolicySpec.NonCritical value meaning "one
// business day": the length of one working day of the requester's calendar
// (Calendar.WorkingDay), counted in that calendar's business time.
const NonCriticalWorkday = "workday"

// Policy is one version of the first-response policy: targets per class and
// severity, and the business calendars its business clocks use. A Policy is
// immutable and safe for concurrent use.
type Policy struct {
	spec        PolicySpec
	breakFix    map[domain.Severity]time.Duration
	nonCritical time.Duration // 0: one working day of the requester's calendar
	cals        *calendar.Registry
}

// PolicySpec is the JSON definition of a policy version (ParsePolicy):
//
//	{
//	  "version": "2026-07-whatif",
//	  "base": "2026-01",
//	  "description": "Sev A in 1h; Swedish desk 09-18",
//	  "breakFix": {"A": "1h"},
//	  "nonCritical": "workday",
//	  "calendars": [{"id": "sv-SE", "base": "sv-SE", "hours": ["09:00-18:00"]}]
//	}
//
// Durations are Go durations ("2h", "90m"). With a Base (a version known to
// the Policies that parses it), omitted targets and all calendars are taken
// from the base; Calendars then add calendars or replace those with the same
// id (a calendar's own "base" may name the one it replaces). Without a Base,
// BreakFix must give A, B and C and the calendars start from the shipped
// locales. NonCritical is "workday" (the default) or a fixed duration of
// business time.
type PolicySpec struct {
	Version     string            `json:"version"`
	Base        string            `json:"base,omitempty"`
	Description string            `json:"description,omitempty"`
	BreakFix    map[string]string `json:"breakFix,omitempty"`
	NonCritical string            `json:"nonCritical,omitempty"`
	Calendars   []calendar.Spec   `json:"calendars,omitempty"`
}

func policyError(field, format string, args ...any) error {
	return domain.Errorf(domain.KindInvalid, RuleInvalidPolicy, field, format, args...)
}

// newPolicy validates spec against base (nil: no base).
func newPolicy(spec PolicySpec, base *Policy) (*Policy, error) {
	if strings.TrimSpace(spec.Version) == "" {
		return nil, policyError("version", "a policy needs a version, e.g. \"2026-07\"")
	}
	p := &Policy{spec: spec, breakFix: make(map[domain.Severity]time.Duration, 3)}
	if base != nil {
		for s, d := range base.breakFix {
			p.breakFix[s] = d
		}
		p.nonCritical = base.nonCritical
		p.cals = base.cals.Clone()
	} else {
		p.cals = calendar.Shipped()
	}
	for k, v := range spec.BreakFix {
		s := domain.Severity(strings.ToUpper(strings.TrimSpace(k)))
		if !s.Valid() {
			return nil, policyError("breakFix", "policy %s: unknown severity %q in breakFix (use A, B or C)", spec.Version, k)
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, policyError("breakFix", "policy %s: target %q for severity %s is not a positive duration such as \"2h\"", spec.Version, v, s)
		}
		p.breakFix[s] = d
	}
	for _, s := range []domain.Severity{domain.SeverityA, domain.SeverityB, domain.SeverityC} {
		if p.breakFix[s] == 0 {
			return nil, policyError("breakFix", "policy %s: no break-fix target for severity %s (give A, B and C, or a base version)", spec.Version, s)
		}
	}
	switch nc := strings.TrimSpace(spec.NonCritical); nc {
	case "":
		// keep the base's (or the default: one working day)
	case NonCriticalWorkday:
		p.nonCritical = 0
	default:
		d, err := time.ParseDuration(nc)
		if err != nil || d <= 0 {
			return nil, policyError("nonCritical", "policy %s: nonCritical %q is neither %q nor a positive duration such as \"9h\"", spec.Version, nc, NonCriticalWorkday)
		}
		p.nonCritical = d
	}
	for _, cs := range spec.Calendars {
		c, err := p.cals.Define(cs)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", spec.Version, err)
		}
		p.cals.Put(c)
	}
	return p, nil
}

// Version is the policy's version string, e.g. "2026-01". It is recorded
// with every deadline the policy computes.
func (p *Policy) Version() string { return p.spec.Version }

// Spec returns the policy's definition as given (before inheriting from a
// base).
func (p *Policy) Spec() PolicySpec { return p.spec }

// Target is the first-response target of a break-fix request of severity s
// (counted in wall or business time, depending on the language).
func (p *Policy) Target(s domain.Severity) time.Duration { return p.breakFix[s] }

// NonCriticalTarget is the first-response target of a non-critical
// request in business time; 0 means one working day of the requester's
// calendar (NonCriticalWorkday).
func (p *Policy) NonCriticalTarget() time.Duration { return p.nonCritical }

// Calendar returns the business calendar the policy uses for a locale or
// calendar id; the error is a *domain.Error with rule unknown-locale.
func (p *Policy) Calendar(id string) (*calendar.Calendar, error) { return p.cals.Get(id) }

// Calendars returns a copy of the registry of the policy's calendars.
func (p *Policy) Calendars() *calendar.Registry { return p.cals.Clone() }

// IsEnglish reports whether language (BCP 47) is English ("en", "en-GB",
// "EN_us"); an empty language counts as English, the default support
// language.
func IsEnglish(language string) bool {
	l := strings.ToLower(strings.TrimSpace(language))
	return l == "" || l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_")
}

// Deadline computes the first-response deadline of r under p:
//
//   - break-fix in English: the severity's target (A 2h, B 4h, C 8h in
//     2026-01) in wall-clock time, around the clock: At = OpenedAt + target;
//   - break-fix in any other language: the same target in business time of
//     the calendar of r.Locale;
//   - non-critical (any language): one business day, i.e. the length of one
//     working day of the calendar of r.Locale (9h for 08:00-17:00), in that
//     calendar's business time: "by the same time next business day".
//
// Business clocks start at the next opening when the request is filed out
// of hours. Errors are *domain.Error of kind invalid: unknown-locale (names
// the locale and lists the known ones), unknown-severity, unknown-class,
// opened-at-required. The same request under the same policy version always
// gives the same deadline.
func (p *Policy) Deadline(r Request) (Deadline, error) {
	if r.OpenedAt.IsZero() {
		return Deadline{}, domain.Errorf(domain.KindInvalid, RuleOpenedAtRequired, "openedAt", "the request has no creation instant: set OpenedAt to when it was filed")
	}
	if r.Severity != "" && !r.Severity.Valid() || r.Class == ClassBreakFix && r.Severity == "" {
		return Deadline{}, domain.Errorf(domain.KindInvalid, RuleUnknownSeverity, "severity", "unknown severity %q: use A, B or C", r.Severity)
	}
	d := Deadline{
		Class:         r.Class,
		Severity:      r.Severity,
		PolicyVersion: p.spec.Version,
		From:          r.OpenedAt,
		Language:      r.Language,
		Locale:        r.Locale,
	}
	switch r.Class {
	case ClassBreakFix:
		d.Target = p.breakFix[r.Severity]
		if IsEnglish(r.Language) {
			d.Clock = ClockAroundTheClock
			d.At = r.OpenedAt.Add(d.Target)
			return d, nil
		}
	case ClassNonCritical:
		d.Target = p.nonCritical
	default:
		return Deadline{}, domain.Errorf(domain.KindInvalid, RuleUnknownClass, "class", "unknown request class %q: use %q or %q", r.Class, ClassBreakFix, ClassNonCritical)
	}
	c, err := p.cals.Get(r.Locale)
	if err != nil {
		return Deadline{}, err
	}
	if d.Target == 0 {
		d.Target = c.WorkingDay()
	}
	d.Clock = ClockBusinessHours
	d.Calendar = c.ID()
	d.At = c.AddBusinessTime(r.OpenedAt, d.Target)
	return d, nil
}

// Recompute applies the severity-change rule: the deadline is recomputed
// from the request's creation (prev.From, "retroactive start") under the
// new severity, with the same class, language and locale, under p. If the
// result has already passed when the change is made (Deadline.Passed) and
// no first response was recorded, the request is breached. The caller keeps
// prev in the history.
func (p *Policy) Recompute(prev Deadline, newSeverity domain.Severity) (Deadline, error) {
	r := prev.Request()
	r.Severity = newSeverity
	return p.Deadline(r)
}

// Elapsed is the counted time from d.From to to under d's clock: wall-clock
// time for 24x7, business time of d's calendar (as defined by p) for
// business. It is 0 if to is not after d.From. Use it for "time to first
// response" (to = responded-at) and "elapsed as of T".
func (p *Policy) Elapsed(d Deadline, to time.Time) (time.Duration, error) {
	return Elapsed(p.cals, d, to)
}

// Elapsed is Policy.Elapsed with an explicit calendar registry.
func Elapsed(cals *calendar.Registry, d Deadline, to time.Time) (time.Duration, error) {
	switch d.Clock {
	case ClockAroundTheClock:
		return d.WallElapsed(to), nil
	case ClockBusinessHours:
		c, err := cals.Get(d.Calendar)
		if err != nil {
			return 0, err
		}
		return c.BusinessTime(d.From, to), nil
	}
	return 0, domain.Errorf(domain.KindInvalid, RuleUnknownClock, "clock", "unknown clock %q: use %q or %q", d.Clock, ClockAroundTheClock, ClockBusinessHours)
}

// Remaining is the counted time left before d as of now: d.Target minus
// Elapsed(d, now); negative once the deadline has passed.
func (p *Policy) Remaining(d Deadline, now time.Time) (time.Duration, error) {
	e, err := p.Elapsed(d, now)
	return d.Target - e, err
}

// NearMiss reports whether a first response at respondedAt met d but only
// in the last fraction of the window, in counted time: the rule of the
// package function NearMiss applied to Elapsed(d, respondedAt). A breach is
// not a near miss.
func (p *Policy) NearMiss(d Deadline, respondedAt time.Time, fraction float64) (bool, error) {
	if err := checkFraction(fraction); err != nil {
		return false, err
	}
	if !d.Met(respondedAt) {
		return false, nil
	}
	e, err := p.Elapsed(d, respondedAt)
	if err != nil {
		return false, err
	}
	return NearMiss(e, d.Target, fraction), nil
}

// Request rebuilds the request d was computed from, to recompute it (new
// severity, another policy version). For deadlines stored without Language
// and Locale they are inferred from the clock and calendar: a 24x7
// break-fix deadline was English; a business break-fix deadline was in the
// calendar's language (treated as local language).
func (d Deadline) Request() Request {
	r := Request{Class: d.Class, Severity: d.Severity, Language: d.Language, Locale: d.Locale, OpenedAt: d.From}
	if r.Locale == "" {
		r.Locale = d.Calendar
	}
	if r.Language == "" {
		switch {
		case d.Clock == ClockAroundTheClock:
			r.Language = "en"
		case d.Class == ClassBreakFix:
			r.Language = "local"
			if lang, _, _ := strings.Cut(d.Calendar, "-"); lang != "" && !IsEnglish(lang) {
				r.Language = lang
			}
		}
	}
	return r
}

// ParsePolicy parses a policy definition (PolicySpec as JSON) whose base,
// if any, is a shipped version. Use Policies.AddJSON to resolve bases among
// other versions and register the result.
func ParsePolicy(data []byte) (*Policy, error) {
	return Shipped().parse(data)
}

func decodeSpec(data []byte) (PolicySpec, error) {
	var spec PolicySpec
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return spec, policyError("", "policy definition is not valid JSON: %v", err)
	}
	return spec, nil
}

// sortedSeverities is for stable output in docs and tests.
func sortedSeverities(m map[domain.Severity]time.Duration) []domain.Severity {
	out := make([]domain.Severity, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// String summarizes the policy, e.g. "2026-01: A 2h0m0s, B 4h0m0s, C 8h0m0s, non-critical one working day".
func (p *Policy) String() string {
	var b strings.Builder
	b.WriteString(p.spec.Version + ":")
	for i, s := range sortedSeverities(p.breakFix) {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %s %v", s, p.breakFix[s])
	}
	if p.nonCritical == 0 {
		b.WriteString(", non-critical one working day")
	} else {
		fmt.Fprintf(&b, ", non-critical %v", p.nonCritical)
	}
	return b.String()
}
