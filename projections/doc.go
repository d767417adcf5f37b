// Package projections folds the ledger's event stream into read models:
//
//   - Tickets: the current state of every ticket (status, severity, product,
//     partner, customer, who filed it and for whom, escalations, disputes,
//     fraud flags, the first-response deadline in force and its history,
//     counters and timestamps) together with its SLA clock, queryable by id
//     and listable with filters and stable cursors; SLA compliance per ticket
//     and grouped reports (sla.go), and the per-ticket SLA facts the
//     Prometheus SLA metrics read (EachSLA); policy what-if (whatif.go).
//     The SLA rules themselves — verdicts, near miss, at risk, counted time
//     (the Clock, sla.Counter) — are package sla's; Tickets applies them.
//   - Audit: an index of every event by actor, partner, customer, ticket,
//     type and time on both axes, with stable cursors.
//
// Pure functions over one ticket's recorded history complete them: History
// (who/what/when/why with old → new values of every change) and AsOf (the
// ticket and its SLA clock as the ledger knew it at an instant, on the
// occurred-at or the recorded-at axis).
//
// Everything here is a pure fold: no I/O besides the io.Writer/io.Reader of
// snapshots, no clock reads (queries that depend on "now" take it as an
// argument). Each read model guards itself with a sync.RWMutex, so queries
// are safe while events apply. Apply is idempotent: a model remembers the
// position of the last event it applied and ignores any event at or below it.
// Event payloads the model does not know are skipped and counted
// (Stats.Unknown), never a panic.
//
// Memory: per-ticket records are flat structs of integers; strings that
// repeat (partner, customer, product, actor, locale, calendar, policy
// version, event type) are interned once per model, times are Unix
// nanoseconds in int64, and no ticket owns a map or a slice (deadline
// history and per-ticket event chains are index-linked lists in shared
// arenas).
package projections
