package main

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	dw "github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/webhook"
)

// newWebhooksCmd is `webhooks create|list|rotate-secret|pause|resume|delete|
// deliveries|dead-letters|replay|skip`: the /v1/webhooks routes.
func newWebhooksCmd(g *globals) *cobra.Command {
	return commandGroup("webhooks", "Webhook subscriptions, their delivery log and the dead-letter list",
		`Webhooks deliver ticket events and SLA notices to an https endpoint, signed as
Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). A partner
subscribes to its own tickets and manages its own subscriptions; an admin
subscribes ledger-wide (or for a partner), and replays or skips parked
deliveries. Types: `+typesList()+`.`,
		newWebhooksCreateCmd(g), newWebhooksListCmd(g), newWebhooksRotateCmd(g),
		webhookStateCmd(g, "pause", "Pause deliveries (events meanwhile are not delivered later)", "pause", true),
		webhookStateCmd(g, "resume", "Resume deliveries with the next event", "resume", false),
		webhookStateCmd(g, "delete", "Delete a subscription for good", "deletion", true),
		newWebhooksDeliveriesCmd(g, "deliveries", "The delivery log, newest first", "deliveries"),
		newWebhooksDeliveriesCmd(g, "dead-letters", "Parked deliveries, oldest first: each holds back its ticket's later ones", "dead-letters"),
		webhookResolveCmd(g, "replay", "Try a parked delivery again (admin); its ticket's held deliveries follow in order"),
		webhookResolveCmd(g, "skip", "Give a parked delivery up (admin); its ticket's held deliveries go on"))
}

func typesList() string {
	s := ""
	for i, t := range dw.Types() {
		if i > 0 {
			s += ", "
		}
		s += t
	}
	return s
}

func newWebhooksCreateCmd(g *globals) *cobra.Command {
	var b server.CreateWebhookBody
	c := &cobra.Command{
		Use:   "create --url URL --type TYPE...",
		Short: "Subscribe an https endpoint; prints its signing secret once",
		Example: `  ticketledger webhooks create --url https://hooks.contoso.example/ticketledger --type ticket.escalated --type sla.breached
  ticketledger --token-file data/admin.token webhooks create --url https://ops.example/hooks --type ticket.opened,sla.at_risk,sla.breached`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			res, f, err := postAs[webhook.WithSecret](c, g, "/v1/webhooks", b)
			if err != nil {
				return err
			}
			return writeSecret(c, f, res)
		},
	}
	fl := c.Flags()
	fl.StringVar(&b.URL, "url", "", "the receiver's https:// address (required)")
	fl.StringSliceVar(&b.Types, "type", nil, "what to deliver (repeatable or comma-separated): "+typesList())
	fl.StringVar(&b.Partner, "partner", "", "admins: the partner whose tickets it receives (default: ledger-wide)")
	fl.StringVar(&b.Description, "description", "", "a label")
	return c
}

// writeSecret prints a subscription with its secret, shown this once.
func writeSecret(c *cobra.Command, f render.Format, res webhook.WithSecret) error {
	if f == render.Table {
		fmt.Fprintf(c.OutOrStdout(), "%s\n", res.Secret)
		fmt.Fprintf(c.ErrOrStderr(), "subscription %s (%s, secret generation %d): the secret above is shown once\n", res.ID, res.URL, res.SecretGeneration)
		return nil
	}
	return render.Write(c.OutOrStdout(), f, res, webhookRows([]webhook.View{res.View}))
}

func newWebhooksListCmd(g *globals) *cobra.Command {
	var deleted bool
	c := &cobra.Command{
		Use: "list", Short: "List the subscriptions you manage (no secrets)", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			q := url.Values{}
			if deleted {
				q.Set("deleted", "true")
			}
			res, f, err := getAs[server.WebhookList](c, g, "/v1/webhooks", q)
			if err != nil {
				return err
			}
			return render.Write(c.OutOrStdout(), f, res, webhookRows(res.Subscriptions))
		},
	}
	c.Flags().BoolVar(&deleted, "deleted", false, "also list deleted subscriptions")
	return c
}

func webhookRows(vs []webhook.View) render.Rows {
	rows := render.Rows{Header: []string{"ID", "PARTNER", "STATUS", "URL", "TYPES", "SECRET"}}
	for _, v := range vs {
		partner := v.Partner
		if partner == "" {
			partner = "(ledger-wide)"
		}
		types := ""
		for i, t := range v.Types {
			if i > 0 {
				types += ","
			}
			types += t
		}
		rows.Add(v.ID, partner, v.Status, v.URL, types, "generation "+strconv.Itoa(v.SecretGeneration))
	}
	return rows
}

func newWebhooksRotateCmd(g *globals) *cobra.Command {
	var overlap time.Duration
	c := idCmd(g, "rotate-secret", "Start a new signing secret; the previous one stays valid for --overlap (both signatures are sent)",
		func(c *cobra.Command, f render.Format, id string) error {
			var res webhook.WithSecret
			body := server.RotateWebhookSecretBody{OverlapSeconds: int64(overlap / time.Second)}
			if err := g.client().Post(c.Context(), webhookPath(id, "secret-rotation"), body, &res); err != nil {
				return err
			}
			return writeSecret(c, f, res)
		})
	c.Example = `  ticketledger webhooks rotate-secret wh_1f2e3d4c5b6a7980 --overlap 2h`
	c.Flags().DurationVar(&overlap, "overlap", 24*time.Hour, "how long the previous secret stays valid")
	return c
}

// idCmd is a webhooks subcommand on one subscription ID, printed in the
// --output format.
func idCmd(g *globals, use, short string, run func(c *cobra.Command, f render.Format, id string) error) *cobra.Command {
	return &cobra.Command{
		Use: use + " ID", Short: short, Args: exactArgs("ID"),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := g.format()
			if err != nil {
				return err
			}
			return run(c, f, args[0])
		},
	}
}

func webhookPath(id, rest string) string { return "/v1/webhooks/" + url.PathEscape(id) + "/" + rest }

// webhookStateCmd is pause, resume or delete.
func webhookStateCmd(g *globals, use, short, route string, withReason bool) *cobra.Command {
	var reason string
	c := idCmd(g, use, short, func(c *cobra.Command, f render.Format, id string) error {
		var res webhook.View
		if err := g.client().Post(c.Context(), webhookPath(id, route), server.WebhookReasonBody{Reason: reason}, &res); err != nil {
			return err
		}
		return render.Write(c.OutOrStdout(), f, res, webhookRows([]webhook.View{res}))
	})
	if withReason {
		c.Flags().StringVar(&reason, "reason", "", "why (recorded in the event)")
	}
	return c
}

func newWebhooksDeliveriesCmd(g *globals, use, short, route string) *cobra.Command {
	var limit int
	c := idCmd(g, use, short, func(c *cobra.Command, f render.Format, id string) error {
		q := url.Values{}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		var res server.DeliveryList
		if err := g.client().Get(c.Context(), webhookPath(id, route), q, &res); err != nil {
			return err
		}
		return render.Write(c.OutOrStdout(), f, res, deliveryRows(res.Deliveries))
	})
	if route == "deliveries" {
		c.Flags().IntVar(&limit, "limit", 100, "at most this many")
	}
	return c
}

func deliveryRows(ds []webhook.DeliveryView) render.Rows {
	rows := render.Rows{Header: []string{"DELIVERY", "TICKET", "SEQ", "TYPE", "STATUS", "ATTEMPTS", "HTTP", "LATENCY", "AT", "ERROR"}}
	for _, d := range ds {
		code := "-"
		if d.HTTPStatus != 0 {
			code = strconv.Itoa(d.HTTPStatus)
		}
		rows.Add(d.DeliveryID, d.TicketID, strconv.FormatUint(d.Sequence, 10), d.Type, d.Status, strconv.Itoa(d.Attempts), code,
			strconv.FormatInt(d.LatencyMS, 10)+"ms", d.UpdatedAt.UTC().Format(time.RFC3339), d.Error)
	}
	return rows
}

// webhookResolveCmd is replay or skip.
func webhookResolveCmd(g *globals, verb, short string) *cobra.Command {
	return &cobra.Command{
		Use: verb + " ID DELIVERY-ID", Short: short, Args: exactArgs("ID", "DELIVERY-ID"),
		RunE: func(c *cobra.Command, args []string) error {
			var res webhook.DeliveryView
			path := webhookPath(args[0], "dead-letters/"+url.PathEscape(args[1])+"/"+verb)
			if err := g.client().Post(c.Context(), path, struct{}{}, &res); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "%s: %s (ticket %s, sequence %d)\n", res.DeliveryID, res.Status, res.TicketID, res.Sequence)
			return nil
		},
	}
}
