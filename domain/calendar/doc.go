// Package calendar holds business-hours calendars: for a locale, the time
// zone, the working week days, the working hours and the holidays, and the
// arithmetic of business time over them.
//
// # Shipped locales
//
// sv-SE (Europe/Stockholm), de-DE (Europe/Berlin), en-GB (Europe/London),
// en-US (America/New_York) and ja-JP (Asia/Tokyo), all Monday to Friday
// 08:00-17:00 local time. Their definitions are the JSON files in locales/
// (embedded); their holidays come from github.com/rickar/cal/v2, not from
// hand-typed lists:
//
//   - sv-SE: Swedish public holidays plus Midsommarafton, Julafton and
//     Nyårsafton, which are de facto days off;
//   - de-DE: the nine nationwide holidays (no regional ones such as
//     Heilige Drei Könige or Fronleichnam);
//   - en-GB: bank holidays of England and Wales with substitute days;
//   - en-US: federal holidays with observed days (a Saturday holiday is
//     observed on the Friday before, a Sunday one on the Monday after);
//   - ja-JP: national holidays with substitute holidays (Golden Week
//     included).
//
// A holiday is the day it is observed (taken off), which may be in the
// previous year (US New Year's Day 2022 was observed on 31 December 2021).
//
// # User calendars
//
// Users add calendars from JSON (see Spec): an id, a zone, week days, hours
// (split hours allowed: "08:00-12:00", "13:00-17:00"), explicit holiday
// dates, and optionally a base: a calendar whose holidays are inherited and
// whose zone, days and hours fill any the definition omits. LoadJSON parses
// bytes; opening files is the caller's job. A Registry holds shipped and
// user calendars; a user calendar with the id of a shipped locale replaces
// it in that registry only.
//
// # Business time
//
// The business time between two instants is how much of the interval falls
// within working hours on working days that are not holidays. It is a
// measure: never negative, additive (BT(a,c) = BT(a,b) + BT(b,c)), zero
// across a weekend or holiday. AddBusinessTime is its inverse: it returns
// the earliest instant at which the given business time has elapsed, so
// BT(from, AddBusinessTime(from, d)) == d exactly; a clock started out of
// hours starts at the next opening, and a result that lands on a closing
// time is that closing time.
//
// # Daylight saving time
//
// Working hours are wall-clock times in the calendar's zone: 08:00 stays
// 08:00 local across a DST change, and a working day keeps its 9 hours when
// the switch happens at night (as it does in every shipped zone). Business
// time is real elapsed time, so hours that span a switch count what really
// elapses (a 00:00-24:00 day has 23 or 25 hours); an opening that falls in
// a repeated hour resolves as time.Date does. Zone data is embedded
// (time/tzdata), so minimal containers need no /usr/share/zoneinfo.
//
// # Performance and range
//
// Each calendar precomputes, per local year and on first use, the instants
// its hours open and close and the running total of business time. Then
// BusinessTime is two binary searches whatever the span (0.2-0.4 µs, no
// allocation), and AddBusinessTime one search per year crossed. Calendars
// are immutable and safe for concurrent use. They cover the years MinYear..MaxYear (1900-2199);
// outside them a calendar is closed.
package calendar
