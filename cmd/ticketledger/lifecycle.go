package main

import (
	"net/url"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/http/server"
)

// request is what a ticket command sends: the path and the body.
type request func(c *cobra.Command, id string) (path string, body any, err error)

// ticketCommand builds a command on one ticket (`USE TICKET-ID`); flags
// registers the command's flags and returns how to build its request.
func ticketCommand(g *globals, use, short, example string, flags func(c *cobra.Command, occurred *timeFlag) request) *cobra.Command {
	occurred := &timeFlag{}
	c := &cobra.Command{
		Use:     use + " TICKET-ID",
		Short:   short,
		Example: example,
		Args:    exactArgs("TICKET-ID"),
	}
	req := flags(c, occurred)
	addTime(c, occurred, "occurred-at", "when it happened (default: now)")
	c.RunE = func(c *cobra.Command, args []string) error {
		path, body, err := req(c, args[0])
		if err != nil {
			return err
		}
		return g.post(c, path, body)
	}
	return c
}

// at is a request to ticketPath(id, suffix) with body b.
func at(suffix string, b func() any) request {
	return func(_ *cobra.Command, id string) (string, any, error) { return ticketPath(id, suffix), b(), nil }
}

func newRespondCmd(g *globals) *cobra.Command {
	return ticketCommand(g, "respond", "Record vendor support's first response (judged against the deadline in force)",
		`  ticketledger respond 7d1c… --actor bob@vendor.example --role vendor_support --summary "Investigating"`,
		func(c *cobra.Command, occ *timeFlag) request {
			b := &server.FirstResponseBody{}
			c.Flags().StringVar(&b.Summary, "summary", "", "what support said")
			return at("/first-response", func() any { b.CommandBase = cmdBase(occ); return b })
		})
}

func newSeverityCmd(g *globals) *cobra.Command {
	return ticketCommand(g, "severity", "Change the severity; the deadline is recomputed from the ticket's creation",
		`  ticketledger severity 7d1c… --to A --reason "production now down"`,
		func(c *cobra.Command, occ *timeFlag) request {
			b := &server.SeverityBody{}
			c.Flags().StringVar(&b.Severity, "to", "", "new severity: A, B or C")
			c.Flags().StringVar(&b.Reason, "reason", "", "why the severity changes")
			return at("/severity", func() any { b.CommandBase = cmdBase(occ); return b })
		})
}

func newEscalateCmd(g *globals) *cobra.Command {
	return ticketCommand(g, "escalate", "Escalate to the vendor with the reason and the escalation criteria met",
		`  ticketledger escalate 7d1c… --reason "platform bug, no workaround" --criteria business_critical,no_workaround`,
		func(c *cobra.Command, occ *timeFlag) request {
			b := &server.EscalateBody{}
			c.Flags().StringVar(&b.Reason, "reason", "", "why the partner cannot solve it")
			c.Flags().StringSliceVar(&b.CriteriaMet, "criteria", nil, "escalation criteria met (comma-separated or repeated)")
			return at("/escalations", func() any { b.CommandBase = cmdBase(occ); return b })
		})
}

func newInfoCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "info", Short: "Information requests: support asks, the partner answers"}
	c.AddCommand(
		ticketCommand(g, "request", "Vendor support asks the partner for information",
			`  ticketledger info request 7d1c… --question "Which subscription id?"`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.InfoRequestBody{}
				c.Flags().StringVar(&b.Question, "question", "", "what support needs to know")
				return at("/info-requests", func() any { b.CommandBase = cmdBase(occ); return b })
			}),
		ticketCommand(g, "provide", "The partner answers an information request",
			`  ticketledger info provide 7d1c… --answer "subscription 1234"`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.InfoResponseBody{}
				c.Flags().StringVar(&b.Answer, "answer", "", "the answer")
				return at("/info-responses", func() any { b.CommandBase = cmdBase(occ); return b })
			}),
	)
	return c
}

func newDisputeCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "dispute", Short: "Billing disputes: open and resolve"}
	c.AddCommand(
		ticketCommand(g, "open", "Open a billing dispute on a ticket",
			`  ticketledger dispute open 7d1c… --dispute-id D-1 --invoice INV-77 --amount-cents 125000 --currency EUR --reason "double charge"`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.DisputeBody{}
				f := c.Flags()
				f.StringVar(&b.DisputeID, "dispute-id", "", "your id for the dispute")
				f.StringVar(&b.InvoiceRef, "invoice", "", "invoice reference")
				f.Int64Var(&b.AmountCents, "amount-cents", 0, "disputed amount in cents")
				f.StringVar(&b.Currency, "currency", "", "ISO 4217 currency, e.g. EUR")
				f.StringVar(&b.Reason, "reason", "", "why the charge is disputed")
				return at("/disputes", func() any { b.CommandBase = cmdBase(occ); return b })
			}),
		ticketCommand(g, "resolve", "Decide a billing dispute (upheld, rejected or partial)",
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
				return func(c *cobra.Command, id string) (string, any, error) {
					if disputeID == "" {
						return "", nil, usagef(c, "--dispute-id is required")
					}
					b.CommandBase = cmdBase(occ)
					return ticketPath(id, "/disputes/"+url.PathEscape(disputeID)+"/resolution"), b, nil
				}
			}),
	)
	return c
}

func newFraudCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "fraud", Short: "Fraud: flag a suspicion, clear it"}
	c.AddCommand(
		ticketCommand(g, "flag", "Flag suspected fraud",
			`  ticketledger fraud flag 7d1c… --reason "card testing" --indicators velocity,new_tenant`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.FraudFlagBody{}
				c.Flags().StringVar(&b.Reason, "reason", "", "why fraud is suspected")
				c.Flags().StringSliceVar(&b.Indicators, "indicators", nil, "fraud indicators (comma-separated or repeated)")
				return at("/fraud-flags", func() any { b.CommandBase = cmdBase(occ); return b })
			}),
		ticketCommand(g, "clear", "Clear a fraud flag",
			`  ticketledger fraud clear 7d1c… --reason "customer verified"`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.ReasonBody{}
				c.Flags().StringVar(&b.Reason, "reason", "", "why the flag is cleared")
				return at("/fraud-clearance", func() any { b.CommandBase = cmdBase(occ); return b })
			}),
	)
	return c
}

func newNoteCmd(g *globals) *cobra.Command {
	return ticketCommand(g, "note", "Add a note to a ticket",
		`  ticketledger note 7d1c… --text "called the customer's admin"`,
		func(c *cobra.Command, occ *timeFlag) request {
			b := &server.NoteBody{}
			c.Flags().StringVar(&b.Text, "text", "", "the note")
			return at("/notes", func() any { b.CommandBase = cmdBase(occ); return b })
		})
}

func newReassignCmd(g *globals) *cobra.Command {
	return ticketCommand(g, "reassign", "Reassign a ticket to another engineer or queue",
		`  ticketledger reassign 7d1c… --to queue:azure-compute --reason "compute issue"`,
		func(c *cobra.Command, occ *timeFlag) request {
			b := &server.ReassignBody{}
			c.Flags().StringVar(&b.To, "to", "", "new owner")
			c.Flags().StringVar(&b.Reason, "reason", "", "why")
			return at("/assignment", func() any { b.CommandBase = cmdBase(occ); return b })
		})
}

func newResolveCmd(g *globals) *cobra.Command {
	return ticketCommand(g, "resolve", "Resolve a ticket",
		`  ticketledger resolve 7d1c… --resolution "host replaced"`,
		func(c *cobra.Command, occ *timeFlag) request {
			b := &server.ResolveBody{}
			c.Flags().StringVar(&b.Resolution, "resolution", "", "how it was resolved")
			return at("/resolution", func() any { b.CommandBase = cmdBase(occ); return b })
		})
}

func newReopenCmd(g *globals) *cobra.Command {
	return reasonCommand(g, "reopen", "Reopen a resolved ticket", "/reopening", `  ticketledger reopen 7d1c… --reason "came back"`)
}

func newCloseCmd(g *globals) *cobra.Command {
	return reasonCommand(g, "close", "Close a ticket for good", "/closure", `  ticketledger close 7d1c… --reason "confirmed by partner"`)
}

func reasonCommand(g *globals, use, short, suffix, example string) *cobra.Command {
	return ticketCommand(g, use, short, example, func(c *cobra.Command, occ *timeFlag) request {
		b := &server.ReasonBody{}
		c.Flags().StringVar(&b.Reason, "reason", "", "why")
		return at(suffix, func() any { b.CommandBase = cmdBase(occ); return b })
	})
}
