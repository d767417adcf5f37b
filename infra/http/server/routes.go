package server

import (
	"net/http"

	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/importer"
	"github.com/ticketledger/ticketledger/infra/webhook"
	"github.com/ticketledger/ticketledger/projections"
)

// route is one entry of the route table: everything the mux, the request
// checks and the OpenAPI document need to know about an operation.
type route struct {
	method, path string
	op           string // OpenAPI operationId
	summary      string
	tag          string
	// command routes take the actor, Idempotency-Key and If-Match headers;
	// create marks those that create a stream (201, no If-Match).
	command, create bool
	// idempotent routes that are not commands take an Idempotency-Key too.
	idempotent bool
	// stream routes read their body as it arrives (an import file): no
	// body limit and no request timeout; the body is JSON lines.
	stream bool
	// public routes need no authenticated principal (security: [] in
	// OpenAPI); metrics marks the one route a metrics-only token may use.
	public, metrics bool
	body            any // request body prototype, nil for none
	resp            any // success response prototype
	// media and mediaDesc describe a success body that is not JSON.
	media, mediaDesc string
	status           int // success status: the one place it is decided
	query            []param
	// handle serves a query; exec runs a command (cmdRoute), answered by
	// respond with status.
	handle func(a *API, w http.ResponseWriter, r *http.Request, q *query) error
	exec   execFunc

	// scope is the route's tenancy, set by New from the tenancy table
	// (tenancy.go).
	scope scope
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// serve runs the route's handler or command.
func (rt route) serve(a *API, w http.ResponseWriter, r *http.Request, q *query) error {
	if rt.exec == nil {
		if err := a.awaitMinPosition(r.Context(), q); err != nil {
			return err
		}
		return rt.handle(a, w, r, q)
	}
	res, err := rt.exec(a, r, rt.create)
	if err != nil {
		return err
	}
	return a.respond(w, r, rt.status, res)
}

// param is a query parameter.
type param struct {
	Name   string
	Type   string // string, integer, boolean, date-time, duration
	Desc   string
	List   bool     // repeatable or comma-separated
	Values []string // allowed values, if fixed
}

// minPositionParam is what every query takes for reading its own writes
// through any replica: the position a command answered with.
var minPositionParam = param{Name: "minPosition", Type: "integer",
	Desc: "answer only once this ledger's read models hold this global-log position (a command's `position`), waiting at most the await timeout: read your own writes through any replica; 503 not-caught-up past it"}

var pageParams = []param{
	{Name: "cursor", Type: "string", Desc: "the next cursor of the previous page"},
	{Name: "limit", Type: "integer", Desc: "page size (default 100, at most 10000)"},
	{Name: "order", Type: "string", Desc: "oldest (default) or newest first", Values: []string{"oldest", "newest"}},
}

// withMedia declares a route's success body as another media type.
func withMedia(media, desc string, r route) route { r.media, r.mediaDesc = media, desc; return r }

func withPage(ps ...param) []param { return append(ps, pageParams...) }

// routes is the route table: the mux, the request checks and the OpenAPI
// document are all built from it.
func routes() []route {
	const tk, pt, rp, au, tkn, sub, ops, wh = "tickets", "partners", "reports", "audit", "tokens", "subjects", "operations", "webhooks"
	create := func(r route) route { r.create, r.status = true, http.StatusCreated; return r }
	get := func(path, op, summary, tag string, resp any, h func(*API, http.ResponseWriter, *http.Request, *query) error, q ...param) route {
		return route{method: http.MethodGet, path: path, op: op, summary: summary, tag: tag, resp: resp, status: http.StatusOK,
			query: append(q, minPositionParam), handle: h}
	}
	type res = app.Result
	return []route{
		// Ticket commands.
		create(cmdRoute("POST", "/v1/tickets", "openTicket", "File a service request on behalf of a customer or for the partner's own tenant; returns the ticket id the ledger assigned (send Idempotency-Key to retry safely) and the first-response deadline", tk,
			func(c call, b *OpenTicketBody) (res, error) {
				return c.app.Open(c.ctx, c.cmd, b.input(c.cmd.Actor.Partner))
			})),
		create(cmdRoute("POST", "/v1/tickets/isv-redirects", "redirectToISV", "Record a commercial-marketplace request redirected to the ISV (no vendor ticket)", tk,
			func(c call, b *RedirectBody) (res, error) { return c.app.RedirectToISV(c.ctx, c.cmd, b.input()) })),
		ticketCmd("first-response", "recordFirstResponse", "Record vendor support's first response", act[FirstResponseBody]),
		ticketCmd("severity", "changeSeverity", "Change the severity; the deadline is recomputed from the ticket's creation", act[SeverityBody]),
		ticketCmd("escalations", "escalate", "Escalate to the vendor with a reason and the criteria met", act[EscalateBody]),
		ticketCmd("info-requests", "requestInfo", "Vendor support asks the partner for information", act[InfoRequestBody]),
		ticketCmd("info-responses", "provideInfo", "The partner answers an information request", act[InfoResponseBody]),
		ticketCmd("disputes", "openBillingDispute", "Open a billing dispute", act[DisputeBody]),
		cmdRoute("POST", "/v1/tickets/{id}/disputes/{disputeId}/resolution", "resolveBillingDispute", "Decide a billing dispute", tk,
			func(c call, b *DisputeResolutionBody) (res, error) {
				return c.app.Act(c.ctx, c.cmd, c.id(), b.input(c.r.PathValue("disputeId")))
			}),
		ticketCmd("fraud-flags", "flagFraud", "Flag suspected fraud", act[FraudFlagBody]),
		ticketCmd("fraud-clearance", "clearFraud", "Clear a fraud flag", actWith(fraudClearance)),
		ticketCmd("notes", "addNote", "Add a note", act[NoteBody]),
		ticketCmd("assignment", "reassign", "Reassign to another engineer or queue", act[ReassignBody]),
		ticketCmd("resolution", "resolve", "Resolve the request", act[ResolveBody]),
		ticketCmd("reopening", "reopen", "Reopen a resolved request", actWith(reopening)),
		ticketCmd("closure", "close", "Close the request for good", actWith(closure)),

		// Partner commands.
		create(cmdRoute("POST", "/v1/partners", "registerPartner", "Register a partner organisation (indirect provider or reseller)", pt,
			func(c call, b *RegisterPartnerBody) (res, error) {
				return c.app.RegisterPartner(c.ctx, c.cmd, b.PartnerID, b.input())
			})),
		cmdRoute("POST", "/v1/partners/{id}/customers", "linkCustomer", "Record that the partner serves a customer", pt,
			func(c call, b *LinkCustomerBody) (res, error) {
				return c.app.LinkCustomer(c.ctx, c.cmd, c.id(), b.input())
			}),
		cmdRoute("POST", "/v1/partners/{id}/support-plans", "recordSupportPlan", "Record a support contract or entitlement of the partner", pt,
			func(c call, b *SupportPlanBody) (res, error) {
				return c.app.RecordSupportPlan(c.ctx, c.cmd, c.id(), b.input())
			}),
		cmdRoute("POST", "/v1/partners/{id}/support-plans/{planId}/end", "endSupportPlan", "End a support plan", pt,
			func(c call, b *ReasonBody) (res, error) {
				return c.app.EndSupportPlan(c.ctx, c.cmd, c.id(), c.r.PathValue("planId"), b.Reason)
			}),
		cmdRoute("POST", "/v1/partners/{id}/azure-access", "grantAzureAccess", "The indirect provider grants its reseller access to a customer's Azure account", pt,
			func(c call, b *GrantBody) (res, error) {
				return c.app.GrantAzureAccess(c.ctx, c.cmd, c.id(), b.CustomerID)
			}),
		cmdRoute("POST", "/v1/partners/{id}/azure-access/{customerId}/revocation", "revokeAzureAccess", "Revoke that grant", pt,
			func(c call, b *ReasonBody) (res, error) {
				return c.app.RevokeAzureAccess(c.ctx, c.cmd, c.id(), c.r.PathValue("customerId"), b.Reason)
			}),

		// Queries.
		get("/v1/tickets", "listTickets", "List tickets with filters, newest or oldest first, with a cursor", tk, projections.TicketPage{}, (*API).listTickets,
			withPage(
				param{Name: "partnerId", Type: "string", Desc: "filing partner (for a partner caller, within its tenancy: another partner selects nothing)"},
				param{Name: "customerId", Type: "string"},
				param{Name: "status", Type: "string", Values: statuses},
				param{Name: "severity", Type: "string", Values: severities},
				param{Name: "product", Type: "string"},
				param{Name: "sla", Type: "string", Values: []string{projections.SLAMet, projections.SLABreached, projections.SLAPending, projections.SLAAtRisk, projections.SLABreachedUnanswered}},
				param{Name: "horizon", Type: "duration", Desc: "at-risk horizon for sla=at_risk and each ticket's sla.state: seconds or a duration like 90m (default 1h)"},
				param{Name: "openedFrom", Type: "date-time", Desc: "opened at or after (RFC 3339)"},
				param{Name: "openedTo", Type: "date-time", Desc: "opened before (RFC 3339)"},
				param{Name: "idPrefix", Type: "string", Desc: "ticket ids starting with this (a short id, resolved as git resolves one: ask with limit=2; within the caller's tenancy)"},
				param{Name: "q", Type: "string", Desc: "search: tickets whose id starts with it, or each of whose words begins a word of the title, the partner id or the customer id (ignoring case; within the caller's tenancy)"},
			)...),
		get("/v1/tickets/{id}", "getTicket", "A ticket and its SLA clock: now (read model), or as the ledger knew it at asOf on the occurred or recorded axis", tk, projections.AsOfView{}, (*API).getTicket,
			param{Name: "asOf", Type: "date-time", Desc: "replay the ticket's stream up to this instant (RFC 3339)"},
			param{Name: "axis", Type: "string", Desc: "time axis of asOf: recorded (default: what the ledger had recorded) or occurred (what had happened)", Values: []string{"occurred", "recorded"}}),
		get("/v1/tickets/{id}/sla", "getTicketSLA", "The SLA compliance of one ticket now, with every deadline ever in force", tk, projections.TicketSLA{}, (*API).ticketSLA),
		get("/v1/tickets/{id}/history", "getTicketHistory", "Who did what, when (both axes), on whose behalf, why, with old and new values", tk, HistoryView{}, (*API).history),
		get("/v1/tickets/{id}/evidence", "exportEvidence", "The ticket's raw stream with its hash chain verified, for the other side of a dispute", tk, app.Evidence{}, (*API).evidence),
		withMedia("application/zip", "the evidence bundle, a zip file (docs/evidence-bundle.md)",
			get("/v1/tickets/{id}/evidence.zip", "exportEvidenceBundle", "The ticket's evidence bundle: its events as stored with signatures, an inclusion proof of each against one signed tree head, the keys, the SLA policy and calendars in force and the recorded verdict; verifiable offline (ticketledger evidence verify)", tk, nil, (*API).evidenceBundle)),
		get("/v1/tickets/{id}/evidence/verification", "verifyTicket", "Verify the ticket's hash chain", tk, Verification{}, (*API).verify),
		get("/v1/partners/{id}", "getPartner", "A partner organisation", pt, PartnerView{}, (*API).getPartner),
		get("/v1/audit", "queryAudit", "Audit query: events by actor, partner, customer, ticket, stream, type and time range on both axes", au, projections.AuditPage{}, (*API).auditQuery,
			withPage(
				param{Name: "actor", Type: "string", Desc: "principal id of whoever caused the event"},
				param{Name: "partnerId", Type: "string", Desc: "events of the partner's tickets and stream, and those its people caused (for a partner caller, within its tenancy)"},
				param{Name: "customerId", Type: "string"},
				param{Name: "ticketId", Type: "string"},
				param{Name: "stream", Type: "string"},
				param{Name: "type", Type: "string", List: true, Desc: "event types, repeated or comma-separated"},
				param{Name: "recordedFrom", Type: "date-time"}, param{Name: "recordedTo", Type: "date-time"},
				param{Name: "occurredFrom", Type: "date-time"}, param{Name: "occurredTo", Type: "date-time"},
			)...),
		get("/v1/audit/tree-head", "getTreeHead", "The latest signed tree head (checkpoint) of the ledger's Merkle tree: JSON, or the C2SP signed note with Accept: text/plain or format=checkpoint; auditors and admins", au, TreeHeadView{}, (*API).treeHead,
			param{Name: "format", Type: "string", Desc: "checkpoint: the signed note as text/plain (as with Accept: text/plain); json (default)", Values: []string{"json", "checkpoint"}}),
		get("/v1/audit/keys", "listKeys", "The keyring: every public key that signed events and seals, with its fingerprint and the log positions it was valid between; auditors and admins", au, KeysView{}, (*API).listKeys),
		{method: "POST", path: "/v1/audit/keys/rotate", op: "rotateSigningKey", summary: "Rotate the signing key (admin only): seal, record a new key in the keyring and retire the current one at this log position; the new private key is written to a file outside the data directory on the server, which serve must be pointed at (--signing-key) on its next start", tag: au,
			body: RotateKeyBody{}, resp: KeyRotationView{}, status: http.StatusOK, handle: (*API).rotateKey},
		get("/v1/audit/inclusion", "getInclusionProof", "An RFC 6962 inclusion proof that the event at a global position is in the ledger's Merkle tree (default: of the latest signed tree head); auditors and admins", au, InclusionView{}, (*API).inclusion,
			param{Name: "position", Type: "integer", Desc: "the event's global (commit) position"},
			param{Name: "prepare", Type: "integer", Desc: "its prepare position on KurrentDB (default: the commit position, as on the embedded store)"},
			param{Name: "treeSize", Type: "integer", Desc: "the tree size to prove against (default: the latest signed tree head's)"}),
		get("/v1/audit/consistency", "getConsistencyProof", "An RFC 6962 consistency proof that the tree of size to extends the tree of size from: the ledger only grew; auditors and admins", au, ConsistencyView{}, (*API).consistency,
			param{Name: "from", Type: "integer", Desc: "the size of the earlier tree head"},
			param{Name: "to", Type: "integer", Desc: "the later size (default: the latest signed tree head's)"}),
		get("/v1/reports/sla", "slaReport", "SLA compliance over tickets opened in [from, to), grouped, with breaches, near misses, percentiles and at-risk counts", rp, projections.Report{}, (*API).slaReport,
			param{Name: "from", Type: "date-time"}, param{Name: "to", Type: "date-time"},
			param{Name: "groupBy", Type: "string", List: true, Desc: "severity, product, partner, customer, locale", Values: dimensions},
			param{Name: "horizon", Type: "duration", Desc: "at-risk horizon: seconds or a duration like 90m (default 1h)"},
			param{Name: "slices", Type: "integer", Desc: "with from and to: also the period cut into this many equal slices by opening time (over: each slice's counters and compliance, oldest first), at most 100"},
			param{Name: "partnerId", Type: "string"}, param{Name: "customerId", Type: "string"}),
		get("/v1/reports/at-risk", "atRisk", "Open unanswered tickets whose deadline falls within the horizon, soonest first", rp, AtRiskView{}, (*API).atRisk,
			param{Name: "horizon", Type: "duration", Desc: "seconds or a duration like 90m (default 1h)"},
			param{Name: "includeBreached", Type: "boolean"},
			param{Name: "partnerId", Type: "string"}, param{Name: "customerId", Type: "string"},
			param{Name: "severity", Type: "string", Values: severities}, param{Name: "product", Type: "string"},
			param{Name: "limit", Type: "integer"}),
		{method: "POST", path: "/v1/reports/what-if", op: "whatIf", summary: "Re-judge tickets under another SLA policy version (held or inline) and list the verdicts that flip; changes nothing", tag: rp,
			body: WhatIfBody{}, resp: projections.WhatIfReport{}, status: http.StatusOK, handle: (*API).whatIf},
		get("/v1/policies", "listPolicies", "The SLA policy versions and the current one", rp, PolicyList{}, (*API).listPolicies),

		// Tokens (admin only).
		{method: "POST", path: "/v1/tokens", op: "issueToken", summary: "Issue a ledger token (admin only); the secret is in this answer and never again", tag: tkn,
			body: IssueTokenBody{}, resp: IssuedToken{}, status: http.StatusCreated, handle: (*API).issueToken},
		get("/v1/tokens", "listTokens", "The ledger tokens, active, expired and revoked (admin only; no secrets, no hashes)", tkn, TokenList{}, (*API).listTokens),
		{method: "POST", path: "/v1/tokens/{id}/revocation", op: "revokeToken", summary: "Revoke a token (admin only); it stops authenticating at once", tag: tkn,
			body: RevokeTokenBody{}, resp: RevokedToken{}, status: http.StatusOK, handle: (*API).revokeToken},

		// Data subjects (admin only).
		cmdRoute("POST", "/v1/subjects/{subject}/forget", "forgetSubject", "Erase a data subject (admin only): destroy the key its personal data (a ticket contact's name, e-mail, phone) is encrypted with, so it reads as erased everywhere while every hash, signature and seal still verifies, and record subject.erased (who, when, why; no personal data). {subject} is the subject id (sub-…) or the contact's e-mail", sub,
			func(c call, b *ReasonBody) (res, error) {
				er, err := c.app.Forget(c.ctx, c.cmd, c.r.PathValue("subject"), b.Reason)
				return er.Result, err
			}),

		// Webhooks (a partner its own subscriptions, an admin all; infra/webhook).
		{method: "POST", path: "/v1/webhooks", op: "createWebhook", summary: "Subscribe an https endpoint to ticket events and SLA notices (Standard Webhooks: signed with the whsec_ secret in this answer, shown here and at a rotation only); a partner subscribes to its own tickets, an admin ledger-wide or for a partner; the target must resolve to public addresses only; send Idempotency-Key to retry safely (the same key and body answer the first subscription and its secret again)", tag: wh, idempotent: true,
			body: CreateWebhookBody{}, resp: webhook.WithSecret{}, status: http.StatusCreated, handle: (*API).createWebhook},
		{method: "GET", path: "/v1/webhooks", op: "listWebhooks", summary: "The webhook subscriptions the caller manages (a partner its own, an admin all); never a secret", tag: wh,
			resp: WebhookList{}, status: http.StatusOK, handle: listWebhooks, query: []param{{Name: "deleted", Type: "boolean", Desc: "also list deleted subscriptions"}}},
		{method: "GET", path: "/v1/webhooks/{id}", op: "getWebhook", summary: "One webhook subscription", tag: wh,
			resp: webhook.View{}, status: http.StatusOK, handle: (*API).getWebhook},
		{method: "POST", path: "/v1/webhooks/{id}/secret-rotation", op: "rotateWebhookSecret", summary: "Start a new signing secret (in this answer); the previous one stays valid for overlapSeconds (default a day), and deliveries carry both signatures meanwhile", tag: wh,
			body: RotateWebhookSecretBody{}, resp: webhook.WithSecret{}, status: http.StatusOK, handle: (*API).rotateWebhookSecret},
		{method: "POST", path: "/v1/webhooks/{id}/pause", op: "pauseWebhook", summary: "Pause deliveries (what happens meanwhile is not delivered later)", tag: wh,
			body: WebhookReasonBody{}, resp: webhook.View{}, status: http.StatusOK, handle: pauseWebhook},
		{method: "POST", path: "/v1/webhooks/{id}/resume", op: "resumeWebhook", summary: "Resume deliveries with the next event", tag: wh,
			resp: webhook.View{}, status: http.StatusOK, handle: resumeWebhook},
		{method: "POST", path: "/v1/webhooks/{id}/deletion", op: "deleteWebhook", summary: "Delete a subscription for good (recorded, like its creation)", tag: wh,
			body: WebhookReasonBody{}, resp: webhook.View{}, status: http.StatusOK, handle: deleteWebhook},
		{method: "GET", path: "/v1/webhooks/{id}/deliveries", op: "listWebhookDeliveries", summary: "The delivery log, newest first: per delivery its ticket, per-ticket sequence, type, status (delivered, parked, held, replay_requested, skipped), attempts, last HTTP status and error, latency of the last attempt", tag: wh,
			resp: DeliveryList{}, status: http.StatusOK, handle: listWebhookDeliveries, query: []param{{Name: "limit", Type: "integer", Desc: "at most this many (default 100)"}}},
		{method: "GET", path: "/v1/webhooks/{id}/dead-letters", op: "listWebhookDeadLetters", summary: "The parked deliveries (every attempt failed), oldest first; each holds back its ticket's later deliveries until an admin replays or skips it", tag: wh,
			resp: DeliveryList{}, status: http.StatusOK, handle: listWebhookDeadLetters},
		{method: "POST", path: "/v1/webhooks/{id}/dead-letters/{deliveryId}/replay", op: "replayWebhookDelivery", summary: "Try a parked delivery again (admin only); on success its ticket's held deliveries follow in order", tag: wh,
			resp: webhook.DeliveryView{}, status: http.StatusAccepted, handle: replayWebhookDelivery},
		{method: "POST", path: "/v1/webhooks/{id}/dead-letters/{deliveryId}/skip", op: "skipWebhookDelivery", summary: "Give a parked delivery up (admin only); its ticket's held deliveries go on", tag: wh,
			resp: webhook.DeliveryView{}, status: http.StatusAccepted, handle: skipWebhookDelivery},

		// Operations.
		{method: "POST", path: "/v1/admin/backups", op: "createBackup", summary: "Take an online backup (admin only): a Pebble checkpoint of the embedded store, consistent at one log position while commands go on, with the read models' snapshot and a manifest naming the log's head and latest signed tree head, written to a new directory under the server's --backup-dir (a path outside it is refused); the subject key store only with withSubjectKeys. With Accept: application/x-ndjson the answer streams progress, one JSON object a line ({\"progress\":{\"doneBytes\":…,\"totalBytes\":…}}…, then {\"backup\":{…}} or, if it failed once under way, {\"problem\":{…}}; a refusal is an ordinary problem answer). Refused on KurrentDB (use its own backups)", tag: ops,
			body: BackupBody{}, resp: BackupView{}, status: http.StatusCreated, handle: (*API).backup},
		{method: "POST", path: "/v1/admin/import", op: "importHistory", summary: "Import ticket history from another desk (admin: any partner's; a partner: its own): the body is the import file, JSON lines of docs/import-format.md, read as it arrives. Each ticket's new lines are decided by the domain rules as live commands, at the source's occurredAt within the import backdating window (GET /v1/info), recorded now, marked imported in their metadata, and appended whole or not at all; lines imported before are skipped. Answers the run's summary with every refused line (its number, rule and message)", tag: ops,
			stream: true, body: ImportBody{}, resp: importer.Summary{}, status: http.StatusOK, handle: (*API).importHistory},
		get("/v1/info", "ledgerInfo", "This ledger's configured limits: the backdating windows of commands and imports", ops, LedgerInfo{}, (*API).info),
		{method: "GET", path: "/healthz", op: "healthz", summary: "The process is up", tag: ops, public: true, resp: Health{}, status: http.StatusOK, handle: (*API).healthz},
		{method: "GET", path: "/readyz", op: "readyz", summary: "Ready to serve: projections caught up and event store reachable (503 otherwise); status \"degraded\" with a detail while the store refuses appends for a full disk, is reopening itself after a failed commit, or has damaged files", tag: ops, public: true, resp: Health{}, status: http.StatusOK, handle: (*API).readyz},
		{method: "GET", path: "/openapi.json", op: "openapi", summary: "This OpenAPI document", tag: ops, public: true, status: http.StatusOK, handle: (*API).openAPIDoc},
	}
}

// metricsRoute is GET /metrics, in the table when Config.Metrics is set.
// Its tenancy scope is public with --metrics-public, else configuration
// (any principal; the metrics carry no ticket, partner or customer id).
func metricsRoute(public bool) route {
	sc := scopeConfig
	if public {
		sc = scopePublic
	}
	return route{method: http.MethodGet, path: "/metrics", op: "metrics", summary: "Prometheus metrics (text exposition format)", tag: "operations",
		public: public, metrics: true, scope: sc, status: http.StatusOK, handle: (*API).metricsPage}
}
