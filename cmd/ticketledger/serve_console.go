package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/http/console"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// consoleFlags configure the console's cookies and its OIDC sign-in.
type consoleFlags struct {
	secure           bool
	clientID         string
	clientSecretFile string
	redirectURL      string
	scopes           []string
}

func (f *consoleFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.BoolVar(&f.secure, "console-secure-cookies", false, "mark the console's cookies Secure: set it when a TLS-terminating proxy serves the console over HTTPS")
	fl.StringVar(&f.clientID, "console-oidc-client-id", "", "the console's client id at the --oidc-issuer: offers sign-in with the identity provider (authorization code with PKCE)")
	fl.StringVar(&f.clientSecretFile, "console-oidc-client-secret-file", "", "file holding the console's client secret (none: a public client, protected by PKCE)")
	fl.StringVar(&f.redirectURL, "console-oidc-redirect-url", "", "the console's callback as registered with the provider: https://HOST/signin/oidc/callback")
	fl.StringSliceVar(&f.scopes, "console-oidc-scopes", nil, "scopes to ask for beyond openid, e.g. profile,ledger")
}

// apply sets the console's part of the API's access settings.
func (f *consoleFlags) apply(c *cobra.Command, issuer string, acc *ledger.Access) error {
	acc.ConsoleSecure = f.secure
	if f.clientID == "" {
		if f.redirectURL != "" || f.clientSecretFile != "" || len(f.scopes) > 0 {
			return usagef(c, "--console-oidc-redirect-url, --console-oidc-client-secret-file and --console-oidc-scopes need --console-oidc-client-id")
		}
		return nil
	}
	if issuer == "" {
		return usagef(c, "--console-oidc-client-id needs --oidc-issuer (and --oidc-audience): the API must accept the provider's tokens too")
	}
	if f.redirectURL == "" {
		return usagef(c, "--console-oidc-client-id needs --console-oidc-redirect-url, e.g. https://ledger.example/signin/oidc/callback")
	}
	cfg := console.OIDCConfig{Issuer: issuer, ClientID: f.clientID, RedirectURL: f.redirectURL, Scopes: f.scopes}
	if f.clientSecretFile != "" {
		b, err := os.ReadFile(f.clientSecretFile)
		if err != nil {
			return fmt.Errorf("--console-oidc-client-secret-file: %w", err)
		}
		cfg.ClientSecret = strings.TrimSpace(string(b))
	}
	ctx, cancel := context.WithTimeout(c.Context(), 15*time.Second)
	defer cancel()
	o, err := console.NewOIDC(ctx, cfg)
	if err != nil {
		return err
	}
	acc.ConsoleOIDC = o
	return nil
}
