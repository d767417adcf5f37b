// Package apptest holds what tests of the command side share: a result
// check and the onboarding every ticket test starts from.
package apptest

import (
	"context"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/infra/app"
)

// The cast of Onboard's partner: an agent of provider p1, and vendor
// support.
var (
	Provider = domain.Actor{ID: "alice@p1.example", Role: domain.RoleIndirectProvider, Partner: "p1"}
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
