package main

// The fixtures the command tests share: an in-process ledger behind an
// httptest server (env), serve run in-process (startServe), authenticated
// HTTP requests, demo data directories, events appended behind the
// ledger's back, and the partners and requests the tests file.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/http/client"
	"github.com/ticketledger/ticketledger/infra/integrity"
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
	// adminFile holds an admin token of the ledger (--token-file);
	// adminSecret is that token.
	adminFile, adminSecret string
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
	adminFile := writeFile(t, t.TempDir(), "admin.token", []byte(iss.Secret+"\n"))
	return &env{t: t, l: l, srv: srv, dir: dir, adminFile: adminFile, adminSecret: iss.Secret}
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

// syncBuffer is a bytes.Buffer safe for the server's log writer and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `ticketledger serve` in-process on 127.0.0.1:0 and returns
// its base URL, a stop function (the SIGTERM equivalent: cancel the context)
// returning the exit code, and the log.
func startServe(t *testing.T, args ...string) (base string, stop func() int, logs *syncBuffer) {
	t.Helper()
	clearEnv(t)
	// The deployment hands the admin token in; the CLI runs with it.
	t.Setenv("TICKETLEDGER_ADMIN_TOKEN", testAdminSecret)
	t.Setenv("TICKETLEDGER_TOKEN", testAdminSecret)
	t.Setenv(integrity.KeyEnv, testSigningKeyPEM)
	addr := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	ctx = withServeReady(ctx, func(a string) { addr <- a })
	logs = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- runIO(ctx, append([]string{"serve", "--http", "127.0.0.1:0"}, args...), io.Discard, logs)
	}()
	select {
	case a := <-addr:
		base = "http://" + a
	case code := <-done:
		cancel()
		t.Fatalf("serve exited %d before listening:\n%s", code, logs)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("serve did not listen:\n%s", logs)
	}
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("serve did not stop:\n%s", logs)
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	// An auditor token for get: the admin reads no ticket data.
	readerFile := filepath.Join(t.TempDir(), "auditor.token")
	if r := runCLI(t, "tokens", "create", "--server", base, "--role", "auditor", "--name", "carol@audit.example", "--out", readerFile); r.code != 0 {
		t.Fatalf("issue the test's auditor token: %+v\n%s", r, logs)
	}
	secret, err := os.ReadFile(readerFile)
	if err != nil {
		t.Fatal(err)
	}
	readers.Store(base, strings.TrimSpace(string(secret)))
	return base, stop, logs
}

// readers maps a startServe base URL to its auditor token's secret.
var readers sync.Map

// testAdminSecret is the admin token startServe hands in.
const testAdminSecret = "tl_test-admin-secret-0123456789abcdefghijklmnop"

// get fetches url with the auditor token of the server it names.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	secret := testAdminSecret
	readers.Range(func(base, s any) bool {
		if strings.HasPrefix(url, base.(string)+"/") {
			secret = s.(string)
		}
		return true
	})
	resp, b := authRequest(t, http.MethodGet, url, secret, nil)
	return resp.StatusCode, b
}

// waitReady polls /readyz until it answers 200.
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := get(t, base+"/readyz"); code == http.StatusOK {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("/readyz never became ready")
}

// testSigningKeyPEM is the signing key startServe gives serve through
// $TICKETLEDGER_SIGNING_KEY (one key, so a restarted or replica serve finds
// it in the keyring).
var testSigningKeyPEM = func() string {
	k, err := integrity.GenerateSigningKey()
	if err != nil {
		panic(err)
	}
	return string(k.MarshalPEM())
}()

// demoDataDir clears the environment and records a demo history of tickets
// into base/data, offline; it returns both.
func demoDataDir(t *testing.T, tickets int) (base, dir string) {
	t.Helper()
	clearEnv(t)
	base = t.TempDir()
	dir = filepath.Join(base, "data")
	if r := runCLI(t, "demo", "--data", dir, "--tickets", strconv.Itoa(tickets)); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	return base, dir
}

// authRequest sends method url with "Authorization: Bearer secret", body
// (nil: none) and the headers given as name, value pairs, and returns the
// response with its body read.
func authRequest(t *testing.T, method, url, secret string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// getAuth GETs path from the env's server with its admin token.
func getAuth(t *testing.T, e *env, path string) (int, []byte) {
	t.Helper()
	resp, body := authRequest(t, http.MethodGet, e.srv.URL+path, e.adminSecret, nil)
	return resp.StatusCode, body
}

// postAdmin POSTs body as JSON with the admin token and returns the status,
// the Retry-After header and the body.
func postAdmin(t *testing.T, url string, body any) (int, string, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, out := authRequest(t, http.MethodPost, url, testAdminSecret, bytes.NewReader(b), "Content-Type", "application/json")
	return resp.StatusCode, resp.Header.Get("Retry-After"), out
}

// registerPartner registers indirect provider id through the ledger at base
// with the admin token.
func registerPartner(t *testing.T, base, id string) (int, string, []byte) {
	return postAdmin(t, base+"/v1/partners", map[string]any{"partnerId": id, "name": "Partner " + id, "role": "indirect_provider", "email": "support@" + id + ".example"})
}

// tokenClient is an API client of the ledger at base with the bearer token
// secret.
func tokenClient(base, secret string) *client.Client {
	c := client.New(base)
	c.Token = secret
	return c
}

// writeFile writes content to dir/name (mode 0600), failing the test if
// it cannot, and returns the path.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// forgeNext appends to s, as no ledger would, the next event of its first
// ticket stream: the event and metadata next makes from the stream's last
// event (a zero event id gets a new one, as codec.Encode does), correctly
// chained to it and signed by signer (nil: unsigned). It returns the stream
// and the event's revision.
func forgeNext(t *testing.T, ctx context.Context, s eventstore.Store, signer codec.Signer, next func(prev domain.Recorded) (domain.Event, domain.Meta)) (string, uint64) {
	t.Helper()
	evs, err := s.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 1,
		&eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{"ticket-"}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("find a ticket: %v", err)
	}
	stream := evs[0].StreamID
	last, err := s.ReadStream(ctx, stream, eventstore.Backwards, eventstore.StreamEnd(), 1)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := codec.Decode(last[0])
	if err != nil {
		t.Fatal(err)
	}
	ev, meta := next(prev)
	data, _, err := codec.EncodeChainSigned(stream, prev.Meta.Hash, []domain.Event{ev}, []domain.Meta{meta}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, stream, eventstore.Exact(last[0].Revision), data...); err != nil {
		t.Fatalf("append the forged event to %s: %v", stream, err)
	}
	return stream, last[0].Revision + 1
}
