// Package kurrentwire serves an event store over KurrentDB's gRPC
// protocol, so the official KurrentDB/EventStoreDB clients (and the tools
// built on them) can talk to an embedded ledger, and so infra/store/kurrent is
// tested end to end where KurrentDB itself cannot run.
//
// KurrentDB clients may do more than the ledger does: subscribe to one
// stream, soft-delete and tombstone streams. So the server does not take the
// ledger's port, eventstore.Store, but its own larger interface, Store: the
// port plus SubscribeStream, Delete and Tombstone. infra/store/pebblestore
// implements it (`ticketledger serve --kurrent-listen` serves the embedded
// store), and so does infra/store/kurrent; eventstoretest.RunWire is the
// conformance suite of the added operations.
//
//	srv := kurrentwire.NewServer(store, kurrentwire.Options{Access: &kurrentwire.Access{
//		Authenticate: kurrentwire.Basic(authenticator), // ledger tokens
//	}})
//	go srv.Serve(lis)         // clients dial "esdb://TOKEN_ID:SECRET@HOST:PORT?tls=false"
//	defer srv.GracefulStop()
//
// # Served
//
//   - Streams.Append: expected revision any / no stream / stream exists /
//     exact; a failed check answers AppendResp.wrong_expected_version with
//     the current and expected revisions (fields 6–11, and the legacy
//     20.6.0 fields); a tombstoned stream answers FailedPrecondition with
//     the "exception: stream-deleted" and "stream-name" trailers. The
//     client's whole request stream is read before any answer.
//   - Streams.Read: stream reads and $all reads in both directions
//     (forwards from a position inclusive, backwards exclusive), filtered
//     $all reads, stream subscriptions and $all subscriptions with stream
//     name / event type filters (prefixes or regex) and checkpoints every
//     window × multiplier scanned events. Reads answer only "event" and
//     "stream_not_found"; subscriptions answer "confirmation" first, then
//     events, one "caught_up" and, when filtered, "checkpoint".
//     Recorded events carry "type", "content-type" and "created" (100-ns
//     ticks since the Unix epoch) in their metadata map.
//   - Streams.Delete and Streams.Tombstone: replies always carry a
//     position; a failed check is FailedPrecondition with KurrentDB's
//     "wrong-expected-version" trailers and message.
//   - ServerFeatures.GetSupportedMethods, which the clients call on connect.
//
// Stream metadata is KurrentDB's: "$$<stream>" is an ordinary stream of
// the store (which honours $maxAge, $maxCount and $tb), so SetStreamMetadata
// and GetStreamMetadata work unchanged (the store shows only the latest
// event of a metadata stream, as KurrentDB does).
//
// Reads fetch from the store in pages (the first small, then doubling up
// to Options.ReadBatchSize), one page ahead of what is being sent; a page
// shorter than asked ends the read. Subscriptions read up to 256 messages
// ahead. When the store drops a slow subscriber, the server resubscribes
// from the last message sent; the client does not notice. Stop and
// GracefulStop end live subscriptions with status Unavailable. The server
// NewServer builds encodes events with a protobuf encoder of its own (the
// same message as the generated code, checked by a test); Register uses
// the generated code.
//
// Keepalive: the official clients ping every 10 s, with or without calls in
// flight. gRPC's default enforcement (5 min) answers that with
// GOAWAY "too_many_pings", killing idle subscriptions after 30–40 s, so the
// server permits pings down to Options.KeepaliveMinTime (default 1 s)
// without streams. Use ServerOptions when registering on your own
// grpc.Server.
//
// # Not served
//
// BatchAppend, persistent subscriptions, projections, users, operations
// (scavenge, shutdown), monitoring and gossip: they answer Unimplemented.
// Without gossip, "esdb+discover://" and multi-node connection strings do
// not work; use "esdb://host:port?tls=false" (or TLS via Options.GRPCOptions
// with grpc.Creds). Link resolution (resolveLinkTos) is ignored: the store
// has no link events. Only one CaughtUp is sent per subscription and
// FellBehind never is.
//
// # Authentication
//
// With Options.Access (what serve always sets), every call is
// authenticated: the official clients send esdb://user:pass@host as
// "authorization: Basic base64(user:pass)" metadata on every call, and
// Access.Authenticate (Basic over an *auth.Authenticator: a ledger token's
// id or name, and its secret) turns it into an auth.Principal. Missing or
// invalid credentials answer Unauthenticated (the official client's
// ErrorCodeUnauthenticated), a source with too many failures
// ResourceExhausted. ServerFeatures.GetSupportedMethods stays open: the
// clients call it on connect without credentials, and it tells only the
// version and the methods served.
//
// Authorization (see Access): auditors, admins and ledger replicas (scope
// replica) read everything; everyone else is refused with PermissionDenied,
// as the endpoint has no tenancy filter. Appends, deletes and tombstones
// are PermissionDenied unless Access.Writable; then a replica writes every
// stream, an admin every stream but the ledger's own (LedgerStream:
// tickets, partners, tokens, seals and keys, and their metadata streams),
// and nobody else writes. A replica is trusted to write what its ledger
// would; what it writes still goes through the ledger's verification
// (`ticketledger verify`: the hash chain).
//
// The official Go client sends credentials only over TLS (Options.GRPCOptions
// with grpc.Creds); with tls=false it sends none, which infra/store/kurrent
// makes up for on loopback by sending them itself. serve refuses a
// non-loopback listener without TLS.
//
// Without Options.Access every call is served whatever credentials it
// carries, with no ACLs: for tests and private sockets only.
package kurrentwire
