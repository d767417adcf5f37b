package main

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

func newPartnerCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "partner",
		Short: "Partner organisations: registration, customers, support plans, reseller Azure access",
	}
	c.AddCommand(
		partnerCommand(g, "register", "Register a partner organisation (indirect provider or reseller)",
			`  ticketledger partner register contoso --name "Contoso" --partner-role indirect_provider --email support@contoso.example --actor onboarding --role system`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.RegisterPartnerBody{}
				f := c.Flags()
				f.StringVar(&b.Name, "name", "", "organisation name")
				f.StringVar(&b.Role, "partner-role", "", "indirect_provider or indirect_reseller")
				f.StringVar(&b.ProviderID, "provider", "", "a reseller's indirect provider")
				f.StringVar(&b.Email, "email", "", "the partner's support e-mail")
				return func(_ *cobra.Command, id string) (string, any, error) {
					b.CommandBase, b.PartnerID = cmdBase(occ), id
					return "/v1/partners", b, nil
				}
			}),
		partnerCommand(g, "link-customer", "Record that the partner serves a customer",
			`  ticketledger partner link-customer contoso --customer fabrikam --name "Fabrikam" --domain fabrikam.example --admin-rights`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.LinkCustomerBody{}
				f := c.Flags()
				f.StringVar(&b.CustomerID, "customer", "", "customer id")
				f.StringVar(&b.Name, "name", "", "customer name")
				f.StringVar(&b.Domain, "domain", "", "customer's domain (needed for the customer_portal route)")
				f.BoolVar(&b.AdminRights, "admin-rights", false, "the partner holds delegated admin rights")
				return partnerAt("/customers", func() any { b.CommandBase = cmdBase(occ); return b })
			}),
		partnerCommand(g, "support-plan", "Record a support contract or entitlement of the partner",
			`  ticketledger partner support-plan contoso --plan-id P1 --kind asfp --reference ASFP-123 --valid-from 2026-01-01`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.SupportPlanBody{}
				var from, until timeFlag
				f := c.Flags()
				f.StringVar(&b.PlanID, "plan-id", "", "plan id")
				f.StringVar(&b.Kind, "kind", "", "asfp, premier, unified, partner_network or azure_support_agreement")
				f.StringVar(&b.Reference, "reference", "", "contract or agreement reference")
				addTime(c, &from, "valid-from", "start of validity")
				addTime(c, &until, "valid-until", "end of validity (default: open-ended)")
				return partnerAt("/support-plans", func() any {
					b.CommandBase = cmdBase(occ)
					b.ValidFrom, b.ValidUntil = server.Timestamp{Time: from.t}, server.Timestamp{Time: until.t}
					return b
				})
			}),
		partnerCommand(g, "end-plan", "End a support plan",
			`  ticketledger partner end-plan contoso --plan-id P1 --reason "contract ended"`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.ReasonBody{}
				var planID string
				c.Flags().StringVar(&planID, "plan-id", "", "plan id (required)")
				c.Flags().StringVar(&b.Reason, "reason", "", "why")
				return func(c *cobra.Command, id string) (string, any, error) {
					if planID == "" {
						return "", nil, usagef(c, "--plan-id is required")
					}
					b.CommandBase = cmdBase(occ)
					return partnerPath(id, "/support-plans/"+url.PathEscape(planID)+"/end"), b, nil
				}
			}),
		partnerCommand(g, "grant-access", "The indirect provider grants its reseller access to a customer's Azure account",
			`  ticketledger partner grant-access reseller1 --customer fabrikam --actor alice --role indirect_provider --partner contoso`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.GrantBody{}
				c.Flags().StringVar(&b.CustomerID, "customer", "", "customer id")
				return partnerAt("/azure-access", func() any { b.CommandBase = cmdBase(occ); return b })
			}),
		partnerCommand(g, "revoke-access", "Revoke a reseller's Azure access to a customer",
			`  ticketledger partner revoke-access reseller1 --customer fabrikam --reason "reseller left"`,
			func(c *cobra.Command, occ *timeFlag) request {
				b := &server.ReasonBody{}
				var customer string
				c.Flags().StringVar(&customer, "customer", "", "customer id (required)")
				c.Flags().StringVar(&b.Reason, "reason", "", "why")
				return func(c *cobra.Command, id string) (string, any, error) {
					if customer == "" {
						return "", nil, usagef(c, "--customer is required")
					}
					b.CommandBase = cmdBase(occ)
					return partnerPath(id, "/azure-access/"+url.PathEscape(customer)+"/revocation"), b, nil
				}
			}),
		newPartnerShowCmd(g),
	)
	return c
}

// partnerCommand is ticketCommand for a partner (`USE PARTNER-ID`).
func partnerCommand(g *globals, use, short, example string, flags func(c *cobra.Command, occurred *timeFlag) request) *cobra.Command {
	c := ticketCommand(g, use, short, example, flags)
	c.Use = use + " PARTNER-ID"
	c.Args = exactArgs("PARTNER-ID")
	return c
}

func partnerAt(suffix string, b func() any) request {
	return func(_ *cobra.Command, id string) (string, any, error) { return partnerPath(id, suffix), b(), nil }
}

func newPartnerShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show PARTNER-ID",
		Short: "Show a partner organisation",
		Args:  exactArgs("PARTNER-ID"),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := g.format()
			if err != nil {
				return err
			}
			var p server.PartnerView
			if err := g.client().Get(c.Context(), partnerPath(args[0], ""), nil, &p); err != nil {
				return err
			}
			return render.KV(c.OutOrStdout(), f, p, [][2]string{
				{"id", p.ID}, {"name", p.Name}, {"role", string(p.Role)}, {"provider", p.ProviderID},
				{"email", p.Email}, {"revision", fmt.Sprint(p.Revision)},
			})
		},
	}
}
