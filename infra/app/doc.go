// Package app is the command side of the ledger: the application service
// that turns a command from the HTTP API or the CLI into events appended to
// the event store, and the one place that uses the event-store port for
// writing.
//
// Every command runs the same steps (Service.run):
//
//  1. read the aggregate's stream (a stream that does not exist is an empty
//     history) and decode it with infra/codec;
//  2. with an idempotency key, look for events of an earlier run of the same
//     command in the stream: if there are any, return that run's result
//     (Result.Replayed) without deciding again — even if the command would
//     now be refused because the state moved on;
//  3. with an expected revision from the caller, refuse with a
//     *ConflictError carrying the current revision if the stream is
//     elsewhere;
//  4. rebuild the aggregate and run the domain command with now from the
//     injected clock and the command's occurred-at (default: now);
//  5. encode the events with their metadata — actor, on-behalf-of,
//     correlation and causation ids, occurred-at, recorded-at = now, the
//     policy version of any deadline, and the hash chain continuing from the
//     stream's last hash — and append them expecting the revision read in
//     step 1. A concurrent writer makes the append fail: the result is a
//     *ConflictError, except for an idempotent retry whose twin got there
//     first, which returns the twin's result.
//
// # Idempotency
//
// A caller-supplied idempotency key makes the command deterministic where it
// would otherwise be random: event i of the command gets the UUID v5 of
// (key, actor id, stream, i), and Open without a ticket id gets the ticket
// id v5 of ("ticket", key, actor id, actor partner) — the parts joined with
// NUL bytes, in IdempotencyNamespace. A retry therefore finds its own
// events (step 2), and a retry racing its original is deduplicated by the
// store, which ignores an append of event ids it already holds at that
// place. A key names one command: reusing it with other content returns the
// first command's result. A command that emitted nothing (a no-op) leaves no
// trace, so its retry runs again.
//
// # Errors
//
// Domain refusals come back as *domain.Error (kind, rule, field, message)
// wrapped with the command and the aggregate; revision conflicts as
// *ConflictError, whose Unwrap is a *domain.Error of KindConflict and rule
// RuleStaleRevision, so domain.KindOf maps every error of this package.
package app
