package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/projections"
)

func TestServe(t *testing.T) {
	dir := t.TempDir()
	base, stop, logs := startServe(t, "--data", dir, "--log-format", "json")

	if code, body := get(t, base+"/healthz"); code != 200 || !strings.Contains(string(body), "ok") {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	waitReady(t, base)
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(string(body), "ticketledger_sla_breaches_total") {
		t.Fatalf("/metrics: %d", code)
	}
	if code, _ := get(t, base+"/openapi.json"); code != 200 {
		t.Fatalf("/openapi.json: %d", code)
	}

	// A command over the real server, then the graceful stop.
	r := runCLI(t, append(with(nil, "partner", "register", "contoso", "--name", "Contoso", "--partner-role", "indirect_provider",
		"--email", "s@contoso.example"), "--server", base)...)
	if r.code != 0 {
		t.Fatalf("register: %+v", r)
	}
	// The data directory is locked while serve runs, with a helpful error.
	r = runCLI(t, "rebuild", "--data", dir)
	if r.code == 0 || !strings.Contains(r.err, "in use") || !strings.Contains(r.err, "stop `ticketledger serve`") {
		t.Fatalf("rebuild on a served dir: %+v", r)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d:\n%s", code, logs)
	}
	if _, err := os.Stat(filepath.Join(dir, ledger.SnapshotFile)); err != nil {
		t.Fatalf("no snapshot after shutdown: %v\n%s", err, logs)
	}
	out := logs.String()
	for _, want := range []string{`"msg":"ticketledger listening"`, `"store":"embedded store in ` + dir, `"msg":"shutting down`, `"msg":"stopped"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %s:\n%s", want, out)
		}
	}

	// A restart resumes from the snapshot.
	base, stop, logs = startServe(t, "--data", dir)
	waitReady(t, base)
	stop()
	contains(t, logs.String(), "restored=true")
}

func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	base, stop, logs := startServe(t, "--data", dir, "--demo", "--demo-tickets", "25")
	waitReady(t, base)
	code, body := get(t, base+"/v1/tickets?limit=100")
	var page projections.TicketPage
	if err := json.Unmarshal(body, &page); code != 200 || err != nil || len(page.Tickets) < 20 {
		t.Fatalf("tickets after --demo: %d %v %d\n%s", code, err, len(page.Tickets), logs)
	}
	if stop() != 0 {
		t.Fatalf("exit:\n%s", logs)
	}
	// A second --demo on a non-empty ledger does nothing.
	base, stop, logs = startServe(t, "--data", dir, "--demo")
	waitReady(t, base)
	stop()
	contains(t, logs.String(), "--demo skipped")
}

func TestServeErrors(t *testing.T) {
	clearEnv(t)
	r := runCLI(t, "serve", "--store", "http://nope", "--http", "127.0.0.1:0")
	if r.code != 1 || !strings.Contains(r.err, "esdb://") {
		t.Fatalf("bad --store: %+v", r)
	}
	r = runCLI(t, "serve", "--store", "esdb://localhost:2113?tls=false", "--kurrent-listen", "127.0.0.1:0")
	if r.code != 2 {
		t.Fatalf("--kurrent-listen with --store: %+v", r)
	}
	// The port is taken: say so.
	base, _, _ := startServe(t, "--data", t.TempDir())
	r = runCLI(t, "serve", "--data", t.TempDir(), "--http", strings.TrimPrefix(base, "http://"))
	if r.code != 1 || !strings.Contains(r.err, "--http") {
		t.Fatalf("port in use: %+v", r)
	}
}

func TestServeCalendarsAndPolicies(t *testing.T) {
	dir := t.TempDir()
	cal := writeFile(t, dir, "calendars.json", []byte(`[{"id":"acme-SE","base":"sv-SE","hours":["09:00-12:00","13:00-18:00"]}]`))
	pol := writeFile(t, dir, "policy.json", []byte(`{"version":"2026-07-whatif","base":"2026-01","breakFix":{"A":"1h"}}`))
	base, _, logs := startServe(t, "--data", filepath.Join(dir, "data"), "--calendars", cal, "--policy", pol)
	waitReady(t, base)
	contains(t, logs.String(), "policy=2026-01+calendars-")

	// Configuration from the environment.
	t.Setenv("TICKETLEDGER_SERVER", base)
	r := runCLI(t, "sla", "policies")
	if r.code != 0 {
		t.Fatalf("sla policies: %+v", r)
	}
	contains(t, r.out, "2026-01", "2026-07-whatif", "2026-01+calendars-")

	for _, args := range [][]string{
		with(nil, "partner", "register", "contoso", "--name", "Contoso", "--partner-role", "indirect_provider", "--email", "s@contoso.example"),
		with(nil, "partner", "link-customer", "contoso", "--customer", "fabrikam", "--name", "Fabrikam"),
	} {
		if r := runCLI(t, args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	alice := filepath.Join(dir, "alice.token")
	if r := runCLI(t, "tokens", "create", "--role", "indirect_provider", "--partner", "contoso", "--name", "alice@contoso.example", "--out", alice); r.code != 0 {
		t.Fatalf("tokens create: %+v", r)
	}
	r = runCLI(t, append(openArgsNoActor(), "--token-file", alice, "--language", "sv", "--locale", "acme-SE")...)
	if r.code != 0 {
		t.Fatalf("open with a user calendar: %+v", r)
	}
	contains(t, r.out, "business hours of calendar acme-SE", "policy 2026-01+calendars-")

	// A bad calendar file is a clear startup error.
	bad := writeFile(t, dir, "bad.json", []byte(`{"id":"x","zone":"Mars/Olympus"}`))
	r = runCLI(t, "serve", "--data", filepath.Join(dir, "d2"), "--calendars", bad, "--http", "127.0.0.1:0")
	if r.code == 0 || !strings.Contains(r.err, "--calendars") {
		t.Fatalf("bad calendars: %+v", r)
	}
}

// The first start without a handed-in admin token writes one to
// <data>/admin.token (mode 0600) and says where; --demo prints it; it
// works, and a second start issues none.
func TestServeBootstrapsAdminToken(t *testing.T) {
	dir := t.TempDir()
	clearEnv(t)
	addr := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx = withServeReady(ctx, func(a string) { addr <- a })
	logs, out := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- runIO(ctx, []string{"serve", "--http", "127.0.0.1:0", "--data", dir, "--demo", "--demo-tickets", "5"}, out, logs)
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not listen:\n%s", logs)
	}
	file := filepath.Join(dir, "admin.token")
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file: %v %v", st, err)
	}
	secret, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, logs.String(), file)
	contains(t, out.String(), "admin token (demo): "+strings.TrimSpace(string(secret)))
	r := runCLI(t, "tokens", "list", "--server", base, "--token-file", file)
	if r.code != 0 || !strings.Contains(r.out, "bootstrap#") {
		t.Fatalf("tokens list with the bootstrap token: %+v", r)
	}
	if r := runCLI(t, "tokens", "list", "--server", base); r.code != 8 {
		t.Fatalf("list without a token: %+v", r)
	}
	checkDemoConsole(t, base, out.String())
	cancel()
	<-done
}
