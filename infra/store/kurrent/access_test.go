package kurrent_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/eventstore/eventstoretest"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/kurrentwire/kurrentwiretest"
	"github.com/ticketledger/ticketledger/infra/store/kurrent"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/pebbletest"
)

// guardedEndpoint serves a fresh embedded store over the wire with the
// ledger's access control (tokens of the store itself, as serve does), on
// loopback without TLS, or with TLS when certFile is set. It returns the
// endpoint's address and "id:secret" of a token per principal kind.
func guardedEndpoint(t *testing.T, writable bool, certFile, keyFile string) (string, map[string]string) {
	t.Helper()
	backing := pebbletest.Open(t)
	reg := auth.NewRegistry(nil)
	tokens := auth.NewTokens(backing, reg, nil)
	creds := map[string]string{}
	for name, req := range map[string]auth.IssueRequest{
		"replica":  {Role: domain.RoleAdmin, Scope: principal.ScopeReplica, Name: "replica"},
		"auditor":  {Role: domain.RoleAuditor},
		"provider": {Role: domain.RoleIndirectProvider, Partner: "contoso"},
	} {
		iss, err := tokens.Issue(context.Background(), auth.Internal().Actor(), req)
		if err != nil {
			t.Fatal(err)
		}
		creds[name] = iss.TokenID + ":" + iss.Secret
	}
	opts := kurrentwire.Options{Access: &kurrentwire.Access{
		Authenticate: kurrentwire.Basic(auth.New(auth.Config{Tokens: reg, Logger: slog.New(slog.DiscardHandler)})),
		Writable:     writable,
	}}
	if certFile != "" {
		opts.GRPCOptions = kurrentwiretest.TLSOptions(t, certFile, keyFile)
	}
	addr, _ := kurrentwiretest.Serve(t, backing, opts)
	return addr, creds
}

func dialErr(conn string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := kurrent.Dial(ctx, conn)
	if err == nil {
		_ = s.Close()
	}
	return err
}

// Another ledger using a ledger's loopback wire endpoint as its store
// (serve --store esdb://user:pass@127.0.0.1:2113?tls=false): the adapter
// sends the credentials itself, as the official client does not without TLS.
func TestAccessReplicaOverLoopback(t *testing.T) {
	addr, creds := guardedEndpoint(t, true, "", "")
	conn := func(who string) string { return fmt.Sprintf("esdb://%s@%s?tls=false", creds[who], addr) }

	// The replica writes and reads the ledger's own streams.
	replica := dialStore(t, conn("replica"))
	ctx := ctxT(t)
	if _, err := replica.Append(ctx, "ticket-T1", eventstore.NoStream(), events("ticket.opened", 2)...); err != nil {
		t.Fatalf("replica appends to ticket-T1: %v", err)
	}
	if evs, err := replica.ReadStream(ctx, "ticket-T1", eventstore.Forwards, eventstore.StreamStart(), 10); err != nil || len(evs) != 2 {
		t.Fatalf("replica reads ticket-T1: %d events, %v", len(evs), err)
	}

	// An auditor reads, and may not write.
	auditor := dialStore(t, conn("auditor"))
	if evs, err := auditor.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 100, &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{"ticket-"}}); err != nil || len(evs) != 2 {
		t.Fatalf("auditor reads the tickets: %d events, %v", len(evs), err)
	}
	_, err := auditor.Append(ctx, "ticket-T1", eventstore.Any(), events("ticket.noted", 1)...)
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "changes nothing") {
		t.Fatalf("auditor appends: %v (code %v), want PermissionDenied", err, status.Code(err))
	}
	_, err = auditor.Tombstone(ctx, "ticket-T1", eventstore.Any())
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("auditor tombstones: %v, want PermissionDenied", err)
	}

	// Without credentials, Dial fails at once: Unauthenticated.
	if err := dialErr("esdb://" + addr + "?tls=false"); status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "credentials required") {
		t.Fatalf("dial without credentials: %v (code %v), want Unauthenticated", err, status.Code(err))
	}
	user, _, _ := strings.Cut(creds["replica"], ":")
	if err := dialErr(fmt.Sprintf("esdb://%s:tl_wrong@%s?tls=false", user, addr)); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("dial with a wrong secret: %v, want Unauthenticated", err)
	}
	// A partner principal is refused: the endpoint has no tenancy filter.
	if err := dialErr(conn("provider")); status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "no tenancy filter") {
		t.Fatalf("dial as a partner: %v (code %v), want PermissionDenied", err, status.Code(err))
	}
}

// A read-only endpoint refuses even the replica's writes, naming the flag.
func TestAccessReplicaReadOnly(t *testing.T) {
	addr, creds := guardedEndpoint(t, false, "", "")
	replica := dialStore(t, fmt.Sprintf("esdb://%s@%s?tls=false", creds["replica"], addr))
	_, err := replica.Append(ctxT(t), "ticket-T1", eventstore.NoStream(), events("ticket.opened", 1)...)
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "--kurrent-writable") {
		t.Fatalf("replica appends to a read-only endpoint: %v, want PermissionDenied naming --kurrent-writable", err)
	}
	if _, err := replica.ReadStream(ctxT(t), "ticket-T1", eventstore.Forwards, eventstore.StreamStart(), 1); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("replica reads a read-only endpoint: %v", err)
	}
}

// Over TLS the official client sends the credentials itself; the whole
// port and wire conformance suites pass through a replica principal.
func TestAccessReplicaOverTLSConformance(t *testing.T) {
	certFile, keyFile := kurrentwiretest.SelfSigned(t)
	addr, creds := guardedEndpoint(t, true, certFile, keyFile)
	conn := fmt.Sprintf("esdb://%s@%s?tlsCAFile=%s", creds["replica"], addr, certFile)
	runBoth(t, shared(t, func(t testing.TB) *kurrent.Store { return dialStore(t, conn) }), eventstoretest.Options{})

	// The same endpoint without credentials refuses the client over TLS too.
	if err := dialErr(fmt.Sprintf("esdb://%s?tlsCAFile=%s", addr, certFile)); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("dial over TLS without credentials: %v, want Unauthenticated", err)
	}
}
