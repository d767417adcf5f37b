package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
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
