package render

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestWriteFormats(t *testing.T) {
	rows := Rows{Header: []string{"ID", "SEVERITY", "TITLE"}}
	rows.Add("t-1", "A", "Production down")
	rows.Add("t-22", "C", "multi\nline")
	raw := []map[string]string{{"id": "t-1"}}

	var tab bytes.Buffer
	if err := Write(&tab, Table, raw, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(tab.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want 3:\n%s", len(lines), tab.String())
	}
	// Columns are aligned: SEVERITY starts at the same offset on every line.
	col := strings.Index(lines[0], "SEVERITY")
	for _, l := range lines[1:] {
		if l[col-2:col] != "  " || l[col] == ' ' {
			t.Errorf("column not aligned at %d in %q", col, l)
		}
	}
	if strings.Contains(tab.String(), "multi\nline") {
		t.Error("newline in a cell broke the table")
	}

	var c bytes.Buffer
	if err := Write(&c, CSV, raw, rows); err != nil {
		t.Fatal(err)
	}
	if want := "ID,SEVERITY,TITLE\nt-1,A,Production down\nt-22,C,\"multi\nline\"\n"; c.String() != want {
		t.Errorf("csv = %q, want %q", c.String(), want)
	}

	var j bytes.Buffer
	if err := Write(&j, JSON, raw, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(j.String(), `"id": "t-1"`) {
		t.Errorf("json = %s", j.String())
	}
}

func TestParseFormat(t *testing.T) {
	for _, ok := range []string{"table", "JSON", "csv"} {
		if _, err := ParseFormat(ok); err != nil {
			t.Errorf("ParseFormat(%q): %v", ok, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), "table, json or csv") {
		t.Errorf("ParseFormat(yaml) = %v, want a helpful error", err)
	}
}

func TestKV(t *testing.T) {
	var b bytes.Buffer
	if err := KV(&b, Table, nil, [][2]string{{"status", "open"}, {"deadline", ""}}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "status    open\ndeadline  -\n" {
		t.Errorf("kv table = %q", got)
	}
	b.Reset()
	if err := KV(&b, CSV, nil, [][2]string{{"status", "open"}}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "status\nopen\n" {
		t.Errorf("kv csv = %q", got)
	}
}

// TestControlCharactersNeverReachTheTerminal: stored text with a terminal
// escape, DEL and a C1 control is printed with those escaped, in every
// format; JSON still decodes to the stored text.
func TestControlCharactersNeverReachTheTerminal(t *testing.T) {
	stored := "a\x1b[2Jb\x7fc\u009bd\re"
	raw := map[string]string{"title": stored}
	rows := Rows{Header: []string{"TITLE"}}
	rows.Add(stored)
	for _, f := range []Format{Table, CSV, JSON} {
		var b bytes.Buffer
		if err := Write(&b, f, raw, rows); err != nil {
			t.Fatal(err)
		}
		out := strings.TrimRight(b.String(), "\n")
		if i := strings.IndexFunc(out, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }); i >= 0 {
			t.Errorf("%s output holds a raw control character at %d: %q", f, i, out)
		}
		if f == JSON {
			var back map[string]string
			if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["title"] != stored {
				t.Errorf("JSON does not decode to the stored text: %q %v", back["title"], err)
			}
		}
	}
	var b bytes.Buffer
	if err := KV(&b, Table, raw, [][2]string{{"title", stored}}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsFunc(strings.TrimRight(b.String(), "\n"), func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) {
		t.Errorf("KV table: %q", b.String())
	}
}

func TestFit(t *testing.T) {
	rows := Rows{Header: []string{"REV", "TYPE", "SUMMARY", "CHANGES"}}
	rows.Add("0", "ticket.opened", strings.Repeat("s", 100), strings.Repeat("c", 60))
	rows.Add("1", "ticket.note_added", "short", "notes: 0 → 1")
	width := func(rs Rows) int {
		var b strings.Builder
		if err := Write(&b, Table, nil, rs); err != nil {
			t.Fatal(err)
		}
		w := 0
		for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			w = max(w, utf8.RuneCountInString(l))
		}
		return w
	}
	if got := Fit(rows, 0, 2, 3); width(got) != width(rows) {
		t.Errorf("width 0 changed the table")
	}
	if got := Fit(rows, 500, 2, 3); !reflect.DeepEqual(got, rows) {
		t.Errorf("a table that fits was changed: %v", got)
	}
	for _, w := range []int{80, 100, 120} {
		got := Fit(rows, w, 2, 3)
		if width(got) > w {
			t.Errorf("Fit(%d): %d wide", w, width(got))
		}
		if got.Rows[0][0] != "0" || got.Rows[1][1] != "ticket.note_added" {
			t.Errorf("Fit(%d) cut a column it should keep: %v", w, got.Rows)
		}
		if !strings.HasSuffix(got.Rows[0][2], Ellipsis) || !strings.HasPrefix(got.Rows[0][2], "sss") {
			t.Errorf("Fit(%d): summary %q", w, got.Rows[0][2])
		}
		if got.Rows[1][2] != "short" || got.Rows[1][3] != "notes: 0 → 1" {
			t.Errorf("Fit(%d) cut a short cell: %v", w, got.Rows[1])
		}
	}
	// Too narrow for anything: the columns keep a readable minimum.
	got := Fit(rows, 20, 2, 3)
	if n := utf8.RuneCountInString(got.Rows[0][2]); n != minFit {
		t.Errorf("narrow: summary of %d characters, want %d", n, minFit)
	}
	if rows.Rows[0][2] != strings.Repeat("s", 100) {
		t.Error("Fit changed its input")
	}
}
