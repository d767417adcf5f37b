package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	st, clk, reg, toks := newTokens(t)
	path := filepath.Join(t.TempDir(), "data", BootstrapFileName)

	file, secret, created, err := Bootstrap(ctx, toks, path)
	if err != nil || !created || file != path {
		t.Fatalf("first start: %q %v %v", file, created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v", err, fi.Mode())
	}
	got, err := ReadSecretFile(path)
	if err != nil || got != secret {
		t.Fatalf("file holds %q, want the secret: %v", got, err)
	}
	p, err := reg.Lookup(secret)
	if err != nil || p.Role != domain.RoleAdmin || p.Name != "bootstrap" {
		t.Fatalf("bootstrap principal %+v %v", p, err)
	}

	// Issued by the internal principal, and audited as such.
	recs, err := st.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 10, TokenFilter())
	if err != nil || len(recs) != 1 {
		t.Fatalf("token events: %d %v", len(recs), err)
	}
	d, err := codec.Decode(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	if d.Meta.Actor != Internal().Actor() || d.Event.(principal.TokenIssued).IssuedBy != InternalID {
		t.Fatalf("issued by %+v", d.Meta.Actor)
	}

	// A restart with an admin token does nothing; a fresh registry on the
	// same store (a restart) loads it first.
	reg2 := NewRegistry(clk.now)
	if err := reg2.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, _, created, err := Bootstrap(ctx, NewTokens(st, reg2, clk.now), path); err != nil || created {
		t.Fatalf("restart: created %v, %v", created, err)
	}
	// Once the admin token is revoked, the next start makes a new one.
	if err := toks.Revoke(ctx, p.Actor(), p.TokenID, "rotate"); err != nil {
		t.Fatal(err)
	}
	_, secret2, created, err := Bootstrap(ctx, toks, path)
	if err != nil || !created || secret2 == secret {
		t.Fatalf("after revoking the admin: created %v, %v", created, err)
	}
	if got, _ := ReadSecretFile(path); got != secret2 {
		t.Fatal("token file not replaced")
	}
}

func TestProvidedFromEnvAndProvision(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	metricsFile := filepath.Join(dir, "metrics")
	metricsSecret := "c2NyYXBlLXNlY3JldC1mb3ItcHJvbWV0aGV1cy0xMjM0NTY="
	os.WriteFile(metricsFile, []byte(metricsSecret+"\n"), 0o644)
	adminSecret := NewSecret()
	env := map[string]string{EnvAdminToken: adminSecret, EnvMetricsToken + "_FILE": metricsFile}
	provided, err := ProvidedFromEnv(func(k string) string { return env[k] })
	if err != nil || len(provided) != 2 {
		t.Fatalf("%+v %v", provided, err)
	}
	if provided[1].Secret != metricsSecret || provided[1].Source != "TICKETLEDGER_METRICS_TOKEN_FILE" || provided[1].Scope != principal.ScopeMetrics {
		t.Fatalf("metrics token %+v", provided[1])
	}

	_, _, reg, toks := newTokens(t)
	ids, err := Provision(ctx, toks, provided)
	if err != nil || len(ids) != 2 {
		t.Fatalf("first use: %v %v", ids, err)
	}
	m, err := reg.Lookup(metricsSecret)
	if err != nil || m.Role != domain.RoleAuditor || !m.MetricsOnly() {
		t.Fatalf("metrics principal %+v %v", m, err)
	}
	if a, err := reg.Lookup(adminSecret); err != nil || a.Role != domain.RoleAdmin || a.MetricsOnly() {
		t.Fatalf("admin principal %+v %v", a, err)
	}
	if _, _, created, _ := Bootstrap(ctx, toks, filepath.Join(dir, "admin.token")); created {
		t.Fatal("bootstrap made a token although an admin token was handed in")
	}
	// Second start: nothing new is issued.
	if ids, err := Provision(ctx, toks, provided); err != nil || len(ids) != 0 {
		t.Fatalf("second start: %v %v", ids, err)
	}
	if n := len(reg.Tokens()); n != 2 {
		t.Fatalf("%d tokens", n)
	}
	// A revoked handed-in secret is refused, never re-issued.
	if err := toks.Revoke(ctx, adminActor, m.TokenID, "rotated"); err != nil {
		t.Fatal(err)
	}
	if _, err := Provision(ctx, toks, provided); !errors.Is(err, ErrProvidedRevoked) {
		t.Fatalf("revoked hand-in: %v", err)
	}

	for name, env := range map[string]map[string]string{
		"both set":    {EnvAdminToken: adminSecret, EnvAdminToken + "_FILE": metricsFile},
		"too short":   {EnvMetricsToken: "short"},
		"with spaces": {EnvAdminToken: strings.Repeat("a b ", 10)},
		"no file":     {EnvAdminToken + "_FILE": filepath.Join(dir, "missing")},
	} {
		if _, err := ProvidedFromEnv(func(k string) string { return env[k] }); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if p, err := ProvidedFromEnv(func(string) string { return "" }); err != nil || len(p) != 0 {
		t.Fatalf("nothing set: %v %v", p, err)
	}
}

// TestTokensWithSignerSign: with the ledger's key, token events are signed
// like every other event, so the sealer and verify accept them.
func TestTokensWithSignerSign(t *testing.T) {
	ctx := context.Background()
	st, clk, reg, _ := newTokens(t)
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	toks := NewTokens(st, reg, clk.now).WithSigner(key)
	iss, err := toks.Issue(ctx, adminActor, IssueRequest{Role: domain.RoleAuditor, Name: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	if err := toks.Revoke(ctx, adminActor, iss.TokenID, "done"); err != nil {
		t.Fatal(err)
	}
	recs, err := st.ReadStream(ctx, principal.Stream(iss.TokenID), eventstore.Forwards, eventstore.StreamStart(), 10)
	if err != nil || len(recs) != 2 {
		t.Fatalf("token stream: %d events, %v", len(recs), err)
	}
	for _, rec := range recs {
		if err := codec.VerifySignature(rec, integrity.TrustedKeys(key.Public())); err != nil {
			t.Fatalf("%s@%d: %v", rec.StreamID, rec.Revision, err)
		}
	}
	if err := codec.Verify(recs); err != nil {
		t.Fatal(err)
	}
}
