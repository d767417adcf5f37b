package kurrentwire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/domain/subject"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/auth"
)

// AuthenticateFunc authenticates one call: source is the TCP peer's
// address, authorization the call's "authorization" metadata ("" when it
// has none). It returns auth.ErrNoCredentials for an anonymous call, an
// error wrapping auth.ErrMalformed for credentials of no known form, and a
// *auth.Denied for refused ones (rate-limited: Reason auth.ReasonRateLimited).
type AuthenticateFunc func(ctx context.Context, source netip.Addr, authorization string) (auth.Principal, error)

// BasicAuthenticator checks a user name and password presented from a
// source address; *auth.Authenticator implements it.
type BasicAuthenticator interface {
	AuthenticateBasic(source netip.Addr, user, pass string) (auth.Principal, error)
}

// Basic returns the AuthenticateFunc of KurrentDB's credentials: the
// official clients send esdb://user:pass@host as "authorization: Basic
// base64(user:pass)" on every call. For ledger tokens, user is the token's
// id or name and pass its secret.
func Basic(a BasicAuthenticator) AuthenticateFunc {
	return func(_ context.Context, source netip.Addr, authorization string) (auth.Principal, error) {
		if authorization == "" {
			return auth.Principal{}, auth.ErrNoCredentials
		}
		user, pass, err := auth.ParseBasic(authorization)
		if err != nil {
			return auth.Principal{}, err
		}
		return a.AuthenticateBasic(source, user, pass)
	}
}

// Access is a Server's access control (Options.Access).
//
// Every call but ServerFeatures.GetSupportedMethods (which the clients
// call on connect, without credentials) is authenticated by Authenticate;
// then:
//
//   - Reads and subscriptions: an auditor, an admin or a ledger replica
//     (a token with scope replica) reads every stream, $all included.
//     Everyone else (partners, vendor support, metrics tokens) is refused:
//     the endpoint has no tenancy filter, so it serves only principals
//     that may read the whole ledger.
//   - Appends, deletes and tombstones: refused unless Writable. When it
//     is, a ledger replica writes every stream; an admin writes every
//     stream but the ledger's own (LedgerStream); nobody else writes.
type Access struct {
	// Authenticate authenticates every call (required); see Basic.
	Authenticate AuthenticateFunc
	// Writable accepts appends, deletes and tombstones (serve
	// --kurrent-writable). False: the endpoint is read-only.
	Writable bool
}

// ledgerStreamPrefixes are the streams the ledger writes and no ordinary
// principal may write, delete or tombstone through the wire endpoint.
var ledgerStreamPrefixes = []string{
	ticket.StreamPrefix,    // "ticket-": the tickets
	partner.StreamPrefix,   // "partner-": the partner directory
	principal.StreamPrefix, // "token-": issued and revoked tokens
	subject.StreamPrefix,   // "subject-": erasures of data subjects
	"ledger-",              // the ledger's seals and signing keys
	"$ledger-",
}

// LedgerStreamPrefixes returns the prefixes of the ledger's own streams
// (tickets, partners, tokens, erasures, seals and keys): the set
// LedgerStream checks.
func LedgerStreamPrefixes() []string { return append([]string(nil), ledgerStreamPrefixes...) }

// LedgerStream reports whether stream is one of the ledger's own streams,
// or the metadata stream ("$$" + name) of one: setting a stream's $tb or
// $maxCount deletes its events as surely as a tombstone.
func LedgerStream(stream string) bool {
	for strings.HasPrefix(stream, "$$") {
		stream = stream[2:]
	}
	for _, p := range ledgerStreamPrefixes {
		if strings.HasPrefix(stream, p) {
			return true
		}
	}
	return false
}

// IsReplica reports whether p is a ledger replica principal: a token with
// scope replica, the only principal that writes the ledger's own streams
// through the wire endpoint. The ledger's event signatures still verify
// what a replica writes.
func IsReplica(p auth.Principal) bool {
	return p.Scope == principal.ScopeReplica && p.Role == domain.RoleAdmin
}

// mayRead reports whether p may read through the endpoint.
func mayRead(p auth.Principal) bool {
	if p.MetricsOnly() {
		return false
	}
	return IsReplica(p) || p.Role == domain.RoleAuditor || p.Role == domain.RoleAdmin
}

type principalKey struct{}

// PrincipalFrom returns the principal a call was authenticated as (false
// without Options.Access).
func PrincipalFrom(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(auth.Principal)
	return p, ok
}

// interceptors returns the server options that authenticate every call.
func (a *Access) interceptors(o Options) []grpc.ServerOption {
	unary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod == serverfeatures.ServerFeatures_GetSupportedMethods_FullMethodName {
			return h(ctx, req) // clients probe it on connect, without credentials
		}
		ctx, err := a.authenticate(ctx, o)
		if err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
	stream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		ctx, err := a.authenticate(ss.Context(), o)
		if err != nil {
			if info.IsClientStream && !info.IsServerStream {
				drain(ss)
			}
			return err
		}
		return h(srv, &authedStream{ServerStream: ss, ctx: ctx})
	}
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream)}
}

// drainLimit bounds how many messages of a refused client stream are read
// (and discarded) before the refusal is sent.
const drainLimit = 64

// drain reads what the client sends on a refused client-streaming call
// (Append) until it closes its side, so that the client's sends succeed and
// it receives the refusal's status when it asks for the answer; refused at
// once, the official client reports only "EOF" from its first send.
func drain(ss grpc.ServerStream) {
	for range drainLimit {
		if ss.RecvMsg(new(emptypb.Empty)) != nil {
			return
		}
	}
}

type authedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *authedStream) Context() context.Context { return s.ctx }

// authenticate returns ctx carrying the call's principal, or the gRPC
// status that refuses the call.
func (a *Access) authenticate(ctx context.Context, o Options) (context.Context, error) {
	var authz string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) > 0 {
			authz = v[0]
		}
	}
	src := sourceOf(ctx)
	p, err := a.Authenticate(ctx, src, authz)
	if err == nil {
		return context.WithValue(ctx, principalKey{}, p), nil
	}
	var d *auth.Denied
	switch {
	case errors.Is(err, auth.ErrNoCredentials):
		return nil, status.Error(codes.Unauthenticated, "credentials required: connect with esdb://USER:PASSWORD@HOST:PORT, USER a ledger token's id or name and PASSWORD its secret (the official clients send credentials only with TLS)")
	case errors.As(err, &d) && d.Reason == auth.ReasonRateLimited:
		wait := max(d.RetryAfter.Round(time.Second), time.Second)
		return nil, status.Errorf(codes.ResourceExhausted, "too many failed authentication attempts from your address: retry after %s", wait)
	case errors.Is(err, auth.ErrMalformed):
		return nil, status.Error(codes.Unauthenticated, "the authorization metadata is not Basic user:password credentials: connect with esdb://USER:PASSWORD@HOST:PORT")
	case errors.As(err, &d):
		return nil, status.Error(codes.Unauthenticated, d.Public())
	}
	o.Logger.Warn("kurrentwire: authentication failed", "source", src, "err", err)
	return nil, status.Error(codes.Unauthenticated, "authentication failed")
}

// sourceOf is the call's TCP peer address (zero when unknown).
func sourceOf(ctx context.Context) netip.Addr {
	pr, ok := peer.FromContext(ctx)
	if !ok || pr.Addr == nil {
		return netip.Addr{}
	}
	if ta, ok := pr.Addr.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	if ap, err := netip.ParseAddrPort(pr.Addr.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// ReadOnlyMessage is the PermissionDenied message of a write to an
// endpoint that is not Writable.
const ReadOnlyMessage = "this KurrentDB endpoint is read-only: appends, deletes and tombstones need the ledger started with --kurrent-writable"

// authorizeRead refuses a read by a principal that may not read.
func (s *Server) authorizeRead(ctx context.Context, stream string) error {
	if s.opts.Access == nil {
		return nil
	}
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return errNoPrincipal
	}
	if !mayRead(p) {
		return s.denied(p, "Read", stream, fmt.Sprintf("%s %q may not read through the KurrentDB endpoint: it serves whole-ledger readers only (auditor, admin, replica), with no tenancy filter; use the HTTP API", roleOf(p), p.ID))
	}
	return nil
}

// authorizeWrite refuses an append, delete or tombstone (op) of stream
// that the call's principal may not make.
func (s *Server) authorizeWrite(ctx context.Context, op, stream string) error {
	if s.opts.Access == nil {
		return nil
	}
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return errNoPrincipal
	}
	switch {
	case !mayRead(p):
		return s.denied(p, op, stream, fmt.Sprintf("%s %q may not use the KurrentDB endpoint: it serves whole-ledger readers only (auditor, admin, replica); use the HTTP API", roleOf(p), p.ID))
	case !s.opts.Access.Writable:
		return s.denied(p, op, stream, ReadOnlyMessage)
	case IsReplica(p):
		return nil
	case p.Role != domain.RoleAdmin:
		return s.denied(p, op, stream, fmt.Sprintf("%s %q reads and changes nothing through the KurrentDB endpoint", roleOf(p), p.ID))
	case LedgerStream(stream):
		return s.denied(p, op, stream, fmt.Sprintf("stream %q is one of the ledger's own streams (%s…): only a ledger replica (a token with scope replica) writes, deletes or tombstones them here; change the ledger through its HTTP API",
			clipName(stream), strings.Join(ledgerStreamPrefixes, "…, ")))
	}
	return nil
}

// errNoPrincipal refuses a call that reached a handler unauthenticated:
// Register on a grpc.Server built without ServerOptions.
var errNoPrincipal = status.Error(codes.Unauthenticated, "call not authenticated: build the grpc.Server with kurrentwire.ServerOptions")

func (s *Server) denied(p auth.Principal, op, stream, msg string) error {
	s.opts.Logger.Warn("kurrentwire: denied", "op", op, "stream", clipName(stream),
		"principal", p.ID, "role", p.Role, "partner", p.Partner, "scope", p.Scope)
	return status.Error(codes.PermissionDenied, msg)
}

func roleOf(p auth.Principal) string {
	if p.MetricsOnly() {
		return "metrics token"
	}
	return string(p.Role)
}

// clipName bounds a client-chosen stream name in messages and logs.
func clipName(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
