//go:build browser

package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The suite shares one ledger process and one browser: both start on the
// first test that needs them and stop after the last (TestMain).
var (
	suiteOnce sync.Once
	suite     *ledgerProc
	suiteErr  error
	skipWhy   string // set when no Chromium is installed outside CI
	workDir   string // the suite's temporary directory (binary, data, tokens)
)

func TestMain(m *testing.M) {
	code := runSuite(m)
	os.Exit(code)
}

func runSuite(m *testing.M) int {
	var err error
	workDir, err = os.MkdirTemp("", "ticketledger-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
		return 1
	}
	defer os.RemoveAll(workDir)
	if chromiumPath() == "" {
		const why = "no Chromium found (chromium or chromium-browser on PATH, or TICKETLEDGER_CHROMIUM): install Debian's with `apt-get install chromium` to run the browser tests"
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "browsertest: FAIL under CI:", why)
			return 1
		}
		skipWhy = why
	}
	code := m.Run()
	stopBrowser()
	if suite != nil {
		if err := suite.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "browsertest: FAIL: %v\n%s", err, suite.tail())
			code = 1
		}
	}
	printAxeSummary(os.Stdout)
	return code
}

// ledger returns the running suite ledger, starting it (and the browser) on
// first use; it skips the test when no Chromium is installed.
func ledger(t *testing.T) *ledgerProc {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	suiteOnce.Do(func() {
		bin, err := binary()
		if err == nil {
			suite, err = startLedger(bin, filepath.Join(workDir, "data"))
		}
		if err == nil {
			err = startBrowser()
		}
		suiteErr = err
	})
	if suiteErr != nil {
		t.Fatal(suiteErr)
	}
	return suite
}

// repoRoot is the module's root directory (where go.mod is).
func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// binary is $TICKETLEDGER_BIN, else ./cmd/ticketledger built into the
// suite's directory.
func binary() (string, error) {
	if b := os.Getenv("TICKETLEDGER_BIN"); b != "" {
		return b, nil
	}
	bin := filepath.Join(workDir, "ticketledger")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ticketledger")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/ticketledger: %v\n%s", err, out)
	}
	return bin, nil
}

// ledgerProc is a `ticketledger serve --demo` subprocess.
type ledgerProc struct {
	bin, data string
	cmd       *exec.Cmd
	done      chan error
	logPath   string // its stderr (the log)
	outPath   string // its stdout (the printed URL and token)

	// Base is the HTTP address the log names (API and console alike).
	Base string
	// ConsoleURL is the console address serve prints.
	ConsoleURL string
	// AdminToken is the bootstrap admin token serve --demo prints.
	AdminToken string
	// Logins are the console sign-in tokens serve --demo prints, by who
	// they are ("vendor_support", "indirect_reseller of thames-digital").
	Logins map[string]string
	// SignInToken is the printed vendor-support token.
	SignInToken string
}

var (
	listeningRe = regexp.MustCompile(`msg="ticketledger listening".* http=(http://\S+)`)
	adminRe     = regexp.MustCompile(`^admin token \(demo\): (tl_\S+)$`)
	consoleRe   = regexp.MustCompile(`^console: (http://\S+)`)
	loginRe     = regexp.MustCompile(`^\s+(\S.*?):\s+(tl_\S+)$`)
)

// cleanEnv is the environment without the TICKETLEDGER_ settings of the
// caller, so the suite's ledger and CLI see only what the harness sets.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TICKETLEDGER_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// tightPolicyFile is an extra policy version serve loads (tightPolicy:
// half the demo's first-response targets), for the what-if test.
const (
	tightPolicyFile = "testdata/policy-tight.json"
	tightPolicy     = "2026-07-tight"
)

// startLedger runs serve --demo (with tightPolicyFile) on data and a free
// loopback port, and waits until it prints its address and token and
// /readyz answers 200.
func startLedger(bin, data string) (*ledgerProc, error) {
	l := &ledgerProc{bin: bin, data: data, logPath: data + ".log", outPath: data + ".out", done: make(chan error, 1)}
	logf, err := os.Create(l.logPath)
	if err != nil {
		return nil, err
	}
	outf, err := os.Create(l.outPath)
	if err != nil {
		return nil, err
	}
	policy, err := filepath.Abs(tightPolicyFile)
	if err != nil {
		return nil, err
	}
	l.cmd = exec.Command(bin, "serve", "--demo", "--data", data, "--http", "127.0.0.1:0", "--policy", policy)
	l.cmd.Env = cleanEnv()
	l.cmd.Stdout, l.cmd.Stderr = outf, logf
	l.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives a killed test binary
	if err := l.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s serve: %w", bin, err)
	}
	go func() { l.done <- l.cmd.Wait(); logf.Close(); outf.Close() }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-l.done:
			l.done <- err
			return nil, fmt.Errorf("serve --demo exited before it was ready (%v)\n%s", err, l.tail())
		default:
		}
		if l.parse() && l.ready() {
			return l, nil
		}
		if time.Now().After(deadline) {
			l.stop()
			return nil, fmt.Errorf("serve --demo not ready after 60 s\n%s", l.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// parse reads the address from the log and the console's URL and the
// tokens from stdout, which reads
//
//	admin token (demo): tl_…
//	console: http://127.0.0.1:PORT/ — sign in with one of these tokens:
//	  vendor_support:                       tl_…
//	  indirect_reseller of thames-digital:  tl_…
//
// It reports whether it has the address, the admin token and a vendor
// support sign-in token.
func (l *ledgerProc) parse() bool {
	logText, _ := os.ReadFile(l.logPath)
	if m := listeningRe.FindSubmatch(logText); m != nil {
		l.Base = string(m[1])
	}
	out, _ := os.ReadFile(l.outPath)
	l.Logins = map[string]string{}
	for line := range strings.SplitSeq(string(out), "\n") {
		if m := adminRe.FindStringSubmatch(line); m != nil {
			l.AdminToken = m[1]
		}
		if m := consoleRe.FindStringSubmatch(line); m != nil {
			l.ConsoleURL = m[1]
		}
		if m := loginRe.FindStringSubmatch(line); m != nil {
			l.Logins[m[1]] = m[2]
		}
	}
	l.SignInToken = l.Logins["vendor_support"]
	return l.Base != "" && l.AdminToken != "" && l.ConsoleURL != "" && l.SignInToken != ""
}

func (l *ledgerProc) ready() bool {
	resp, err := http.Get(l.Base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop sends SIGTERM and wants a clean exit within 30 s, and a log free of
// panics.
func (l *ledgerProc) stop() error {
	if err := l.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM serve: %w", err)
	}
	select {
	case err := <-l.done:
		if err != nil {
			return fmt.Errorf("serve did not exit cleanly on SIGTERM: %w", err)
		}
	case <-time.After(30 * time.Second):
		l.cmd.Process.Kill()
		return fmt.Errorf("serve did not stop within 30 s of SIGTERM")
	}
	if log, _ := os.ReadFile(l.logPath); bytes.Contains(bytes.ToLower(log), []byte("panic")) {
		return fmt.Errorf("the serve log mentions a panic")
	}
	return nil
}

// tail is the last lines of the process's output, for failure messages.
func (l *ledgerProc) tail() string {
	var b strings.Builder
	for _, p := range []string{l.outPath, l.logPath} {
		data, _ := os.ReadFile(p)
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", filepath.Base(p), strings.Join(lines, "\n"))
	}
	return b.String()
}

// cli runs the ticketledger CLI against the suite ledger with token; it
// fails the test unless the command exits 0, and returns its stdout.
func (l *ledgerProc) cli(t *testing.T, token string, args ...string) string {
	t.Helper()
	cmd := exec.Command(l.bin, args...)
	cmd.Env = cleanEnv("TICKETLEDGER_SERVER="+l.Base, "TICKETLEDGER_TOKEN="+token)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ticketledger %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// principal is a role (and partner) the suite issues a token for.
type principal struct{ role, partner, name string }

// The demo's cast the tests issue tokens for. hudson-msp and
// thames-digital (whose token serve --demo prints) are both resellers of
// atlantic-channel: siblings, neither sees the other's tickets.
var (
	auditor  = principal{"auditor", "", "browser-auditor@audit.example"}
	engineer = principal{"vendor_support", "", "browser-engineer@vendor.example"}
	hudson   = principal{"indirect_reseller", "hudson-msp", "browser-test@hudson-msp.example"}
	sakura   = principal{"indirect_provider", "sakura-cloud", "browser-test@sakura-cloud.example"}
)

// thamesLogin names the reseller sign-in token serve --demo prints.
const thamesLogin = "indirect_reseller of thames-digital"

var (
	tokensMu sync.Mutex
	tokens   = map[principal]string{}
)

// tokenFor issues (once per suite, with `ticketledger tokens create` as the
// admin) a token for p and returns its secret.
func tokenFor(t *testing.T, p principal) string {
	t.Helper()
	l := ledger(t)
	tokensMu.Lock()
	defer tokensMu.Unlock()
	if s, ok := tokens[p]; ok {
		return s
	}
	file := filepath.Join(workDir, fmt.Sprintf("token-%d", len(tokens)))
	args := []string{"tokens", "create", "--role", p.role, "--name", p.name, "--out", file}
	if p.partner != "" {
		args = append(args, "--partner", p.partner)
	}
	l.cli(t, l.AdminToken, args...)
	secret, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tokens[p] = strings.TrimSpace(string(secret))
	return tokens[p]
}

// api calls the ledger's HTTP API with token and returns the status and
// body; body, when not nil, is sent as JSON.
func (l *ledgerProc) api(t *testing.T, token, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, l.Base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// get decodes the JSON answer of GET path into v, failing unless it is 200.
func (l *ledgerProc) get(t *testing.T, token, path string, v any) {
	t.Helper()
	code, body := l.api(t, token, http.MethodGet, path, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}
