// Package render writes query results for people and for scripts: aligned
// tables, JSON and CSV from the same rows.
package render

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
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
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(raw)
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(rows.Header); err != nil {
			return err
		}
		if err := cw.WriteAll(rows.Rows); err != nil {
			return err
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

// clean keeps a cell on one line so tables stay aligned.
func clean(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		c = strings.NewReplacer("\n", " ", "\t", " ", "\r", " ").Replace(c)
		if c == "" {
			c = "-"
		}
		out[i] = c
	}
	return out
}
