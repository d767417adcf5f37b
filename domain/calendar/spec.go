package calendar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// Rules of the calendar package. They are part of the public error contract
// (see domain.Rule): never rename one.
const (
	// RuleUnknownLocale: no calendar has the requested id.
	RuleUnknownLocale domain.Rule = "unknown-locale"
	// RuleInvalidCalendar: a calendar definition is malformed.
	RuleInvalidCalendar domain.Rule = "invalid-calendar"
)

// Spec is the definition of a calendar: the JSON shape of a locale file and
// of a user calendar file. Times are wall-clock times in Zone.
//
//	{
//	  "id": "acme-SE",
//	  "base": "sv-SE",
//	  "zone": "Europe/Stockholm",
//	  "days": ["mon-fri"],
//	  "hours": ["08:00-12:00", "13:00-17:00"],
//	  "holidays": ["2026-12-23", {"date": "2026-06-26", "name": "Company day"}]
//	}
//
// With a Base, every omitted field among Zone, Days and Hours is taken from
// the base calendar, and the base's holidays are inherited (added to the
// calendar's own). HolidaySet names a holiday set from
// github.com/rickar/cal/v2: "se", "de", "gb", "us" or "jp".
type Spec struct {
	ID         string        `json:"id"`
	Name       string        `json:"name,omitempty"`
	Base       string        `json:"base,omitempty"`
	Zone       string        `json:"zone,omitempty"`
	Days       []string      `json:"days,omitempty"`  // "mon".."sun", full names, or ranges like "mon-fri"
	Hours      []string      `json:"hours,omitempty"` // "HH:MM-HH:MM", sorted, not overlapping; "24:00" ends at midnight
	Holidays   []HolidayDate `json:"holidays,omitempty"`
	HolidaySet string        `json:"holidaySet,omitempty"`
}

// HolidayDate is one explicit holiday of a Spec. In JSON it is either a
// "YYYY-MM-DD" string or an object {"date": "YYYY-MM-DD", "name": "..."}.
type HolidayDate struct {
	Date string `json:"date"`
	Name string `json:"name,omitempty"`
}

// UnmarshalJSON accepts a bare date string or a {"date","name"} object.
func (h *HolidayDate) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		h.Name = ""
		return json.Unmarshal(b, &h.Date)
	}
	type plain HolidayDate
	return json.Unmarshal(b, (*plain)(h))
}

// ParseSpecs decodes calendar definitions from JSON: either one Spec object,
// an array of them, or an object {"calendars": [...]}. It checks only the
// JSON shape; New and Registry.Define validate the contents.
func ParseSpecs(r io.Reader) ([]Spec, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read calendar definitions: %w", err)
	}
	data = bytes.TrimSpace(data)
	invalid := func(err error) error {
		return domain.Errorf(domain.KindInvalid, RuleInvalidCalendar, "", "calendar definitions are not valid JSON: %v (want a calendar object, an array of them, or {\"calendars\": [...]})", err)
	}
	switch {
	case len(data) > 0 && data[0] == '[':
		var specs []Spec
		if err := strictUnmarshal(data, &specs); err != nil {
			return nil, invalid(err)
		}
		return specs, nil
	case len(data) > 0 && data[0] == '{':
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, invalid(err)
		}
		if raw, ok := probe["calendars"]; ok && len(probe) == 1 {
			var specs []Spec
			if err := strictUnmarshal(raw, &specs); err != nil {
				return nil, invalid(err)
			}
			return specs, nil
		}
		var s Spec
		if err := strictUnmarshal(data, &s); err != nil {
			return nil, invalid(err)
		}
		return []Spec{s}, nil
	}
	return nil, invalid(fmt.Errorf("empty or not an object/array"))
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func specError(id, field, format string, args ...any) error {
	if id == "" {
		id = "(no id)"
	}
	return domain.Errorf(domain.KindInvalid, RuleInvalidCalendar, field, "calendar %s: %s", id, fmt.Sprintf(format, args...))
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// parseDays turns "mon", "monday" or "mon-fri" entries into a weekday set.
func parseDays(id string, days []string) ([7]bool, error) {
	var set [7]bool
	if len(days) == 0 {
		return set, specError(id, "days", "no working days: list them, e.g. \"days\": [\"mon-fri\"]")
	}
	for _, d := range days {
		lo, hi, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(d)), "-")
		a, ok := dayNames[strings.TrimSpace(lo)]
		if !ok {
			return set, specError(id, "days", "unknown week day %q (use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri)", d)
		}
		b := a
		if isRange {
			if b, ok = dayNames[strings.TrimSpace(hi)]; !ok {
				return set, specError(id, "days", "unknown week day %q (use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri)", d)
			}
		}
		for w := a; ; w = (w + 1) % 7 {
			set[w] = true
			if w == b {
				break
			}
		}
	}
	return set, nil
}

// parseClock parses "HH:MM" into minutes since midnight; "24:00" is allowed.
func parseClock(s string) (int32, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(m) != 2 || len(h) < 1 || len(h) > 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return int32(hh*60 + mm), true
}

// parseHours turns "08:00-17:00" entries into sorted, non-overlapping spans.
func parseHours(id string, hours []string) ([]span, error) {
	if len(hours) == 0 {
		return nil, specError(id, "hours", "no working hours: list them, e.g. \"hours\": [\"08:00-17:00\"]")
	}
	spans := make([]span, 0, len(hours))
	for _, h := range hours {
		a, b, ok := strings.Cut(h, "-")
		o, ok1 := parseClock(a)
		c, ok2 := parseClock(b)
		if !ok || !ok1 || !ok2 {
			return nil, specError(id, "hours", "working hours %q are not \"HH:MM-HH:MM\" (e.g. \"08:00-17:00\")", h)
		}
		if c <= o {
			return nil, specError(id, "hours", "working hours %q end before they start (a span cannot cross midnight; use \"22:00-24:00\" and \"00:00-06:00\")", h)
		}
		spans = append(spans, span{open: o, close: c})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].open < spans[j].open })
	for i := 1; i < len(spans); i++ {
		if spans[i].open < spans[i-1].close {
			return nil, specError(id, "hours", "working hours overlap: %s and %s", spans[i-1], spans[i])
		}
	}
	return spans, nil
}

// parseHolidays turns explicit dates into a map keyed by dateKey.
func parseHolidays(id string, hs []HolidayDate) (map[int32]string, error) {
	m := make(map[int32]string, len(hs))
	for _, h := range hs {
		d, err := time.Parse(time.DateOnly, strings.TrimSpace(h.Date))
		if err != nil {
			return nil, specError(id, "holidays", "holiday %q is not a date YYYY-MM-DD", h.Date)
		}
		if d.Year() < MinYear || d.Year() > MaxYear {
			return nil, specError(id, "holidays", "holiday %s is outside the supported years %d-%d", h.Date, MinYear, MaxYear)
		}
		name := h.Name
		if name == "" {
			name = "holiday"
		}
		addHoliday(m, dateKey(d.Year(), d.Month(), d.Day()), name)
	}
	return m, nil
}

// dateKey packs a civil date into an int32 (yyyymmdd).
func dateKey(y int, m time.Month, d int) int32 { return int32(y*10000 + int(m)*100 + d) }

func addHoliday(m map[int32]string, k int32, name string) {
	if old, ok := m[k]; ok {
		if old == name || strings.Contains(old, name) {
			return
		}
		name = old + ", " + name
	}
	m[k] = name
}
