package main

import (
	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

func newOpenCmd(g *globals) *cobra.Command {
	var b server.OpenTicketBody
	var class string
	var occurred timeFlag
	c := &cobra.Command{
		Use:   "open",
		Short: "File a service request (on behalf of a customer, or for the partner's own tenant)",
		Long: `File a service request. The ledger checks every rule (partner contact only,
no phone channel, ASfP for Dynamics 365, reseller Azure grants, own-tenant
entitlement, …) and prints either "accepted" with the ticket id and the
first-response deadline and how it was derived (policy version, clock,
calendar), or the refusal with the rule that refused it.

The ledger assigns the ticket id. To retry safely, pass --idempotency-key:
the same key from the same principal opens the same ticket once.

The actor is the principal of the token (--token-file, TICKETLEDGER_TOKEN or
$XDG_CONFIG_HOME/ticketledger/token): a partner token files for its partner.`,
		Example: `  ticketledger open --token-file alice.token \
    --customer fabrikam --product azure --severity A --title "VMs down in West Europe" \
    --contact-name "Alice" --contact-email alice@contoso.example --locale en-GB`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			b.CommandBase = cmdBase(&occurred)
			switch class {
			case "break_fix", "":
			case "non_critical":
				b.NonCritical = true
			default:
				return usagef(c, "--class %q: want break_fix or non_critical", class)
			}
			return g.post(c, "/v1/tickets", b) // the ledger fills in what is left out (ticket.OpenRequest.WithDefaults)
		},
	}
	f := c.Flags()
	f.StringVar(&b.CustomerID, "customer", "", "customer id the request is filed for (customer context)")
	f.StringVar(&b.Context, "context", "", "customer (on behalf of --customer) or own (the partner's own tenant); default: customer when --customer is set, else own")
	f.StringVar(&b.ResellerID, "reseller", "", "reseller id, when an indirect provider files for a reseller's customer")
	f.StringVar(&b.Product, "product", "", "azure, office365, dynamics365, ems or billing (marketplace: use redirect-isv)")
	f.StringVar(&b.Severity, "severity", "", "A (critical), B (moderate) or C (minimal); break_fix requests")
	f.StringVar(&class, "class", "break_fix", "break_fix (2/4/8h by severity) or non_critical (one business day)")
	f.StringVar(&b.Title, "title", "", "short title")
	f.StringVar(&b.Description, "description", "", "description of the problem")
	f.StringVar(&b.Channel, "channel", "", "how the request came in: web, email or api (phone is refused: written requests only); default: "+string(ticket.DefaultChannel))
	f.StringVar(&b.Route, "route", "", "partner_center, customer_portal, azure_support_group, azure_portal_direct or admin_center_direct (the last two: own context); default: "+string(ticket.DefaultRoute))
	f.StringVar(&b.Contact.Name, "contact-name", "", "the partner's contact person (never the customer's)")
	f.StringVar(&b.Contact.Email, "contact-email", "", "the contact's e-mail")
	f.StringVar(&b.Contact.Phone, "contact-phone", "", "the contact's phone")
	f.StringVar(&b.Contact.Organisation, "contact-org", "", "partner id of the contact's organisation (default: --partner)")
	f.StringVar(&b.SupportPlan, "support-plan", "", `support plan field (Azure for customers: "Cloud Solution Provider", filled in when empty)`)
	f.StringVar(&b.Entitlement, "entitlement", "", "support-plan reference of an own-tenant request (partner-network, Premier/Unified/ASfP or Azure agreement)")
	f.StringVar(&b.Language, "language", "en", "support language: en (24x7) or a local language such as sv, de, ja (business hours)")
	f.StringVar(&b.Locale, "locale", "", "requester's locale, picks the business calendar: sv-SE, de-DE, en-GB, en-US, ja-JP, …")
	addTime(c, &occurred, "occurred-at", "when the request was filed (default: now)")
	return c
}

func newRedirectCmd(g *globals) *cobra.Command {
	var b server.RedirectBody
	var occurred timeFlag
	c := &cobra.Command{
		Use:   "redirect-isv",
		Short: "Record a commercial-marketplace request redirected to the ISV (no vendor ticket)",
		Long: `The vendor gives no support for commercial-marketplace products: the ledger
records that the request was redirected to the ISV that publishes the product,
with at least one of the ISV's support URL, e-mail or phone.`,
		Example: `  ticketledger redirect-isv --customer fabrikam --product-name "Acme Backup" --isv "Acme Ltd" \
    --isv-url https://support.acme.example --title "Backups fail"`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			b.CommandBase = cmdBase(&occurred)
			return g.post(c, "/v1/tickets/isv-redirects", b)
		},
	}
	f := c.Flags()
	f.StringVar(&b.CustomerID, "customer", "", "customer id")
	f.StringVar(&b.ProductName, "product-name", "", "the marketplace product")
	f.StringVar(&b.ISV, "isv", "", "the ISV that publishes it")
	f.StringVar(&b.ISVContact.SupportURL, "isv-url", "", "ISV support URL")
	f.StringVar(&b.ISVContact.SupportEmail, "isv-email", "", "ISV support e-mail")
	f.StringVar(&b.ISVContact.SupportPhone, "isv-phone", "", "ISV support phone")
	f.StringVar(&b.Title, "title", "", "short title")
	addTime(c, &occurred, "occurred-at", "when the request was made (default: now)")
	return c
}
