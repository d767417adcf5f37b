package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/projections"
)

// DefaultHorizon is the at-risk horizon of SLA queries when none is given.
const DefaultHorizon = sla.DefaultReportHorizon

// Who may read what is decided by admit (tenancy.go) before a handler
// runs; a handler restricts what it reads to the caller's tenancy with
// partyOf.

// partyOf is the Party filter of a listing for actor: its partner for a
// partner caller (only the tickets it is a party to), none otherwise.
func partyOf(actor domain.Actor) string {
	if actor.Role.IsPartner() {
		return actor.Partner
	}
	return ""
}

// ticketRead is the start of every per-ticket read, once admit let the
// caller see the ticket: the ticket id of the path in canonical form and,
// when replay asks for it, the ticket's recorded stream.
func (a *API) ticketRead(r *http.Request, replay bool) (string, []domain.Recorded, error) {
	_, id, err := app.TicketStream(r.PathValue("id"))
	if err != nil {
		return "", nil, err
	}
	var recs []domain.Recorded
	if replay {
		if recs, err = a.app.Recorded(r.Context(), id); err != nil {
			return "", nil, err
		}
	}
	return id, recs, nil
}

// getTicket serves the ticket as of now (from the read model) or, with
// asOf, as the ledger knew it then (replayed from its stream).
func (a *API) getTicket(w http.ResponseWriter, r *http.Request, q *query) error {
	if _, err := actorOf(r); err != nil {
		return err // the headers first, as for every read
	}
	at := q.time("asOf")
	axis := q.oneOf("axis", string(projections.AxisOccurred), string(projections.AxisRecorded))
	if q.err != nil {
		return q.err
	}
	if axis != "" && at.IsZero() {
		return badRequest("axis", "axis applies to an asOf query: add asOf=<RFC 3339 time>")
	}
	id, recs, err := a.ticketRead(r, !at.IsZero())
	if err != nil {
		return err
	}
	if !at.IsZero() {
		if axis == "" {
			axis = string(projections.AxisRecorded)
		}
		view, err := projections.AsOf(recs, at, projections.Axis(axis), a.clock)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, view)
	}
	now := a.now().UTC()
	t, ok := a.tickets.Get(id)
	if !ok {
		return errNoTicket()
	}
	view := projections.AsOfView{At: now, Axis: projections.AxisRecorded, Exists: true, Ticket: &t, Events: t.Events,
		NotYetRecorded: []projections.EventRef{}, NotYetOccurred: []projections.EventRef{}, Excluded: []projections.EventRef{}}
	if s, ok := a.tickets.SLA(id, now); ok {
		view.SLA = &s
	}
	w.Header().Set("ETag", etag(t.Revision))
	return writeJSON(w, http.StatusOK, view)
}

// listTickets lists tickets with filters and a cursor.
func (a *API) listTickets(w http.ResponseWriter, r *http.Request, q *query) error {
	f := projections.TicketFilter{
		Scope: q.scope(), Status: q.oneOf("status", statuses...),
		Severity: q.oneOf("severity", severities...), Product: q.str("product"),
		SLA: q.oneOf("sla", projections.SLAMet, projections.SLABreached, projections.SLAPending, projections.SLAAtRisk, projections.SLABreachedUnanswered),
		Now: a.now().UTC(), Horizon: q.duration("horizon", DefaultHorizon),
		OpenedFrom: q.time("openedFrom"), OpenedTo: q.time("openedTo"), IDPrefix: q.str("idPrefix"),
		Search: q.str("q"),
	}
	p := page(q)
	return scopedRead(w, r, q, &f.Party, func() (projections.TicketPage, error) {
		res, err := a.tickets.List(f, p)
		res.Tickets = orEmpty(res.Tickets)
		return res, err
	})
}

// scopedRead serves a read restricted to the caller's tenancy: the actor
// from the request, the query parameters the handler read into q (their
// first error), *party set to the caller's (partyOf), and then read's
// answer as JSON. A partnerId naming a partner outside the tenancy selects
// nothing, as one never used does.
func scopedRead[R any](w http.ResponseWriter, r *http.Request, q *query, party *string, read func() (R, error)) error {
	actor, err := actorOf(r)
	if err != nil {
		return err
	}
	if q.err != nil {
		return q.err
	}
	*party = partyOf(actor)
	res, err := read()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// orEmpty returns s, or an empty slice for nil (a JSON [] rather than null).
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func page(q *query) projections.Page {
	limit := q.int("limit")
	if limit > projections.MaxLimit && q.err == nil {
		q.err = badRequest("limit", "limit=%d is more than %d: page with the cursor (next) instead", limit, projections.MaxLimit)
	}
	return projections.Page{Cursor: q.str("cursor"), Limit: limit,
		Order: projections.Order(q.oneOf("order", string(projections.OldestFirst), string(projections.NewestFirst)))}
}

func (a *API) ticketSLA(w http.ResponseWriter, r *http.Request, _ *query) error {
	id, _, err := a.ticketRead(r, false)
	if err != nil {
		return err
	}
	s, ok := a.tickets.SLA(id, a.now().UTC())
	if !ok {
		return errNoTicket()
	}
	return writeJSON(w, http.StatusOK, s)
}

// HistoryView is the full history of one ticket.
type HistoryView struct {
	TicketID string                     `json:"ticketId"`
	Entries  []projections.HistoryEntry `json:"entries"`
}

func (a *API) history(w http.ResponseWriter, r *http.Request, _ *query) error {
	id, recs, err := a.ticketRead(r, true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, HistoryView{TicketID: id, Entries: projections.History(recs, a.clock)})
}

func (a *API) auditQuery(w http.ResponseWriter, r *http.Request, q *query) error {
	aq := projections.AuditQuery{
		Actor: q.str("actor"), PartnerID: q.str("partnerId"), CustomerID: q.str("customerId"), TicketID: q.str("ticketId"),
		Stream: q.str("stream"), Types: q.list("type"),
		RecordedFrom: q.time("recordedFrom"), RecordedTo: q.time("recordedTo"),
		OccurredFrom: q.time("occurredFrom"), OccurredTo: q.time("occurredTo"),
	}
	p := page(q)
	return scopedRead(w, r, q, &aq.Party, func() (projections.AuditPage, error) {
		res, err := a.audit.Query(aq, p)
		res.Entries = orEmpty(res.Entries)
		return res, err
	})
}

var (
	statuses = []string{projections.StatusOpen, projections.StatusInProgress, projections.StatusAwaitingInfo,
		projections.StatusResolved, projections.StatusClosed, projections.StatusRedirected}
	severities = []string{string(domain.SeverityA), string(domain.SeverityB), string(domain.SeverityC)}
)

var dimensions = []string{projections.DimSeverity, projections.DimProduct, projections.DimPartner, projections.DimCustomer, projections.DimLocale}

func (a *API) slaReport(w http.ResponseWriter, r *http.Request, q *query) error {
	rq := projections.ReportQuery{Scope: q.scope(), From: q.time("from"), To: q.time("to"), GroupBy: q.list("groupBy"),
		Now: a.now().UTC(), Horizon: q.duration("horizon", DefaultHorizon), Slices: q.int("slices")}
	if rq.Slices != 0 && (rq.Slices < 0 || rq.Slices > projections.MaxSlices || rq.From.IsZero() || rq.To.IsZero()) {
		q.fail(badRequest("slices", "slices=%d: give from and to, and 1 to %d slices", rq.Slices, projections.MaxSlices))
	}
	for _, g := range rq.GroupBy {
		if !slices.Contains(dimensions, g) {
			q.fail(badRequest("groupBy", "groupBy %q is not a dimension: use severity, product, partner, customer or locale", g))
		}
	}
	if !rq.From.IsZero() && !rq.To.IsZero() && !rq.From.Before(rq.To) {
		q.fail(badRequest("to", "the period is empty: to must be after from"))
	}
	return scopedRead(w, r, q, &rq.Party, func() (projections.Report, error) { return a.tickets.Report(rq) })
}

// AtRiskView lists open unanswered tickets at risk (or breached).
type AtRiskView struct {
	Now            time.Time               `json:"now"`
	HorizonSeconds float64                 `json:"horizonSeconds"`
	Tickets        []projections.TicketSLA `json:"tickets"`
}

func (a *API) atRisk(w http.ResponseWriter, r *http.Request, q *query) error {
	aq := projections.AtRiskQuery{Scope: q.scope(), Now: a.now().UTC(), Horizon: q.duration("horizon", DefaultHorizon),
		IncludeBreached: q.bool("includeBreached"), Severity: q.oneOf("severity", severities...), Product: q.str("product"), Limit: q.int("limit")}
	return scopedRead(w, r, q, &aq.Party, func() (AtRiskView, error) {
		list, err := a.tickets.AtRisk(aq)
		return AtRiskView{Now: aq.Now, HorizonSeconds: aq.Horizon.Seconds(), Tickets: orEmpty(list)}, err
	})
}

// WhatIfBody asks how the tickets opened in [from, to) would have fared
// under another policy: a version the ledger holds (policyVersion) or one
// defined inline (policy, a PolicySpec whose base is a shipped version).
type WhatIfBody struct {
	PolicyVersion string          `json:"policyVersion,omitempty"`
	Policy        json.RawMessage `json:"policy,omitempty"`
	From          Timestamp       `json:"from,omitzero"`
	To            Timestamp       `json:"to,omitzero"`
	PartnerID     string          `json:"partnerId,omitempty"`
	CustomerID    string          `json:"customerId,omitempty"`
}

func (a *API) whatIf(w http.ResponseWriter, r *http.Request, _ *query) error {
	var b WhatIfBody
	actor, err := callerAndBody(r, &b)
	if err != nil {
		return err
	}
	var p *sla.Policy
	switch {
	case len(b.Policy) > 0 && b.PolicyVersion != "":
		return badRequest("policy", "give either policyVersion or policy, not both")
	case len(b.Policy) > 0:
		if p, err = sla.ParsePolicy(b.Policy); err != nil {
			if domain.KindOf(err) == domain.KindInternal {
				return badRequest("policy", "the policy definition is not valid: %v", err)
			}
			return err
		}
	case b.PolicyVersion != "":
		if p, err = a.policies.Get(b.PolicyVersion); err != nil {
			return err
		}
	default:
		return badRequest("policyVersion", "name a policy version (see GET /v1/policies) or define one inline in policy")
	}
	rep, err := a.tickets.WhatIf(projections.WhatIfQuery{From: b.From.Time, To: b.To.Time, Now: a.now().UTC(), PolicyVersion: p.Version(),
		Scope: projections.Scope{Party: partyOf(actor), PartnerID: b.PartnerID, CustomerID: b.CustomerID}}, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// PolicyList lists the SLA policy versions.
type PolicyList struct {
	Current  string       `json:"current"`
	Policies []PolicyView `json:"policies"`
}

// PolicyView is one policy version.
type PolicyView struct {
	Version string         `json:"version"`
	Summary string         `json:"summary"`
	Spec    sla.PolicySpec `json:"spec"`
}

func (a *API) listPolicies(w http.ResponseWriter, r *http.Request, _ *query) error {
	if _, err := actorOf(r); err != nil {
		return err
	}
	out := PolicyList{Current: a.policies.Current().Version(), Policies: []PolicyView{}}
	for _, v := range a.policies.Versions() {
		p, err := a.policies.Get(v)
		if err != nil {
			return err
		}
		out.Policies = append(out.Policies, PolicyView{Version: v, Summary: p.String(), Spec: p.Spec()})
	}
	return writeJSON(w, http.StatusOK, out)
}

// evidenceOf exports the path's ticket's evidence, for a caller allowed
// to read the ticket.
func (a *API) evidenceOf(r *http.Request) (string, app.Evidence, error) {
	id, _, err := a.ticketRead(r, false)
	if err != nil {
		return "", app.Evidence{}, err
	}
	ev, err := a.app.ExportEvidence(r.Context(), id)
	return id, ev, err
}

func (a *API) evidence(w http.ResponseWriter, r *http.Request, _ *query) error {
	id, ev, err := a.evidenceOf(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="evidence-`+id+`.json"`)
	return writeJSON(w, http.StatusOK, ev)
}

// Verification is the result of verifying a ticket's hash chain.
type Verification struct {
	TicketID     string            `json:"ticketId"`
	Verified     bool              `json:"verified"`
	Problem      *app.ChainProblem `json:"problem,omitempty"`
	Events       int               `json:"events"`
	LastRevision uint64            `json:"lastRevision"`
	LastHash     string            `json:"lastHash"`
	HashScheme   string            `json:"hashScheme"`
}

func (a *API) verify(w http.ResponseWriter, r *http.Request, _ *query) error {
	id, ev, err := a.evidenceOf(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Verification{TicketID: id, Verified: ev.Verified, Problem: ev.Problem, Events: len(ev.Events),
		LastRevision: ev.LastRev, LastHash: ev.LastHash, HashScheme: ev.HashScheme})
}

// PartnerView is a partner organisation.
type PartnerView struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Role       domain.Role `json:"role"`
	ProviderID string      `json:"providerId,omitempty"`
	Email      string      `json:"email"`
	Revision   uint64      `json:"revision"`
}

// getPartner serves a partner record; admit checked that a partner
// caller is related to it.
func (a *API) getPartner(w http.ResponseWriter, r *http.Request, _ *query) error {
	p, rev, err := a.app.Partner(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(rev))
	return writeJSON(w, http.StatusOK, PartnerView{ID: p.ID(), Name: p.Name(), Role: p.Role(), ProviderID: p.Provider(), Email: p.Email(), Revision: rev})
}

// Health is the body of /healthz and /readyz.
type Health struct {
	// Status is "ok" (/healthz), "ready" or "degraded" (/readyz).
	Status string `json:"status"`
	// Detail says what is degraded: appends refused for a full disk,
	// damaged files of the event store.
	Detail string `json:"detail,omitempty"`
}

func (a *API) healthz(w http.ResponseWriter, _ *http.Request, _ *query) error {
	return writeJSON(w, http.StatusOK, Health{Status: "ok"})
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request, _ *query) error {
	if a.ready != nil {
		if err := a.ready(r.Context()); err != nil {
			return &httpError{status: http.StatusServiceUnavailable, rule: RuleNotReady, msg: err.Error()}
		}
	}
	if a.degraded != nil {
		if err := a.degraded(); err != nil {
			return writeJSON(w, http.StatusOK, Health{Status: "degraded", Detail: err.Error()})
		}
	}
	return writeJSON(w, http.StatusOK, Health{Status: "ready"})
}

func (a *API) openAPIDoc(w http.ResponseWriter, _ *http.Request, _ *query) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(a.openapi)
	return err
}

// scope is the partnerId and customerId parameters; the caller's tenancy
// (Party) is set by scopedRead.
func (q *query) scope() projections.Scope {
	return projections.Scope{PartnerID: q.str("partnerId"), CustomerID: q.str("customerId")}
}

// notCaughtUpError: the read models did not reach a query's minPosition
// within the await timeout.
type notCaughtUpError struct {
	position uint64
	waited   time.Duration
}

func (e *notCaughtUpError) Error() string {
	return fmt.Sprintf("read models not at position %d after %s", e.position, e.waited)
}

// awaitMinPosition waits, at most the await timeout, until the read models
// hold the query's minPosition (a command's answer, perhaps from another
// replica): read your own writes. Without a projector to wait for (the
// read models are fed in line), there is nothing to wait for.
func (a *API) awaitMinPosition(ctx context.Context, q *query) error {
	pos := q.int("minPosition")
	if q.err != nil || pos == 0 || a.await == nil {
		return q.err
	}
	ctx, cancel := context.WithTimeout(ctx, a.awaitFor)
	defer cancel()
	if err := a.await(ctx, uint64(pos)); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &notCaughtUpError{position: uint64(pos), waited: a.awaitFor}
		}
		return err
	}
	return nil
}
