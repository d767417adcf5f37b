// Package domain holds what every part of the ledger's domain shares: who acts
// (Actor, Role), the severity scale, the event envelope (Event, Meta, Recorded,
// EventSpec) and the errors that name the rule a command broke.
//
// The domain is pure: no I/O, no clock reads (time is always passed in), no
// event-store types. Aggregates live in subpackages: ticket (service
// requests), partner (partner roles, support contracts, reseller access
// grants), sla (versioned first-response policy), calendar (business-hours
// calendars per locale) and principal (ledger-issued bearer tokens). catalog lists every persisted event type.
package domain
