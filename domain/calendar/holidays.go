package calendar

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/us"
)

// holidaySets are the public-holiday rules a Spec can name in HolidaySet,
// taken from github.com/rickar/cal/v2 rather than typed by hand.
//
//   - se: Swedish public holidays plus the de facto days off Midsommarafton,
//     Julafton and Nyårsafton.
//   - de: German nationwide holidays (no regional ones).
//   - gb: bank holidays of England and Wales, with substitute days.
//   - us: US federal holidays, with observed (substitute) days.
//   - jp: Japanese national holidays, with substitute holidays.
var holidaySets = map[string][]*cal.Holiday{
	"se": se.Holidays,
	"de": de.Holidays,
	"gb": gb.Holidays,
	"us": us.Holidays,
	"jp": jp.Holidays,
}

// HolidaySets lists the names a Spec may use in HolidaySet.
func HolidaySets() []string {
	return slices.Sorted(maps.Keys(holidaySets))
}

// Holiday is one non-working day of a calendar.
type Holiday struct {
	Date time.Time // midnight local time in the calendar's zone
	Name string
}

// holidaysIn computes the holidays (observed dates) whose date falls in
// year y: the base calendar's, the holiday set's and the explicit ones.
func (c *Calendar) holidaysIn(y int) map[int32]string {
	m := make(map[int32]string)
	if c.base != nil {
		for k, v := range c.base.table(y).holidays {
			m[k] = v
		}
	}
	// A holiday observed on a substitute day may move into the
	// neighbouring year (US: 1 Jan on a Saturday is observed on 31 Dec).
	for yy := y - 1; yy <= y+1; yy++ {
		for _, h := range c.set {
			_, obs := h.Calc(yy)
			if obs.IsZero() || obs.Year() != y {
				continue
			}
			addHoliday(m, dateKey(obs.Date()), h.Name)
		}
	}
	lo, hi := dateKey(y, 1, 1), dateKey(y, 12, 31)
	for k, v := range c.explicit {
		if k >= lo && k <= hi {
			addHoliday(m, k, v)
		}
	}
	return m
}

// Holidays returns the holidays of year y in date order. Years outside
// MinYear..MaxYear have none.
func (c *Calendar) Holidays(year int) []Holiday {
	if year < MinYear || year > MaxYear {
		return nil
	}
	t := c.table(year)
	out := make([]Holiday, 0, len(t.holidays))
	for k, name := range t.holidays {
		out = append(out, Holiday{Date: time.Date(int(k/10000), time.Month(k/100%100), int(k%100), 0, 0, 0, 0, c.loc), Name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// Holiday reports whether the calendar day of t (in the calendar's zone) is
// a holiday, and its name.
func (c *Calendar) Holiday(t time.Time) (string, bool) {
	lt := t.In(c.loc)
	if lt.Year() < MinYear || lt.Year() > MaxYear {
		return "", false
	}
	name, ok := c.table(lt.Year()).holidays[dateKey(lt.Date())]
	return name, ok
}

// IsWorkingDay reports whether the calendar day of t (in the calendar's
// zone) is a working week day that is not a holiday.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	lt := t.In(c.loc)
	if len(c.week[lt.Weekday()]) == 0 {
		return false
	}
	_, hol := c.Holiday(lt)
	return !hol
}

func normalizeID(id string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(id), "_", "-"))
}
