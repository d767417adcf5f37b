package main

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
)

func TestBuildVersion(t *testing.T) {
	set := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, c := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"no information", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"checkout", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: set("vcs.revision", "3f2c1e9a0b7d55aa11", "vcs.time", "2026-12-01T18:02:11Z", "vcs.modified", "true")},
			"dev (revision 3f2c1e9a0b7d, 2026-12-01T18:02:11Z, modified)"},
		{"clean checkout", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: set("vcs.revision", "3f2c1e9a0b7d55aa11", "vcs.time", "2026-12-01T18:02:11Z", "vcs.modified", "false")},
			"dev (revision 3f2c1e9a0b7d, 2026-12-01T18:02:11Z)"},
		{"release", debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"pseudo-version carries revision and time", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201180211-3f2c1e9a0b7d+dirty"},
			Settings: set("vcs.revision", "3f2c1e9a0b7d55aa11", "vcs.time", "2026-12-01T18:02:11Z", "vcs.modified", "true")},
			"v0.0.0-20261201180211-3f2c1e9a0b7d+dirty"},
	} {
		if got := buildVersion(&c.bi); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestVersionFlagAndCommand(t *testing.T) {
	clearEnv(t)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := runCLI(t, args...)
		if r.code != 0 || r.out != versionLine()+"\n" || !strings.HasPrefix(r.out, "ticketledger "+version+" go") {
			t.Errorf("%v: exit %d, %q", args, r.code, r.out)
		}
	}
}

// TestHelpShowsOnlyFlagsThatApply: offline and server commands leave the
// client flags out of their help and refuse them; client commands (bench
// http among them) keep them.
func TestHelpShowsOnlyFlagsThatApply(t *testing.T) {
	clearEnv(t)
	client := []string{"--server", "--token-file", "--proxy-actor", "--idempotency-key", "--expected-revision", "--on-behalf-of"}
	for _, c := range []struct {
		args   []string
		has    []string
		hasNot []string
	}{
		{[]string{"serve", "--help"}, []string{"--data", "--http"}, append([]string{"--output"}, client...)},
		{[]string{"rebuild", "--help"}, []string{"--data", "--output"}, client},
		{[]string{"restore", "--help"}, []string{"--data", "--output"}, client},
		{[]string{"version", "--help"}, nil, client},
		{[]string{"bench", "--help"}, []string{"--output"}, client},
		{[]string{"bench", "http", "--help"}, []string{"--server", "--token-file", "--output"}, nil},
		{[]string{"list", "--help"}, client, nil},
		{[]string{"sla", "report", "--help"}, client, nil},
	} {
		r := runCLI(t, c.args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d %s", c.args, r.code, r.err)
		}
		for _, w := range c.has {
			if !strings.Contains(r.out, w+" ") {
				t.Errorf("%v: help lacks %s", c.args, w)
			}
		}
		for _, w := range c.hasNot {
			if strings.Contains(r.out, w+" ") {
				t.Errorf("%v: help lists %s", c.args, w)
			}
		}
	}
	r := runCLI(t, "serve", "--server", "http://x", "--data", t.TempDir())
	if r.code != exitUsage || !strings.Contains(r.err, "--server is a flag of the client commands") {
		t.Errorf("serve --server: exit %d %s", r.code, r.err)
	}
	// Hiding in one help leaves the flags in the next.
	if r := runCLI(t, "list", "--help"); !strings.Contains(r.out, "--server ") {
		t.Errorf("list help after serve help: %s", r.out)
	}
}

// TestRoleHelpListsEveryRole: the flags that take a role name every role a
// principal can have.
func TestRoleHelpListsEveryRole(t *testing.T) {
	clearEnv(t)
	roles := []domain.Role{domain.RoleIndirectProvider, domain.RoleIndirectReseller, domain.RoleVendorSupport, domain.RoleAuditor, domain.RoleAdmin, domain.RoleSystem}
	tokens := runCLI(t, "tokens", "create", "--help").out
	list := runCLI(t, "list", "--help").out
	for _, r := range roles {
		if !r.Valid() {
			t.Fatalf("%s is no role", r)
		}
		if r == domain.RoleSystem { // the ledger's own: no principal has it
			if strings.Contains(tokens, string(r)) {
				t.Errorf("tokens create --help offers %s", r)
			}
			continue
		}
		for name, help := range map[string]string{"tokens create --role": tokens, "--proxy-role": list} {
			if !strings.Contains(help, string(r)) {
				t.Errorf("%s help omits %s", name, r)
			}
		}
	}
	if !strings.Contains(tokens, `"replica"`) {
		t.Errorf("tokens create --scope omits replica: %s", tokens)
	}
}
