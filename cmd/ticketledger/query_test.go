package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/projections"
)

// queryEnv has two Sev A tickets: one answered late (breached), one open.
func queryEnv(t *testing.T) (e *env, late, open string) {
	e = newPartnerEnv(t)
	late = e.openTicket("--occurred-at", "now-3h")
	e.ok(with(support, "respond", late, "--summary", "late")...)
	open = e.openTicket("--occurred-at", "now-150m")
	e.caughtUp()
	return e, late, open
}

func TestShowAndHistory(t *testing.T) {
	e, late, _ := queryEnv(t)

	out := e.ok(with(auditor, "show", late)...)
	contains(t, out, late, "in_progress", "BREACHED", "policy 2026-01", "sla ", "breached")
	var v projections.AsOfView
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "show", late, "-o", "json")...)), &v); err != nil || v.Ticket == nil || v.Ticket.FirstResponse == nil {
		t.Fatalf("show json: %v %+v", err, v)
	}
	recs := readCSV(t, e.ok(with(auditor, "show", late, "-o", "csv")...))
	if len(recs) != 2 || recs[0][0] != "ticket" {
		t.Fatalf("show csv: %v", recs)
	}

	// As of two hours ago, on the recorded axis the ledger did not know the
	// ticket (it was entered late); on the occurred axis it was open.
	contains(t, e.ok(with(auditor, "show", late, "--as-of", "now-2h")...), "exists", "had not recorded the ticket by then")
	contains(t, e.ok(with(auditor, "show", late, "--as-of", "now-2h", "--axis", "occurred")...), "status", "open", "not yet recorded then")
	e.fails(2, "--as-of", with(auditor, "show", late, "--axis", "occurred")...)
	e.fails(4, "ticket-not-found", with(auditor, "show", uuid.NewString())...)

	out = e.ok(with(auditor, "history", late)...)
	contains(t, out, "ticket.opened", "ticket.first_response_recorded", "alice@contoso.example", "bob@vendor.example", "fabrikam")
	var h historyView
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "history", late, "-o", "json")...)), &h); err != nil || len(h.Entries) != 2 || len(h.Entries[0].Payload) == 0 {
		t.Fatalf("history json: %v %+v", err, h)
	}
	if recs := readCSV(t, e.ok(with(auditor, "history", late, "-o", "csv")...)); len(recs) != 3 {
		t.Fatalf("history csv: %v", recs)
	}
}

func TestListAndAudit(t *testing.T) {
	e, late, open := queryEnv(t)

	out := e.ok(with(auditor, "list")...)
	contains(t, out, late, open, "breached")
	var page projections.TicketPage
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "list", "--sla", "breached_unanswered", "-o", "json")...)), &page); err != nil || len(page.Tickets) != 1 || page.Tickets[0].ID != open {
		t.Fatalf("list breached_unanswered: %v %+v", err, page)
	}
	// Paging: one per page, the cursor leads to the next.
	r := e.run(with(auditor, "list", "--limit", "1")...)
	if r.code != 0 || !strings.Contains(r.err, "--cursor") {
		t.Fatalf("paging: %+v", r)
	}
	cursor := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.err), "more: add --cursor"))
	contains(t, e.ok(with(auditor, "list", "--limit", "1", "--cursor", cursor)...), open)
	if recs := readCSV(t, e.ok(with(auditor, "list", "--status", "in_progress", "-o", "csv")...)); len(recs) != 2 || recs[1][0] != late {
		t.Fatalf("list csv: %v", recs)
	}
	e.fails(3, "sla", with(auditor, "list", "--sla", "bogus")...)

	out = e.ok(with(auditor, "audit", "--actor-id", "bob@vendor.example")...)
	contains(t, out, "ticket.first_response_recorded", late)
	var ap projections.AuditPage
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "audit", "--customer", "fabrikam", "--type", "ticket.opened", "-o", "json")...)), &ap); err != nil || len(ap.Entries) != 2 {
		t.Fatalf("audit json: %v %+v", err, ap)
	}
	// Occurred axis: the late ticket happened 3h ago, though recorded now.
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "audit", "--axis", "occurred", "--to", "now-160m", "--type", "ticket.opened", "-o", "json")...)), &ap); err != nil || len(ap.Entries) != 1 || ap.Entries[0].TicketID != late {
		t.Fatalf("audit occurred axis: %v %+v", err, ap)
	}
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "audit", "--to", "now-2h", "-o", "json")...)), &ap); err != nil || len(ap.Entries) != 0 {
		t.Fatalf("audit recorded axis: %v %+v", err, ap)
	}
	recs := readCSV(t, e.ok(with(auditor, "audit", "--ticket", late, "--order", "newest", "-o", "csv")...))
	if len(recs) != 3 || recs[1][4] != "ticket.first_response_recorded" {
		t.Fatalf("audit csv: %v", recs)
	}
	e.fails(2, "--axis", with(auditor, "audit", "--axis", "sideways")...)
	// A partner reads only its own tenancy: another partner's id selects
	// nothing, as a partner id never used does.
	if err := json.Unmarshal([]byte(e.ok(with(provider, "audit", "--partner-id", "other", "-o", "json")...)), &ap); err != nil || len(ap.Entries) != 0 {
		t.Fatalf("audit of another partner: %v %+v", err, ap)
	}
	if err := json.Unmarshal([]byte(e.ok(with(provider, "audit", "-o", "json")...)), &ap); err != nil || len(ap.Entries) == 0 {
		t.Fatalf("audit of its own tenancy: %v %+v", err, ap)
	}
}

// TestListShowsSLAState: the most urgent tickets (breached, unanswered) say
// so in the table, JSON and CSV, with the time past the deadline.
func TestListShowsSLAState(t *testing.T) {
	e, late, open := queryEnv(t)
	out := e.ok(with(auditor, "list", "--sla", "breached")...)
	contains(t, out, open, late, "LEFT")
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, open):
			contains(t, line, "breached_unanswered", "m", "over")
		case strings.HasPrefix(line, late):
			contains(t, line, " breached ")
		}
	}
	var page projections.TicketPage
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "list", "--sla", "breached_unanswered", "-o", "json")...)), &page); err != nil || len(page.Tickets) != 1 {
		t.Fatalf("list json: %v %+v", err, page)
	}
	if s := page.Tickets[0].SLA; s == nil || s.State != "breached_unanswered" || s.Verdict != "breached" || s.RemainingSeconds == nil || *s.RemainingSeconds > -1700 {
		t.Fatalf("sla state in JSON: %+v", s)
	}
	recs := readCSV(t, e.ok(with(auditor, "list", "--sla", "breached_unanswered", "-o", "csv")...))
	if len(recs) != 2 || recs[0][9] != "SLA" || recs[0][10] != "LEFT SECONDS" || recs[1][9] != "breached_unanswered" {
		t.Fatalf("list csv: %v", recs)
	}
	if secs, err := strconv.ParseFloat(recs[1][10], 64); err != nil || secs > -1700 || secs < -2000 {
		t.Fatalf("LEFT SECONDS %q: %v", recs[1][10], err)
	}
}

// TestListAll: a page of CSV or JSON says on stderr that more rows exist,
// and --all follows the cursor to the end.
func TestListAll(t *testing.T) {
	e, late, open := queryEnv(t)
	third := e.openTicket()
	e.caughtUp()
	for _, c := range []struct {
		name string
		args []string
		rows int
	}{
		{"list", []string{"list"}, 3},
		{"audit", []string{"audit", "--type", "ticket.opened"}, 3},
	} {
		r := e.run(with(auditor, append(c.args, "--limit", "1", "-o", "csv")...)...)
		if r.code != 0 || len(readCSV(t, r.out)) != 2 || !strings.Contains(r.err, "more: add --cursor ") {
			t.Fatalf("%s: one page of CSV: %+v", c.name, r)
		}
		r = e.run(with(auditor, append(c.args, "--limit", "1", "--all", "-o", "csv")...)...)
		if recs := readCSV(t, r.out); r.code != 0 || len(recs) != c.rows+1 || r.err != "" {
			t.Fatalf("%s --all: %d rows, %+v", c.name, len(recs)-1, r)
		}
	}
	var page projections.TicketPage
	r := e.run(with(auditor, "list", "--limit", "2", "--all", "-o", "json")...)
	if err := json.Unmarshal([]byte(r.out), &page); err != nil || len(page.Tickets) != 3 || page.Next != "" {
		t.Fatalf("list --all json: %v %+v", err, r)
	}
	if page.Tickets[0].ID != late || page.Tickets[1].ID != open || page.Tickets[2].ID != third {
		t.Errorf("order %v", page.Tickets)
	}
	// Nothing matches: an empty list, not null.
	if out := e.ok(with(auditor, "list", "--all", "--severity", "C", "-o", "json")...); !strings.Contains(out, `"tickets": []`) {
		t.Errorf("empty --all: %s", out)
	}
}

func TestSLA(t *testing.T) {
	e, late, open := queryEnv(t)

	out := e.ok(with(auditor, "sla", "report", "--group-by", "severity,product", "--horizon", "4h")...)
	contains(t, out, "SEVERITY", "PRODUCT", "BREACHED", "TOTAL", "0.0%")
	var rep projections.Report
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "sla", "report", "--from", "now-1d", "-o", "json")...)), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total.Tickets != 2 || rep.Total.Breached != 2 || rep.Total.BreachedUnanswered != 1 {
		t.Fatalf("report total: %+v", rep.Total)
	}
	recs := readCSV(t, e.ok(with(auditor, "sla", "report", "--group-by", "severity", "-o", "csv")...))
	if len(recs) != 2 || recs[1][0] != "A" {
		t.Fatalf("report csv: %v", recs)
	}
	e.fails(3, "groupBy", with(auditor, "sla", "report", "--group-by", "colour")...)

	// What-if: a policy with a 4h Sev A target makes the late answer met.
	pol := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(pol, []byte(`{"version":"2026-99-slow","base":"2026-01","breakFix":{"A":"4h"}}`), 0o644)
	out = e.ok(with(auditor, "sla", "whatif", "--policy-file", pol)...)
	contains(t, out, "2026-99-slow", "breached → met", late)
	var wi projections.WhatIfReport
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "sla", "whatif", "--policy", "2026-01", "-o", "json")...)), &wi); err != nil || wi.Evaluated != 2 || len(wi.Flips) != 0 {
		t.Fatalf("whatif same policy: %v %+v", err, wi)
	}
	e.fails(2, "--policy", with(auditor, "sla", "whatif")...)
	e.fails(4, "unknown-policy-version", with(auditor, "sla", "whatif", "--policy", "1999-01")...)

	contains(t, e.ok(with(auditor, "sla", "at-risk", "--include-breached")...), open, "breached")
	contains(t, e.ok(with(auditor, "sla", "policies")...), "2026-01", "*")
}

// TestCSVNumbers: in CSV, durations are plain seconds and percentages plain
// numbers (the header names the unit), so a spreadsheet can sum them; the
// table keeps 2h30m and 97.5%.
func TestCSVNumbers(t *testing.T) {
	e, late, open := queryEnv(t)
	number := func(what, s string) float64 {
		t.Helper()
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%s: %q is not a plain number", what, s)
		}
		return v
	}
	col := func(header []string, name string) int {
		t.Helper()
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %q in %v", name, header)
		return -1
	}
	recs := readCSV(t, e.ok(with(auditor, "sla", "report", "--group-by", "severity", "-o", "csv")...))
	if got := number("compliance", recs[1][col(recs[0], "COMPLIANCE PCT")]); got != 0 {
		t.Errorf("compliance %v, want 0 (both breached)", got)
	}
	// The late answer came 3h after opening: its time to first response.
	if p50 := number("p50", recs[1][col(recs[0], "TTFR P50 SECONDS")]); p50 < 3*3600-60 || p50 > 3*3600+60 {
		t.Errorf("p50 %v seconds, want about 10800", p50)
	}
	recs = readCSV(t, e.ok(with(auditor, "sla", "at-risk", "--include-breached", "-o", "csv")...))
	if len(recs) != 2 || recs[1][0] != open {
		t.Fatalf("at-risk csv: %v", recs)
	}
	if rem := number("remaining", recs[1][col(recs[0], "REMAINING SECONDS")]); rem > -1700 || rem < -2000 {
		t.Errorf("remaining %v, want about -1800", rem)
	}
	pol := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(pol, []byte(`{"version":"2026-99-slow","base":"2026-01","breakFix":{"A":"4h"}}`), 0o644)
	out := e.ok(with(auditor, "sla", "whatif", "--policy-file", pol, "-o", "csv")...)
	flips := readCSV(t, out)
	if len(flips) != 2 || flips[1][0] != late || number("shift", flips[1][col(flips[0], "DEADLINE SHIFT SECONDS")]) != 7200 {
		t.Errorf("flips %v", flips)
	}
	recs = readCSV(t, e.ok(with(auditor, "audit", "--type", "ticket.opened", "-o", "csv")...))
	if late := number("late", recs[1][col(recs[0], "LATE SECONDS")]); late < 3*3600-60 {
		t.Errorf("late by %v seconds, want about 10800", late)
	}
	show := readCSV(t, e.ok(with(auditor, "show", open, "-o", "csv")...))
	if rem := number("remaining", show[1][col(show[0], "remaining seconds")]); rem > -1700 {
		t.Errorf("show remaining %v", rem)
	}
	if got := show[1][col(show[0], "sla")]; got != "breached_unanswered" {
		t.Errorf("show sla %q", got)
	}
	// People still read units.
	contains(t, e.ok(with(auditor, "sla", "report")...), "0.0%", "3h")
	contains(t, e.ok(with(auditor, "show", open)...), "breached_unanswered", "over")
}

func TestEvidenceAndVerify(t *testing.T) {
	e, late, _ := queryEnv(t)
	file := filepath.Join(t.TempDir(), "ev.json")
	out := e.ok(with(auditor, "evidence", late, "--out", file)...)
	contains(t, out, "chain verified here  yes", "self-consistent only", file)
	if strings.Contains(out, "verified by server") {
		t.Fatalf("the JSON export must not claim a verification the file cannot show:\n%s", out)
	}
	// Offline verification of the file, then of a tampered copy.
	contains(t, e.ok("evidence", "--file", file), "chain verified here  yes")
	var raw map[string]any
	data, _ := os.ReadFile(file)
	json.Unmarshal(data, &raw)
	ev0 := raw["events"].([]any)[0].(map[string]any)
	ev0["data"] = "eyJ0YW1wZXJlZCI6dHJ1ZX0=" // {"tampered":true}
	bad, _ := json.Marshal(raw)
	badFile := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(badFile, bad, 0o644)
	r := e.run("evidence", "--file", badFile)
	if r.code != 1 || !strings.Contains(r.out, "chain verified here  NO") || !strings.Contains(r.err, "does not verify") {
		t.Fatalf("tampered: %+v", r)
	}
	e.fails(4, "not", with(auditor, "evidence", uuid.NewString())...)
	// This ledger has no signing key: no bundle, and the answer says why.
	e.fails(4, "runs no sealer", with(auditor, "evidence", "export", late, "-o", filepath.Join(t.TempDir(), "b.zip"))...)

	// verify through the server: every ticket's chain.
	out = e.ok(with(auditor, "verify", "--all")...)
	contains(t, out, "streams   2", "broken    0", "ticket-"+late)
	var rep ledger.VerifyReport
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "verify", "-o", "json")...)), &rep); err != nil || rep.Streams != 2 || rep.Broken != 0 {
		t.Fatalf("verify json: %v %+v", err, rep)
	}
	_ = time.Second
}

// TestTicketIDPrefix: a unique prefix stands for the ticket id in show,
// history, audit, evidence and the commands; an ambiguous or unknown one
// is refused with what matched, and a partner's prefix matches only its own.
func TestTicketIDPrefix(t *testing.T) {
	e, late, open := queryEnv(t)
	n := 0 // the length of the ids' common prefix
	for n < len(late) && late[n] == open[n] {
		n++
	}
	short := late[:n+1]
	contains(t, e.ok(with(auditor, "show", short)...), late, "in_progress")
	contains(t, e.ok(with(auditor, "show", short+"…")...), late)
	contains(t, e.ok(with(auditor, "history", short)...), "ticket.first_response_recorded")
	contains(t, e.ok(with(auditor, "audit", "--ticket", short)...), late)
	contains(t, e.ok(with(auditor, "evidence", short)...), late)
	contains(t, e.ok(with(provider, "note", short, "--text", "by prefix")...), "accepted", late)
	contains(t, e.ok(with(provider, "show", short)...), late)

	e.fails(exitNotFound, `no ticket starts with "ffff0"`, with(auditor, "show", "ffff0")...)
	e.fails(exitInvalid, "not a UUID nor the start of one", with(auditor, "show", "zzzz")...)
	other := []string{"--proxy-actor", "olga@other.example", "--proxy-role", "indirect_provider", "--proxy-partner", "other"}
	e.fails(exitNotFound, "no ticket starts with", with(other, "show", short)...)

	// Open tickets until two ids share their first character.
	first := ""
	if n > 0 {
		first = late
	}
	seen := map[byte]string{late[0]: late, open[0]: open}
	for i := 0; i < 40 && first == ""; i++ {
		id := e.openTicket()
		if prev, ok := seen[id[0]]; ok {
			first = prev
		}
		seen[id[0]] = id
	}
	if first == "" {
		t.Fatal("no two ids share a first character")
	}
	e.caughtUp()
	r := e.fails(exitInvalid, "ambiguous prefix: ", with(auditor, "show", first[:1])...)
	contains(t, r.err, "tickets start with \""+first[:1]+"\"", first, "type more of the id")
}

// TestHistoryFitsTheWidth: the history table fits $COLUMNS (cut cells end
// in …), --wide prints it whole, and instants are to the second everywhere
// but in the JSON.
func TestHistoryFitsTheWidth(t *testing.T) {
	e, late, _ := queryEnv(t)
	e.ok(with(provider, "note", late, "--text", strings.Repeat("a long note that goes on ", 8))...)
	e.caughtUp()
	nanos := regexp.MustCompile(`T\d\d:\d\d:\d\d\.\d+Z`)
	widest := func(out string) int {
		w := 0
		for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
			w = max(w, utf8.RuneCountInString(l))
		}
		return w
	}
	t.Setenv("COLUMNS", "200")
	out := e.ok(with(auditor, "history", late)...)
	if w := widest(out); w > 200 {
		t.Errorf("history is %d wide with COLUMNS=200:\n%s", w, out)
	}
	contains(t, out, "…", "ticket.first_response_recorded", "ticket.note_added")
	wide := e.ok(with(auditor, "history", late, "--wide")...)
	if widest(wide) <= 200 || !strings.Contains(wide, "a long note that goes on a long note") {
		t.Errorf("--wide is cut:\n%s", wide)
	}
	for name, s := range map[string]string{"table": out, "wide": wide, "csv": e.ok(with(auditor, "history", late, "-o", "csv")...)} {
		if m := nanos.FindString(s); m != "" {
			t.Errorf("%s: an instant below the second: %s", name, m)
		}
	}
	// CSV and JSON are never cut.
	contains(t, e.ok(with(auditor, "history", late, "-o", "csv")...), strings.Repeat("a long note that goes on ", 7))
}
