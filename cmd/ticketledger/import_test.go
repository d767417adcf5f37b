package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// threeYears is the import window of the tests that import old history.
const threeYears = 3*365*24*time.Hour + 30*24*time.Hour

// importLine is one line of an import file, for the tests to write.
func importLine(ticket, sourceID, command string, at time.Time, actor map[string]string, data map[string]any) map[string]any {
	return map[string]any{"source": "desk-a", "ticket": ticket, "sourceId": sourceID, "command": command,
		"occurredAt": at.UTC().Format(time.RFC3339), "actor": actor, "data": data}
}

var (
	deskProvider = map[string]string{"id": "alice@contoso.example", "role": "indirect_provider", "partner": "contoso"}
	deskSupport  = map[string]string{"id": "agent-17@vendor.example", "role": "vendor_support"}
)

// openData is the data of a valid openTicket line for fabrikam.
func openData(title string) map[string]any {
	return map[string]any{"customerId": "fabrikam", "product": "azure", "severity": "A", "title": title,
		"contact": map[string]any{"name": "Alice", "email": "alice@contoso.example"}, "language": "en", "locale": "en-GB"}
}

// writeImport writes lines (nil: a line that is not JSON) as an import file.
func writeImport(t *testing.T, lines ...map[string]any) string {
	t.Helper()
	var b strings.Builder
	for _, ln := range lines {
		if ln == nil {
			b.WriteString("{not json\n")
			continue
		}
		js, err := json.Marshal(ln)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(js)
		b.WriteByte('\n')
	}
	return writeFile(t, t.TempDir(), "history.jsonl", []byte(b.String()))
}

// deskHistory is a closed ticket filed at opened: answered an hour later
// (inside Sev A's 2 hours), noted, resolved and closed.
func deskHistory(ticket string, opened time.Time) []map[string]any {
	return []map[string]any{
		importLine(ticket, ticket+"/1", "openTicket", opened, deskProvider, openData("VMs down in "+ticket)),
		importLine(ticket, ticket+"/2", "recordFirstResponse", opened.Add(time.Hour), deskSupport, map[string]any{"summary": "looking into it"}),
		importLine(ticket, ticket+"/3", "addNote", opened.Add(90*time.Minute), deskProvider, map[string]any{"text": "customer confirms impact"}),
		importLine(ticket, ticket+"/4", "resolve", opened.Add(48*time.Hour), deskSupport, map[string]any{"resolution": "host replaced"}),
		importLine(ticket, ticket+"/5", "close", opened.Add(72*time.Hour), deskProvider, map[string]any{"reason": "confirmed fixed"}),
	}
}

// kv reads the value of a field of a KV table.
func kv(t *testing.T, out, field string) string {
	t.Helper()
	for _, ln := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(ln, field+"  "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q in\n%s", field, out)
	return ""
}

func TestImportRoundTrip(t *testing.T) {
	e := newEnvWith(t, ledger.Config{ImportWindow: domain.Window{MaxBackdate: threeYears}})
	e.seedPartner()
	opened := time.Now().UTC().Add(-3 * 365 * 24 * time.Hour).Truncate(time.Second)
	file := writeImport(t, append(deskHistory("ZD-1", opened), deskHistory("ZD-2", opened.Add(24*time.Hour))...)...)

	before := time.Now().UTC()
	out := e.ok(with(system, "import", file)...)
	for field, want := range map[string]string{"lines read": "10", "tickets created": "2", "lines imported": "10", "events appended": "10",
		"skipped (imported before)": "0", "refused": "0"} {
		if got := kv(t, out, field); got != want {
			t.Errorf("%s = %s, want %s\n%s", field, got, want, out)
		}
	}

	id := app.ImportTicketID("contoso", "desk-a", "ZD-1")
	recs, err := e.l.Service.Recorded(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("ZD-1 has %d events, want 5", len(recs))
	}
	for i, r := range recs {
		m := r.Meta
		if !m.Imported || m.SourceID != "ZD-1/"+string(rune('1'+i)) || m.ImportedBy == nil || m.ImportedBy.ID != "onboarding" {
			t.Errorf("event %d (%s): imported %v, source id %q, imported by %+v", i, r.Type, m.Imported, m.SourceID, m.ImportedBy)
		}
		if m.Actor.Auth != domain.AuthImport {
			t.Errorf("event %d: actor auth %q, want %q", i, m.Actor.Auth, domain.AuthImport)
		}
		if m.RecordedAt.Before(before.Add(-time.Second)) || m.RecordedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("event %d: recorded at %s, want now", i, m.RecordedAt)
		}
	}
	if got := recs[1].Meta.OccurredAt; !got.Equal(opened.Add(time.Hour)) {
		t.Errorf("first response occurred at %s, want the source's %s", got, opened.Add(time.Hour))
	}
	if recs[1].Meta.Actor.Role != domain.RoleVendorSupport || recs[1].Meta.Actor.ID != "agent-17@vendor.example" {
		t.Errorf("first response actor %+v, want the source desk's agent", recs[1].Meta.Actor)
	}

	// The read models the CLI shows hold the source's times.
	e.caughtUp()
	var shown struct {
		Ticket struct {
			Status     string     `json:"status"`
			OpenedAt   time.Time  `json:"openedAt"`
			RecordedAt time.Time  `json:"recordedAt"`
			ClosedAt   *time.Time `json:"closedAt"`
		} `json:"ticket"`
		SLA struct {
			Verdict                    string     `json:"verdict"`
			RespondedAt                *time.Time `json:"respondedAt"`
			TimeToFirstResponseSeconds *float64   `json:"timeToFirstResponseSeconds"`
		} `json:"sla"`
	}
	if err := json.Unmarshal([]byte(e.ok(with(provider, "show", id, "-o", "json")...)), &shown); err != nil {
		t.Fatal(err)
	}
	tk, sl := shown.Ticket, shown.SLA
	if tk.Status != "closed" || !tk.OpenedAt.Equal(opened) || tk.ClosedAt == nil || !tk.ClosedAt.Equal(opened.Add(72*time.Hour)) {
		t.Errorf("show: %+v, want closed, opened at %s", tk, opened)
	}
	if tk.RecordedAt.Before(before.Add(-time.Second)) {
		t.Errorf("show: recorded at %s, want now", tk.RecordedAt)
	}
	if sl.Verdict != "met" || sl.RespondedAt == nil || !sl.RespondedAt.Equal(opened.Add(time.Hour)) ||
		sl.TimeToFirstResponseSeconds == nil || *sl.TimeToFirstResponseSeconds != 3600 {
		t.Errorf("sla: %+v, want met one hour after the source's opening", sl)
	}
	hist := e.ok(with(provider, "history", id, "-o", "json")...)
	contains(t, hist, opened.Add(48*time.Hour).Format(time.RFC3339), "agent-17@vendor.example")

	// A second run appends nothing and says so.
	head, _ := e.l.Head(context.Background())
	r := e.run(with(system, "import", file)...)
	if r.code != 0 {
		t.Fatalf("second run: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := kv(t, r.out, "skipped (imported before)"); got != "10" {
		t.Errorf("second run skipped %s, want 10\n%s", got, r.out)
	}
	if got := kv(t, r.out, "events appended"); got != "0" {
		t.Errorf("second run appended %s events\n%s", got, r.out)
	}
	contains(t, r.err, "nothing appended: all 10 lines were imported before")
	if head2, _ := e.l.Head(context.Background()); head2 != head {
		t.Errorf("the log moved on a second run: %v -> %v", head, head2)
	}
}

func TestImportBadLine(t *testing.T) {
	e := newEnvWith(t, ledger.Config{ImportWindow: domain.Window{MaxBackdate: threeYears}})
	e.seedPartner()
	opened := time.Now().UTC().Add(-400 * 24 * time.Hour).Truncate(time.Second)
	bad := deskHistory("ZD-3", opened)
	// Line 3: an escalation without the criteria it meets.
	bad = append(bad[:2], append([]map[string]any{importLine("ZD-3", "ZD-3/x", "escalate", opened.Add(80*time.Minute), deskProvider, map[string]any{"reason": "still down"})}, bad[2:]...)...)
	good := deskHistory("ZD-4", opened)
	file := writeImport(t, append(bad, good...)...)

	r := e.run(with(system, "import", file)...)
	if r.code != exitInvalid {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, exitInvalid, r.out, r.err)
	}
	contains(t, r.out, "escalation-needs-reason-and-criteria", "ZD-3/x")
	contains(t, r.err, "line 3:")
	if got := kv(t, r.out, "refused"); got != "6" {
		t.Errorf("refused %s, want 6 (the bad line and the 5 other lines of its ticket)\n%s", got, r.out)
	}
	if got := kv(t, r.out, "tickets created"); got != "1" {
		t.Errorf("tickets created %s, want 1 (the good ticket)\n%s", got, r.out)
	}
	if _, err := e.l.Service.Recorded(context.Background(), app.ImportTicketID("contoso", "desk-a", "ZD-3")); domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("the refused ticket: %v, want not found (nothing of it appended)", err)
	}
	if recs, err := e.l.Service.Recorded(context.Background(), app.ImportTicketID("contoso", "desk-a", "ZD-4")); err != nil || len(recs) != 5 {
		t.Errorf("the good ticket: %d events, %v", len(recs), err)
	}

	// A line that is not JSON refuses the ticket it is among, and says so.
	broken := writeImport(t, importLine("ZD-5", "ZD-5/1", "openTicket", opened, deskProvider, openData("x")), nil)
	r = e.run(with(system, "import", broken)...)
	if r.code != exitInvalid {
		t.Fatalf("not JSON: exit %d\n%s%s", r.code, r.out, r.err)
	}
	contains(t, r.out, "import-malformed-line")
	contains(t, r.err, "line 2:", `ticket "ZD-5"`)
	if _, err := e.l.Service.Recorded(context.Background(), app.ImportTicketID("contoso", "desk-a", "ZD-5")); domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("the ticket of the broken line: %v, want not found", err)
	}
}

func TestImportWindow(t *testing.T) {
	e := newPartnerEnv(t) // the default windows: 30 days
	opened := time.Now().UTC().Add(-3 * 365 * 24 * time.Hour).Truncate(time.Second)
	r := e.run(with(system, "import", writeImport(t, deskHistory("ZD-6", opened)...))...)
	if r.code != exitInvalid {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, exitInvalid, r.out, r.err)
	}
	contains(t, r.out, "backdated-too-far")
	contains(t, r.err, "more than 30d before now", "--import-max-backdate")

	// A live window is the configured one too, both ways.
	wide := newEnvWith(t, ledger.Config{Window: domain.Window{MaxBackdate: 90 * 24 * time.Hour}})
	wide.seedPartner()
	wide.openTicket("--occurred-at", "now-60d")
	narrow := newEnvWith(t, ledger.Config{Window: domain.Window{MaxBackdate: time.Hour}})
	narrow.seedPartner()
	narrow.fails(exitInvalid, "more than 1h before now", openArgs("--occurred-at", "now-2h")...)

	// GET /v1/info reports them.
	var info struct {
		Window       struct{ MaxBackdateSeconds, MaxClockSkewSeconds int64 }
		ImportWindow struct{ MaxBackdateSeconds int64 }
	}
	code, body := getAuth(t, narrow, "/v1/info")
	if code != 200 || json.Unmarshal(body, &info) != nil {
		t.Fatalf("/v1/info: %d %s", code, body)
	}
	if info.Window.MaxBackdateSeconds != 3600 || info.Window.MaxClockSkewSeconds != 120 || info.ImportWindow.MaxBackdateSeconds != 3600 {
		t.Errorf("/v1/info: %s", body)
	}
	_, doc := getAuth(t, narrow, "/openapi.json")
	contains(t, string(doc), "more than 1h before now")
}

func TestServeWindowFlags(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-backdate", "0"}, "--max-backdate 0s: give a positive window"},
		{[]string{"--max-backdate", "-3d"}, "not a number of days"},
		{[]string{"--max-backdate", "soon"}, "not a duration"},
		{[]string{"--max-backdate", "40000d"}, "longer than 36500d"},
		{[]string{"--max-clock-skew", "2h"}, "longer than 1h"},
		{[]string{"--max-clock-skew", "0s"}, "give at least 1s"},
		{[]string{"--max-backdate", "90d", "--import-max-backdate", "7d"}, "narrower than the backdating window 90d"},
	} {
		r := runCLI(t, append([]string{"serve", "--data", dir}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.err, c.want) {
			t.Errorf("serve %v: exit %d, stderr %q; want %d mentioning %q", c.args, r.code, r.err, exitUsage, c.want)
		}
	}
}

func TestImportTenancy(t *testing.T) {
	e := newEnvWith(t, ledger.Config{ImportWindow: domain.Window{MaxBackdate: threeYears}})
	e.seedPartner()
	e.ok(with(system, "partner", "register", "northwind", "--name", "Northwind", "--partner-role", "indirect_provider", "--email", "support@northwind.example")...)
	northwind := []string{"--proxy-actor", "nora@northwind.example", "--proxy-role", "indirect_provider", "--proxy-partner", "northwind"}
	opened := time.Now().UTC().Add(-100 * 24 * time.Hour).Truncate(time.Second)
	file := writeImport(t, deskHistory("ZD-7", opened)...)

	// Northwind cannot import contoso's history: refused from the lines
	// alone, nothing appended.
	r := e.run(with(northwind, "import", file)...)
	if r.code != exitRefused {
		t.Fatalf("another partner: exit %d, want %d\n%s%s", r.code, exitRefused, r.out, r.err)
	}
	contains(t, r.out, "import-outside-tenancy")
	if _, err := e.l.Service.Recorded(context.Background(), app.ImportTicketID("contoso", "desk-a", "ZD-7")); domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("after another partner's import: %v, want not found", err)
	}
	// An auditor imports nothing.
	e.fails(exitRefused, "auditor-read-only", with(auditor, "import", file)...)
	// Contoso imports its own history, vendor support's answers included.
	out := e.ok(with(provider, "import", file)...)
	if got := kv(t, out, "tickets created"); got != "1" {
		t.Errorf("contoso's own import: %s tickets created\n%s", got, out)
	}
}

func TestImportOffline(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	l, err := ledger.Open(context.Background(), ledger.Config{DataDir: dir, DemoKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Service.RegisterPartner(context.Background(), onboarding, "contoso", partnerReg()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Service.LinkCustomer(context.Background(), onboarding, "contoso", customerLink()); err != nil {
		t.Fatal(err)
	}
	l.Close()
	opened := time.Now().UTC().Add(-2 * 365 * 24 * time.Hour).Truncate(time.Second)
	file := writeImport(t, deskHistory("ZD-8", opened)...)

	r := runCLI(t, "import", file, "--data", dir, "--by", "ops@vendor.example")
	if r.code != exitInvalid || !strings.Contains(r.out, "backdated-too-far") {
		t.Fatalf("offline, default window: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = runCLI(t, "import", file, "--data", dir, "--by", "ops@vendor.example", "--import-max-backdate", "800d")
	if r.code != 0 || kv(t, r.out, "events appended") != "5" {
		t.Fatalf("offline: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = runCLI(t, "import", file, "--data", dir, "--import-max-backdate", "800d")
	if r.code != 0 || kv(t, r.out, "skipped (imported before)") != "5" {
		t.Fatalf("offline again: exit %d\n%s%s", r.code, r.out, r.err)
	}
	// Over a running ledger the server's window applies: the flag is refused.
	r = runCLI(t, "import", file, "--import-max-backdate", "800d")
	if r.code != exitUsage {
		t.Errorf("--import-max-backdate without --data: exit %d, want %d", r.code, exitUsage)
	}

	l, err = ledger.Open(context.Background(), ledger.Config{DataDir: dir, DemoKey: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	recs, err := l.Service.Recorded(context.Background(), app.ImportTicketID("contoso", "desk-a", "ZD-8"))
	if err != nil || len(recs) != 5 || recs[0].Meta.ImportedBy == nil || recs[0].Meta.ImportedBy.ID != "ops@vendor.example" {
		t.Fatalf("offline import: %d events, %v", len(recs), err)
	}
}

// TestImportLargerThanABody: the import endpoint streams its body, so a
// file over the 1 MiB limit of command bodies goes in whole.
func TestImportLargerThanABody(t *testing.T) {
	e := newPartnerEnv(t)
	opened := time.Now().UTC().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	text := strings.Repeat("log excerpt ", 300) // 3.6 KB a note
	var lines []map[string]any
	for i := range 100 {
		tk := "BIG-" + string(rune('A'+i/26)) + string(rune('a'+i%26))
		lines = append(lines, importLine(tk, tk+"/1", "openTicket", opened, deskProvider, openData(tk)))
		for j := range 3 {
			lines = append(lines, importLine(tk, tk+"/n"+string(rune('0'+j)), "addNote", opened.Add(time.Duration(j+1)*time.Minute), deskProvider, map[string]any{"text": text}))
		}
	}
	file := writeImport(t, lines...)
	if st, err := os.Stat(file); err != nil || st.Size() <= 1<<20 {
		t.Fatalf("the file is %d bytes: want more than 1 MiB (%v)", st.Size(), err)
	}
	out := e.ok(with(system, "import", file)...)
	if got := kv(t, out, "events appended"); got != "400" {
		t.Errorf("events appended %s, want 400\n%s", got, out)
	}
}
