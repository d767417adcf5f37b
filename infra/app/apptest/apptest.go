// Package apptest holds what tests of the command side share: a result
// check, the onboarding every ticket test starts from and the request
// that opens its ticket.
package apptest

import (
	"context"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
)

// The cast of Onboard's partner: an agent of provider p1, one of
// OnboardReseller's reseller r1, and vendor support.
var (
	Provider = domain.Actor{ID: "alice@p1.example", Role: domain.RoleIndirectProvider, Partner: "p1"}
	Reseller = domain.Actor{ID: "rob@r1.example", Role: domain.RoleIndirectReseller, Partner: "r1"}
	Vendor   = domain.Actor{ID: "vera@vendor.example", Role: domain.RoleVendorSupport}
)

// Must returns a check that fails t on a command's error and otherwise
// returns its result: must(t)(svc.Open(…)).
func Must(t testing.TB) func(app.Result, error) app.Result {
	return func(r app.Result, err error) app.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

// Onboard registers partner p1 (an indirect provider) and links its
// customer c1 (Contoso, with admin rights), as actor.
func Onboard(t testing.TB, svc *app.Service, actor domain.Actor) {
	t.Helper()
	ctx := context.Background()
	must := Must(t)
	must(svc.RegisterPartner(ctx, app.Command{Actor: actor}, "p1", partner.Registration{Name: "Partner One", Role: domain.RoleIndirectProvider, Email: "support@p1.example"}))
	must(svc.LinkCustomer(ctx, app.Command{Actor: actor}, "p1", partner.Link{CustomerID: "c1", Name: "Contoso", Domain: "contoso.example", AdminRights: true}))
}

// OnboardReseller registers reseller r1 under provider p1 (as Provider) and
// links its customer c7 (Fabrikam, as Reseller), after Onboard. It returns
// OpenRequest as the reseller files it for c7.
func OnboardReseller(t testing.TB, svc *app.Service) app.OpenTicket {
	t.Helper()
	ctx := context.Background()
	must := Must(t)
	must(svc.RegisterPartner(ctx, app.Command{Actor: Provider}, "r1", partner.Registration{Name: "Reseller One", Role: domain.RoleIndirectReseller, ProviderID: "p1", Email: "help@r1.example"}))
	must(svc.LinkCustomer(ctx, app.Command{Actor: Reseller}, "r1", partner.Link{CustomerID: "c7", Name: "Fabrikam", Domain: "fabrikam.example"}))
	req := OpenRequest()
	req.CustomerID = "c7"
	req.Contact = ticket.Contact{Name: "Rob", Email: "rob@r1.example", Organisation: "r1"}
	return req
}

// OpenRequest is the ticket Provider opens for Onboard's customer c1: Azure,
// severity A, "VMs down", filed on the web through Partner Center with
// Alice of p1 as contact, in English (en-US).
func OpenRequest() app.OpenTicket {
	return app.OpenTicket{OpenRequest: ticket.OpenRequest{
		Context: ticket.ContextCustomer, CustomerID: "c1", Product: ticket.ProductAzure, Severity: domain.SeverityA,
		Title: "VMs down", Channel: ticket.ChannelWeb, Route: ticket.RoutePartnerCenter,
		Contact:  ticket.Contact{Name: "Alice", Email: "alice@p1.example", Organisation: "p1"},
		Language: "en", Locale: "en-US",
	}}
}
