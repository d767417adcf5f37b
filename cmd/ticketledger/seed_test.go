package main

// The partners, customers and requests the command tests file.

import (
	"context"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/http/client"
)

// onboarding is the admin command that registers partners in the tests.
var onboarding = app.Command{Actor: domain.Actor{ID: "onboarding", Role: domain.RoleAdmin}}

// partnerReg registers contoso, an indirect provider.
func partnerReg() partner.Registration {
	return partner.Registration{Name: "Contoso", Role: domain.RoleIndirectProvider, Email: "support@contoso.example"}
}

// customerLink links fabrikam to its partner.
func customerLink() partner.Link {
	return partner.Link{CustomerID: "fabrikam", Name: "Fabrikam", Domain: "fabrikam.example", AdminRights: true}
}

// onboardP1 registers provider p1 serving customer c1 through target a.
func onboardP1(t *testing.T, a *client.Target) {
	t.Helper()
	ctx := context.Background()
	if _, err := a.RegisterPartner(ctx, onboarding, "p1", partner.Registration{Name: "Partner One", Role: domain.RoleIndirectProvider, Email: "s@p1.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.LinkCustomer(ctx, onboarding, "p1", partner.Link{CustomerID: "c1", Name: "Contoso", Domain: "contoso.example", AdminRights: true}); err != nil {
		t.Fatal(err)
	}
}

// ann is an agent of provider p1.
var ann = domain.Actor{ID: "ann@p1.example", Role: domain.RoleIndirectProvider, Partner: "p1"}

// annOpens is Ann's request (partner p1, for customer c1) titled title.
func annOpens(title string) app.OpenTicket {
	return app.OpenTicket{OpenRequest: ticket.OpenRequest{
		Context: ticket.ContextCustomer, CustomerID: "c1", Product: ticket.ProductAzure, Severity: domain.SeverityB,
		Title: title, Channel: ticket.ChannelWeb, Route: ticket.RoutePartnerCenter, Language: "en", Locale: "en-GB",
		Contact: ticket.Contact{Name: "Ann", Email: "ann@p1.example", Organisation: "p1"}}}
}

// annOpen opens Ann's request titled title through target a.
func annOpen(t *testing.T, a *client.Target, title string) app.Result {
	t.Helper()
	open, err := a.Open(context.Background(), app.Command{Actor: ann, OnBehalfOf: "c1"}, annOpens(title))
	if err != nil {
		t.Fatal(err)
	}
	return open
}
