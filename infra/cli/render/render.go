// Package render writes query results for people and for scripts: aligned
// tables, JSON and CSV from the same rows.
package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"
)

// Format is an output format.
type Format string

// Output formats.
const (
	Table Format = "table" // aligned columns for people
	JSON  Format = "json"  // the raw value, indented, for scripts
	CSV   Format = "csv"   // a header row and one row per record
)

// ParseFormat checks a --output value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Table, JSON, CSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q: use table, json or csv", s)
}

// Rows is tabular data: a header and string cells.
type Rows struct {
	Header []string
	Rows   [][]string
}

// Add appends a row; values are formatted with fmt's %v.
func (r *Rows) Add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	r.Rows = append(r.Rows, row)
}

// Write renders v in format f: JSON encodes raw (the full value) while Table
// and CSV render rows.
func Write(w io.Writer, f Format, raw any, rows Rows) error {
	switch f {
	case JSON:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(raw); err != nil {
			return err
		}
		// encoding/json escapes the C0 controls; DEL and the C1 controls
		// (which can only stand inside strings) are escaped here.
		_, err := io.WriteString(w, escapeControls(buf.String(), func(r rune) bool { return r >= 0x7f && r <= 0x9f }))
		return err
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(rows.Header); err != nil {
			return err
		}
		for _, r := range rows.Rows {
			cells := make([]string, len(r))
			for i, c := range r {
				cells[i] = visible(c)
			}
			if err := cw.Write(cells); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(rows.Header, "\t"))
		for _, r := range rows.Rows {
			fmt.Fprintln(tw, strings.Join(clean(r), "\t"))
		}
		return tw.Flush()
	}
}

// KV renders one record as two aligned columns (field, value) for tables,
// and as the raw value for JSON and one header+row for CSV.
func KV(w io.Writer, f Format, raw any, pairs [][2]string) error {
	if f == Table {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, p := range pairs {
			fmt.Fprintf(tw, "%s\t%s\n", p[0], clean([]string{p[1]})[0])
		}
		return tw.Flush()
	}
	var rows Rows
	row := make([]string, len(pairs))
	for i, p := range pairs {
		rows.Header = append(rows.Header, p[0])
		row[i] = p[1]
	}
	rows.Rows = [][]string{row}
	return Write(w, f, raw, rows)
}

// visible writes the control characters of s other than newline and tab
// as \u escapes: stored data never drives the terminal it is printed on
// (the API refuses them in new input; older data may hold them).
func visible(s string) string {
	return escapeControls(s, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) })
}

func escapeControls(s string, is func(rune) bool) string {
	if !strings.ContainsFunc(s, is) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if is(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clean keeps a cell on one line so tables stay aligned, its control
// characters visible.
func clean(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		c = visible(strings.NewReplacer("\n", " ", "\t", " ", "\r", " ").Replace(c))
		if c == "" {
			c = "-"
		}
		out[i] = c
	}
	return out
}

// Duration formats a duration compactly to the second, dropping zero
// trailing units (2h, 1h30m, 2h38m10s, 45s).
func Duration(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(time.Second)
	h, m, sec := int64(d/time.Hour), int64(d%time.Hour/time.Minute), int64(d%time.Minute/time.Second)
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 || (h > 0 && sec > 0) {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return sign + b.String()
}

// Ellipsis marks a cell Fit shortened.
const Ellipsis = "…"

// minFit is the fewest characters Fit leaves in a column it shortens.
const minFit = 12

// Fit shortens the cells of the columns cols (indexes into the header),
// ending each cut one with Ellipsis, so that the table Write renders is at
// most width characters wide (its columns are two spaces apart, widths
// counted in characters as the table aligns them). The other columns are
// never cut; the columns to cut share the width left, none getting fewer
// than 12 characters (so a very narrow width is exceeded rather than
// leaving nothing to read). A width of 0 or less returns rows unchanged.
func Fit(rows Rows, width int, cols ...int) Rows {
	if width <= 0 || len(cols) == 0 {
		return rows
	}
	widths := make([]int, len(rows.Header))
	measure := func(cells []string) {
		for i, c := range clean(cells) {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	measure(rows.Header)
	for _, r := range rows.Rows {
		measure(r)
	}
	cut := map[int]bool{}
	for _, c := range cols {
		if c >= 0 && c < len(widths) {
			cut[c] = true
		}
	}
	avail := width - 2*(len(widths)-1)
	need := 0
	for i, w := range widths {
		if !cut[i] {
			avail -= w
		} else {
			need += w
		}
	}
	if need <= avail {
		return rows
	}
	// Share avail among the columns to cut: the narrow ones keep their
	// width, the rest split what is left evenly.
	limit := map[int]int{}
	left, open := avail, len(cut)
	for open > 0 {
		share := max(left/open, minFit)
		settled := false
		for c := range cut {
			if _, done := limit[c]; !done && widths[c] <= share {
				limit[c] = widths[c]
				left -= widths[c]
				open--
				settled = true
			}
		}
		if !settled {
			for c := range cut {
				if _, done := limit[c]; !done {
					limit[c] = share
				}
			}
			break
		}
	}
	out := Rows{Header: rows.Header, Rows: make([][]string, len(rows.Rows))}
	for i, r := range rows.Rows {
		row := clean(r)
		for c, n := range limit {
			if c < len(row) {
				row[c] = truncate(row[c], n)
			}
		}
		out.Rows[i] = row
	}
	return out
}

// truncate cuts s to n characters, the last one Ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + Ellipsis
}
