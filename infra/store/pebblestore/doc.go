// Package pebblestore is the embedded event store: eventstore.Store on a
// Pebble v2 database in a data directory, owned by one process at a time.
// It also implements the operations the KurrentDB wire server adds to the
// port (kurrentwire.Store: SubscribeStream, Delete, Tombstone), which the
// ledger itself never calls. Options.FS puts it on another filesystem than
// the operating system's, e.g. Pebble's in-memory vfs.NewMem in tests.
//
// # Key layout
//
// Every key starts with a one-byte prefix. The layout is persisted: never
// change a prefix or an encoding, add new ones. The key "mformat" holds the
// format name ("ticketledger-pebblestore/1"); Open refuses other formats.
//
//	'l' seq(8, big endian)                       → event record
//	's' uvarint(len(stream)) stream rev(8, BE)   → seq(8, BE)
//	'i' event id(16)                             → seq(8, BE)
//
// The global log ('l') is append-only and keyed by the event's sequence
// number, its position in $all (Position{Commit: seq, Prepare: seq}; the first
// event is 1). Its value, the event record, is
//
//	version(1)=1  content-type code(1)  uvarint(revision)  created(8, unix ns, BE)
//	id(16)  uvarint(len) stream  uvarint(len) type  [uvarint(len) content type]
//	uvarint(len) data  uvarint(len) metadata
//
// where the content type code is 0 for "application/json", 1 for
// "application/octet-stream", 2 for none and 3 for any other, then stored
// after the type.
//
// The stream index ('s') maps (stream, revision) to the event's sequence
// number; the length prefix keeps one stream's keys apart from another's
// whose name it begins. A stream's last revision is its last index key, so
// there is no separate head record to keep in step. A tombstone is an index
// entry at revision eventstore.DeletedStreamRevision pointing at a
// "$streamDeleted" record in the log, as in KurrentDB. Soft deletes and
// truncation live where KurrentDB keeps them, in the metadata stream
// "$$"+stream ("$tb" set to DeletedStreamRevision marks a soft delete).
//
// The event-id index ('i') maps an event id to the sequence number of the
// last event stored with it; it makes retries of an append with
// eventstore.Any() or StreamExists() idempotent for as long as the store
// lives. Retries with NoStream() or Exact() check the ids at the revisions
// they claim through the stream index.
//
// # Commit protocol
//
// Append, Delete and Tombstone queue a request (a bounded queue: back
// pressure) for the single appender goroutine, which owns the write path and a
// cache of stream heads (last revision, tombstone, current metadata):
//
//  1. It takes the first queued request and whatever else is queued (a group,
//     bounded by Options.MaxGroupEvents and MaxGroupBytes). If the group is
//     smaller than recent groups, it waits up to Options.GroupCommitWindow
//     for the appenders just answered to come back, so that they share the
//     next fsync instead of splitting over two.
//  2. For each request, in order, it checks the expected revision against
//     the head cache (loading a head from Pebble on a miss) with KurrentDB's
//     rules, detects idempotent retries, and on success adds the events to
//     one Pebble batch: record, stream index entry and id index entry per
//     event, plus the metadata event that undeletes a soft-deleted stream
//     written to again. It updates the head cache as it goes, so later
//     requests of the same group see earlier ones.
//  3. It commits the batch with pebble.Sync: one WAL fsync for the group.
//     Never NoSync: an append is acknowledged only once durable.
//  4. Only then does it publish the group's last sequence number as the
//     durable position, wake subscribers, and answer the group's requests.
//
// Pebble makes a batch visible to its own readers before the WAL sync
// completes, so every read here is bounded by the durable position loaded
// when the read starts: ReadAll stops there, stream reads ignore index
// entries beyond it, and subscriptions never read past it. A reader never
// sees an event that a crash could take back, and sees a group whole or not
// at all. A failed commit makes the store refuse appends until the appender
// has reopened Pebble (see Faults), since the head cache may then be ahead
// of the disk.
//
// On Open, Pebble replays its WAL and flushes what it replayed; the store
// finds the last sequence number from the last log key, and everything in the
// log is durable. Crash tests run on vfs.NewCrashableMem (a crash keeps what
// was synced, and optionally some of what was not) and with a real SIGKILL of
// a child process.
//
// # Faults
//
// Pebble treats a failed WAL or MANIFEST write as fatal (Logger.Fatalf), so
// the appender checks the free space of the data directory (statfs) before
// each group and refuses the group, whole and unwritten, with an error
// wrapping eventstore.ErrNoSpace while less than Options.MinFreeBytes would
// be left; the next group that fits is accepted again. Should Pebble still
// call Fatalf, the panic is recovered in the appender (or Open), and the
// store refuses appends with eventstore.ErrFailed while the appender
// reopens Pebble in-process (reopen.go): it waits for the free space, closes
// the failed Pebble, opens it from disk, checks that the log holds every
// acknowledged event and the failed group whole or not at all, and starts
// again from the log's last position, retrying with backoff (up to
// Options.ReopenMaxBackoff) while that fails. Readers hold dbMu shared;
// while Pebble is closed they get errReopening, and subscriptions wait for
// the durable position to move instead.
//
// Pebble checksums every block. A damaged file met by a read is reported
// through the EventListener (its default handler would call Fatalf: ours
// records the file and logs it once) and the read fails with a
// *DamageError (eventstore.ErrDamaged) naming the file. Pebble replays the
// newest WAL up to its first bad record and takes the rest for a torn
// tail; Open first reads that WAL itself and refuses it when a record
// starts after the bad one (every batch is synced before the next is
// written, so the bad record was acknowledged). Check reads a whole data
// directory past what it can isolate; Fault, Stats and Damaged report the
// store's faults.
//
// # Subscriptions
//
// Subscriptions pull: each Next reads, from Pebble, the events after the last
// one it delivered up to the durable position, then sends CaughtUp once, then
// waits on a channel that the appender closes (and replaces) whenever the
// durable position moves. Catch-up and live are the same loop, so the
// handover can neither skip nor repeat an event; a slow subscriber costs the
// appender nothing and never drops: it just reads further behind.
//
// # Ownership
//
// Open takes an exclusive flock(2) on ticketledger.lock in the data
// directory (Pebble keeps its own LOCK too). flock belongs to the open file,
// so a second Open in the same process fails as one from another process
// does, with an error wrapping ErrLocked that names the directory, the owner's
// pid and what to do. The kernel drops the lock when the owner dies.
package pebblestore
