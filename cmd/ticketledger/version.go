package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time (-ldflags "-X main.version=…"); otherwise
// it is read from the binary's build information (buildVersion).
var version = "dev"

func init() {
	if version == "dev" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			version = buildVersion(bi)
		}
	}
}

// buildVersion describes a build from its build information: the module
// version (a release tag, or "dev" for a build from a checkout, "(devel)"),
// then the VCS revision, its commit time and "modified" when the working
// tree had uncommitted changes — e.g. "v1.2.0" or
// "dev (revision 3f2c1e9a0b7d, 2026-12-01T18:02:11Z, modified)".
func buildVersion(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var parts []string
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		// A pseudo-version already carries the revision.
		if !strings.Contains(v, rev) {
			parts = append(parts, "revision "+rev)
		}
	}
	if at != "" && !strings.Contains(v, "-") {
		parts = append(parts, at)
	}
	if modified && !strings.HasSuffix(v, "+dirty") {
		parts = append(parts, "modified")
	}
	if len(parts) == 0 {
		return v
	}
	return v + " (" + strings.Join(parts, ", ") + ")"
}

// versionLine is what version and --version print.
func versionLine() string {
	return fmt.Sprintf("ticketledger %s %s %s/%s", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print the version: module version, VCS revision and time, Go version, platform", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintln(c.OutOrStdout(), versionLine())
			return nil
		},
	}
}
