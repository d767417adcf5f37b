package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/client"
)

// globals are the flags every client subcommand shares.
type globals struct {
	server      string
	output      string
	tokenFile   string
	token       string // resolved by resolveToken
	actorID     string
	actorRole   string
	actorParent string
	onBehalfOf  string
	idemKey     string
	expectedRev string
	minPosition uint64
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "ticketledger",
		Short:         "An event-sourced ledger of partner support tickets with an audit trail",
		SilenceUsage:  true,
		SilenceErrors: true,
		Long: `ticketledger records service requests that cloud partners file on behalf of their
customers, and everything that happens to them, as immutable events.

  ticketledger serve                 run the ledger (embedded store in ./data)
  ticketledger open ...              file a service request
  ticketledger show ID --as-of T     what the ledger knew about a ticket at T
  ticketledger sla report            SLA compliance

Client commands authenticate with a bearer token read from --token-file, else
the TICKETLEDGER_TOKEN variable, else $XDG_CONFIG_HOME/ticketledger/token
(~/.config/ticketledger/token). There is no flag taking the token itself, so
it never lands in shell history. The first serve writes an admin token to
./data/admin.token; an admin creates the others with "ticketledger tokens create".

Environment: every flag can be set as TICKETLEDGER_<FLAG> (e.g. TICKETLEDGER_SERVER).`,
	}
	root.Version = version
	root.SetVersionTemplate(versionLine() + "\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{cmd: strings.TrimPrefix(c.CommandPath(), "ticketledger"), err: err}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.server, "server", "http://127.0.0.1:8080", "ledger HTTP address for client commands")
	pf.StringVarP(&g.output, "output", "o", "table", "output format: table, json or csv")
	pf.StringVar(&g.tokenFile, "token-file", "", "file holding the bearer token (default: $TICKETLEDGER_TOKEN, else $XDG_CONFIG_HOME/ticketledger/token)")
	pf.StringVar(&g.actorID, "proxy-actor", "", "proxy mode only: send X-Actor-Id (honoured only by a ledger run with --trust-proxy, from a trusted address)")
	pf.StringVar(&g.actorRole, "proxy-role", "", "proxy mode only: send X-Actor-Role ("+tokenRoles+")")
	pf.StringVar(&g.actorParent, "proxy-partner", "", "proxy mode only: send X-Actor-Partner")
	pf.StringVar(&g.onBehalfOf, "on-behalf-of", "", "customer id the actor acts for")
	pf.StringVar(&g.idemKey, "idempotency-key", "", "retry-safe key: the same key never appends twice")
	pf.StringVar(&g.expectedRev, "expected-revision", "", "refuse the command unless the ticket is at this revision")
	pf.Uint64Var(&g.minPosition, "min-position", 0, "queries: answer once the server's read models hold this log position (a command's position): read your own writes through any replica")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if err := refuseClientFlags(c); err != nil {
			return err
		}
		if err := envDefaults(c); err != nil {
			return err
		}
		if _, offline := c.Annotations[offlineFlags]; offline {
			return nil
		}
		return g.resolveToken()
	}
	addClientCommands(root, g)
	addServerCommands(root, g)
	root.AddCommand(newHealthcheckCmd())
	refuseUnknownSubcommands(root)
	for _, c := range root.Commands() {
		switch c.Name() {
		case "serve", "version", "healthcheck":
			offline(c)
		case "rebuild", "restore", "bench":
			offline(c, "output") // bench http, a client, keeps them all
		}
	}
	return root
}

// offlineFlags is the annotation of a command that talks to no ledger over
// HTTP; its value lists the global client flags it uses all the same.
const offlineFlags = "ticketledger/offline"

// offline marks c as a command that is no client of a running ledger: its
// help leaves out the global client flags (--server, --token-file, the
// proxy and command flags) but those in keep, and its command line refuses
// them (refuseClientFlags). Its subcommands are not affected.
func offline(c *cobra.Command, keep ...string) {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[offlineFlags] = strings.Join(keep, ",")
	help := c.HelpFunc() // the parent's: cobra's default
	c.SetHelpFunc(func(h *cobra.Command, args []string) {
		if h != c {
			help(h, args)
			return
		}
		var hidden []*pflag.Flag
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
			if clientOnly(c, f) && !f.Hidden {
				f.Hidden = true
				hidden = append(hidden, f)
			}
		})
		help(h, args)
		for _, f := range hidden {
			f.Hidden = false
		}
	})
}

// clientOnly: f is a global client flag that offline command c does not use.
func clientOnly(c *cobra.Command, f *pflag.Flag) bool {
	keep, ok := c.Annotations[offlineFlags]
	if !ok || f.Name == "help" || f.Name == "version" {
		return false
	}
	return !slices.Contains(strings.Split(keep, ","), f.Name)
}

// refuseClientFlags refuses a global client flag on an offline command's
// command line ("serve --server …"): it would do nothing.
func refuseClientFlags(c *cobra.Command) error {
	var err error
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if err == nil && f.Changed && clientOnly(c, f) {
			err = usagef(c, "--%s is a flag of the client commands: %s does not use it", f.Name, c.Name())
		}
	})
	return err
}

// refuseUnknownSubcommands makes a typo in a nested subcommand ("sla
// reprot") a usage error with cobra's suggestions, as it is at the top
// level: cobra would print the group's help and exit 0. A group given no
// subcommand still prints its help.
func refuseUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if !c.HasParent() || !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2 // cobra's default at the top level
		}
		var hint strings.Builder
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			hint.WriteString("\n\nDid you mean this?\n")
			for _, name := range s {
				fmt.Fprintf(&hint, "\t%s\n", name)
			}
		}
		return usagef(c, "unknown command %q for %q%s", args[0], c.CommandPath(), hint.String())
	}
	c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
}

// tokenRoles are the roles a principal can have (all of domain.Role's but
// the ledger's own, system), as flag help lists them.
var tokenRoles = strings.Join([]string{string(domain.RoleIndirectProvider), string(domain.RoleIndirectReseller),
	string(domain.RoleVendorSupport), string(domain.RoleAuditor)}, ", ") + " or " + string(domain.RoleAdmin)

// noEnv is the flag annotation that keeps envDefaults off a flag whose
// TICKETLEDGER_<FLAG_NAME> variable means something else (--signing-key is a
// file; $TICKETLEDGER_SIGNING_KEY holds the key itself).
const noEnv = "ticketledger/noenv"

// envDefaults fills every flag not set on the command line from
// TICKETLEDGER_<FLAG_NAME>, so configuration works by flags or environment.
func envDefaults(c *cobra.Command) error {
	var err error
	set := func(f *pflag.Flag) {
		if _, skip := f.Annotations[noEnv]; f.Changed || err != nil || skip {
			return
		}
		name := "TICKETLEDGER_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if e := f.Value.Set(v); e != nil {
				err = usageError{cmd: c.Name(), err: fmt.Errorf("%s=%q: %v", name, v, e)}
			}
		}
	}
	c.Flags().VisitAll(set)
	c.InheritedFlags().VisitAll(set)
	return err
}

// client builds an API client from the global flags.
func (g *globals) client() *client.Client {
	c := client.New(g.server)
	c.Token = g.token
	c.Actor = domain.Actor{ID: g.actorID, Role: domain.Role(g.actorRole), Partner: g.actorParent}
	c.OnBehalfOf = g.onBehalfOf
	c.IdempotencyKey = g.idemKey
	c.IfMatch = g.expectedRev
	c.MinPosition = g.minPosition
	return c
}

// format parses --output.
func (g *globals) format() (render.Format, error) {
	f, err := render.ParseFormat(g.output)
	if err != nil {
		return "", usageError{cmd: "", err: err}
	}
	return f, nil
}

// EnvToken names the variable holding a client's bearer token.
const EnvToken = "TICKETLEDGER_TOKEN"

// resolveToken finds the client's bearer token: --token-file (also
// TICKETLEDGER_TOKEN_FILE), else TICKETLEDGER_TOKEN, else the config file
// $XDG_CONFIG_HOME/ticketledger/token when it exists. No token is not an
// error here: the server answers 401 where one is needed.
func (g *globals) resolveToken() error {
	if g.tokenFile != "" {
		s, err := auth.ReadSecretFile(g.tokenFile)
		if err != nil {
			return usageError{cmd: "", err: fmt.Errorf("--token-file: %w", err)}
		}
		g.token = s
		return nil
	}
	if s := strings.TrimSpace(os.Getenv(EnvToken)); s != "" {
		g.token = s
		return nil
	}
	if path := configTokenFile(); path != "" {
		if _, err := os.Stat(path); err == nil {
			s, err := auth.ReadSecretFile(path)
			if err != nil {
				return usageError{cmd: "", err: fmt.Errorf("token config file: %w", err)}
			}
			g.token = s
		}
	}
	return nil
}

// configTokenFile is $XDG_CONFIG_HOME/ticketledger/token (the user config
// directory's).
func configTokenFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "ticketledger", "token")
}
