// Package sla is the versioned first-response policy: when vendor support
// must first respond to a service request, how elapsed time is counted,
// and what happens when the severity changes.
//
// # Targets (version 2026-01)
//
//	class         severity  target        clock
//	break_fix     A         2 hours       24x7 in English, else business hours
//	break_fix     B         4 hours       24x7 in English, else business hours
//	break_fix     C         8 hours       24x7 in English, else business hours
//	non_critical  any       1 business day business hours
//
// # Clocks
//
// English support ("en", "en-*", or no language given) runs around the
// clock: the deadline is OpenedAt plus the target in wall-clock time, and
// the locale is not needed. Local-language support (any other language)
// runs only in the business hours of the requester's locale: the target is
// counted in business time of that locale's calendar (package calendar),
// skipping nights, weekends and holidays. A request filed out of hours
// starts its clock at the next opening. Example: a severity A request in
// Swedish for sv-SE (08:00-17:00) filed Friday 16:30 has 30 minutes on
// Friday and is due Monday 09:30; in English it is due Friday 18:30.
//
// # Non-critical
//
// "Up to one business day" means: the length of one working day of the
// requester's calendar (its longest scheduled day, 9 hours for 08:00-17:00),
// counted in that calendar's business time, whatever the language. In
// effect: by the same time on the next business day (Tuesday 10:00 → Wednesday
// 10:00; Friday 16:30 → Monday 16:30). A policy version may set a fixed
// duration instead.
//
// An unknown locale, when a calendar is needed, is a *domain.Error of kind
// invalid with rule unknown-locale whose message names the locale and lists
// the known ones.
//
// # Severity change
//
// When the severity changes while a request is open, the deadline is
// recomputed from the request's creation ("retroactive start", From stays
// the creation instant) under the new severity, with the same language,
// locale and clock rules (Policy.Recompute). If the recomputed deadline has
// already passed when the change is made and no first response was
// recorded, the request is breached (Deadline.Passed). The earlier deadline
// stays in the history (ticket.severity_changed keeps both).
//
// # Compliance
//
// A first response meets the deadline if it is recorded at or before At
// (Deadline.Met); an unanswered request is breached once the deadline has
// passed (Deadline.Passed) and pending before (Judge gives the verdict).
// Elapsed gives the counted time from creation to any instant (time to
// first response, elapsed as of T); Counter is the error-free form read
// models use (by the policy version that set the deadline, else the current
// policy, else wall-clock time). NearMiss flags a response in the last 10%
// of the window, in counted time.
//
// An open request still waiting for its first response is at risk when its
// deadline has not passed and is near, in wall-clock time, by one of two
// thresholds (RiskThreshold): a fixed lead time — the reports' horizon,
// DefaultReportHorizon (1 h) unless the caller gives one — or a fraction of
// its target — the ticketledger_tickets_at_risk gauge, GaugeRisk (less than
// a quarter of the target left).
//
// # Versions
//
// Every deadline records the policy version that computed it. A version is
// immutable: the same request under the same version gives the same
// deadline forever, so never change a shipped version's targets or
// calendars (including the locale files in package calendar); add a new
// version instead and make it current. Versions for what-if reports are
// defined in JSON (ParsePolicy, Policies.AddJSON), typically on a base
// version with changed targets or calendar overrides, and replay recorded
// requests (Deadline.Request) under them.
//
// # DST
//
// Business hours are wall-clock hours of the calendar's zone: 08:00 stays
// 08:00 across daylight-saving changes, and a working day keeps its length
// when the switch happens at night. 24x7 targets are real elapsed time, so
// a 2-hour target across a switch is still 2 real hours.
package sla
