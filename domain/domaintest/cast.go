package domaintest

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// T0 is a Monday, 09:00 UTC: the instant the domain tests' tickets and
// partners are filed at.
var T0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// The cast of the domain tests: one principal of each role. Provider
// (partner "prov") sells through Reseller ("resl"); OtherProvider
// ("other") is a partner unrelated to both.
var (
	System        = domain.Actor{ID: "ledger", Role: domain.RoleSystem, Auth: domain.AuthInternal}
	Admin         = domain.Actor{ID: "ops@vendor.example", Role: domain.RoleAdmin, Auth: domain.AuthToken}
	Provider      = domain.Actor{ID: "ann@prov.example", Role: domain.RoleIndirectProvider, Partner: "prov"}
	Reseller      = domain.Actor{ID: "rita@resl.example", Role: domain.RoleIndirectReseller, Partner: "resl"}
	OtherProvider = domain.Actor{ID: "olle@other.example", Role: domain.RoleIndirectProvider, Partner: "other"}
	Vendor        = domain.Actor{ID: "eng1", Role: domain.RoleVendorSupport}
	Auditor       = domain.Actor{ID: "aud1", Role: domain.RoleAuditor}
)
