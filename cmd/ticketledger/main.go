// Command ticketledger runs the ledger (serve), fills it with demo data
// (demo), rebuilds and verifies it offline (rebuild, verify), and talks to a
// running ledger over its HTTP API (open, respond, show, audit, sla, …).
//
// Exit codes: 0 success, 1 server or internal error, 2 usage, 3 invalid
// input (malformed, or breaking a rule about its content such as
// no-phone-channel), 4 not found, 5 conflict (stale revision or a command
// that does not apply in the ticket's status), 6 forbidden (a rule about
// who may act: role, tenancy, entitlement), 7 server unreachable, 8 not
// authenticated (no token, a refused or revoked token: 401; too many failed
// attempts: 429). The classes go by the error's kind (the HTTP status of
// the problem), never by its rule name: exitClasses in exitcode.go lists
// them, exitCode maps errors to them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string) int {
	return runIO(ctx, args, os.Stdout, os.Stderr)
}

// runIO is run with explicit standard output and error (tests).
func runIO(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return execute(ctx, newRoot(), args, stdout, stderr)
}

// execute runs root with args and returns the exit code. A panic in the
// command is a bug: it is reported as an internal error with its stack, for
// a bug report, instead of ending the process with Go's trace alone.
func execute(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "ticketledger: internal error: %v\n"+
				"This is a bug: please report it with the lines below. Appends acknowledged before it are durable;\n"+
				"check a data directory with: ticketledger verify --data DIR\n\n%s", r, debug.Stack())
			code = exitInternal
		}
	}()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		cmd := strings.TrimSpace(ue.cmd)
		if cmd != "" {
			cmd += " "
		}
		fmt.Fprintf(stderr, "ticketledger: %v\nRun 'ticketledger %s--help' for usage.\n", err, cmd)
		return exitUsage
	}
	fmt.Fprintf(stderr, "ticketledger: %v\n", err)
	return exitCode(err)
}

// isCobraUsage recognises the usage errors cobra makes itself.
func isCobraUsage(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "unknown command") || strings.HasPrefix(m, "unknown flag") ||
		strings.HasPrefix(m, "unknown shorthand flag") || strings.Contains(m, "required flag(s)")
}

// usageError is a command-line mistake (exit code 2).
type usageError struct {
	cmd string
	err error
}

// Error returns the mistake.
func (u usageError) Error() string { return u.err.Error() }

// Unwrap returns the underlying error.
func (u usageError) Unwrap() error { return u.err }

// usagef returns a usageError for command c.
func usagef(c interface{ CommandPath() string }, format string, args ...any) error {
	return usageError{cmd: strings.TrimPrefix(c.CommandPath(), "ticketledger"), err: fmt.Errorf(format, args...)}
}
