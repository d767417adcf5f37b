// Package projector runs the read models of package projections against the
// event store: it subscribes to $all from the projections' checkpoint,
// decodes every event (in parallel, applied strictly in log order), applies
// it to each projection, and snapshots state and checkpoint together so a
// restart resumes instead of replaying everything.
//
// # Snapshots
//
// One file holds every projection's state and the checkpoint they share.
// It is written atomically: a temporary file in the same directory, fsync,
// rename over the old file, fsync of the directory. Each projection's
// section carries its length and a CRC-32C checksum, the header and the
// list of sections another one; a torn, truncated or corrupt file is
// detected (the structure before restoring, each section's checksum while
// it is restored), logged, and ignored: every projection is reset and
// rebuilds from the start of the log. A projection missing
// from the file (a new or changed read model) starts from zero while the
// others keep their state; the subscription starts at the smallest
// checkpoint and each projection ignores events at or below its own
// position.
//
// # Events
//
// Events of system streams ("$"-prefixed) and of streams other than
// "ticket-" and "partner-" are not decoded. Events whose type the decoder
// does not know (IsUnknown), and those it cannot decode, are skipped with a
// logged warning and counted (Stats.SkippedUnknown, Stats.DecodeErrors),
// never a crash.
//
// # Concurrency
//
// The projections lock themselves (queries take read locks), so the HTTP
// API queries them directly while the runner applies events. Lag, Stats,
// Status and Ready are safe to call from any goroutine.
package projector
