package calendar

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"
	_ "time/tzdata" // zone data for minimal containers without /usr/share/zoneinfo

	"github.com/rickar/cal/v2"
)

// The years a calendar covers. Before MinYear and from MaxYear+1 on, a
// calendar is closed: no business time elapses there.
const (
	MinYear = 1900
	MaxYear = 2199
)

// span is one block of working hours: minutes since local midnight,
// open < close <= 1440.
type span struct{ open, close int32 }

func (s span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.open/60, s.open%60, s.close/60, s.close%60)
}

// Calendar is the business-hours calendar of a locale: a time zone, working
// week days, working hours (wall-clock, possibly split) and holidays.
//
// A Calendar is immutable and safe for concurrent use. It precomputes, per
// year and on first use, the instants its working hours open and close, so
// BusinessTime is a pair of binary searches whatever the span and
// AddBusinessTime is one per year crossed.
type Calendar struct {
	spec     Spec
	loc      *time.Location
	week     [7][]span
	base     *Calendar
	set      []*cal.Holiday
	explicit map[int32]string

	lo, hi time.Time // start of MinYear, start of MaxYear+1 (local midnight)
	tables [MaxYear - MinYear + 1]atomic.Pointer[yearTable]
}

// yearTable holds one local calendar year's working intervals as Unix
// nanoseconds: iv = open0, close0, open1, close1, ... sorted and disjoint;
// cum[i] is the business time before interval i, cum[n] the year's total.
type yearTable struct {
	start, end int64 // local midnight of 1 Jan this year and next year
	iv         []int64
	cum        []int64
	holidays   map[int32]string
}

func (t *yearTable) total() int64 { return t.cum[len(t.cum)-1] }

// New builds a calendar from its definition. A Base is looked up among the
// shipped locales; use Registry.Define to resolve bases among user
// calendars too.
func New(s Spec) (*Calendar, error) {
	return Shipped().Define(s)
}

// build validates s against an already resolved base (nil if none).
func build(s Spec, base *Calendar) (*Calendar, error) {
	if normalizeID(s.ID) == "" {
		return nil, specError("", "id", "a calendar needs an id, e.g. \"sv-SE\" or \"acme-stockholm\"")
	}
	c := &Calendar{spec: s, base: base}
	if base != nil {
		if c.spec.Zone == "" {
			c.spec.Zone = base.spec.Zone
		}
		if len(c.spec.Days) == 0 {
			c.spec.Days = base.spec.Days
		}
		if len(c.spec.Hours) == 0 {
			c.spec.Hours = base.spec.Hours
		}
	}
	if c.spec.Zone == "" {
		return nil, specError(s.ID, "zone", "no time zone: set \"zone\" to an IANA name such as \"Europe/Stockholm\"")
	}
	loc, err := time.LoadLocation(c.spec.Zone)
	if err != nil || c.spec.Zone == "Local" {
		return nil, specError(s.ID, "zone", "unknown time zone %q: use an IANA name such as \"Europe/Stockholm\"", c.spec.Zone)
	}
	c.loc = loc
	days, err := parseDays(s.ID, c.spec.Days)
	if err != nil {
		return nil, err
	}
	hours, err := parseHours(s.ID, c.spec.Hours)
	if err != nil {
		return nil, err
	}
	for w := range days {
		if days[w] {
			c.week[w] = hours
		}
	}
	if s.HolidaySet != "" {
		set, ok := holidaySets[s.HolidaySet]
		if !ok {
			return nil, specError(s.ID, "holidaySet", "unknown holiday set %q (known: %v)", s.HolidaySet, HolidaySets())
		}
		c.set = set
	}
	if c.explicit, err = parseHolidays(s.ID, s.Holidays); err != nil {
		return nil, err
	}
	c.lo = time.Date(MinYear, 1, 1, 0, 0, 0, 0, loc)
	c.hi = time.Date(MaxYear+1, 1, 1, 0, 0, 0, 0, loc)
	return c, nil
}

// ID is the calendar's id, e.g. "sv-SE".
func (c *Calendar) ID() string { return c.spec.ID }

// Name is the calendar's human-readable name (may be empty).
func (c *Calendar) Name() string { return c.spec.Name }

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Spec returns the calendar's definition, with the fields inherited from
// its base filled in.
func (c *Calendar) Spec() Spec {
	s := c.spec
	s.Days = append([]string(nil), s.Days...)
	s.Hours = append([]string(nil), s.Hours...)
	s.Holidays = append([]HolidayDate(nil), s.Holidays...)
	return s
}

// WorkingDay is the length of one full working day: the longest scheduled
// day of the week, in wall-clock hours (9h for 08:00-17:00). It is what
// "one business day" means for targets.
func (c *Calendar) WorkingDay() time.Duration {
	var best int32
	for _, spans := range c.week {
		var sum int32
		for _, s := range spans {
			sum += s.close - s.open
		}
		best = max(best, sum)
	}
	return time.Duration(best) * time.Minute
}

// table returns year y's table, building it on first use. Building is
// deterministic, so a lost race only wastes the loser's work.
func (c *Calendar) table(y int) *yearTable {
	p := &c.tables[y-MinYear]
	if t := p.Load(); t != nil {
		return t
	}
	t := c.buildYear(y)
	if p.CompareAndSwap(nil, t) {
		return t
	}
	return p.Load()
}

func (c *Calendar) buildYear(y int) *yearTable {
	t := &yearTable{
		start:    time.Date(y, 1, 1, 0, 0, 0, 0, c.loc).UnixNano(),
		end:      time.Date(y+1, 1, 1, 0, 0, 0, 0, c.loc).UnixNano(),
		holidays: c.holidaysIn(y),
	}
	last := int64(math.MinInt64)
	for d := time.Date(y, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
		spans := c.week[d.Weekday()]
		if len(spans) == 0 {
			continue
		}
		yy, m, dd := d.Date()
		if _, hol := t.holidays[dateKey(yy, m, dd)]; hol {
			continue
		}
		for _, s := range spans {
			// Wall-clock times in the zone: 08:00 stays 08:00 across DST.
			o := time.Date(yy, m, dd, 0, int(s.open), 0, 0, c.loc).UnixNano()
			e := time.Date(yy, m, dd, 0, int(s.close), 0, 0, c.loc).UnixNano()
			o = max(o, last) // a fall-back repeat hour must not overlap
			if e <= o {
				continue // working hours inside a skipped (spring-forward) hour
			}
			t.iv = append(t.iv, o, e)
			last = e
		}
	}
	n := len(t.iv) / 2
	t.cum = make([]int64, n+1)
	for i := range n {
		t.cum[i+1] = t.cum[i] + t.iv[2*i+1] - t.iv[2*i]
	}
	return t
}

// clamp maps t into the covered range and returns Unix nanoseconds.
func (c *Calendar) clamp(t time.Time) int64 {
	if t.Before(c.lo) {
		return c.lo.UnixNano()
	}
	if !t.Before(c.hi) {
		return c.hi.UnixNano()
	}
	return t.UnixNano()
}

// yearOf returns the local year whose table holds instant x (x clamped).
func (c *Calendar) yearOf(x int64) (int, *yearTable) {
	y := min(max(time.Unix(0, x).UTC().Year(), MinYear), MaxYear)
	t := c.table(y)
	switch {
	case x < t.start && y > MinYear:
		y--
		t = c.table(y)
	case x >= t.end && y < MaxYear:
		y++
		t = c.table(y)
	}
	return y, t
}

// search returns the number of intervals of t that open at or before x.
func (t *yearTable) search(x int64) int {
	lo, hi := 0, len(t.iv)/2
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.iv[2*m] <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// cumAt is the business time elapsed in t's year before instant x.
func (t *yearTable) cumAt(x int64) int64 {
	j := t.search(x)
	if j == 0 {
		return 0
	}
	i := j - 1
	if x < t.iv[2*i+1] {
		return t.cum[i] + x - t.iv[2*i]
	}
	return t.cum[j]
}

// at returns the earliest instant of t's year at which business time
// target (0 < target <= total) has elapsed since the start of the year.
func (t *yearTable) at(target int64) int64 {
	lo, hi := 0, len(t.iv)/2
	for lo < hi { // smallest i with cum[i+1] >= target
		m := int(uint(lo+hi) >> 1)
		if t.cum[m+1] >= target {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return t.iv[2*lo] + target - t.cum[lo]
}

// BusinessTime is the business time between from and to: how much of
// [from, to) falls within working hours on working days that are not
// holidays. It is 0 if to is not after from. It is additive
// (BusinessTime(a,c) == BusinessTime(a,b)+BusinessTime(b,c) for a <= b <= c)
// and counts real elapsed time, so a working day has its usual length on a
// DST weekend (the switch happens at night).
func (c *Calendar) BusinessTime(from, to time.Time) time.Duration {
	a, b := c.clamp(from), c.clamp(to)
	if b <= a {
		return 0
	}
	ya, ta := c.yearOf(a)
	yb, tb := c.yearOf(b)
	if ya == yb {
		return time.Duration(ta.cumAt(b) - ta.cumAt(a))
	}
	sum := ta.total() - ta.cumAt(a)
	for y := ya + 1; y < yb; y++ {
		sum += c.table(y).total()
	}
	return time.Duration(sum + tb.cumAt(b))
}

// AddBusinessTime returns the earliest instant at which d of business time
// has elapsed after from: BusinessTime(from, AddBusinessTime(from, d)) == d.
// If from is outside working hours the clock starts at the next opening; a
// result that falls exactly on a closing time is that closing time (not the
// next opening). d <= 0 returns from. The result is in from's location. If
// the calendar runs out (after MaxYear) it returns the end of MaxYear.
func (c *Calendar) AddBusinessTime(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	if !from.Before(c.hi) {
		return from
	}
	x := c.clamp(from)
	y, t := c.yearOf(x)
	rem := int64(d)
	if avail := t.total() - t.cumAt(x); rem > avail {
		rem -= avail
		for {
			if y++; y > MaxYear {
				return c.hi.In(from.Location())
			}
			if t = c.table(y); rem <= t.total() {
				break
			}
			rem -= t.total()
		}
	} else {
		rem += t.cumAt(x)
	}
	return time.Unix(0, t.at(rem)).In(from.Location())
}

// IsOpen reports whether t is within working hours (on a working day that
// is not a holiday).
func (c *Calendar) IsOpen(t time.Time) bool {
	if t.Before(c.lo) || !t.Before(c.hi) {
		return false
	}
	x := t.UnixNano()
	_, tab := c.yearOf(x)
	j := tab.search(x)
	return j > 0 && x < tab.iv[2*j-1]
}

// NextOpen returns t if the calendar is open at t, else the next instant
// it opens, in t's location. If it never opens again before the end of
// MaxYear, it returns the end of MaxYear.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	if c.IsOpen(t) {
		return t
	}
	if !t.Before(c.hi) {
		return t
	}
	x := c.clamp(t)
	y, tab := c.yearOf(x)
	j := tab.search(x)
	for j >= len(tab.iv)/2 {
		if y++; y > MaxYear {
			return c.hi.In(t.Location())
		}
		tab, j = c.table(y), 0
	}
	return time.Unix(0, tab.iv[2*j]).In(t.Location())
}

// DayLength is the business time of the local calendar day that contains t
// (0 on weekends and holidays).
func (c *Calendar) DayLength(t time.Time) time.Duration {
	y, m, d := t.In(c.loc).Date()
	return c.BusinessTime(time.Date(y, m, d, 0, 0, 0, 0, c.loc), time.Date(y, m, d+1, 0, 0, 0, 0, c.loc))
}

// String returns the calendar's id.
func (c *Calendar) String() string { return c.spec.ID }
