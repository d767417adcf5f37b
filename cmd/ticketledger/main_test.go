package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

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

// A panic in a command is reported as an internal error (exit 1) that says
// it is a bug and how to check the data, with the stack for the report.
func TestPanicIsAnInternalError(t *testing.T) {
	root := &cobra.Command{Use: "ticketledger", SilenceUsage: true, SilenceErrors: true,
		RunE: func(*cobra.Command, []string) error { panic("settle: no stream") }}
	var out, errb strings.Builder
	if code := execute(context.Background(), root, nil, &out, &errb); code != exitInternal {
		t.Fatalf("exit %d, want %d", code, exitInternal)
	}
	msg := errb.String()
	for _, want := range []string{"internal error: settle: no stream", "This is a bug", "ticketledger verify --data", "TestPanicIsAnInternalError"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("stderr lacks %q:\n%s", want, msg)
		}
	}
}
