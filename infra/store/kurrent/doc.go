// Package kurrent implements the event-store port (eventstore.Store) on
// KurrentDB through the official client, EventStore-Client-Go/v4, and
// KurrentDB's other stream operations the wire server's interface adds
// (kurrentwire.Store: SubscribeStream, Delete, Tombstone).
//
//	store, err := kurrent.Dial(ctx, "esdb://localhost:2113?tls=false")
//
// Mapping:
//   - expected revisions map one to one (Any, NoStream, StreamExists,
//     exact revision); a failed check is a *eventstore.ConflictError with
//     the stream's actual revision (parsed from the server's reply, which
//     the client only exposes as text);
//   - a missing or soft-deleted stream is eventstore.ErrStreamNotFound (the
//     application reads it as empty), a tombstoned one ErrStreamDeleted, a
//     closed Store ErrClosed; every call takes ctx, and ctx's deadline
//     becomes the call's deadline (without one the client applies its
//     default of 10 s to calls other than subscriptions);
//   - positions are KurrentDB's commit/prepare positions unchanged;
//   - KurrentDB answers an idempotent append like a fresh one: Append reads
//     the appended revisions back (one more round trip) and sets
//     AppendResult.Deduplicated when what is stored there is not what was
//     sent (a retry of identical events reads as a fresh append);
//   - event metadata is the event's custom metadata, stored verbatim (JSON
//     written by the codec, readable in KurrentDB's UI); ContentType
//     "application/json" marks an event as JSON, anything else as binary;
//   - subscriptions deliver events, exactly one CaughtUp (the client must
//     talk to KurrentDB 23.10 or later, which sends it) and, for filtered
//     $all subscriptions with a CheckpointInterval, Checkpoints. A filter
//     with both prefixes and a regex becomes one regex (KurrentDB accepts
//     only one of them).
//
// Credentials (esdb://user:pass@host) travel as the official client sends
// them, over TLS only; with tls=false the client drops them, so for a
// single loopback host the store sends them itself ("authorization: Basic
// …" metadata on every call): another ledger's wire endpoint on loopback
// requires them (serve --store esdb://user:pass@127.0.0.1:2113?tls=false).
//
// The client has no filtered $all reads, so ReadAll with a filter reads
// $all in pages of 512 and filters here. Head reads $all backwards once,
// for lag metrics.
//
// infra/kurrentwire serves the embedded store over the same protocol; the
// tests of this package run both conformance suites (eventstoretest.Run
// and RunWire) through it, and against a real KurrentDB when KURRENTDB_URL
// is set.
package kurrent
