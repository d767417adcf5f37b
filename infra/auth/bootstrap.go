package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
)

// BootstrapFileName is the usual name of the bootstrap admin token's file
// in the data directory.
const BootstrapFileName = "admin.token"

// Bootstrap makes sure an admin can reach a new ledger. When the registry
// (loaded first) holds no active admin token, it issues one as the internal
// principal, named "bootstrap", writes its secret to path with mode 0600
// (replacing any old file there) and returns the path and the secret;
// created is true. Otherwise it does nothing and returns created false.
// Several replicas starting at once on an empty store may each issue one:
// every issuance is an audited event, and each replica's file holds a
// working token.
func Bootstrap(ctx context.Context, tokens *Tokens, path string) (file, secret string, created bool, err error) {
	if tokens.reg.HasAdmin() {
		return "", "", false, nil
	}
	iss, err := tokens.Issue(ctx, Internal().Actor(), IssueRequest{Role: domain.RoleAdmin, Name: "bootstrap"})
	if err != nil {
		return "", "", false, fmt.Errorf("bootstrap admin token: %w", err)
	}
	if err := writeSecretFile(path, iss.Secret); err != nil {
		return "", "", false, fmt.Errorf("bootstrap admin token %s issued, but: %w", iss.TokenID, err)
	}
	return path, iss.Secret, true, nil
}

// writeSecretFile writes secret and a newline to path, readable by its
// owner only, atomically (a temporary file in the same directory, renamed).
func writeSecretFile(path, secret string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, ".token-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadSecretFile reads a token secret from a file (the CLI's --token-file,
// a compose secret): the file's content without surrounding white space.
func ReadSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read token file: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("read token file %s: it is empty", path)
	}
	return s, nil
}

// Environment variables a deployment hands secrets in with. Each has a
// _FILE twin naming a file that holds the secret (a compose or Kubernetes
// secret); setting both is an error.
const (
	// EnvAdminToken: a bootstrap admin token (instead of the generated
	// one written to the data directory).
	EnvAdminToken = "TICKETLEDGER_ADMIN_TOKEN"
	// EnvMetricsToken: the token Prometheus scrapes /metrics with (its
	// scrape config's authorization credentials). It becomes an auditor
	// token with scope metrics: it reads the metrics and nothing else.
	EnvMetricsToken = "TICKETLEDGER_METRICS_TOKEN"
)

// Provided is a secret handed in by the deployment, with what it is for.
type Provided struct {
	Source string // where it came from, for messages ("TICKETLEDGER_METRICS_TOKEN_FILE")
	Name   string // the token's name: "bootstrap-admin" or "metrics"
	Role   domain.Role
	Scope  principal.Scope
	Secret string
}

// ProvidedFromEnv reads the handed-in secrets of EnvAdminToken and
// EnvMetricsToken (or their _FILE twins) through getenv (os.Getenv in
// production). Unset variables are skipped.
func ProvidedFromEnv(getenv func(string) string) ([]Provided, error) {
	var out []Provided
	for _, v := range []struct {
		env, name string
		role      domain.Role
		scope     principal.Scope
	}{
		{EnvAdminToken, "bootstrap-admin", domain.RoleAdmin, principal.ScopeFull},
		{EnvMetricsToken, "metrics", domain.RoleAuditor, principal.ScopeMetrics},
	} {
		val, file := getenv(v.env), getenv(v.env+"_FILE")
		src := v.env
		switch {
		case val != "" && file != "":
			return nil, fmt.Errorf("both %s and %s_FILE are set: set one", v.env, v.env)
		case file != "":
			s, err := ReadSecretFile(file)
			if err != nil {
				return nil, fmt.Errorf("%s_FILE: %w", v.env, err)
			}
			val, src = s, v.env+"_FILE"
		case val == "":
			continue
		}
		val = strings.TrimSpace(val)
		if err := checkHandedIn(src, val); err != nil {
			return nil, err
		}
		out = append(out, Provided{Source: src, Name: v.name, Role: v.role, Scope: v.scope, Secret: val})
	}
	return out, nil
}

// ErrProvidedRevoked is wrapped by Provision's error for a handed-in
// secret whose token was revoked: the deployment must hand in a new one.
var ErrProvidedRevoked = errors.New("the handed-in token was revoked")

// Provision registers handed-in secrets: each one the registry (loaded
// first) does not know yet is issued as the internal principal, so that it
// is audited like any other token; one already issued is left alone. It
// returns the ids of the tokens it issued.
func Provision(ctx context.Context, tokens *Tokens, provided []Provided) ([]string, error) {
	var issued []string
	for _, p := range provided {
		known, revoked, id := tokens.reg.known(sum(p.Secret))
		switch {
		case known && revoked:
			return issued, fmt.Errorf("%s: %w (token %s): hand in a new secret", p.Source, ErrProvidedRevoked, id)
		case known:
			continue
		}
		iss, err := tokens.Issue(ctx, Internal().Actor(), IssueRequest{Role: p.Role, Name: p.Name, Scope: p.Scope, Secret: p.Secret})
		if err != nil {
			return issued, fmt.Errorf("%s: %w", p.Source, err)
		}
		issued = append(issued, iss.TokenID)
	}
	return issued, nil
}
