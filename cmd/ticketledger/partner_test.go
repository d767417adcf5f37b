package main

import (
	"encoding/json"
	"testing"

	"github.com/ticketledger/ticketledger/infra/http/server"
)

func TestPartner(t *testing.T) {
	e := newPartnerEnv(t)
	reseller := []string{"--proxy-actor", "rita@resell.example", "--proxy-role", "indirect_reseller", "--proxy-partner", "resell"}

	e.ok(with(provider, "partner", "register", "resell", "--name", "Resell", "--partner-role", "indirect_reseller", "--provider", "contoso", "--email", "help@resell.example")...)
	e.ok(with(reseller, "partner", "link-customer", "resell", "--customer", "tailspin", "--name", "Tailspin", "--domain", "tailspin.example")...)
	out := e.ok(with(support, "partner", "support-plan", "contoso", "--plan-id", "P1", "--kind", "asfp", "--reference", "ASFP-1", "--valid-from", "now-30d")...)
	contains(t, out, "accepted", "partner.support_plan_recorded")

	// With ASfP recorded, Dynamics 365 is accepted.
	e.ok(openArgs("--product", "dynamics365")...)
	e.ok(with(support, "partner", "end-plan", "contoso", "--plan-id", "P1", "--reason", "contract ended")...)

	// Reseller Azure access: refused without the grant, accepted with it.
	resellerOpen := with(reseller, "open", "--customer", "tailspin", "--product", "azure", "--severity", "B", "--title", "Portal errors",
		"--contact-name", "Rita", "--contact-email", "rita@resell.example", "--locale", "en-US")
	e.fails(6, "reseller-azure-needs-grant", resellerOpen...)
	out = e.ok(with(provider, "partner", "grant-access", "resell", "--customer", "tailspin")...)
	contains(t, out, "partner.reseller_access_granted")
	e.ok(resellerOpen...)
	e.ok(with(provider, "partner", "revoke-access", "resell", "--customer", "tailspin", "--reason", "left")...)
	e.fails(6, "reseller-azure-needs-grant", resellerOpen...)

	// show: table, JSON, CSV; unknown partner is not found.
	contains(t, e.ok(with(auditor, "partner", "show", "resell")...), "indirect_reseller", "contoso", "help@resell.example")
	var pv server.PartnerView
	if err := json.Unmarshal([]byte(e.ok(with(auditor, "partner", "show", "resell", "-o", "json")...)), &pv); err != nil || pv.ProviderID != "contoso" {
		t.Fatalf("json: %v %+v", err, pv)
	}
	recs := readCSV(t, e.ok(with(auditor, "partner", "show", "contoso", "-o", "csv")...))
	if len(recs) != 2 || recs[0][0] != "id" || recs[1][0] != "contoso" {
		t.Fatalf("csv: %v", recs)
	}
	e.fails(4, "partner-not-found", with(auditor, "partner", "show", "nobody")...)
	e.fails(2, "--plan-id", with(support, "partner", "end-plan", "contoso")...)
}
