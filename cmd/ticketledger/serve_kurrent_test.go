package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/store/kurrent"
)

// issueTokens issues a token per principal kind on the ledger in dir and
// returns their "id:secret".
func issueTokens(t *testing.T, dir string) map[string]string {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledger.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tokens := auth.NewTokens(l.Pebble, auth.NewRegistry(nil), nil)
	out := map[string]string{}
	for name, req := range map[string]auth.IssueRequest{
		"replica":  {Role: domain.RoleAdmin, Scope: principal.ScopeReplica, Name: "replica"},
		"auditor":  {Role: domain.RoleAuditor},
		"reseller": {Role: domain.RoleIndirectReseller, Partner: "contoso"},
	} {
		iss, err := tokens.Issue(ctx, auth.Internal().Actor(), req)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = iss.TokenID + ":" + iss.Secret
	}
	return out
}

// kurrentLogRe finds, in serve's text or JSON log, the connection string
// of its KurrentDB endpoint (--kurrent-listen), with TOKEN_ID:SECRET in
// place of the credentials.
var kurrentLogRe = regexp.MustCompile(`kurrent"?[=:]"?(esdb://[^"\s]+)`)

// kurrentEndpoint is the connection string of the KurrentDB endpoint serve
// logged in logs, with the credentials of token ("": none).
func kurrentEndpoint(t *testing.T, logs *syncBuffer, token string) string {
	t.Helper()
	m := kurrentLogRe.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no kurrent address logged:\n%s", logs)
	}
	if token == "" {
		return strings.Replace(m[1], "TOKEN_ID:SECRET@", "", 1)
	}
	return strings.Replace(m[1], "TOKEN_ID:SECRET", token, 1)
}

// dialEndpoint connects with the credentials of token to the KurrentDB
// endpoint serve logged in logs, for as long as the test runs.
func dialEndpoint(t *testing.T, ctx context.Context, logs *syncBuffer, token string) *kurrent.Store {
	t.Helper()
	s, err := kurrent.Dial(ctx, kurrentEndpoint(t, logs, token))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The replica itself is TestServeOnKurrentWire. An auditor reads the
// ledger through the endpoint and may not write; without credentials, or
// with a partner's token, another serve does not start on it.
func TestServeKurrentAccess(t *testing.T) {
	dir := t.TempDir()
	creds := issueTokens(t, dir)
	_, _, logs := startServe(t, "--data", dir, "--kurrent-listen", "127.0.0.1:0", "--kurrent-writable", "--log-format", "json")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	auditor := dialEndpoint(t, ctx, logs, creds["auditor"])
	evs, err := auditor.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 100, auth.TokenFilter())
	// The tokens issued above, the admin token startServe hands in and
	// the auditor token it issues for get.
	if err != nil || len(evs) != len(creds)+2 {
		t.Fatalf("the token events through the endpoint: %d, %v; want %d", len(evs), err, len(creds)+2)
	}
	if _, err := auditor.Tombstone(ctx, evs[0].StreamID, eventstore.Any()); err == nil || !strings.Contains(err.Error(), "PermissionDenied") {
		t.Fatalf("auditor tombstones %s: %v, want PermissionDenied", evs[0].StreamID, err)
	}

	for who, want := range map[string]string{"": "credentials required", "reseller": "no tenancy filter"} {
		r := runCLI(t, "serve", "--store", kurrentEndpoint(t, logs, creds[who]), "--http", "127.0.0.1:0", "--snapshots", t.TempDir())
		if r.code != 1 || !strings.Contains(r.err, want) {
			t.Fatalf("serve --store as %q: %+v, want exit 1 saying %q", who, r, want)
		}
	}
}

func TestServeKurrentFlags(t *testing.T) {
	clearEnv(t)
	t.Setenv(integrity.KeyEnv, testSigningKeyPEM)
	r := runCLI(t, "serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--kurrent-listen", "0.0.0.0:0")
	if r.code != 1 || !strings.Contains(r.err, "not a loopback address") || !strings.Contains(r.err, "--kurrent-tls-cert FILE --kurrent-tls-key FILE") {
		t.Fatalf("--kurrent-listen off loopback without TLS: %+v", r)
	}
	r = runCLI(t, "serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--kurrent-listen", "127.0.0.1:0", "--kurrent-tls-cert", "cert.pem")
	if r.code != 2 || !strings.Contains(r.err, "go together") {
		t.Fatalf("--kurrent-tls-cert alone: %+v", r)
	}
	r = runCLI(t, "serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--kurrent-writable")
	if r.code != 2 || !strings.Contains(r.err, "add --kurrent-listen") {
		t.Fatalf("--kurrent-writable without --kurrent-listen: %+v", r)
	}
}

// TestForgedAppendThroughTheWireEndpoint: what the issue saw pass verify —
// an event appended through serve's KurrentDB endpoint with the official
// client, with legitimate-looking metadata and a correct per-stream chain —
// is flagged by the running sealer and reported by verify as forged (no
// signature), at its stream and revision.
func TestForgedAppendThroughTheWireEndpoint(t *testing.T) {
	_, dir := demoDataDir(t, 5)
	creds := issueTokens(t, dir)
	_, stop, logs := startServe(t, "--data", dir, "--signing-key", integrity.DemoKeyPath(dir),
		"--kurrent-listen", "127.0.0.1:0", "--kurrent-writable", "--log-format", "json")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wire := dialEndpoint(t, ctx, logs, creds["replica"])
	// A backdated "met" first response, chained to the stream's last hash,
	// with the metadata a vendor engineer's command would carry.
	stream, rev := forgeNext(t, ctx, wire, nil, func(prev domain.Recorded) (domain.Event, domain.Meta) {
		at := prev.Meta.OccurredAt.Add(time.Minute)
		meta := prev.Meta
		meta.EventID, meta.OccurredAt, meta.RecordedAt = uuid.New(), at, at
		meta.Actor = domain.Actor{ID: "eng1@vendor.example", Role: domain.RoleVendorSupport, Auth: domain.AuthToken}
		return ticket.FirstResponseRecorded{Responder: "eng1@vendor.example", RespondedAt: at, Met: true}, meta
	})
	forged := stream + "@" + strconv.FormatUint(rev, 10)
	// The running sealer checks the signature before it seals the event.
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logs.String(), "unsigned "+forged) {
		if time.Now().After(deadline) {
			t.Fatalf("the sealer did not flag %s:\n%s", forged, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	// The seal records what the sealer found: verify reports it from the
	// seal, and, rechecking every signature, finds it itself.
	r := runCLI(t, "verify", "--data", dir)
	if r.code != 1 || !regexp.MustCompile(`PROBLEM flagged-by-seal: leaf \d+ `+regexp.QuoteMeta(forged)+` [-0-9a-f]+: unsigned: forged`).MatchString(r.out) {
		t.Fatalf("verify after a forged append through the endpoint: %+v", r)
	}
	if r = runCLI(t, "verify", "--data", dir, "--all-signatures"); r.code != 1 || !strings.Contains(r.out, "PROBLEM unsigned "+forged) {
		t.Fatalf("verify --all-signatures after a forged append through the endpoint: %+v", r)
	}
}
