package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	_ "time/tzdata"

	"github.com/ticketledger/ticketledger/projections" // the viewer's zone resolves on any host, containers too
)

// zoneCookie holds the viewer's IANA time zone, set by console.js from the
// browser (Intl); without it times show in UTC.
const zoneCookie = "tl_tz"

// zoneOf returns the viewer's time zone: the zone cookie's, else UTC.
func zoneOf(r *http.Request) *time.Location {
	ck, err := r.Cookie(zoneCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 64 {
		return time.UTC
	}
	name, err := url.QueryUnescape(ck.Value)
	if err != nil || name == "" || name == "Local" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// funcs are the template functions every page may use.
func funcs() template.FuncMap {
	return template.FuncMap{
		"when":     when,
		"words":    words,
		"until":    until,
		"rfc":      func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
		"local":    func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2 Jan 2006 15:04:05 MST") },
		"short":    shortID,
		"slaLabel": slaLabel,
		"slaBadge": slaBadge,
		"explain":  explain,
		"clock":    clockName,
		"stateOf":  stateOf,
		"target":   func(d projections.Deadline) string { return words(time.Duration(d.TargetSeconds) * time.Second) },
		"late":     func(s float64) string { return words(seconds(s)) },
	}
}

// when renders an instant in the viewer's zone, with the exact UTC
// instant on hover and machine-readable in datetime.
func when(t time.Time, loc *time.Location) template.HTML {
	if t.IsZero() {
		return template.HTML(`<span class="muted">—</span>`)
	}
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="UTC %s">%s</time>`,
		template.HTMLEscapeString(t.UTC().Format(time.RFC3339Nano)),
		template.HTMLEscapeString(t.UTC().Format("2006-01-02 15:04:05")),
		template.HTMLEscapeString(lt.Format("2 Jan 2006 15:04 MST"))))
}

// words says a duration the way people do: "2 days 3 hours", "45
// minutes", "12 seconds"; at most two units, rounded down.
func words(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Second {
		return "under a second"
	}
	units := []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}}
	var parts []string
	for _, u := range units {
		if n := d / u.d; n > 0 {
			d -= n * u.d
			if n == 1 {
				parts = append(parts, "1 "+u.name)
			} else {
				parts = append(parts, fmt.Sprintf("%d %ss", n, u.name))
			}
		} else if len(parts) > 0 {
			break // "1 day" rather than "1 day 0 hours 5 minutes"
		}
		if len(parts) == 2 {
			break
		}
	}
	return strings.Join(parts, " ")
}

// until says how far t is from now: "in 3 hours", "2 days ago".
func until(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := t.Sub(now)
	if d >= 0 {
		return "in " + words(d)
	}
	return words(-d) + " ago"
}

// shortID is a ticket id's first 8 characters, as the CLI shows it.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
