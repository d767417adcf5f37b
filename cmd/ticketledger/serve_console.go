package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// demoConsoleName names the sign-in token serve --demo issues at each
// start for the console (vendor support: sees every ticket and acts).
const demoConsoleName = "console-demo@vendor.example"

// demoConsoleToken issues a vendor-support token for signing in to the
// console of a demo ledger. Its secret is printed once; the ledger keeps
// only its hash, so each start issues a fresh one.
func demoConsoleToken(ctx context.Context, l *ledger.Ledger) (string, error) {
	iss, err := l.Tokens.Issue(ctx, auth.Internal().Actor(), auth.IssueRequest{Role: domain.RoleVendorSupport, Name: demoConsoleName})
	if err != nil {
		return "", fmt.Errorf("--demo: issue the console's sign-in token: %w", err)
	}
	return iss.Secret, nil
}

// printConsole tells a demo's newcomer where the console is and how to
// sign in.
func printConsole(w io.Writer, addr, token string) {
	fmt.Fprintf(w, "console: http://%s/\n  sign in with this token (vendor support, %s): %s\n", addr, demoConsoleName, token)
}
