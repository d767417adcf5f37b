package main

import (
	"net/url"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ticketledger/ticketledger/infra/http/server"
)

// request is what a command on one ticket or partner sends: the path and
// the body.
type request func(c *cobra.Command, id string) (path string, body any, err error)

// aggregate is what a command acts on: a ticket or a partner, named by the
// command's one argument.
type aggregate struct {
	arg  string                         // the argument's name in usage
	path func(id, suffix string) string // the path of its (sub)resource
	// prefix: the argument may be a unique prefix of the id
	// (globals.ticketID).
	prefix bool
}

var (
	onTicket  = aggregate{arg: "TICKET-ID", path: ticketPath, prefix: true}
	onPartner = aggregate{arg: "PARTNER-ID", path: partnerPath}
)

// command builds a command on one ticket or partner (`USE ID`); flags
// registers the command's flags and returns how to build its request.
func (on aggregate) command(g *globals, use, short, example string, flags func(c *cobra.Command, occurred *timeFlag) request) *cobra.Command {
	occurred := &timeFlag{}
	c := &cobra.Command{
		Use:     use + " " + on.arg,
		Short:   short,
		Example: example,
		Args:    exactArgs(on.arg),
	}
	req := flags(c, occurred)
	addTime(c, occurred, "occurred-at", "when it happened (default: now)")
	c.RunE = func(c *cobra.Command, args []string) error {
		id := args[0]
		if on.prefix {
			var err error
			if id, err = g.ticketID(c, id); err != nil {
				return err
			}
		}
		path, body, err := req(c, id)
		if err != nil {
			return err
		}
		return g.post(c, path, body)
	}
	return c
}

// body is a command that sends a body of type B to the path suffix of its
// ticket or partner; fields registers the flags that fill B.
func body[B any, P interface {
	*B
	Base() *server.CommandBase
}](on aggregate, g *globals, use, short, suffix, example string, fields func(f *pflag.FlagSet, b *B)) *cobra.Command {
	return on.command(g, use, short, example, func(c *cobra.Command, occ *timeFlag) request {
		b := new(B)
		fields(c.Flags(), b)
		return func(_ *cobra.Command, id string) (string, any, error) {
			*P(b).Base() = cmdBase(occ)
			return on.path(id, suffix), b, nil
		}
	})
}

// reason is a command whose body is only a reason.
func reason(on aggregate, g *globals, use, short, suffix, example string) *cobra.Command {
	return body(on, g, use, short, suffix, example, func(f *pflag.FlagSet, b *server.ReasonBody) {
		f.StringVar(&b.Reason, "reason", "", "why")
	})
}

// reasonAt is a command whose body is only a reason, sent to the
// sub-resource named by the required flag name (see sub).
func reasonAt(on aggregate, g *globals, use, short, example, name, usage, prefix, suffix string) *cobra.Command {
	return on.command(g, use, short, example, func(c *cobra.Command, occ *timeFlag) request {
		b := &server.ReasonBody{}
		var v string
		c.Flags().StringVar(&v, name, "", usage)
		c.Flags().StringVar(&b.Reason, "reason", "", "why")
		return sub(on, &v, name, prefix, suffix, &b.CommandBase, occ, b)
	})
}

// sub is a request to the path of the sub-resource named by a required
// flag's value: on.path(id, prefix+value+suffix).
func sub(on aggregate, flag *string, name, prefix, suffix string, base *server.CommandBase, occ *timeFlag, b any) request {
	return func(c *cobra.Command, id string) (string, any, error) {
		if *flag == "" {
			return "", nil, usagef(c, "--%s is required", name)
		}
		*base = cmdBase(occ)
		return on.path(id, prefix+url.PathEscape(*flag)+suffix), b, nil
	}
}

func newRespondCmd(g *globals) *cobra.Command {
	return body(onTicket, g, "respond", "Record vendor support's first response (judged against the deadline in force)", "/first-response",
		`  ticketledger respond 7d1c… --token-file bob.token --summary "Investigating"`,
		func(f *pflag.FlagSet, b *server.FirstResponseBody) {
			f.StringVar(&b.Summary, "summary", "", "what support said")
		})
}

func newSeverityCmd(g *globals) *cobra.Command {
	return body(onTicket, g, "severity", "Change the severity; the deadline is recomputed from the ticket's creation", "/severity",
		`  ticketledger severity 7d1c… --to A --reason "production now down"`,
		func(f *pflag.FlagSet, b *server.SeverityBody) {
			f.StringVar(&b.Severity, "to", "", "new severity: A, B or C")
			f.StringVar(&b.Reason, "reason", "", "why the severity changes")
		})
}

func newEscalateCmd(g *globals) *cobra.Command {
	return body(onTicket, g, "escalate", "Escalate to the vendor with the reason and the escalation criteria met", "/escalations",
		`  ticketledger escalate 7d1c… --reason "platform bug, no workaround" --criteria business_critical,no_workaround`,
		func(f *pflag.FlagSet, b *server.EscalateBody) {
			f.StringVar(&b.Reason, "reason", "", "why the partner cannot solve it")
			f.StringSliceVar(&b.CriteriaMet, "criteria", nil, "escalation criteria met (comma-separated or repeated)")
		})
}

func newInfoCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "info", Short: "Information requests: support asks, the partner answers"}
	c.AddCommand(
		body(onTicket, g, "request", "Vendor support asks the partner for information", "/info-requests",
			`  ticketledger info request 7d1c… --question "Which subscription id?"`,
			func(f *pflag.FlagSet, b *server.InfoRequestBody) {
				f.StringVar(&b.Question, "question", "", "what support needs to know")
			}),
		body(onTicket, g, "provide", "The partner answers an information request", "/info-responses",
			`  ticketledger info provide 7d1c… --answer "subscription 1234"`,
			func(f *pflag.FlagSet, b *server.InfoResponseBody) { f.StringVar(&b.Answer, "answer", "", "the answer") }),
	)
	return c
}

func newDisputeCmd(g *globals) *cobra.Command {
	return commandGroup("dispute", "Billing disputes: open and resolve", "",
		body(onTicket, g, "open", "Open a billing dispute on a ticket", "/disputes",
			`  ticketledger dispute open 7d1c… --dispute-id D-1 --invoice INV-77 --amount-cents 125000 --currency EUR --reason "double charge"`,
			func(f *pflag.FlagSet, b *server.DisputeBody) {
				f.StringVar(&b.DisputeID, "dispute-id", "", "your id for the dispute")
				f.StringVar(&b.InvoiceRef, "invoice", "", "invoice reference")
				f.Int64Var(&b.AmountCents, "amount-cents", 0, "disputed amount in cents")
				f.StringVar(&b.Currency, "currency", "", "ISO 4217 currency, e.g. EUR")
				f.StringVar(&b.Reason, "reason", "", "why the charge is disputed")
			}),
		onTicket.command(g, "resolve", "Decide a billing dispute (upheld, rejected or partial)",
			`  ticketledger dispute resolve 7d1c… --dispute-id D-1 --outcome partial --credit-cents 50000 --currency EUR --explanation "half credited"`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.DisputeResolutionBody{}
				var disputeID string
				f := c.Flags()
				f.StringVar(&disputeID, "dispute-id", "", "the dispute to decide (required)")
				f.StringVar(&b.Outcome, "outcome", "", "upheld, rejected or partial")
				f.Int64Var(&b.CreditAmountCents, "credit-cents", 0, "credit granted in cents")
				f.StringVar(&b.Currency, "currency", "", "currency of the credit")
				f.StringVar(&b.Explanation, "explanation", "", "the decision's reasons")
				return sub(onTicket, &disputeID, "dispute-id", "/disputes/", "/resolution", &b.CommandBase, occ, b)
			}))
}

func newFraudCmd(g *globals) *cobra.Command {
	return commandGroup("fraud", "Fraud: flag a suspicion, clear it", "",
		body(onTicket, g, "flag", "Flag suspected fraud", "/fraud-flags",
			`  ticketledger fraud flag 7d1c… --reason "card testing" --indicators velocity,new_tenant`,
			func(f *pflag.FlagSet, b *server.FraudFlagBody) {
				f.StringVar(&b.Reason, "reason", "", "why fraud is suspected")
				f.StringSliceVar(&b.Indicators, "indicators", nil, "fraud indicators (comma-separated or repeated)")
			}),
		body(onTicket, g, "clear", "Clear a fraud flag", "/fraud-clearance",
			`  ticketledger fraud clear 7d1c… --reason "customer verified"`,
			func(f *pflag.FlagSet, b *server.ReasonBody) {
				f.StringVar(&b.Reason, "reason", "", "why the flag is cleared")
			}))
}

func newNoteCmd(g *globals) *cobra.Command {
	return body(onTicket, g, "note", "Add a note to a ticket", "/notes", `  ticketledger note 7d1c… --text "called the customer's admin"`,
		func(f *pflag.FlagSet, b *server.NoteBody) { f.StringVar(&b.Text, "text", "", "the note") })
}

func newReassignCmd(g *globals) *cobra.Command {
	return body(onTicket, g, "reassign", "Reassign a ticket to another engineer or queue", "/assignment",
		`  ticketledger reassign 7d1c… --to queue:azure-compute --reason "compute issue"`,
		func(f *pflag.FlagSet, b *server.ReassignBody) {
			f.StringVar(&b.To, "to", "", "new owner")
			f.StringVar(&b.Reason, "reason", "", "why")
		})
}

func newResolveCmd(g *globals) *cobra.Command {
	return body(onTicket, g, "resolve", "Resolve a ticket", "/resolution", `  ticketledger resolve 7d1c… --resolution "host replaced"`,
		func(f *pflag.FlagSet, b *server.ResolveBody) {
			f.StringVar(&b.Resolution, "resolution", "", "how it was resolved")
		})
}

func newReopenCmd(g *globals) *cobra.Command {
	return reason(onTicket, g, "reopen", "Reopen a resolved ticket", "/reopening", `  ticketledger reopen 7d1c… --reason "came back"`)
}

func newCloseCmd(g *globals) *cobra.Command {
	return reason(onTicket, g, "close", "Close a ticket for good", "/closure", `  ticketledger close 7d1c… --reason "confirmed by partner"`)
}
