package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// env is a real ledger (pebblestore in t.TempDir(), app service, projector,
// infra/http/server handler) behind an httptest server: CLI flags → HTTP → app →
// store are all exercised.
type env struct {
	t   *testing.T
	l   *ledger.Ledger
	srv *httptest.Server
	dir string
	// adminFile holds an admin token of the ledger (--token-file).
	adminFile string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, ledger.Config{})
}

// newEnvWith is newEnv with a ledger configuration (its DataDir is set
// here), e.g. a signing key and a fast sealer.
func newEnvWith(t *testing.T, cfg ledger.Config) *env {
	t.Helper()
	clearEnv(t)
	dir := t.TempDir()
	cfg.DataDir = dir
	l, err := ledger.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := l.APIHandler(nil, ledger.Access{TrustProxy: auth.LoopbackPrefixes()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Runner.Run(ctx) }()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		if err := l.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	iss, err := l.Tokens.Issue(context.Background(), auth.Internal().Actor(), auth.IssueRequest{Role: domain.RoleAdmin, Name: "test-admin"})
	if err != nil {
		t.Fatal(err)
	}
	adminFile := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(adminFile, []byte(iss.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, l: l, srv: srv, dir: dir, adminFile: adminFile}
}

// clearEnv keeps the developer's TICKETLEDGER_* variables out of the tests.
func clearEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TICKETLEDGER_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	// No token from the developer's config file either.
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	// Nor the width of the developer's terminal (history fits $COLUMNS).
	t.Setenv("COLUMNS", "")
}

// result is one CLI run.
type result struct {
	out, err string
	code     int
}

// run runs the CLI against the env's server.
func (e *env) run(args ...string) result {
	e.t.Helper()
	return runCLI(e.t, append(args, "--server", e.srv.URL)...)
}

// runCLI runs the CLI with args.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := runIO(ctx, args, &out, &errb)
	return result{out.String(), errb.String(), code}
}

// ok runs the CLI and fails the test unless it exits 0.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("ticketledger %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r.out
}

// fails runs the CLI and checks the exit code and that stderr mentions want.
func (e *env) fails(code int, want string, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != code {
		e.t.Fatalf("ticketledger %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.out, r.err)
	}
	if !strings.Contains(r.err, want) {
		e.t.Fatalf("ticketledger %s: stderr %q does not mention %q", strings.Join(args, " "), r.err, want)
	}
	return r
}

// caughtUp waits until the projections have applied everything appended.
func (e *env) caughtUp() {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		head, err := e.l.Head(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if e.l.Runner.Stats().Checkpoint.Commit >= head.Commit {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatal("projections did not catch up")
}

var (
	system   = []string{"--proxy-actor", "onboarding", "--proxy-role", "admin"}
	provider = []string{"--proxy-actor", "alice@contoso.example", "--proxy-role", "indirect_provider", "--proxy-partner", "contoso"}
	support  = []string{"--proxy-actor", "bob@vendor.example", "--proxy-role", "vendor_support"}
	auditor  = []string{"--proxy-actor", "carol@audit.example", "--proxy-role", "auditor"}
)

func with(base []string, args ...string) []string {
	return append(append([]string{}, args...), base...)
}

// newPartnerEnv is newEnv with seedPartner already run.
func newPartnerEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.seedPartner()
	return e
}

// seedPartner registers contoso (indirect provider) serving fabrikam.
func (e *env) seedPartner() {
	e.t.Helper()
	e.ok(with(system, "partner", "register", "contoso", "--name", "Contoso", "--partner-role", "indirect_provider", "--email", "support@contoso.example")...)
	e.ok(with(system, "partner", "link-customer", "contoso", "--customer", "fabrikam", "--name", "Fabrikam", "--domain", "fabrikam.example", "--admin-rights")...)
}

// openArgs are the flags of a valid Sev A Azure request for fabrikam.
func openArgs(extra ...string) []string {
	return with(provider, append([]string{"open", "--customer", "fabrikam", "--product", "azure", "--severity", "A",
		"--title", "VMs down in West Europe", "--contact-name", "Alice", "--contact-email", "alice@contoso.example",
		"--locale", "en-GB"}, extra...)...)
}

// openTicket opens a ticket and returns its id.
func (e *env) openTicket(extra ...string) string {
	e.t.Helper()
	var res struct {
		TicketID string `json:"ticketId"`
	}
	out := e.ok(append(openArgs(extra...), "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.TicketID == "" {
		e.t.Fatalf("open: %v in %s", err, out)
	}
	return res.TicketID
}

// readCSV parses CSV output.
func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, s)
	}
	return recs
}

// contains fails unless s contains every want.
func contains(t *testing.T, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Fatalf("output does not contain %q:\n%s", w, s)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	clearEnv(t)
	for _, args := range [][]string{
		{"no-such-command"},
		{"open", "--no-such-flag"},
		{"show"},
		{"show", "a", "b"},
		{"list", "-o", "yaml"},
		{"serve", "--log-level", "loud", "--data", t.TempDir()},
		{"show", "x", "--as-of", "yesterday"},
	} {
		r := runCLI(t, args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %s)", args, r.code, r.err)
		}
		if !strings.Contains(r.err, "--help") {
			t.Errorf("%v: stderr does not point at --help: %s", args, r.err)
		}
	}
}

// TestUnknownNestedSubcommand: a typo below the top level is a usage error
// with a suggestion, not the group's help and success.
func TestUnknownNestedSubcommand(t *testing.T) {
	clearEnv(t)
	for args, want := range map[[2]string][]string{
		{"sla", "reprot"}:    {`unknown command "reprot" for "ticketledger sla"`, "Did you mean this?", "\treport", "ticketledger sla --help"},
		{"partner", "shwo"}:  {`unknown command "shwo" for "ticketledger partner"`, "\tshow"},
		{"tokens", "zzzzzz"}: {`unknown command "zzzzzz" for "ticketledger tokens"`},
	} {
		r := runCLI(t, args[0], args[1])
		if r.code != exitUsage || r.out != "" {
			t.Errorf("%v: exit %d, stdout %q; want exit %d and no output", args, r.code, r.out, exitUsage)
		}
		for _, w := range want {
			if !strings.Contains(r.err, w) {
				t.Errorf("%v: stderr %q does not contain %q", args, r.err, w)
			}
		}
	}
	// The group alone still shows its subcommands.
	if r := runCLI(t, "sla"); r.code != 0 || !strings.Contains(r.out, "report") {
		t.Errorf("sla alone: exit %d, %q", r.code, r.out)
	}
}

func TestParseTime(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) }
	for in, want := range map[string]time.Time{
		"now":                  now(),
		"now-2h":               now().Add(-2 * time.Hour),
		"now+30m":              now().Add(30 * time.Minute),
		"now-1d":               now().Add(-24 * time.Hour),
		"2026-03-01":           time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		"2026-03-01T10:00:00Z": time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
	} {
		got, err := parseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "now*2", "now-2x"} {
		if _, err := parseTime(bad, now); err == nil {
			t.Errorf("parseTime(%q): no error", bad)
		}
	}
}
