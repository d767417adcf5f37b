package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// access builds the API's authentication settings from the flags.
func (s *serveCmd) access(c *cobra.Command) (ledger.Access, error) {
	acc := ledger.Access{MetricsPublic: s.metricsPublic}
	if err := s.console.apply(c, s.oidcIssuer, &acc); err != nil {
		return acc, err
	}
	if len(s.trustProxy) > 0 {
		ps, err := auth.ParsePrefixes(s.trustProxy)
		if err != nil {
			return acc, usagef(c, "--trust-proxy: %v", err)
		}
		acc.TrustProxy = ps
	}
	if s.oidcIssuer == "" {
		if s.oidcAudience != "" || len(s.oidcRoleMap) > 0 {
			return acc, usagef(c, "--oidc-audience and --oidc-role-map need --oidc-issuer")
		}
		return acc, nil
	}
	if s.oidcAudience == "" {
		return acc, usagef(c, "--oidc-issuer needs --oidc-audience: the audience (aud) the issuer puts in tokens for this ledger")
	}
	cfg := auth.OIDCConfig{Issuer: s.oidcIssuer, Audience: s.oidcAudience, RoleClaim: s.oidcRoleClaim, PartnerClaim: s.oidcPartner}
	for _, kv := range s.oidcRoleMap {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return acc, usagef(c, "--oidc-role-map %q: want claim-value=role, e.g. ops=admin", kv)
		}
		if cfg.RoleMap == nil {
			cfg.RoleMap = map[string]domain.Role{}
		}
		cfg.RoleMap[k] = domain.Role(v)
	}
	ctx, cancel := context.WithTimeout(c.Context(), 15*time.Second)
	defer cancel()
	o, err := auth.NewOIDC(ctx, cfg)
	if err != nil {
		return acc, fmt.Errorf("%w (check --oidc-issuer is reachable and serves /.well-known/openid-configuration)", err)
	}
	acc.OIDC = o
	return acc, nil
}

// tokenFile is where the bootstrap admin token goes: --token-dir, else the
// data directory (embedded store), else --snapshots (KurrentDB).
func (s *serveCmd) tokenFile() (string, error) {
	dir := s.tokenDir
	switch {
	case dir != "":
	case s.store.store == "":
		dir = s.store.data
	case s.store.snapshots != "":
		dir = s.store.snapshots
	default:
		return "", nil
	}
	return filepath.Join(dir, auth.BootstrapFileName), nil
}

// provisionTokens registers the handed-in tokens, then bootstraps an admin
// token when none is active. It returns the bootstrap secret when it made
// one (for --demo to print).
func (s *serveCmd) provisionTokens(ctx context.Context, c *cobra.Command, l *ledger.Ledger, log *slog.Logger) (string, error) {
	provided, err := auth.ProvidedFromEnv(os.Getenv)
	if err != nil {
		return "", err
	}
	ids, err := auth.Provision(ctx, l.Tokens, provided)
	if err != nil {
		return "", err
	}
	for _, p := range provided {
		log.Info("handed-in token", "name", p.Name, "from", p.Source)
	}
	if len(ids) > 0 {
		log.Info("registered handed-in tokens", "tokens", strings.Join(ids, ","))
	}
	if l.Tokens.Registry().HasAdmin() {
		return "", nil
	}
	path, err := s.tokenFile()
	if err != nil {
		return "", err
	}
	if path == "" {
		return "", usagef(c, "no admin token yet and nowhere to write one: on KurrentDB pass --token-dir DIR (or --snapshots DIR), or hand one in with %s or %s_FILE", auth.EnvAdminToken, auth.EnvAdminToken)
	}
	file, secret, created, err := auth.Bootstrap(ctx, l.Tokens, path)
	if err != nil {
		return "", err
	}
	if !created {
		return "", nil
	}
	log.Info("created the first admin token", "file", file)
	fmt.Fprintf(c.ErrOrStderr(), "admin token written to %s (mode 0600): ticketledger --token-file %s tokens create ...\n", file, file)
	return secret, nil
}
