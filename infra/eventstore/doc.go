// Package eventstore is the event-store port of the ledger: the interface the
// application uses to append, read and subscribe to events, owned here by its
// user rather than by any adapter.
//
// Semantics follow KurrentDB's Streams API so that infra/store/kurrent can map them
// one to one: revisions start at 0 per stream; positions in the global log
// ($all) are strictly increasing and greater than zero; forward reads from a
// position are inclusive and backward reads exclusive; soft-deleted streams
// read as not found and continue their numbering on the next append;
// tombstoned streams are gone for good. Stream metadata lives in the stream
// "$$<stream>" as a JSON object whose "$maxAge" (seconds), "$maxCount" and
// "$tb" (truncate before) keys are honoured on reads; other keys are kept.
//
// Implementations: infra/store/pebblestore (embedded, default) and infra/store/kurrent
// (a KurrentDB cluster through the official client). infra/kurrentwire serves
// any Store over KurrentDB's gRPC protocol. eventstoretest holds the one
// conformance suite every implementation passes.
package eventstore
