// Package eventstore is the event-store port of the ledger: the interface the
// application uses to append, read and subscribe to events, owned here by its
// user rather than by any adapter. Store holds exactly what the ledger calls:
// Append with an expected revision, ReadStream, ReadAll, SubscribeAll, Head
// (for projection lag) and Close.
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
// a store over KurrentDB's gRPC protocol; its clients may also delete and
// tombstone streams and subscribe to one stream, so it declares its own,
// larger interface, kurrentwire.Store (this port plus SubscribeStream,
// Delete and Tombstone), which both adapters also satisfy. The ledger itself
// never deletes a stream: deletion reaches this port only as the read
// semantics above.
//
// eventstoretest holds the conformance suites: Run for this port, which
// every implementation passes, and RunWire for kurrentwire.Store.
package eventstore
