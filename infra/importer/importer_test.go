package importer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/importer"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

var (
	now   = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	admin = domain.Actor{ID: "ops", Role: domain.RoleAdmin}
	p1    = map[string]string{"id": "alice@p1.example", "role": "indirect_provider", "partner": "p1"}
)

type fixture struct {
	svc *app.Service
}

// setup opens a ledger (the composition serve uses) with a one-year import
// window, and registers partner p1 serving c1.
func setup(t testing.TB) *fixture {
	t.Helper()
	l, err := ledger.Open(context.Background(), ledger.Config{DataDir: t.TempDir(), Now: func() time.Time { return now },
		ImportWindow: domain.Window{MaxBackdate: 365 * 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	svc := l.Service
	ctx, sys := context.Background(), app.Command{Actor: domain.Actor{ID: "ops", Role: domain.RoleSystem}}
	if _, err := svc.RegisterPartner(ctx, sys, "p1", partner.Registration{Name: "P1", Role: domain.RoleIndirectProvider, Email: "support@p1.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.LinkCustomer(ctx, sys, "p1", partner.Link{CustomerID: "c1", Name: "C1", Domain: "c1.example"}); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc}
}

// line is one import line, opened days before now plus minutes.
func line(ticket, sourceID, command string, minutes int, data map[string]any) string {
	js, _ := json.Marshal(map[string]any{"source": "desk", "ticket": ticket, "sourceId": sourceID, "command": command,
		"occurredAt": now.Add(-100*24*time.Hour + time.Duration(minutes)*time.Minute), "actor": p1, "data": data})
	return string(js)
}

func open(ticket string) string {
	return line(ticket, ticket+"/open", "openTicket", 0, map[string]any{"customerId": "c1", "product": "azure", "severity": "B",
		"title": "down", "contact": map[string]any{"name": "Alice", "email": "alice@p1.example"}, "language": "en", "locale": "en-GB"})
}

func note(ticket, sourceID, text string, minutes int) string {
	return line(ticket, sourceID, "addNote", minutes, map[string]any{"text": text})
}

func (f *fixture) run(t *testing.T, by domain.Actor, lines ...string) importer.Summary {
	t.Helper()
	sum, err := importer.Run(context.Background(), strings.NewReader(strings.Join(lines, "\n")+"\n"), f.svc,
		importer.Options{By: by, Decode: server.ImportDecoder})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func (f *fixture) events(t *testing.T, ticket string) int {
	t.Helper()
	recs, err := f.svc.Recorded(context.Background(), app.ImportTicketID("p1", "desk", ticket))
	if domain.KindOf(err) == domain.KindNotFound {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func TestRefusals(t *testing.T) {
	long := []string{open("T9")}
	for i := range importer.MaxTicketLines {
		long = append(long, note("T9", fmt.Sprint("n", i), "x", i+1))
	}
	cases := []struct {
		name  string
		by    domain.Actor
		lines []string
		rule  domain.Rule
		line  int
	}{
		{"history without its opening", admin, []string{note("T1", "T1/n", "x", 1)}, domain.RuleImportOpenFirst, 1},
		{"a ticket's lines apart", admin, []string{open("T1"), open("T2"), note("T1", "T1/n", "x", 1)}, domain.RuleImportNotContiguous, 3},
		{"a source id twice", admin, []string{open("T1"), note("T1", "T1/n", "x", 1), note("T1", "T1/n", "y", 2)}, domain.RuleImportDuplicateSource, 3},
		{"too many lines", admin, long, domain.RuleImportTooLong, importer.MaxTicketLines + 1},
		{"another partner's actor", domain.Actor{ID: "bob@p2.example", Role: domain.RoleIndirectProvider, Partner: "p2"}, []string{open("T1")}, domain.RuleImportOutsideTenancy, 1},
		{"the system named by a partner", domain.Actor{ID: "alice@p1.example", Role: domain.RoleIndirectProvider, Partner: "p1"},
			[]string{open("T1"), strings.Replace(note("T1", "T1/n", "x", 1), `"partner":"p1","role":"indirect_provider"`, `"role":"system"`, 1)}, domain.RuleImportOutsideTenancy, 2},
		{"not JSON", admin, []string{open("T1"), "{"}, domain.RuleImportMalformedLine, 2},
		{"an unknown field", admin, []string{strings.Replace(open("T1"), `"source"`, `"colour":"red","source"`, 1)}, domain.RuleImportMalformedLine, 1},
		{"an unknown command", admin, []string{open("T1"), line("T1", "T1/f", "fly", 1, nil)}, domain.RuleImportMalformedLine, 2},
		{"data that is not the command's", admin, []string{open("T1"), line("T1", "T1/n", "addNote", 1, map[string]any{"txt": "x"})}, domain.RuleImportMalformedLine, 2},
		{"occurredAt in the data", admin, []string{open("T1"), line("T1", "T1/n", "addNote", 1, map[string]any{"text": "x", "occurredAt": now})}, domain.RuleImportMalformedLine, 2},
		{"a domain rule", admin, []string{open("T1"), line("T1", "T1/e", "escalate", 1, map[string]any{"reason": "x"})}, domain.RuleEscalationNeedsReasonAndCriteria, 2},
		{"before the window", admin, []string{strings.Replace(open("T1"), now.Add(-100*24*time.Hour).Format("2006"), "2020", 1)}, domain.RuleBackdatedTooFar, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			sum := f.run(t, c.by, c.lines...)
			if len(sum.Refusals) == 0 || sum.Refusals[0].Rule != string(c.rule) || sum.Refusals[0].Line != c.line {
				t.Fatalf("refusals %+v, want %s at line %d", sum.Refusals, c.rule, c.line)
			}
			if domain.RuleOf(sum.Err()) != c.rule {
				t.Errorf("Err() = %v, want rule %s", sum.Err(), c.rule)
			}
			for _, tk := range []string{"T1", "T9"} {
				if n := f.events(t, tk); n != 0 && c.rule != domain.RuleImportNotContiguous {
					t.Errorf("ticket %s of a refused import holds %d events", tk, n)
				}
			}
		})
	}
}

func TestReRuns(t *testing.T) {
	f := setup(t)
	first := f.run(t, admin, open("T1"), note("T1", "T1/a", "a", 1))
	if first.Imported != 2 || first.TicketsCreated != 1 || first.Refused != 0 {
		t.Fatalf("first run: %+v", first)
	}
	// The source grew: only the new line goes in.
	grown := f.run(t, admin, open("T1"), note("T1", "T1/a", "a", 1), note("T1", "T1/b", "b", 2))
	if grown.Imported != 1 || grown.Skipped != 2 || grown.TicketsCreated != 0 || f.events(t, "T1") != 3 {
		t.Fatalf("grown: %+v, %d events", grown, f.events(t, "T1"))
	}
	// A line imported before, changed: refused, nothing appended.
	changed := f.run(t, admin, open("T1"), note("T1", "T1/a", "A!", 1), note("T1", "T1/b", "b", 2), note("T1", "T1/c", "c", 3))
	if changed.Refused == 0 || changed.Refusals[0].Rule != string(domain.RuleImportSourceChanged) || f.events(t, "T1") != 3 {
		t.Fatalf("changed: %+v, %d events", changed, f.events(t, "T1"))
	}
	// A new line before lines imported: refused, nothing appended.
	inserted := f.run(t, admin, open("T1"), note("T1", "T1/new", "x", 1), note("T1", "T1/a", "a", 1), note("T1", "T1/b", "b", 2))
	if inserted.Refused == 0 || inserted.Refusals[0].Rule != string(domain.RuleImportDiverged) || f.events(t, "T1") != 3 {
		t.Fatalf("inserted: %+v, %d events", inserted, f.events(t, "T1"))
	}
}

func TestPermitted(t *testing.T) {
	for role, rule := range map[domain.Role]domain.Rule{domain.RoleVendorSupport: domain.RuleRoleNotAllowed, domain.RoleAuditor: domain.RuleAuditorReadOnly} {
		_, err := importer.Run(context.Background(), strings.NewReader(open("T1")), setup(t).svc,
			importer.Options{By: domain.Actor{ID: "x", Role: role}, Decode: server.ImportDecoder})
		if domain.RuleOf(err) != rule || domain.KindOf(err) != domain.KindForbidden {
			t.Errorf("%s: %v, want %s", role, err, rule)
		}
	}
}

// BenchmarkImport imports tickets of five lines each (open, three notes,
// close) into the embedded store, one append per ticket; it reports
// lines/s. go test -bench Import -run ^$ ./infra/importer/
func BenchmarkImport(b *testing.B) {
	f := setup(b)
	var lines []string
	for i := range b.N {
		tk := fmt.Sprint("B", i)
		lines = append(lines, open(tk), note(tk, tk+"/1", "a", 1), note(tk, tk+"/2", "b", 2), note(tk, tk+"/3", "c", 3),
			line(tk, tk+"/close", "close", 4, map[string]any{"reason": "done"}))
	}
	in := strings.Join(lines, "\n")
	b.ResetTimer()
	sum, err := importer.Run(context.Background(), strings.NewReader(in), f.svc, importer.Options{By: admin, Decode: server.ImportDecoder})
	b.StopTimer()
	if err != nil || sum.Imported != len(lines) {
		b.Fatalf("imported %d of %d: %v %+v", sum.Imported, len(lines), err, sum.Refusals)
	}
	b.ReportMetric(float64(len(lines))/b.Elapsed().Seconds(), "lines/s")
}
