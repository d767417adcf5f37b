package main

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

// newTokensCmd is `tokens create|list|revoke`: the admin-only /v1/tokens
// routes.
func newTokensCmd(g *globals) *cobra.Command {
	return commandGroup("tokens", "Ledger tokens (admin only): create, list, revoke",
		`Ledger tokens authenticate API callers ("Authorization: Bearer <token>").
Only an admin manages them; the first serve writes an admin token to
<data>/admin.token. Issuing and revoking are events in the ledger; a revoked
token stops working at once.`,
		newTokensCreateCmd(g), newTokensListCmd(g), newTokensRevokeCmd(g))
}

func newTokensCreateCmd(g *globals) *cobra.Command {
	var b server.IssueTokenBody
	var expires, out string
	c := &cobra.Command{
		Use:   "create",
		Short: "Issue a token; prints its secret once (store it: the ledger keeps only a hash)",
		Example: `  ticketledger --token-file data/admin.token tokens create --role indirect_provider --partner contoso --name alice@contoso.example --out alice.token
  ticketledger --token-file data/admin.token tokens create --role auditor --name prometheus --scope metrics --expires 90d`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if b.Role == "" {
				return usagef(c, "--role is required: %s", tokenRoles)
			}
			if expires != "" {
				t, err := parseExpiry(expires, time.Now)
				if err != nil {
					return usagef(c, "--expires: %v", err)
				}
				b.ExpiresAt = &server.Timestamp{Time: t}
			}
			res, f, err := postAs[server.IssuedToken](c, g, "/v1/tokens", b)
			if err != nil {
				return err
			}
			if out != "" {
				if err := writeTokenFile(out, res.Secret); err != nil {
					return err
				}
				fmt.Fprintf(c.ErrOrStderr(), "token %s (%s) written to %s (mode 0600)\n", res.TokenID, res.ActorID, out)
				if f != render.JSON {
					return nil
				}
			}
			if f == render.Table {
				fmt.Fprintf(c.OutOrStdout(), "%s\n", res.Secret)
				fmt.Fprintf(c.ErrOrStderr(), "token %s acts as %s (role %s); the secret above is shown once\n", res.TokenID, res.ActorID, res.Role)
				return nil
			}
			return render.Write(c.OutOrStdout(), f, res, tokenRows([]server.TokenView{res.TokenView}))
		},
	}
	fl := c.Flags()
	fl.StringVar(&b.Role, "role", "", "the holder's role: "+tokenRoles+" (required)")
	fl.StringVar(&b.Partner, "partner", "", "the holder's partner organisation (partner roles)")
	fl.StringVar(&b.Name, "name", "", "who holds it, e.g. alice@contoso.example (recorded as <name>#<tokenId>)")
	fl.StringVar(&b.Scope, "scope", "", `"metrics" for a scrape-only auditor token, "replica" for an admin token another ledger uses as its store (serve --store esdb://…)`)
	fl.StringVar(&expires, "expires", "", "expiry: a time (RFC 3339, YYYY-MM-DD) or a duration from now (90d, 12h); default never")
	fl.StringVar(&out, "out", "", "write the secret to this file (mode 0600) instead of printing it")
	return c
}

// parseExpiry takes a duration from now ("90d", "12h") or an instant.
func parseExpiry(s string, now func() time.Time) (time.Time, error) {
	if d, err := parseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("%q: want a positive duration", s)
		}
		return now().UTC().Add(d), nil
	}
	return parseTime(s, now)
}

func newTokensListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List tokens (no secrets)", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			res, f, err := getAs[server.TokenList](c, g, "/v1/tokens", nil)
			if err != nil {
				return err
			}
			return render.Write(c.OutOrStdout(), f, res, tokenRows(res.Tokens))
		},
	}
}

func tokenRows(ts []server.TokenView) render.Rows {
	rows := render.Rows{Header: []string{"TOKEN", "ACTOR", "ROLE", "PARTNER", "SCOPE", "ISSUED", "EXPIRES", "STATE"}}
	for _, t := range ts {
		exp, state := "never", "active"
		if !t.ExpiresAt.IsZero() {
			exp = t.ExpiresAt.UTC().Format(time.RFC3339)
		}
		switch {
		case t.Revoked:
			state = "revoked"
		case t.Expired:
			state = "expired"
		}
		scope := t.Scope
		if scope == "" {
			scope = "full"
		}
		rows.Add(t.TokenID, t.ActorID, t.Role, t.Partner, scope, t.IssuedAt.UTC().Format(time.RFC3339), exp, state)
	}
	return rows
}

func newTokensRevokeCmd(g *globals) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use: "revoke TOKEN-ID", Short: "Revoke a token: it stops authenticating at once",
		Example: `  ticketledger tokens revoke 3f2a… --reason "left the company"`,
		Args:    exactArgs("TOKEN-ID"),
		RunE: func(c *cobra.Command, args []string) error {
			var res server.RevokedToken
			if err := g.client().Post(c.Context(), "/v1/tokens/"+url.PathEscape(args[0])+"/revocation", server.RevokeTokenBody{Reason: reason}, &res); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "revoked %s\n", res.TokenID)
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why (recorded in the revocation event)")
	return c
}

// writeTokenFile writes a secret to path, readable by its owner only.
// Anything but a regular file (a device such as /dev/null, a pipe, a
// socket) is refused before it is opened: its mode is not the token's to
// change.
func writeTokenFile(path, secret string) error {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("--out %s is not a regular file (%s): name a new or existing file for the secret", path, fi.Mode().Type())
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("--out: %w", err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("--out: %w", err)
	}
	return f.Close()
}
