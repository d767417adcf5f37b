package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

func newPartnerCmd(g *globals) *cobra.Command {
	return commandGroup("partner", "Partner organisations: registration, customers, support plans, reseller Azure access", "",
		onPartner.command(g, "register", "Register a partner organisation (indirect provider or reseller)",
			`  ticketledger partner register contoso --name "Contoso" --partner-role indirect_provider --email support@contoso.example --token-file data/admin.token`,
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
		body(onPartner, g, "link-customer", "Record that the partner serves a customer", "/customers",
			`  ticketledger partner link-customer contoso --customer fabrikam --name "Fabrikam" --domain fabrikam.example --admin-rights`,
			func(f *pflag.FlagSet, b *server.LinkCustomerBody) {
				f.StringVar(&b.CustomerID, "customer", "", "customer id")
				f.StringVar(&b.Name, "name", "", "customer name")
				f.StringVar(&b.Domain, "domain", "", "customer's domain (needed for the customer_portal route)")
				f.BoolVar(&b.AdminRights, "admin-rights", false, "the partner holds delegated admin rights")
			}),
		onPartner.command(g, "support-plan", "Record a support contract or entitlement of the partner",
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
				return func(_ *cobra.Command, id string) (string, any, error) {
					b.CommandBase = cmdBase(occ)
					b.ValidFrom, b.ValidUntil = server.Timestamp{Time: from.t}, server.Timestamp{Time: until.t}
					return partnerPath(id, "/support-plans"), b, nil
				}
			}),
		reasonAt(onPartner, g, "end-plan", "End a support plan", `  ticketledger partner end-plan contoso --plan-id P1 --reason "contract ended"`,
			"plan-id", "plan id (required)", "/support-plans/", "/end"),
		body(onPartner, g, "grant-access", "The indirect provider grants its reseller access to a customer's Azure account", "/azure-access",
			`  ticketledger partner grant-access reseller1 --customer fabrikam --token-file alice.token`,
			func(f *pflag.FlagSet, b *server.GrantBody) { f.StringVar(&b.CustomerID, "customer", "", "customer id") }),
		reasonAt(onPartner, g, "revoke-access", "Revoke a reseller's Azure access to a customer",
			`  ticketledger partner revoke-access reseller1 --customer fabrikam --reason "reseller left"`,
			"customer", "customer id (required)", "/azure-access/", "/revocation"),
		newPartnerShowCmd(g))
}

func newPartnerShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show PARTNER-ID",
		Short: "Show a partner organisation",
		Args:  exactArgs("PARTNER-ID"),
		RunE: func(c *cobra.Command, args []string) error {
			p, f, err := getAs[server.PartnerView](c, g, partnerPath(args[0], ""), nil)
			if err != nil {
				return err
			}
			return render.KV(c.OutOrStdout(), f, p, [][2]string{
				{"id", p.ID}, {"name", p.Name}, {"role", string(p.Role)}, {"provider", p.ProviderID},
				{"email", p.Email}, {"revision", fmt.Sprint(p.Revision)},
			})
		},
	}
}
