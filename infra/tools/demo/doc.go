// Package demo generates a realistic, deterministic history for a ledger:
// providers, resellers and their customers (with domains), support plans
// (some partners with ASfP, Premier or Unified, some without), reseller Azure
// grants and a revocation, and then tickets over a time window ending at an
// injected now: every product family, severity, class, channel and route,
// English 24x7 and local-language (Swedish, German, Japanese) business-hours
// requests, first responses with log-normal latencies relative to the
// deadline (about 7% late), severity changes, escalations, information
// requests, billing disputes opened and decided, fraud flags and clears,
// notes, reassignments, resolutions, reopenings, closings, and marketplace
// requests redirected to the ISV.
//
// Generate drives the application's command methods (Target, which
// *app.Service satisfies), so every event passes the same rules as a real
// one. The simulation is event-driven: each ticket's steps are planned when
// it is opened and all tickets' steps run in occurred-at order, so the log
// reads like a real desk's. A few steps are deliberately entered late (their
// occurred-at lies before events already recorded), as a desk that catches up
// does. Every event is backdated: occurred-at lies in the window, recorded-at
// is the ledger's now, so the window must fit the ledger's backdating limit
// (30 days by default).
//
// Determinism: the same Seed, Now and options issue the same commands in the
// same order. Every command carries an idempotency key derived from the seed,
// so ticket ids are reproducible and running the generator twice against the
// same ledger records nothing twice.
//
// Language and locale: the requester's locale (sv-SE, de-DE, ja-JP, en-GB,
// en-US) picks the business calendar; the language is "en" (English, 24x7)
// or the locale's language (sv, de, ja: business hours).
package demo
