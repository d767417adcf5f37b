package calendar_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/calendar"
)

func mustGet(t testing.TB, r *calendar.Registry, id string) *calendar.Calendar {
	t.Helper()
	c, err := r.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// at is a wall-clock time in c's zone.
func at(c *calendar.Calendar, y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, c.Location())
}

func TestShippedLocales(t *testing.T) {
	r := calendar.Shipped()
	want := []string{"de-DE", "en-GB", "en-US", "ja-JP", "sv-SE"}
	if got := r.IDs(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("IDs = %v, want %v", got, want)
	}
	zones := map[string]string{"sv-SE": "Europe/Stockholm", "de-DE": "Europe/Berlin", "en-GB": "Europe/London", "en-US": "America/New_York", "ja-JP": "Asia/Tokyo"}
	for id, zone := range zones {
		c := mustGet(t, r, id)
		if c.Location().String() != zone || c.WorkingDay() != 9*time.Hour || c.Name() == "" || c.String() != id {
			t.Errorf("%s: zone %v, working day %v, name %q", id, c.Location(), c.WorkingDay(), c.Name())
		}
	}
}

// TestHolidays checks known holidays (and known working days) per locale.
func TestHolidays(t *testing.T) {
	r := calendar.Shipped()
	tests := []struct {
		cal     string
		date    string
		holiday bool
		name    string // substring of the holiday's name
	}{
		{"sv-SE", "2026-06-19", true, "Midsommarafton"},
		{"sv-SE", "2025-06-20", true, "Midsommarafton"},
		{"sv-SE", "2026-06-18", false, ""},
		{"sv-SE", "2026-12-24", true, "Julafton"},
		{"sv-SE", "2026-12-31", true, "Nyårsafton"},
		{"sv-SE", "2026-01-06", true, "Trettondedag"},
		{"sv-SE", "2026-05-14", true, "Kristi"},
		{"de-DE", "2025-10-03", true, "Deutschen Einheit"},
		{"de-DE", "2026-04-03", true, "Karfreitag"},
		{"de-DE", "2026-01-06", false, ""},      // regional only (BW, BY, ST)
		{"en-GB", "2026-12-28", true, "Boxing"}, // 26 Dec is a Saturday
		{"en-GB", "2026-05-04", true, "Early May"},
		{"en-GB", "2020-05-08", true, "VE"},
		{"en-GB", "2026-08-31", true, "Summer"},
		{"en-US", "2026-11-26", true, "Thanksgiving"},
		{"en-US", "2025-11-27", true, "Thanksgiving"},
		{"en-US", "2026-11-27", false, ""},
		{"en-US", "2026-07-03", true, "Independence"}, // 4 July is a Saturday
		{"en-US", "2021-12-31", true, "New Year"},     // 1 Jan 2022 is a Saturday
		{"ja-JP", "2026-04-29", true, "Showa"},
		{"ja-JP", "2026-05-04", true, "Greenery"},
		{"ja-JP", "2026-05-05", true, "Children"},
		{"ja-JP", "2026-05-06", true, "Constitution"}, // substitute: 3 May is a Sunday
		{"ja-JP", "2026-05-07", false, ""},
		{"ja-JP", "2026-09-22", true, "National holiday"},
	}
	for _, tt := range tests {
		c := mustGet(t, r, tt.cal)
		d, err := time.ParseInLocation(time.DateOnly, tt.date, c.Location())
		if err != nil {
			t.Fatal(err)
		}
		name, ok := c.Holiday(d.Add(13 * time.Hour))
		if ok != tt.holiday || !strings.Contains(name, tt.name) {
			t.Errorf("%s %s: holiday=%v %q, want %v %q", tt.cal, tt.date, ok, name, tt.holiday, tt.name)
		}
		if got, want := c.IsWorkingDay(d), !tt.holiday && d.Weekday() != time.Saturday && d.Weekday() != time.Sunday; got != want {
			t.Errorf("%s %s: IsWorkingDay=%v", tt.cal, tt.date, got)
		}
		if tt.holiday && c.DayLength(d) != 0 {
			t.Errorf("%s %s: a holiday has %v of business time", tt.cal, tt.date, c.DayLength(d))
		}
	}
}

func TestHolidaysList(t *testing.T) {
	c := mustGet(t, calendar.Shipped(), "sv-SE")
	hs := c.Holidays(2026)
	if len(hs) != 14 {
		t.Fatalf("sv-SE 2026 has %d holidays, want 14: %v", len(hs), hs)
	}
	for i := 1; i < len(hs); i++ {
		if !hs[i-1].Date.Before(hs[i].Date) {
			t.Fatalf("not sorted: %v", hs)
		}
	}
	if hs[0].Date != at(c, 2026, 1, 1, 0, 0) || hs[0].Name != "Nyårsdagen" {
		t.Errorf("first = %v", hs[0])
	}
	if c.Holidays(1800) != nil || c.Holidays(2300) != nil {
		t.Error("holidays outside the supported years")
	}
	if _, ok := c.Holiday(time.Date(1800, 1, 1, 12, 0, 0, 0, time.UTC)); ok {
		t.Error("holiday outside the supported years")
	}
}

// TestBusinessTime: table of spans over nights, weekends, holidays and DST.
func TestBusinessTime(t *testing.T) {
	r := calendar.Shipped()
	se, us, jp, gb, de := mustGet(t, r, "sv-SE"), mustGet(t, r, "en-US"), mustGet(t, r, "ja-JP"), mustGet(t, r, "en-GB"), mustGet(t, r, "de-DE")
	tests := []struct {
		name     string
		c        *calendar.Calendar
		from, to time.Time
		want     time.Duration
	}{
		{"same day", se, at(se, 2026, 11, 24, 9, 0), at(se, 2026, 11, 24, 11, 30), 150 * time.Minute},
		{"reversed", se, at(se, 2026, 11, 24, 11, 0), at(se, 2026, 11, 24, 9, 0), 0},
		{"before opening to after closing", se, at(se, 2026, 11, 24, 6, 0), at(se, 2026, 11, 24, 20, 0), 9 * time.Hour},
		{"overnight", se, at(se, 2026, 11, 24, 16, 0), at(se, 2026, 11, 25, 9, 0), 2 * time.Hour},
		{"weekend", se, at(se, 2026, 11, 20, 16, 30), at(se, 2026, 11, 23, 9, 30), 2 * time.Hour},
		{"inside weekend", se, at(se, 2026, 11, 21, 9, 0), at(se, 2026, 11, 22, 16, 0), 0},
		{"midsommar", se, at(se, 2026, 6, 18, 16, 0), at(se, 2026, 6, 22, 9, 0), 2 * time.Hour},
		{"christmas to new year", se, at(se, 2026, 12, 23, 8, 0), at(se, 2027, 1, 5, 8, 0), 9*time.Hour + 4*9*time.Hour},
		{"europe spring DST weekend", se, at(se, 2026, 3, 27, 8, 0), at(se, 2026, 3, 30, 17, 0), 18 * time.Hour},
		{"europe autumn DST weekend", de, at(de, 2026, 10, 23, 8, 0), at(de, 2026, 10, 26, 17, 0), 18 * time.Hour},
		{"uk spring DST weekend", gb, at(gb, 2026, 3, 27, 16, 0), at(gb, 2026, 3, 30, 9, 0), 2 * time.Hour},
		{"us spring DST weekend", us, at(us, 2026, 3, 6, 16, 0), at(us, 2026, 3, 9, 9, 0), 2 * time.Hour},
		{"us autumn DST weekend", us, at(us, 2026, 10, 30, 8, 0), at(us, 2026, 11, 2, 17, 0), 18 * time.Hour},
		{"thanksgiving", us, at(us, 2026, 11, 25, 16, 0), at(us, 2026, 11, 27, 9, 0), 2 * time.Hour},
		{"golden week", jp, at(jp, 2026, 4, 28, 17, 0), at(jp, 2026, 5, 7, 8, 0), 18 * time.Hour},
		{"across years", us, at(us, 2021, 12, 30, 8, 0), at(us, 2022, 1, 4, 8, 0), 9*time.Hour + 9*time.Hour},
		{"several years", se, at(se, 2024, 1, 1, 0, 0), at(se, 2027, 1, 1, 0, 0), time.Duration(251+249+251) * 9 * time.Hour},
		{"zone of the arguments does not matter", se, at(se, 2026, 11, 24, 9, 0).UTC(), at(se, 2026, 11, 24, 10, 0).In(time.FixedZone("X", 5*3600)), time.Hour},
	}
	for _, tt := range tests {
		if got := tt.c.BusinessTime(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: BusinessTime(%v, %v) = %v, want %v", tt.name, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestWorkingDaysPerYear(t *testing.T) {
	// Sweden 2024: 262 week days minus 11 holidays on week days = 251.
	se := mustGet(t, calendar.Shipped(), "sv-SE")
	got := se.BusinessTime(at(se, 2024, 1, 1, 0, 0), at(se, 2025, 1, 1, 0, 0))
	if got != 251*9*time.Hour {
		t.Errorf("sv-SE 2024 = %v of business time, want 251 days of 9h", got)
	}
}

func TestDSTKeepsWallClockHours(t *testing.T) {
	r := calendar.Shipped()
	for _, tt := range []struct {
		cal  string
		days []string // the Monday after and the Friday before each switch
	}{
		{"sv-SE", []string{"2026-03-27", "2026-03-30", "2026-10-23", "2026-10-26"}},
		{"en-GB", []string{"2026-03-27", "2026-03-30", "2026-10-23", "2026-10-26"}},
		{"en-US", []string{"2026-03-06", "2026-03-09", "2026-10-30", "2026-11-02"}},
	} {
		c := mustGet(t, r, tt.cal)
		for _, day := range tt.days {
			d, _ := time.ParseInLocation(time.DateOnly, day, c.Location())
			if got := c.DayLength(d); got != 9*time.Hour {
				t.Errorf("%s %s: day length %v, want 9h", tt.cal, day, got)
			}
			open := c.NextOpen(d)
			if h, m, _ := open.In(c.Location()).Clock(); h != 8 || m != 0 {
				t.Errorf("%s %s: opens at %v, want 08:00 local", tt.cal, day, open.In(c.Location()))
			}
		}
	}
	// Friday 16:00 + 2h of business time is Monday 09:00 local on a DST weekend.
	us := mustGet(t, r, "en-US")
	if got, want := us.AddBusinessTime(at(us, 2026, 3, 6, 16, 0), 2*time.Hour), at(us, 2026, 3, 9, 9, 0); !got.Equal(want) {
		t.Errorf("US DST: %v, want %v", got, want)
	}
}

func TestAroundTheClockCalendarOnDSTDays(t *testing.T) {
	// Working hours spanning the switch: the day has 23h or 25h of real time.
	cs, err := calendar.LoadJSON(strings.NewReader(`{"id":"x-24","zone":"Europe/Stockholm","days":["mon-sun"],"hours":["00:00-24:00"]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	for day, want := range map[string]time.Duration{"2026-03-29": 23 * time.Hour, "2026-10-25": 25 * time.Hour, "2026-10-26": 24 * time.Hour} {
		d, _ := time.ParseInLocation(time.DateOnly, day, c.Location())
		if got := c.DayLength(d); got != want {
			t.Errorf("%s: %v, want %v", day, got, want)
		}
	}
	// Hours inside the skipped hour contribute only what exists.
	cs, err = calendar.LoadJSON(strings.NewReader(`{"id":"x-night","zone":"Europe/Stockholm","days":["sun"],"hours":["02:00-02:30","02:30-04:00"]}`))
	if err != nil {
		t.Fatal(err)
	}
	c = cs[0]
	if got := c.DayLength(time.Date(2026, 3, 29, 12, 0, 0, 0, c.Location())); got != time.Hour {
		t.Errorf("spring-forward night: %v, want 1h", got)
	}
	// An opening in the repeated hour resolves as time.Date does (to the
	// second occurrence): the repeated hour is not counted twice.
	if got := c.DayLength(time.Date(2026, 10, 25, 12, 0, 0, 0, c.Location())); got != 2*time.Hour {
		t.Errorf("fall-back night: %v, want 2h", got)
	}
}

func TestAddBusinessTime(t *testing.T) {
	r := calendar.Shipped()
	se, jp := mustGet(t, r, "sv-SE"), mustGet(t, r, "ja-JP")
	tests := []struct {
		name string
		c    *calendar.Calendar
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"within the day", se, at(se, 2026, 11, 24, 9, 0), 2 * time.Hour, at(se, 2026, 11, 24, 11, 0)},
		{"ends at closing, not next opening", se, at(se, 2026, 11, 24, 8, 0), 9 * time.Hour, at(se, 2026, 11, 24, 17, 0)},
		{"out of hours starts at next opening", se, at(se, 2026, 11, 24, 18, 0), time.Hour, at(se, 2026, 11, 25, 9, 0)},
		{"friday 16:30 + 2h", se, at(se, 2026, 11, 20, 16, 30), 2 * time.Hour, at(se, 2026, 11, 23, 9, 30)},
		{"midsommar", se, at(se, 2026, 6, 18, 16, 0), 4 * time.Hour, at(se, 2026, 6, 22, 11, 0)},
		{"golden week", jp, at(jp, 2026, 4, 28, 16, 0), 2 * time.Hour, at(jp, 2026, 4, 30, 9, 0)},
		{"zero", se, at(se, 2026, 11, 21, 3, 0), 0, at(se, 2026, 11, 21, 3, 0)},
		{"negative", se, at(se, 2026, 11, 21, 3, 0), -time.Hour, at(se, 2026, 11, 21, 3, 0)},
		{"across the year", se, at(se, 2026, 12, 30, 16, 0), 2 * time.Hour, at(se, 2027, 1, 4, 9, 0)},
		{"a year of business time", se, at(se, 2024, 1, 1, 0, 0), 251 * 9 * time.Hour, at(se, 2024, 12, 30, 17, 0)},
		{"after the last year", se, at(se, 2199, 12, 31, 12, 0), 100 * time.Hour, at(se, 2200, 1, 1, 0, 0)},
		{"beyond the covered years", se, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"before the covered years", se, time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour, at(se, 1900, 1, 2, 9, 0)},
	}
	for _, tt := range tests {
		got := tt.c.AddBusinessTime(tt.from, tt.d)
		if !got.Equal(tt.want) {
			t.Errorf("%s: AddBusinessTime(%v, %v) = %v, want %v", tt.name, tt.from, tt.d, got, tt.want)
		}
		if got.Location() != tt.from.Location() {
			t.Errorf("%s: location %v, want %v", tt.name, got.Location(), tt.from.Location())
		}
	}
}

func TestIsOpenNextOpen(t *testing.T) {
	se := mustGet(t, calendar.Shipped(), "sv-SE")
	tests := []struct {
		t    time.Time
		open bool
		next time.Time
	}{
		{at(se, 2026, 11, 24, 8, 0), true, at(se, 2026, 11, 24, 8, 0)},
		{at(se, 2026, 11, 24, 16, 59), true, at(se, 2026, 11, 24, 16, 59)},
		{at(se, 2026, 11, 24, 17, 0), false, at(se, 2026, 11, 25, 8, 0)},
		{at(se, 2026, 11, 24, 7, 59), false, at(se, 2026, 11, 24, 8, 0)},
		{at(se, 2026, 11, 21, 12, 0), false, at(se, 2026, 11, 23, 8, 0)},
		{at(se, 2026, 6, 19, 12, 0), false, at(se, 2026, 6, 22, 8, 0)},
		{at(se, 2026, 12, 31, 18, 0), false, at(se, 2027, 1, 4, 8, 0)},
		{time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC), false, at(se, 1900, 1, 2, 8, 0)},
		{time.Date(2250, 1, 1, 0, 0, 0, 0, time.UTC), false, time.Date(2250, 1, 1, 0, 0, 0, 0, time.UTC)},
		{at(se, 2199, 12, 31, 18, 0), false, at(se, 2200, 1, 1, 0, 0)},
	}
	for _, tt := range tests {
		if got := se.IsOpen(tt.t); got != tt.open {
			t.Errorf("IsOpen(%v) = %v", tt.t, got)
		}
		if got := se.NextOpen(tt.t); !got.Equal(tt.next) {
			t.Errorf("NextOpen(%v) = %v, want %v", tt.t, got, tt.next)
		}
	}
}

func TestUserCalendars(t *testing.T) {
	reg := calendar.Shipped()
	cs, err := reg.LoadJSON(strings.NewReader(`[
	  {"id": "acme-SE", "name": "ACME Stockholm", "base": "sv-SE", "hours": ["08:00-12:00", "13:00-17:00"],
	   "holidays": ["2026-11-25", {"date": "2026-11-26", "name": "Kick-off"}]},
	  {"id": "acme-SE-weekend", "base": "acme-SE", "days": ["sat", "sunday"]},
	  {"id": "plain", "zone": "UTC", "days": ["Monday", "wed-thu"], "hours": ["09:00-10:00"]}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("got %d calendars", len(cs))
	}
	acme := mustGet(t, reg, "ACME_se") // ids match case-insensitively
	if acme.Location().String() != "Europe/Stockholm" || acme.WorkingDay() != 8*time.Hour {
		t.Errorf("acme: %v %v", acme.Location(), acme.WorkingDay())
	}
	if s := acme.Spec(); s.Zone != "Europe/Stockholm" || len(s.Days) != 1 || s.Base != "sv-SE" {
		t.Errorf("spec = %+v", s)
	}
	// Inherited (Midsommarafton) and own holidays.
	for _, d := range []time.Time{at(acme, 2026, 6, 19, 12, 0), at(acme, 2026, 11, 25, 12, 0)} {
		if _, ok := acme.Holiday(d); !ok {
			t.Errorf("acme: %v is not a holiday", d)
		}
	}
	if n, _ := acme.Holiday(at(acme, 2026, 11, 26, 12, 0)); n != "Kick-off" {
		t.Errorf("name %q", n)
	}
	// Split hours: the lunch break does not count.
	if got := acme.BusinessTime(at(acme, 2026, 11, 24, 11, 0), at(acme, 2026, 11, 24, 14, 0)); got != 2*time.Hour {
		t.Errorf("split hours: %v", got)
	}
	if got := acme.AddBusinessTime(at(acme, 2026, 11, 24, 11, 0), 90*time.Minute); !got.Equal(at(acme, 2026, 11, 24, 13, 30)) {
		t.Errorf("split hours add: %v", got)
	}
	if acme.IsOpen(at(acme, 2026, 11, 24, 12, 30)) {
		t.Error("open at lunch")
	}
	// Own holidays skip: Tue 24 Nov 16:00 + 2h -> Fri 27 Nov 09:00.
	if got := acme.AddBusinessTime(at(acme, 2026, 11, 24, 16, 0), 2*time.Hour); !got.Equal(at(acme, 2026, 11, 27, 9, 0)) {
		t.Errorf("own holidays: %v", got)
	}
	wk := mustGet(t, reg, "acme-SE-weekend")
	if !wk.IsOpen(at(wk, 2026, 11, 21, 9, 0)) || wk.IsOpen(at(wk, 2026, 11, 24, 9, 0)) {
		t.Error("weekend calendar")
	}
	if _, ok := wk.Holiday(at(wk, 2026, 11, 26, 9, 0)); !ok {
		t.Error("holidays of a base's base")
	}
	plain := mustGet(t, reg, "plain")
	if got := plain.BusinessTime(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)); got != 3*time.Hour {
		t.Errorf("plain week: %v", got)
	}

	// A user calendar replaces a shipped locale of the same id.
	if _, err := reg.LoadJSON(strings.NewReader(`{"calendars": [{"id": "sv-SE", "base": "sv-SE", "hours": ["09:00-18:00"]}]}`)); err != nil {
		t.Fatal(err)
	}
	if se := mustGet(t, reg, "sv-SE"); se.IsOpen(at(se, 2026, 11, 24, 8, 30)) || !se.IsOpen(at(se, 2026, 11, 24, 17, 30)) {
		t.Error("override of sv-SE not in force")
	}
	if se := mustGet(t, calendar.Shipped(), "sv-SE"); !se.IsOpen(at(se, 2026, 11, 24, 8, 30)) {
		t.Error("override leaked into the shipped locales")
	}

	// Package-level LoadJSON and New resolve bases among shipped locales.
	c, err := calendar.New(calendar.Spec{ID: "x", Base: "ja-JP"})
	if err != nil || c.Location().String() != "Asia/Tokyo" {
		t.Fatalf("New: %v %v", c, err)
	}
	reg2 := calendar.NewRegistry()
	reg2.Put(c)
	if reg2.IDs()[0] != "x" {
		t.Error("Put")
	}
}

func TestCalendarErrors(t *testing.T) {
	tests := []struct {
		name, json string
		rule       domain.Rule
		field      string
	}{
		{"not json", `{`, calendar.RuleInvalidCalendar, ""},
		{"empty", ``, calendar.RuleInvalidCalendar, ""},
		{"bad array", `[1]`, calendar.RuleInvalidCalendar, ""},
		{"bad wrapper", `{"calendars": 1}`, calendar.RuleInvalidCalendar, ""},
		{"unknown field", `{"id":"x","zone":"UTC","days":["mon"],"hours":["08:00-09:00"],"colour":"red"}`, calendar.RuleInvalidCalendar, ""},
		{"no id", `{"zone":"UTC","days":["mon"],"hours":["08:00-09:00"]}`, calendar.RuleInvalidCalendar, "id"},
		{"no zone", `{"id":"x","days":["mon"],"hours":["08:00-09:00"]}`, calendar.RuleInvalidCalendar, "zone"},
		{"bad zone", `{"id":"x","zone":"Mars/Olympus","days":["mon"],"hours":["08:00-09:00"]}`, calendar.RuleInvalidCalendar, "zone"},
		{"Local zone", `{"id":"x","zone":"Local","days":["mon"],"hours":["08:00-09:00"]}`, calendar.RuleInvalidCalendar, "zone"},
		{"no days", `{"id":"x","zone":"UTC","hours":["08:00-09:00"]}`, calendar.RuleInvalidCalendar, "days"},
		{"bad day", `{"id":"x","zone":"UTC","days":["funday"],"hours":["08:00-09:00"]}`, calendar.RuleInvalidCalendar, "days"},
		{"bad day range", `{"id":"x","zone":"UTC","days":["mon-xyz"],"hours":["08:00-09:00"]}`, calendar.RuleInvalidCalendar, "days"},
		{"no hours", `{"id":"x","zone":"UTC","days":["mon"]}`, calendar.RuleInvalidCalendar, "hours"},
		{"bad hours", `{"id":"x","zone":"UTC","days":["mon"],"hours":["8-17"]}`, calendar.RuleInvalidCalendar, "hours"},
		{"bad minutes", `{"id":"x","zone":"UTC","days":["mon"],"hours":["08:60-17:00"]}`, calendar.RuleInvalidCalendar, "hours"},
		{"after 24", `{"id":"x","zone":"UTC","days":["mon"],"hours":["08:00-24:30"]}`, calendar.RuleInvalidCalendar, "hours"},
		{"backwards", `{"id":"x","zone":"UTC","days":["mon"],"hours":["17:00-08:00"]}`, calendar.RuleInvalidCalendar, "hours"},
		{"overlap", `{"id":"x","zone":"UTC","days":["mon"],"hours":["08:00-12:00","11:00-17:00"]}`, calendar.RuleInvalidCalendar, "hours"},
		{"bad holiday", `{"id":"x","zone":"UTC","days":["mon"],"hours":["08:00-09:00"],"holidays":["26-12-2026"]}`, calendar.RuleInvalidCalendar, "holidays"},
		{"holiday out of range", `{"id":"x","zone":"UTC","days":["mon"],"hours":["08:00-09:00"],"holidays":["2500-01-01"]}`, calendar.RuleInvalidCalendar, "holidays"},
		{"bad holiday set", `{"id":"x","zone":"UTC","days":["mon"],"hours":["08:00-09:00"],"holidaySet":"xx"}`, calendar.RuleInvalidCalendar, "holidaySet"},
		{"unknown base", `{"id":"x","base":"xx-YY"}`, calendar.RuleUnknownLocale, "locale"},
	}
	for _, tt := range tests {
		reg := calendar.Shipped()
		_, err := reg.LoadJSON(strings.NewReader(tt.json))
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.KindInvalid || de.Rule != tt.rule || de.Field != tt.field {
			t.Errorf("%s: err = %#v (%v), want rule %s field %q", tt.name, de, err, tt.rule, tt.field)
		}
		if len(reg.IDs()) != 5 {
			t.Errorf("%s: registry changed on error", tt.name)
		}
	}
}

func TestUnknownLocaleError(t *testing.T) {
	_, err := calendar.Shipped().Get("xx-YY")
	if domain.KindOf(err) != domain.KindInvalid || domain.RuleOf(err) != "unknown-locale" {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{"xx-YY", "sv-SE", "ja-JP"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q does not mention %s", err, s)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoadJSONReadError(t *testing.T) {
	if _, err := calendar.LoadJSON(failingReader{}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
}

func TestHolidaySets(t *testing.T) {
	if got := strings.Join(calendar.HolidaySets(), ","); got != "de,gb,jp,se,us" {
		t.Errorf("HolidaySets = %s", got)
	}
}
