package kurrentwire_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/kurrentwire/kurrentwiretest"
)

// guarded is a TLS wire endpoint with Access over the embedded store, and
// the esdb user:pass of a token per kind of principal.
type guarded struct {
	addr, ca string
	creds    map[string]string // "admin", "auditor", "replica", "reseller", "vendor", "metrics"
}

func serveGuarded(t *testing.T, writable bool) guarded {
	t.Helper()
	store := newStore(t)
	reg := auth.NewRegistry(nil)
	tokens := auth.NewTokens(store, reg, nil)
	g := guarded{creds: map[string]string{}}
	for name, req := range map[string]auth.IssueRequest{
		"admin":    {Role: domain.RoleAdmin},
		"auditor":  {Role: domain.RoleAuditor},
		"replica":  {Role: domain.RoleAdmin, Scope: principal.ScopeReplica, Name: "replica"},
		"reseller": {Role: domain.RoleIndirectReseller, Partner: "contoso"},
		"vendor":   {Role: domain.RoleVendorSupport},
		"metrics":  {Role: domain.RoleAuditor, Scope: principal.ScopeMetrics},
	} {
		iss, err := tokens.Issue(testCtx(t), auth.Internal().Actor(), req)
		if err != nil {
			t.Fatalf("issue %s token: %v", name, err)
		}
		g.creds[name] = iss.TokenID + ":" + iss.Secret
	}
	a := auth.New(auth.Config{Tokens: reg, FailureBurst: 3, Logger: slog.New(slog.DiscardHandler)})
	certFile, keyFile := kurrentwiretest.SelfSigned(t)
	g.ca = certFile
	g.addr, _ = startServer(t, store, kurrentwire.Options{
		Access:      &kurrentwire.Access{Authenticate: kurrentwire.Basic(a), Writable: writable},
		GRPCOptions: kurrentwiretest.TLSOptions(t, certFile, keyFile),
	})
	return g
}

// client dials the endpoint with the official client over TLS; userinfo is
// "user:pass" or "" for none.
func (g guarded) client(t *testing.T, userinfo string) *esdb.Client {
	t.Helper()
	if userinfo != "" {
		userinfo += "@"
	}
	return dialURL(t, fmt.Sprintf("esdb://%s%s?tlsCAFile=%s", userinfo, g.addr, g.ca))
}

func readErr(t *testing.T, c *esdb.Client, stream string) error {
	t.Helper()
	_, err := drain(c.ReadStream(testCtx(t), stream, esdb.ReadStreamOptions{}, 10))
	return err
}

func appendErr(t *testing.T, c *esdb.Client, stream string) error {
	t.Helper()
	_, err := c.AppendToStream(testCtx(t), stream, esdb.AppendToStreamOptions{}, jsonEvent("t.x", 0))
	return err
}

func wantCode(t *testing.T, what string, err error, want esdb.ErrorCode, text string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want error code %d", what, want)
	}
	if got := errCode(err); got != want {
		t.Fatalf("%s: error %v (code %d), want code %d", what, err, got, want)
	}
	if !strings.Contains(err.Error(), text) {
		t.Fatalf("%s: error %q does not say %q", what, err, text)
	}
}

func TestAccessAuthentication(t *testing.T) {
	g := serveGuarded(t, true)

	// The official client connects (ServerFeatures is open) but every
	// call without credentials is Unauthenticated.
	anon := g.client(t, "")
	wantCode(t, "anonymous read", readErr(t, anon, "scratch-1"), esdb.ErrorCodeUnauthenticated, "credentials required")
	wantCode(t, "anonymous append", appendErr(t, anon, "scratch-1"), esdb.ErrorCodeUnauthenticated, "esdb://USER:PASSWORD@")
	_, err := drain(anon.ReadAll(testCtx(t), esdb.ReadAllOptions{}, 10))
	wantCode(t, "anonymous $all read", err, esdb.ErrorCodeUnauthenticated, "credentials required")

	// A wrong secret, then the source is rate-limited.
	user, _, _ := strings.Cut(g.creds["auditor"], ":")
	bad := g.client(t, user+":tl_wrong")
	for i := range 3 {
		wantCode(t, fmt.Sprintf("wrong secret #%d", i+1), readErr(t, bad, "scratch-1"), esdb.ErrorCodeUnauthenticated, "not valid")
	}
	err = readErr(t, bad, "scratch-1")
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "retry after") {
		t.Fatalf("4th wrong secret: %v (code %v), want ResourceExhausted with a retry-after", err, status.Code(err))
	}
	// The limit is per source: the valid token is refused too until the
	// bucket refills (a rate-limited source is refused before checking).
	if err := readErr(t, g.client(t, g.creds["auditor"]), "scratch-1"); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("valid token from a rate-limited source: %v, want ResourceExhausted", err)
	}
}

func TestAccessReaders(t *testing.T) {
	g := serveGuarded(t, true)
	for _, who := range []string{"auditor", "admin", "replica"} {
		c := g.client(t, g.creds[who])
		// The token streams exist (the tokens were issued on this store).
		evs, err := drain(c.ReadAll(testCtx(t), esdb.ReadAllOptions{}, 100))
		if err != nil || len(evs) == 0 {
			t.Fatalf("%s reads $all: %d events, %v", who, len(evs), err)
		}
		if err := readErr(t, c, "missing"); errCode(err) != esdb.ErrorCodeResourceNotFound {
			t.Fatalf("%s reads a missing stream: %v, want not found", who, err)
		}
		sub, err := c.SubscribeToAll(testCtx(t), esdb.SubscribeToAllOptions{})
		if err != nil {
			t.Fatalf("%s subscribes to $all: %v", who, err)
		}
		if ev := recvSub(t, sub, 10*time.Second); ev.SubscriptionDropped != nil {
			t.Fatalf("%s subscription dropped: %v", who, ev.SubscriptionDropped.Error)
		}
		sub.Close()
	}
	for _, who := range []string{"reseller", "vendor", "metrics"} {
		c := g.client(t, g.creds[who])
		wantCode(t, who+" reads a stream", readErr(t, c, "scratch-1"), esdb.ErrorCodeAccessDenied, "no tenancy filter")
		_, err := drain(c.ReadAll(testCtx(t), esdb.ReadAllOptions{}, 10))
		wantCode(t, who+" reads $all", err, esdb.ErrorCodeAccessDenied, "whole-ledger readers only")
		wantCode(t, who+" appends", appendErr(t, c, "scratch-1"), esdb.ErrorCodeAccessDenied, "whole-ledger readers only")
	}
}

func TestAccessReadOnly(t *testing.T) {
	g := serveGuarded(t, false)
	for _, who := range []string{"replica", "admin", "auditor"} {
		c := g.client(t, g.creds[who])
		wantCode(t, who+" appends", appendErr(t, c, "scratch-1"), esdb.ErrorCodeAccessDenied, "--kurrent-writable")
		_, err := c.DeleteStream(testCtx(t), "scratch-1", esdb.DeleteStreamOptions{})
		wantCode(t, who+" deletes", err, esdb.ErrorCodeAccessDenied, "--kurrent-writable")
		_, err = c.TombstoneStream(testCtx(t), "scratch-1", esdb.TombstoneStreamOptions{})
		wantCode(t, who+" tombstones", err, esdb.ErrorCodeAccessDenied, "--kurrent-writable")
		if err := readErr(t, c, "missing"); errCode(err) != esdb.ErrorCodeResourceNotFound {
			t.Fatalf("%s reads a read-only endpoint: %v", who, err)
		}
	}
}

func TestAccessWriters(t *testing.T) {
	g := serveGuarded(t, true)
	admin, replica, auditor := g.client(t, g.creds["admin"]), g.client(t, g.creds["replica"]), g.client(t, g.creds["auditor"])

	// An auditor changes nothing, even on a writable endpoint.
	wantCode(t, "auditor appends", appendErr(t, auditor, "scratch-1"), esdb.ErrorCodeAccessDenied, "changes nothing")

	// An admin writes other streams, never the ledger's own.
	if err := appendErr(t, admin, "scratch-1"); err != nil {
		t.Fatalf("admin appends to scratch-1: %v", err)
	}
	if _, err := admin.TombstoneStream(testCtx(t), "scratch-1", esdb.TombstoneStreamOptions{}); err != nil {
		t.Fatalf("admin tombstones scratch-1: %v", err)
	}
	for _, s := range []string{"ticket-T1", "partner-contoso", "token-x", "ledger-seals", "$ledger-keys", "$$ticket-T1"} {
		wantCode(t, "admin appends to "+s, appendErr(t, admin, s), esdb.ErrorCodeAccessDenied, "ledger's own streams")
	}
	// The ledger's streams the replica writes below: the admin may neither
	// delete nor tombstone them.
	if err := appendErr(t, replica, "ticket-T1"); err != nil {
		t.Fatalf("replica appends to ticket-T1: %v", err)
	}
	_, err := admin.DeleteStream(testCtx(t), "ticket-T1", esdb.DeleteStreamOptions{})
	wantCode(t, "admin deletes ticket-T1", err, esdb.ErrorCodeAccessDenied, "scope replica")
	_, err = admin.TombstoneStream(testCtx(t), "ticket-T1", esdb.TombstoneStreamOptions{})
	wantCode(t, "admin tombstones ticket-T1", err, esdb.ErrorCodeAccessDenied, "scope replica")
	evs, err := drain(replica.ReadStream(testCtx(t), "ticket-T1", esdb.ReadStreamOptions{}, 10))
	if err != nil || len(evs) != 1 {
		t.Fatalf("ticket-T1 after the refused deletes: %d events, %v", len(evs), err)
	}

	// The replica writes everything: it is the ledger itself.
	if err := appendErr(t, replica, "$$ticket-T1"); err != nil {
		t.Fatalf("replica writes ticket-T1's metadata: %v", err)
	}
	if _, err := replica.TombstoneStream(testCtx(t), "partner-gone", esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Any{}}); err != nil {
		t.Fatalf("replica tombstones partner-gone: %v", err)
	}
}

func TestLedgerStream(t *testing.T) {
	for s, want := range map[string]bool{
		"ticket-T1": true, "partner-p": true, "token-t": true, "ledger-seals": true, "$ledger-keys": true,
		"$$ticket-T1": true, "$$$$token-t": true,
		"tickets": false, "scratch-1": false, "Ticket-T1": false, "$$scratch": false, "": false, "$all": false,
	} {
		if got := kurrentwire.LedgerStream(s); got != want {
			t.Errorf("LedgerStream(%q) = %v, want %v", s, got, want)
		}
	}
	for _, p := range kurrentwire.LedgerStreamPrefixes() {
		if !kurrentwire.LedgerStream(p + "x") {
			t.Errorf("prefix %q is not a ledger stream", p)
		}
	}
}

// Without Access the server is open (tests and private sockets), as before.
func TestNoAccessIsOpen(t *testing.T) {
	addr, _ := startServer(t, newStore(t), kurrentwire.Options{})
	c := dial(t, addr, "")
	if err := appendErr(t, c, "ticket-T1"); err != nil {
		t.Fatal(err)
	}
}
