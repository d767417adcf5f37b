// Package server is the ledger's HTTP API server: JSON over net/http with Go 1.22
// routing patterns, built from one route table (routes.go) that also yields
// the OpenAPI 3.1 document served at /openapi.json.
//
// Commands (POST) go to infra/app: they answer with the stream revision
// (also the ETag) and, for open and severity change, the first-response
// deadline — "accepted with its deadline, or refused with the rule that
// refused it". They accept an Idempotency-Key (a retry returns the first
// result and appends nothing twice) and an expected revision in If-Match
// (stale: 409 with currentRevision in the problem document).
//
// Queries (GET, and POST /v1/reports/what-if, which changes nothing) read
// the projections through TicketReader and AuditReader, which
// *projections.Tickets and *projections.Audit implement; per-ticket history
// and as-of replay the ticket's stream through infra/app with the pure
// projections.History and projections.AsOf.
//
// # Identity
//
// Every route but /healthz, /readyz and /openapi.json (and /metrics when
// Config.MetricsPublic) needs an authenticated principal, found by
// Config.Auth (infra/auth): a ledger token or an OIDC JWT as
// "Authorization: Bearer", or, in proxy mode, the X-Actor-* identity
// headers from a trusted proxy address (refused from any other). Without
// credentials, or with refused ones: 401 with WWW-Authenticate; after too
// many failures from one address: 429 with Retry-After. The principal
// (actorOf, the one seam every handler uses) is the actor recorded in the
// events' metadata, with how it was authenticated. A metrics-only token
// reads /metrics and nothing else (403). The admin-only /v1/tokens routes
// issue (the secret once), list (no secrets) and revoke tokens through
// Config.Tokens. X-On-Behalf-Of is optional;
// X-Correlation-Id is generated when absent and echoed.
//
// # Tenancy
//
// Who sees and does what is decided once per request (admit, tenancy.go)
// from the route's scope in the tenancy table and the read models: a
// partner sees the tickets it is a party to, vendor support and auditors
// all (auditors change nothing), admins no ticket data. A ticket or partner
// outside the caller's tenancy answers exactly as an id never used. The
// ledger assigns ticket ids; Idempotency-Key is scoped to the principal.
//
// # Errors
//
// Every error is an RFC 9457 problem document (application/problem+json)
// with the extensions rule, field and currentRevision, mapped once from
// domain.Kind (kindStatus): malformed requests (bad JSON, unknown fields,
// wrong types, bad times or query parameters, bad headers) are 400 naming
// the field; domain invalid 422; forbidden 403; not found 404; conflict
// 409; a body over the limit 413; anything unexpected 500, logged with the
// correlation id and never described to the client.
//
// # Serving
//
// NewServer sets the recommended timeouts on the http.Server; requests are
// bounded by Config.RequestTimeout and bodies by Config.MaxBodyBytes
// (1 MiB). /healthz says the process is up, /readyz that projections have
// caught up and the store is reachable (Config.Ready, see ReadyWhen).
// Config.Observer receives one observation per request, labelled with the
// route pattern, for metrics.
package server
