package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/projections"
)

// CommandBase is embedded in every command body.
type CommandBase struct {
	// OccurredAt is when the thing happened in the world (RFC 3339);
	// absent: now. Late entries are welcome within the backdating window.
	OccurredAt Timestamp `json:"occurredAt,omitzero"`
}

// OpenTicketBody files a service request (POST /v1/tickets). It names no
// ticket id: the ledger assigns it (derived from the Idempotency-Key within
// the caller's scope when one is sent, so a retry finds the same ticket),
// and an id a caller tries can never collide with another partner's ticket.
type OpenTicketBody struct {
	CommandBase
	// ResellerID: an indirect provider filing for a customer of one of its
	// resellers names the reseller.
	ResellerID string `json:"resellerId,omitempty"`
	// Context, Channel, Route and Contact.Organisation may be left out:
	// ticket.OpenRequest.WithDefaults fills them in (customer context when
	// CustomerID is set, else own; channel api; route partner_center; the
	// acting partner's organisation).
	Context     string         `json:"context,omitempty"`
	CustomerID  string         `json:"customerId,omitempty"`
	Product     string         `json:"product"`
	NonCritical bool           `json:"nonCritical,omitempty"`
	Severity    string         `json:"severity"`
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Channel     string         `json:"channel,omitempty"`
	Route       string         `json:"route,omitempty"`
	Contact     ticket.Contact `json:"contact"`
	SupportPlan string         `json:"supportPlan,omitempty"`
	Entitlement string         `json:"entitlement,omitempty"`
	Language    string         `json:"language"`
	Locale      string         `json:"locale"`
}

// RedirectBody records a marketplace request redirected to its ISV.
// Like OpenTicketBody it names no ticket id.
type RedirectBody struct {
	CommandBase
	CustomerID  string            `json:"customerId,omitempty"`
	ProductName string            `json:"productName"`
	ISV         string            `json:"isv"`
	ISVContact  ticket.ISVContact `json:"isvContact"`
	Title       string            `json:"title"`
}

// FirstResponseBody records vendor support's first response.
type FirstResponseBody struct {
	CommandBase
	Summary string `json:"summary,omitempty"`
}

// SeverityBody changes the severity.
type SeverityBody struct {
	CommandBase
	Severity string `json:"severity"`
	Reason   string `json:"reason"`
}

// EscalateBody escalates the request.
type EscalateBody struct {
	CommandBase
	Reason      string   `json:"reason"`
	CriteriaMet []string `json:"criteriaMet"`
}

// InfoRequestBody asks the partner for information.
type InfoRequestBody struct {
	CommandBase
	Question string `json:"question"`
}

// InfoResponseBody answers an information request.
type InfoResponseBody struct {
	CommandBase
	Answer string `json:"answer"`
}

// DisputeBody opens a billing dispute.
type DisputeBody struct {
	CommandBase
	DisputeID   string `json:"disputeId"`
	InvoiceRef  string `json:"invoiceRef"`
	AmountCents int64  `json:"amountCents"`
	Currency    string `json:"currency"`
	Reason      string `json:"reason"`
}

// DisputeResolutionBody decides a billing dispute.
type DisputeResolutionBody struct {
	CommandBase
	Outcome           string `json:"outcome"`
	CreditAmountCents int64  `json:"creditAmountCents"`
	Currency          string `json:"currency,omitempty"`
	Explanation       string `json:"explanation"`
}

// FraudFlagBody flags suspected fraud.
type FraudFlagBody struct {
	CommandBase
	Reason     string   `json:"reason"`
	Indicators []string `json:"indicators,omitempty"`
}

// ReasonBody carries a reason (fraud clearance, reopen, close, support plan
// end, access revocation).
type ReasonBody struct {
	CommandBase
	Reason string `json:"reason"`
}

// NoteBody adds a note.
type NoteBody struct {
	CommandBase
	Text string `json:"text"`
}

// ReassignBody moves the request to another owner.
type ReassignBody struct {
	CommandBase
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// ResolveBody resolves the request.
type ResolveBody struct {
	CommandBase
	Resolution string `json:"resolution"`
}

// RegisterPartnerBody registers a partner organisation.
type RegisterPartnerBody struct {
	CommandBase
	PartnerID  string `json:"partnerId"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	ProviderID string `json:"providerId,omitempty"`
	Email      string `json:"email"`
}

// LinkCustomerBody links a customer to a partner.
type LinkCustomerBody struct {
	CommandBase
	CustomerID  string `json:"customerId"`
	Name        string `json:"name"`
	Domain      string `json:"domain,omitempty"`
	AdminRights bool   `json:"adminRights"`
}

// SupportPlanBody records a support plan.
type SupportPlanBody struct {
	CommandBase
	PlanID     string    `json:"planId"`
	Kind       string    `json:"kind"`
	Reference  string    `json:"reference"`
	ValidFrom  Timestamp `json:"validFrom"`
	ValidUntil Timestamp `json:"validUntil,omitzero"`
}

// GrantBody grants a reseller access to a customer's Azure account.
type GrantBody struct {
	CommandBase
	CustomerID string `json:"customerId"`
}

// CommandResult is the answer to an accepted command. P is the type of the
// events' payloads: domain.Event where the server writes it, and whatever a
// client decodes them into (infra/http/client: json.RawMessage).
type CommandResult[P any] struct {
	TicketID  string `json:"ticketId,omitempty"`
	PartnerID string `json:"partnerId,omitempty"`
	Stream    string `json:"stream"`
	// Revision is the stream's revision after the command (also the ETag).
	Revision uint64 `json:"revision"`
	// Position is the global-log position of the command's last event.
	Position uint64 `json:"position,omitempty"`
	// Changed is false when the command changed nothing (no event).
	Changed bool `json:"changed"`
	// Replayed is true when the Idempotency-Key matched an earlier run
	// whose result this is.
	Replayed bool `json:"replayed"`
	// Deadline is the first-response deadline the command set (open,
	// severity change).
	Deadline      *projections.Deadline `json:"deadline,omitempty"`
	Events        []EventOut[P]         `json:"events"`
	CorrelationID string                `json:"correlationId"`
}

// EventOut is an event a command emitted.
type EventOut[P any] struct {
	Revision uint64      `json:"revision"`
	Type     string      `json:"type"`
	Meta     domain.Meta `json:"meta"`
	Payload  P           `json:"payload"`
}

// resultOf is the answer to a command whose result is res.
func resultOf(res app.Result, correlationID string) CommandResult[domain.Event] {
	out := CommandResult[domain.Event]{TicketID: res.TicketID, PartnerID: res.PartnerID, Stream: res.Stream, Revision: res.Revision,
		Position: res.Position, Changed: len(res.Events) > 0, Replayed: res.Replayed, Deadline: projections.DeadlinePtr(res.Deadline),
		Events: make([]EventOut[domain.Event], len(res.Events)), CorrelationID: correlationID}
	for i, e := range res.Events {
		out.Events[i] = EventOut[domain.Event]{Revision: e.Revision, Type: e.Type, Meta: e.Meta, Payload: e.Event}
	}
	return out
}

// Result converts the answer back to an app.Result, with the events' types
// and metadata but not their payloads.
func (r CommandResult[P]) Result() app.Result {
	res := app.Result{Stream: r.Stream, TicketID: r.TicketID, PartnerID: r.PartnerID, Revision: r.Revision,
		HasRevision: true, Position: r.Position, Replayed: r.Replayed}
	if r.Deadline != nil {
		d := r.Deadline.SLA()
		res.Deadline = &d
	}
	for _, e := range r.Events {
		res.Events = append(res.Events, domain.Recorded{Stream: r.Stream, Revision: e.Revision, Type: e.Type, Meta: e.Meta})
	}
	return res
}

// HeaderReadModels is set to "pending" on a command's answer when the read
// models had not yet applied its events when the answer was sent.
const HeaderReadModels = "X-Read-Models"

// call is what a command route's function gets besides its body: the
// service, the request's context, the command built from the headers, and
// the request for its path values.
type call struct {
	app *app.Service
	ctx context.Context
	cmd app.Command
	r   *http.Request
}

// id is the path's {id}: the ticket or partner the command acts on.
func (c call) id() string { return c.r.PathValue("id") }

// execFunc runs a command route's command: create is the route's (If-Match
// does not apply to a command that creates its stream).
type execFunc func(a *API, r *http.Request, create bool) (app.Result, error)

// cmdRoute declares a command route: its body type B (decoded strictly,
// also the OpenAPI request schema) and run, which turns the body into the
// app.Service call. The status is the route table's (see create).
func cmdRoute[B any, P interface {
	*B
	Base() *CommandBase
}](method, path, op, summary, tag string, run func(c call, b *B) (app.Result, error)) route {
	exec := func(a *API, r *http.Request, create bool) (app.Result, error) {
		b := P(new(B))
		if err := decodeBody(r, b); err != nil {
			return app.Result{}, err
		}
		cmd, err := commandOf(r, b.Base().OccurredAt, create)
		if err != nil {
			return app.Result{}, err
		}
		if cmd.IdempotencyKey != "" { // the fingerprint tells a retry under the key from another request
			cmd.Fingerprint = fingerprint(op, r.URL.Path, b)
		}
		return run(call{app: a.app, ctx: r.Context(), cmd: cmd, r: r}, b)
	}
	return route{method: method, path: path, op: op, summary: summary, tag: tag, command: true, body: *new(B),
		resp: CommandResult[domain.Event]{}, status: http.StatusOK, exec: exec}
}

// ticketCmd declares the command route POST /v1/tickets/{id}/<suffix>
// of the ticket tag: an action on one ticket (see cmdRoute).
func ticketCmd[B any, P interface {
	*B
	Base() *CommandBase
}](suffix, op, summary string, run func(c call, b *B) (app.Result, error)) route {
	return cmdRoute[B, P](http.MethodPost, "/v1/tickets/{id}/"+suffix, op, summary, "tickets", run)
}

// fingerprint is what a command request asked, for telling a retry under
// an Idempotency-Key from another request under the same key: a digest of
// the operation, the path and the decoded body (re-encoded, so spacing and
// key order do not count).
func fingerprint(op, path string, body any) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", op, path)
	if err := json.NewEncoder(h).Encode(body); err != nil {
		return nil // not encodable: not checked
	}
	return h.Sum(nil)
}

// actionBody is a command body that describes a ticket action (of the
// domain's ticket.Action values): the routes and the import format share
// the conversion.
type actionBody interface{ action() ticket.Action }

// act is the run of a ticket command route: the action the body b
// describes, run on the path's ticket.
func act[B any, P interface {
	*B
	actionBody
}](c call, b *B) (app.Result, error) {
	return c.app.Act(c.ctx, c.cmd, c.id(), P(b).action())
}

// The bodies' actions.
func (b *FirstResponseBody) action() ticket.Action { return ticket.FirstResponse{Summary: b.Summary} }
func (b *SeverityBody) action() ticket.Action {
	return ticket.SeverityChange{To: domain.Severity(b.Severity), Reason: b.Reason}
}
func (b *EscalateBody) action() ticket.Action {
	return ticket.Escalation{Reason: b.Reason, Criteria: b.CriteriaMet}
}
func (b *InfoRequestBody) action() ticket.Action  { return ticket.InfoRequest{Question: b.Question} }
func (b *InfoResponseBody) action() ticket.Action { return ticket.InfoAnswer{Answer: b.Answer} }
func (b *DisputeBody) action() ticket.Action      { return b.input() }
func (b *FraudFlagBody) action() ticket.Action {
	return ticket.FraudFlag{Reason: b.Reason, Indicators: b.Indicators}
}
func (b *NoteBody) action() ticket.Action     { return ticket.Note{Text: b.Text} }
func (b *ReassignBody) action() ticket.Action { return ticket.Reassignment{To: b.To, Reason: b.Reason} }
func (b *ResolveBody) action() ticket.Action  { return ticket.Resolution{Text: b.Resolution} }

// actWith is the run of a ticket command route whose body describes its
// action through f (a ReasonBody serves several routes).
func actWith[B any](f func(b *B) ticket.Action) func(c call, b *B) (app.Result, error) {
	return func(c call, b *B) (app.Result, error) { return c.app.Act(c.ctx, c.cmd, c.id(), f(b)) }
}

// The actions a ReasonBody describes, by route.
func fraudClearance(b *ReasonBody) ticket.Action { return ticket.FraudClearance{Reason: b.Reason} }
func reopening(b *ReasonBody) ticket.Action      { return ticket.Reopening{Reason: b.Reason} }
func closure(b *ReasonBody) ticket.Action        { return ticket.Closure{Reason: b.Reason} }

// Base returns the common part of a command body (every body embeds
// CommandBase), for code generic over the bodies.
func (c *CommandBase) Base() *CommandBase { return c }

// respond answers an accepted command with status, once the read models
// include it (read-your-writes, bounded by the await timeout). The ETag is
// the stream's revision; a 201 names the created stream's resource in
// Location.
func (a *API) respond(w http.ResponseWriter, r *http.Request, status int, res app.Result) error {
	if a.await != nil && res.Position > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), a.awaitFor)
		if a.await(ctx, res.Position) != nil {
			w.Header().Set(HeaderReadModels, "pending")
		}
		cancel()
	}
	if res.HasRevision {
		w.Header().Set("ETag", etag(res.Revision))
	}
	if status == http.StatusCreated {
		loc := "/v1/partners/" + res.PartnerID
		if res.TicketID != "" {
			loc = "/v1/tickets/" + res.TicketID
		}
		w.Header().Set("Location", loc)
	}
	return writeJSON(w, status, resultOf(res, correlationID(r.Context())))
}

// The bodies' conversions to the app's and the domain's inputs.

// input is the app.OpenTicket of the body, with the defaults of
// ticket.OpenRequest.WithDefaults for what the filer (partner) left out.
func (b *OpenTicketBody) input(filer string) app.OpenTicket {
	return app.OpenTicket{ResellerID: b.ResellerID, OpenRequest: ticket.OpenRequest{
		Context: ticket.Context(b.Context), CustomerID: b.CustomerID, Product: ticket.Product(b.Product), NonCritical: b.NonCritical,
		Severity: domain.Severity(b.Severity), Title: b.Title, Description: b.Description, Channel: ticket.Channel(b.Channel),
		Route: ticket.Route(b.Route), Contact: b.Contact, SupportPlan: b.SupportPlan, Entitlement: b.Entitlement,
		Language: b.Language, Locale: b.Locale,
	}.WithDefaults(filer)}
}

func (b *RedirectBody) input() app.RedirectTicket {
	return app.RedirectTicket{RedirectRequest: ticket.RedirectRequest{
		CustomerID: b.CustomerID, ProductName: b.ProductName, ISV: b.ISV, ISVContact: b.ISVContact, Title: b.Title,
	}}
}

func (b *DisputeBody) input() ticket.Dispute {
	return ticket.Dispute{DisputeID: b.DisputeID, InvoiceRef: b.InvoiceRef, AmountCents: b.AmountCents, Currency: b.Currency, Reason: b.Reason}
}

func (b *DisputeResolutionBody) input(disputeID string) ticket.Decision {
	return ticket.Decision{DisputeID: disputeID, Outcome: b.Outcome, CreditAmountCents: b.CreditAmountCents,
		Currency: b.Currency, Explanation: b.Explanation}
}

func (b *RegisterPartnerBody) input() partner.Registration {
	return partner.Registration{Name: b.Name, Role: domain.Role(b.Role), ProviderID: b.ProviderID, Email: b.Email}
}

func (b *LinkCustomerBody) input() partner.Link {
	return partner.Link{CustomerID: b.CustomerID, Name: b.Name, Domain: b.Domain, AdminRights: b.AdminRights}
}

func (b *SupportPlanBody) input() partner.Plan {
	return partner.Plan{PlanID: b.PlanID, Kind: partner.PlanKind(b.Kind), Reference: b.Reference,
		ValidFrom: b.ValidFrom.Time, ValidUntil: b.ValidUntil.Time}
}
