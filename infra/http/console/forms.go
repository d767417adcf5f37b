package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/infra/http/server"
)

// field is one input of an action form.
type field struct {
	Name, Label string
	// Kind is text, textarea, select, lines (one value per line) or money
	// (an amount like 120.50, sent in cents).
	Kind     string
	Options  []string
	Required bool
	Hint     string
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// moneyCents parses an amount like 120.50 into cents ("" is 0).
func moneyCents(s, name string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, formError(name, "the amount %q has more than two decimals: give it like 120.50", s)
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt((frac + "00")[:2], 10, 64)
	if err1 != nil || err2 != nil || w < 0 || w > 1<<40 {
		return 0, formError(name, "the amount %q is not a number like 120.50", s)
	}
	return w*100 + f, nil
}

// formError is a problem with a form's input found before the API is
// asked (nothing is sent, nothing appended).
func formError(field, format string, args ...any) error {
	return &pageError{Status: http.StatusBadRequest, Title: "Check the form", Field: field, Detail: fmt.Sprintf(format, args...)}
}

// commandBase reads the form's optional occurred-at (a datetime-local
// value in the viewer's zone): a late entry of something that happened
// earlier.
func commandBase(r *http.Request, v url.Values) (server.CommandBase, error) {
	var b server.CommandBase
	s := strings.TrimSpace(v.Get("occurredAt"))
	if s == "" {
		return b, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, zoneOf(r)); err == nil {
			b.OccurredAt = server.Timestamp{Time: t}
			return b, nil
		}
	}
	return b, formError("occurredAt", "occurred at %q is not a date and time: pick one in the field, or leave it empty for now", s)
}
