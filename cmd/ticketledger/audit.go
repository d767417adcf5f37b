package main

import (
	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/projections"
)

func newAuditCmd(g *globals) *cobra.Command {
	var page pageFlags
	var actorID, partner, customer, ticketID, stream, axis string
	var types []string
	var from, to timeFlag
	c := &cobra.Command{
		Use:   "audit",
		Short: "Audit query: who did what, when, on whose behalf, across tickets",
		Long: `Query the audit index by actor, partner, customer, ticket, stream, event type
and time range. --from/--to bound the recorded-at axis (when the ledger stored
the event) or, with --axis occurred, the occurred-at axis (when it happened).`,
		Example: `  ticketledger audit --actor-id alice@contoso.example --from now-7d
  ticketledger audit --customer fabrikam --type ticket.severity_changed,ticket.escalated -o csv
  ticketledger audit --ticket 7d1c… --axis occurred --order newest`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if ticketID != "" {
				var err error
				if ticketID, err = g.ticketID(c, ticketID); err != nil {
					return err
				}
			}
			q := params("actor", actorID, "partnerId", partner, "customerId", customer, "ticketId", ticketID, "stream", stream)
			for _, t := range types {
				q.Add("type", t)
			}
			switch axis {
			case "", "recorded":
				setTime(q, "recordedFrom", &from)
				setTime(q, "recordedTo", &to)
			case "occurred":
				setTime(q, "occurredFrom", &from)
				setTime(q, "occurredTo", &to)
			default:
				return usagef(c, "--axis %q: want recorded or occurred", axis)
			}
			return fetchPages(c, g, "/v1/audit", q, &page, auditListing)
		},
	}
	fl := c.Flags()
	fl.StringVar(&actorID, "actor-id", "", "principal id of whoever caused the event")
	fl.StringVar(&partner, "partner-id", "", "partner: its tickets, its stream, its people's actions (--partner is the acting partner)")
	fl.StringVar(&customer, "customer", "", "customer: its tickets and actions on its behalf")
	fl.StringVar(&ticketID, "ticket", "", "one ticket (its id or a unique prefix)")
	fl.StringVar(&stream, "stream", "", "one stream, e.g. partner-contoso")
	fl.StringSliceVar(&types, "type", nil, "event types (comma-separated or repeated), e.g. ticket.escalated")
	addTime(c, &from, "from", "from (inclusive)")
	addTime(c, &to, "to", "to (exclusive)")
	fl.StringVar(&axis, "axis", "recorded", "time axis of --from/--to: recorded or occurred")
	page.register(c)
	return c
}

// auditRows is the table of a page of audit entries.
func auditRows(res projections.AuditPage, f render.Format) render.Rows {
	rows := render.Rows{Header: []string{"POSITION", "RECORDED", "OCCURRED", unitHeader("LATE", "SECONDS", f), "TYPE", "ACTOR", "ROLE", "ACTOR PARTNER", "ON BEHALF OF", "PARTNER", "CUSTOMER", "TICKET"}}
	for _, e := range res.Entries {
		late := ""
		if e.LateBySeconds > 0 {
			late = secsCell(e.LateBySeconds, f)
		}
		rows.Add(e.Position, fmtTime(e.RecordedAt), fmtTime(e.OccurredAt), late, e.Type, e.Actor.ID, e.Actor.Role,
			e.Actor.Partner, e.OnBehalfOf, e.PartnerID, e.CustomerID, e.TicketID)
	}
	return rows
}

// auditListing reads and joins pages of the audit index.
var auditListing = pageListing(auditRows, func(p *projections.AuditPage) (*[]projections.AuditEntry, *string) {
	return &p.Entries, &p.Next
})
