package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// demoLogins are the sign-in tokens serve --demo issues at each start for
// the console: vendor support (sees every ticket, answers them) and a
// reseller (files requests, sees only its own tickets).
var demoLogins = []auth.IssueRequest{
	{Role: domain.RoleVendorSupport, Name: "console-demo@vendor.example"},
	{Role: domain.RoleIndirectReseller, Partner: "thames-digital", Name: "console-demo@thames-digital.example"},
}

// demoLogin is one issued console token.
type demoLogin struct {
	auth.IssueRequest
	Secret string
}

// demoConsoleTokens issues the demo's console tokens. Their secrets are
// printed once; the ledger keeps only their hashes, so each start issues
// fresh ones.
func demoConsoleTokens(ctx context.Context, l *ledger.Ledger) ([]demoLogin, error) {
	var out []demoLogin
	for _, req := range demoLogins {
		iss, err := l.Tokens.Issue(ctx, auth.Internal().Actor(), req)
		if err != nil {
			return nil, fmt.Errorf("--demo: issue the console's sign-in token for %s: %w", req.Name, err)
		}
		out = append(out, demoLogin{IssueRequest: req, Secret: iss.Secret})
	}
	return out, nil
}

// printConsole tells a demo's newcomer where the console is and how to
// sign in.
func printConsole(w io.Writer, addr string, logins []demoLogin) {
	fmt.Fprintf(w, "console: http://%s/ — sign in with one of these tokens:\n", addr)
	for _, d := range logins {
		who := string(d.Role)
		if d.Partner != "" {
			who += " of " + d.Partner
		}
		fmt.Fprintf(w, "  %-40s %s\n", who+":", d.Secret)
	}
}
