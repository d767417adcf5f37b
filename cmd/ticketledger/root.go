package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/client"
)

// globals are the flags every client subcommand shares.
type globals struct {
	server      string
	output      string
	actorID     string
	actorRole   string
	actorParent string
	onBehalfOf  string
	idemKey     string
	expectedRev string
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

Environment: every flag can be set as TICKETLEDGER_<FLAG> (e.g. TICKETLEDGER_SERVER).`,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{cmd: strings.TrimPrefix(c.CommandPath(), "ticketledger"), err: err}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.server, "server", "http://127.0.0.1:8080", "ledger HTTP address for client commands")
	pf.StringVarP(&g.output, "output", "o", "table", "output format: table, json or csv")
	pf.StringVar(&g.actorID, "actor", "", "who acts (principal id), e.g. alice@contoso-partner.example")
	pf.StringVar(&g.actorRole, "role", "", "actor role: indirect_provider, indirect_reseller, vendor_support, auditor")
	pf.StringVar(&g.actorParent, "partner", "", "the actor's partner id (partner roles)")
	pf.StringVar(&g.onBehalfOf, "on-behalf-of", "", "customer id the actor acts for")
	pf.StringVar(&g.idemKey, "idempotency-key", "", "retry-safe key: the same key never appends twice")
	pf.StringVar(&g.expectedRev, "expected-revision", "", "refuse the command unless the ticket is at this revision")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		return envDefaults(c)
	}
	addClientCommands(root, g)
	addServerCommands(root, g)
	return root
}

// envDefaults fills every flag not set on the command line from
// TICKETLEDGER_<FLAG_NAME>, so configuration works by flags or environment.
func envDefaults(c *cobra.Command) error {
	var err error
	set := func(f *pflag.Flag) {
		if f.Changed || err != nil {
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
	c.Actor = domain.Actor{ID: g.actorID, Role: domain.Role(g.actorRole), Partner: g.actorParent}
	c.OnBehalfOf = g.onBehalfOf
	c.IdempotencyKey = g.idemKey
	c.IfMatch = g.expectedRev
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
