package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/tools/bench/benchkit"
)

// startTimeout bounds how long the child ledger may take to listen and
// to be ready.
const startTimeout = 2 * time.Minute

// childLedger is a ledger RunHTTP runs as a child process: `serve` of the
// ledger's binary on a temporary data directory, as it ships (ledger
// tokens, every event signed, the sealer and the webhook dispatcher on).
type childLedger struct {
	dir, url, token string
	cmd             *exec.Cmd
	exited          chan struct{} // closed once the process is gone
	waitErr         error
	log             *logWatch
}

// startChild starts `argv… serve` on dir/ledger with a fresh signing key
// in dir, listening on a loopback port it picks, and waits until it is
// ready. The child gets none of this process's TICKETLEDGER_* variables.
func startChild(ctx context.Context, argv []string, dir string) (*childLedger, error) {
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		return nil, fmt.Errorf("bench http: signing key: %w", err)
	}
	keyFile := filepath.Join(dir, "ledger.key")
	if err := os.WriteFile(keyFile, key.MarshalPEM(), 0o600); err != nil {
		return nil, fmt.Errorf("bench http: write the signing key: %w", err)
	}
	data := filepath.Join(dir, "ledger")
	args := append(append([]string{}, argv[1:]...), "serve", "--data", data, "--http", "127.0.0.1:0",
		"--signing-key", keyFile, "--log-format", "json")
	cmd := exec.Command(argv[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TICKETLEDGER_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	w := &logWatch{listening: make(chan string, 1)}
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench http: start the ledger (%s serve): %w (or run it in-process with --in-process)", argv[0], err)
	}
	ch := &childLedger{dir: data, cmd: cmd, exited: make(chan struct{}), log: w}
	go func() { ch.waitErr = cmd.Wait(); close(ch.exited) }()
	fail := func(what string, err error) (*childLedger, error) {
		ch.close()
		return nil, fmt.Errorf("bench http: the ledger (%s serve) %s: %w%s", argv[0], what, err, w.tail())
	}
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	var what string
	if ch.url, what, err = awaitStart(ctx, ch, deadline, w.listening, "listened", "did not listen", fmt.Errorf("no word in %s", startTimeout)); err != nil {
		return fail(what, err)
	}
	if ch.token, err = auth.ReadSecretFile(filepath.Join(data, "admin.token")); err != nil {
		return fail("wrote no admin token", err)
	}
	// Ready: the projections caught up (GET /readyz answers 200).
	hc := &http.Client{Timeout: 5 * time.Second}
	notReady := fmt.Errorf("GET /readyz did not answer 200 within %s", startTimeout)
	for {
		resp, err := hc.Get(ch.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return ch, nil
			}
		}
		if _, what, err := awaitStart(ctx, ch, deadline, time.After(20*time.Millisecond), "was ready", "was not ready", notReady); err != nil {
			return fail(what, err)
		}
	}
}

// awaitStart waits, during the start of ch, for c to deliver. When the child
// exits, the start deadline fires or ctx ends first, it returns what went
// wrong in words and why: the child "stopped before it <done>", or it
// <missed> (late is the cause), or it "was interrupted".
func awaitStart[T any](ctx context.Context, ch *childLedger, deadline *time.Timer, c <-chan T, done, missed string, late error) (v T, what string, err error) {
	select {
	case v = <-c:
		return v, "", nil
	case <-ch.exited:
		return v, "stopped before it " + done, ch.exitErr()
	case <-deadline.C:
		return v, missed, late
	case <-ctx.Done():
		return v, "was interrupted", ctx.Err()
	}
}

// exitErr says how the exited child ended.
func (ch *childLedger) exitErr() error {
	if ch.waitErr != nil {
		return ch.waitErr
	}
	return errors.New("exit status 0")
}

// cpu is the child's CPU time so far, from the system's accounting.
func (ch *childLedger) cpu() (time.Duration, bool) {
	d, ok, err := benchkit.ProcessCPU(ch.cmd.Process.Pid)
	return d, ok && err == nil
}

// close stops the child as an operator would (SIGTERM: it finishes
// in-flight requests and writes its snapshot), killing it if it takes
// longer than a minute.
func (ch *childLedger) close() {
	select {
	case <-ch.exited:
		return
	default:
	}
	if err := ch.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = ch.cmd.Process.Kill()
	}
	select {
	case <-ch.exited:
	case <-time.After(time.Minute):
		_ = ch.cmd.Process.Kill()
		<-ch.exited
	}
}

// logWatch reads the child's JSON log: it reports the address of the
// "ticketledger listening" line and keeps the last lines for errors.
type logWatch struct {
	mu        sync.Mutex
	partial   []byte
	last      []string
	listening chan string
	heard     bool
}

// Write takes the child's stderr.
func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if len(w.last) == 20 {
			w.last = w.last[1:]
		}
		w.last = append(w.last, line)
		var rec struct {
			Msg  string `json:"msg"`
			HTTP string `json:"http"`
		}
		if !w.heard && json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "ticketledger listening" && rec.HTTP != "" {
			w.heard = true
			w.listening <- rec.HTTP
		}
	}
	if len(w.partial) > 64<<10 {
		w.partial = w.partial[:0]
	}
	return len(p), nil
}

// tail is the child's last log lines, for an error message.
func (w *logWatch) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.last) == 0 {
		return ""
	}
	return "; its last log lines:\n  " + strings.Join(w.last, "\n  ")
}
