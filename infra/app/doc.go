// Package app is the command side of the ledger: the application service
// that turns a command from the HTTP API or the CLI into events appended to
// the event store, and the one place that uses the event-store port for
// writing.
//
// Every command runs the same steps (Service.run), with one append and, but
// for the rare races of step 6, no read after it:
//
//  1. read the aggregate's stream as it is now (a stream that does not
//     exist is an empty history; see Stream cache below);
//  2. with an idempotency key, look for events of an earlier run of the same
//     command in the stream: if there are any, return that run's result
//     (Result.Replayed) without deciding again — even if the command would
//     now be refused because the state moved on;
//  3. with an expected revision from the caller, refuse with a
//     *ConflictError carrying the current revision if the stream is
//     elsewhere;
//  4. rebuild the aggregate and run the domain command (Open,
//     RedirectToISV, a ticket.Action through Act, a partner command) with
//     now from the injected clock and the command's occurred-at (default:
//     now); Open takes the filing partner and, when given, the reseller as
//     they are now (each checked against its stream's last event, as in
//     step 1);
//  5. encode the events with their metadata — actor, on-behalf-of,
//     correlation and causation ids, occurred-at, recorded-at = now, the
//     policy version of any deadline, and the hash chain continuing from the
//     stream's last hash — and append them expecting the revision read in
//     step 1;
//  6. settle the store's answer, in one place (Service.settle): appended —
//     the result describes the events sent, nothing is read back;
//     deduplicated (eventstore.AppendResult.Deduplicated: a twin of the
//     command, with the same event ids, was stored there first) — the
//     stream is read again and the result is the twin's (Replayed); a
//     conflict (a concurrent writer) — with an idempotency key, the stream
//     is read again and a run of the command found there is the result,
//     otherwise the result is a *ConflictError.
//
// A result is returned only after the store acknowledged the append (or
// holds the events it describes): nothing is acknowledged that the store
// has not.
//
// # Stream cache
//
// The service keeps the decoded events of recently used streams in memory
// (Config.CacheEvents, all streams together, least recently used evicted
// first), and for a partner stream the partner it rebuilds to, which Open
// reads and never changes. The cache never decides alone: step 1 reads the
// stream's last event and, when the stream has moved on (another process or
// replica wrote), reads forwards from the last revision held, re-reading
// that event to check it is still the one held; a stream that is gone, or
// whose held events it no longer shows as they were (deleted, recreated,
// truncated past them), is read whole again. Each read is sized to what is
// there: first the last event, then exactly the events before it. So a
// grant or revocation counts for the very next Open, and what changes
// between step 1 and the append is refused by the append's expected
// revision (step 6). After a successful append of one event the cache takes
// that event as stored (its bytes, revision and position); the events of a
// longer append are read on the next command (the store gave the position
// of the last one only). The aggregate itself is rebuilt for every command
// from the held events. The cache assumes a stream never loses events
// before its last one while that last one stays (the ledger sets no
// $maxCount, $maxAge or $tb on its streams).
//
// # Idempotency
//
// A caller-supplied idempotency key makes the command deterministic where it
// would otherwise be random: event i of the command gets the UUID v5 of
// (key, actor id, actor role, actor partner, stream, i), and Open (and
// RedirectToISV) the ticket id v5 of ("ticket", key, actor id, actor role,
// actor partner) — the parts joined with NUL bytes, in IdempotencyNamespace.
// A key is thus scoped to the principal: the same key from another
// principal is a different key, a fresh command that can neither replay nor
// collide with the first. Over the HTTP API the ledger always picks ticket
// ids (OpenTicket.TicketID is for in-process callers). A retry therefore
// finds its own
// events (step 2), and a retry racing its original is deduplicated by the
// store, which ignores an append of event ids it already holds at that
// place and says so (step 6). A key names one command: reusing it with
// other content returns the first command's result. A command that emitted
// nothing (a no-op) leaves no trace, so its retry runs again.
//
// # Errors
//
// Domain refusals come back as *domain.Error (kind, rule, field, message)
// wrapped with the command and the aggregate; revision conflicts as
// *ConflictError, whose Unwrap is a *domain.Error of KindConflict and rule
// RuleStaleRevision, so domain.KindOf maps every error of this package.
package app
