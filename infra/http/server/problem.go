package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// ProblemContentType is the media type of error responses (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem document, with the ledger's extensions:
// the domain rule that refused the request, the field at fault, and for a
// revision conflict the stream's current revision.
type Problem struct {
	// Type is a URI naming the problem: "urn:ticketledger:rule:<rule>" for
	// a domain rule, "urn:ticketledger:problem:<kind>" otherwise.
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
	// Rule is the domain rule broken (domain.Rule), when there is one.
	Rule string `json:"rule,omitempty"`
	// Field is the request field, query parameter or header at fault.
	Field string `json:"field,omitempty"`
	// CurrentRevision is the stream's current revision on a 409 caused by
	// a stale expected revision (absent when the stream does not exist).
	CurrentRevision *uint64 `json:"currentRevision,omitempty"`
	// CorrelationID echoes the request's correlation id.
	CorrelationID string `json:"correlationId,omitempty"`

	retryAfter int // seconds, sent as Retry-After (0: none)
}

// Rules of the HTTP layer: request-level problems that never reach the
// domain, and authentication.
const (
	RuleUnauthenticated  domain.Rule = "unauthenticated"
	RuleRateLimited      domain.Rule = "rate-limited"
	RuleMetricsOnly      domain.Rule = "metrics-only-token"
	RuleReplicaOnly      domain.Rule = "replica-token"
	RuleAdminOnly        domain.Rule = "admin-only"
	RuleMalformedRequest domain.Rule = "malformed-request"
	RuleBodyTooLarge     domain.Rule = "body-too-large"
	RuleUnsupportedMedia domain.Rule = "unsupported-media-type"
	RuleNoRoute          domain.Rule = "no-such-route"
	RuleMethodNotAllowed domain.Rule = "method-not-allowed"
	RuleNotReady         domain.Rule = "not-ready"
	RuleNoTreeHead       domain.Rule = "no-tree-head"         // no sealer, or nothing sealed yet
	RuleKeyRotation      domain.Rule = "key-rotation-refused" // the ledger cannot rotate its key as configured
	RuleStoreFull        domain.Rule = "store-full"           // the event store's disk is full: appends refused
	RuleStoreDamaged     domain.Rule = "store-damaged"        // a file of the event store is damaged
	RuleStoreFailed      domain.Rule = "store-failed"         // a commit failed; the event store is reopening itself
	RuleNotCaughtUp      domain.Rule = "not-caught-up"        // the read models are behind a query's minPosition

	// Request-body hygiene (checkJSON).
	RuleDuplicateKey     domain.Rule = "duplicate-key"
	RuleInvalidUTF8      domain.Rule = "invalid-utf8"
	RuleControlCharacter domain.Rule = "control-character"
	RuleTooLarge         domain.Rule = "value-too-large"
)

// Retry-After of the store's faults: a full disk is freed by an operator, a
// failed store by a restart.
const (
	retryAfterNoSpace = 30
	retryAfterFailed  = 60
)

// httpError is an error with an explicit status, for problems found by the
// HTTP layer itself (bad JSON, bad query parameters, headers, body size).
type httpError struct {
	status int
	rule   domain.Rule
	field  string
	msg    string
}

// Error returns the message.
func (e *httpError) Error() string { return e.msg }

// badRequest returns a 400 about field.
func badRequest(field, format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, rule: RuleMalformedRequest, field: field, msg: fmt.Sprintf(format, args...)}
}

// kindStatus maps an error kind to its HTTP status: the one place where the
// mapping lives. Invalid input that reaches the domain is 422 (well-formed
// but breaking a rule); malformed requests are 400 (httpError).
func kindStatus(k domain.Kind) int {
	switch k {
	case domain.KindInvalid:
		return http.StatusUnprocessableEntity
	case domain.KindForbidden:
		return http.StatusForbidden
	case domain.KindNotFound:
		return http.StatusNotFound
	case domain.KindConflict:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// problemOf turns any error into a problem document. Internal errors get a
// generic detail: their text may leak internals, and is logged instead.
func problemOf(err error) Problem {
	var he *httpError
	var ce *app.ConflictError
	var de *domain.Error
	var mbe *http.MaxBytesError
	var nc *notCaughtUpError
	switch {
	case errors.As(err, &he):
		p := Problem{Status: he.status, Detail: he.msg, Field: he.field, Rule: string(he.rule)}
		return finish(p)
	case errors.As(err, &mbe):
		return finish(Problem{Status: http.StatusRequestEntityTooLarge, Rule: string(RuleBodyTooLarge), Field: "body",
			Detail: fmt.Sprintf("the request body is larger than %d bytes: send less", mbe.Limit)})
	case errors.As(err, &ce):
		p := Problem{Status: http.StatusConflict, Detail: ce.Error(), Rule: string(app.RuleStaleRevision), Field: "If-Match"}
		if ce.HasCurrent {
			cur := ce.Current
			p.CurrentRevision = &cur
		}
		return finish(p)
	case errors.As(err, &de) && de.Kind != domain.KindInternal:
		return finish(Problem{Status: kindStatus(de.Kind), Detail: de.Message, Rule: string(de.Rule), Field: de.Field})
	case errors.As(err, &nc):
		return finish(Problem{Status: http.StatusServiceUnavailable, Rule: string(RuleNotCaughtUp), Field: "minPosition", retryAfter: 1,
			Detail: fmt.Sprintf("this ledger's read models have not reached position %d within %s: retry after Retry-After seconds, or ask the replica that took the command", nc.position, nc.waited)})
	case errors.Is(err, eventstore.ErrNoSpace):
		return finish(Problem{Status: http.StatusServiceUnavailable, Rule: string(RuleStoreFull), retryAfter: retryAfterNoSpace,
			Detail: "the ledger's disk is full, so nothing was recorded: changes are refused until the operator frees space, reads still work; retry after Retry-After seconds"})
	case errors.Is(err, eventstore.ErrDamaged):
		return finish(Problem{Status: http.StatusInternalServerError, Rule: string(RuleStoreDamaged),
			Detail: "a file of the ledger's event store is damaged and holds data this request needs; the operator has been told (server log, /readyz) and must restore it from a backup"})
	case errors.Is(err, eventstore.ErrFailed):
		return finish(Problem{Status: http.StatusServiceUnavailable, Rule: string(RuleStoreFailed), retryAfter: retryAfterFailed,
			Detail: "the ledger's event store failed and is reopening itself, refusing changes meanwhile; reads still work; retry after Retry-After seconds (a change that met the failure itself may or may not have been recorded: retry it with the same Idempotency-Key)"})
	case errors.Is(err, context.DeadlineExceeded):
		return finish(Problem{Status: http.StatusServiceUnavailable, Detail: "the request took too long: try again"})
	case errors.Is(err, context.Canceled):
		return finish(Problem{Status: 499, Detail: "the request was cancelled"})
	}
	return finish(Problem{Status: http.StatusInternalServerError, Detail: "an internal error occurred; it was logged with the correlation id"})
}

func finish(p Problem) Problem {
	p.Title = http.StatusText(p.Status)
	if p.Status == 499 {
		p.Title = "Client Closed Request"
	}
	switch {
	case p.Rule != "":
		p.Type = "urn:ticketledger:rule:" + p.Rule
	default:
		p.Type = "urn:ticketledger:problem:" + kindName(p.Status)
	}
	return p
}

func kindName(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return domain.KindInvalid.String()
	case http.StatusForbidden:
		return domain.KindForbidden.String()
	case http.StatusNotFound:
		return domain.KindNotFound.String()
	case http.StatusConflict:
		return domain.KindConflict.String()
	case http.StatusServiceUnavailable:
		return "unavailable"
	case 499:
		return "cancelled"
	}
	return domain.KindInternal.String()
}

// writeProblem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("Cache-Control", "no-store")
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
