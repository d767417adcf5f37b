package server

import (
	"context"
	"net/http"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
)

// CommandBase is embedded in every command body.
type CommandBase struct {
	// OccurredAt is when the thing happened in the world (RFC 3339);
	// absent: now. Late entries are welcome within the backdating window.
	OccurredAt Timestamp `json:"occurredAt,omitzero"`
}

// OpenTicketBody files a service request (POST /v1/tickets).
type OpenTicketBody struct {
	CommandBase
	// TicketID is optional (a UUID); absent: assigned by the ledger
	// (derived from the Idempotency-Key when one is sent).
	TicketID string `json:"ticketId,omitempty"`
	// ResellerID: an indirect provider filing for a customer of one of its
	// resellers names the reseller.
	ResellerID string `json:"resellerId,omitempty"`
	// Context defaults to "customer" when CustomerID is set, else "own".
	Context     string `json:"context,omitempty"`
	CustomerID  string `json:"customerId,omitempty"`
	Product     string `json:"product"`
	NonCritical bool   `json:"nonCritical,omitempty"`
	Severity    string `json:"severity"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Channel defaults to "api" (the request came through the API).
	Channel string `json:"channel,omitempty"`
	// Route defaults to "partner_center".
	Route       string         `json:"route,omitempty"`
	Contact     ticket.Contact `json:"contact"`
	SupportPlan string         `json:"supportPlan,omitempty"`
	Entitlement string         `json:"entitlement,omitempty"`
	Language    string         `json:"language"`
	Locale      string         `json:"locale"`
}

// RedirectBody records a marketplace request redirected to its ISV.
type RedirectBody struct {
	CommandBase
	TicketID    string            `json:"ticketId,omitempty"`
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

// CommandResult is the response to an accepted command.
type CommandResult struct {
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
	Deadline      *sla.Deadline `json:"deadline,omitempty"`
	Events        []EventOut    `json:"events"`
	CorrelationID string        `json:"correlationId"`
}

// EventOut is an event a command emitted.
type EventOut struct {
	Revision uint64       `json:"revision"`
	Type     string       `json:"type"`
	Meta     domain.Meta  `json:"meta"`
	Payload  domain.Event `json:"payload"`
}

// respond writes a command's result: 201 with Location for a created
// stream, 200 otherwise; the ETag is the stream's revision.
// HeaderReadModels is set to "pending" on a command's answer when the read
// models had not yet applied its events when the answer was sent.
const HeaderReadModels = "X-Read-Models"

// respond answers a command: its result once the read models include it
// (read-your-writes, bounded by the await timeout), or the error.
func (a *API) respond(w http.ResponseWriter, r *http.Request, res app.Result, err error, location string) error {
	if err != nil {
		return err
	}
	if a.await != nil && res.Position > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), a.awaitFor)
		if a.await(ctx, res.Position) != nil {
			w.Header().Set(HeaderReadModels, "pending")
		}
		cancel()
	}
	out := CommandResult{TicketID: res.TicketID, PartnerID: res.PartnerID, Stream: res.Stream, Revision: res.Revision,
		Position: res.Position, Changed: len(res.Events) > 0, Replayed: res.Replayed, Deadline: res.Deadline,
		Events: make([]EventOut, len(res.Events)), CorrelationID: correlationID(r.Context())}
	for i, e := range res.Events {
		out.Events[i] = EventOut{Revision: e.Revision, Type: e.Type, Meta: e.Meta, Payload: e.Event}
	}
	if res.HasRevision {
		w.Header().Set("ETag", etag(res.Revision))
	}
	status := http.StatusOK
	if location != "" {
		w.Header().Set("Location", location)
		status = http.StatusCreated
	}
	return writeJSON(w, status, out)
}

func (a *API) openTicket(w http.ResponseWriter, r *http.Request, _ *query) error {
	var b OpenTicketBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	cmd, err := command(r, b.OccurredAt, true)
	if err != nil {
		return err
	}
	if b.Channel == "" {
		b.Channel = string(ticket.ChannelAPI)
	}
	if b.Route == "" {
		b.Route = string(ticket.RoutePartnerCenter)
	}
	if b.Contact.Organisation == "" {
		b.Contact.Organisation = cmd.Actor.Partner // the filer's own contact unless it says otherwise
	}
	if b.Context == "" {
		b.Context = string(ticket.ContextOwn)
		if b.CustomerID != "" {
			b.Context = string(ticket.ContextCustomer)
		}
	}
	res, err := a.app.Open(r.Context(), cmd, app.OpenTicket{TicketID: b.TicketID, ResellerID: b.ResellerID, OpenRequest: ticket.OpenRequest{
		Context: ticket.Context(b.Context), CustomerID: b.CustomerID, Product: ticket.Product(b.Product), NonCritical: b.NonCritical,
		Severity: domain.Severity(b.Severity), Title: b.Title, Description: b.Description, Channel: ticket.Channel(b.Channel),
		Route: ticket.Route(b.Route), Contact: b.Contact, SupportPlan: b.SupportPlan, Entitlement: b.Entitlement,
		Language: b.Language, Locale: b.Locale,
	}})
	return a.respond(w, r, res, err, "/v1/tickets/"+res.TicketID)
}

func (a *API) redirectTicket(w http.ResponseWriter, r *http.Request, _ *query) error {
	var b RedirectBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	cmd, err := command(r, b.OccurredAt, true)
	if err != nil {
		return err
	}
	res, err := a.app.RedirectToISV(r.Context(), cmd, app.RedirectTicket{TicketID: b.TicketID, RedirectRequest: ticket.RedirectRequest{
		CustomerID: b.CustomerID, ProductName: b.ProductName, ISV: b.ISV, ISVContact: b.ISVContact, Title: b.Title,
	}})
	return a.respond(w, r, res, err, "/v1/tickets/"+res.TicketID)
}

// pathCommand decodes a body of type B and runs f on the aggregate named by
// the path's {id} (a ticket or a partner).
func pathCommand[B interface{ base() *CommandBase }](a *API, w http.ResponseWriter, r *http.Request, b B,
	f func(cmd app.Command, id string) (app.Result, error)) error {
	if err := decodeBody(r, b); err != nil {
		return err
	}
	cmd, err := command(r, b.base().OccurredAt, false)
	if err != nil {
		return err
	}
	res, err := f(cmd, r.PathValue("id"))
	return a.respond(w, r, res, err, "")
}

func (c *CommandBase) base() *CommandBase { return c }

func (a *API) firstResponse(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &FirstResponseBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.RecordFirstResponse(r.Context(), cmd, id, b.Summary)
	})
}

func (a *API) changeSeverity(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &SeverityBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.ChangeSeverity(r.Context(), cmd, id, domain.Severity(b.Severity), b.Reason)
	})
}

func (a *API) escalate(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &EscalateBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.Escalate(r.Context(), cmd, id, b.Reason, b.CriteriaMet)
	})
}

func (a *API) requestInfo(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &InfoRequestBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.RequestInfo(r.Context(), cmd, id, b.Question)
	})
}

func (a *API) provideInfo(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &InfoResponseBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.ProvideInfo(r.Context(), cmd, id, b.Answer)
	})
}

func (a *API) openDispute(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &DisputeBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.OpenBillingDispute(r.Context(), cmd, id, ticket.Dispute{DisputeID: b.DisputeID, InvoiceRef: b.InvoiceRef,
			AmountCents: b.AmountCents, Currency: b.Currency, Reason: b.Reason})
	})
}

func (a *API) resolveDispute(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &DisputeResolutionBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.ResolveBillingDispute(r.Context(), cmd, id, ticket.Decision{DisputeID: r.PathValue("disputeId"), Outcome: b.Outcome,
			CreditAmountCents: b.CreditAmountCents, Currency: b.Currency, Explanation: b.Explanation})
	})
}

func (a *API) flagFraud(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &FraudFlagBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.FlagFraud(r.Context(), cmd, id, b.Reason, b.Indicators)
	})
}

func (a *API) clearFraud(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &ReasonBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.ClearFraud(r.Context(), cmd, id, b.Reason)
	})
}

func (a *API) addNote(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &NoteBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.AddNote(r.Context(), cmd, id, b.Text)
	})
}

func (a *API) reassign(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &ReassignBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.Reassign(r.Context(), cmd, id, b.To, b.Reason)
	})
}

func (a *API) resolve(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &ResolveBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.Resolve(r.Context(), cmd, id, b.Resolution)
	})
}

func (a *API) reopen(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &ReasonBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.Reopen(r.Context(), cmd, id, b.Reason)
	})
}

func (a *API) closeTicket(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &ReasonBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.Close(r.Context(), cmd, id, b.Reason)
	})
}

func (a *API) registerPartner(w http.ResponseWriter, r *http.Request, _ *query) error {
	var b RegisterPartnerBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	cmd, err := command(r, b.OccurredAt, true)
	if err != nil {
		return err
	}
	res, err := a.app.RegisterPartner(r.Context(), cmd, b.PartnerID, partner.Registration{Name: b.Name, Role: domain.Role(b.Role), ProviderID: b.ProviderID, Email: b.Email})
	return a.respond(w, r, res, err, "/v1/partners/"+b.PartnerID)
}

func (a *API) linkCustomer(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &LinkCustomerBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.LinkCustomer(r.Context(), cmd, id, partner.Link{CustomerID: b.CustomerID, Name: b.Name, Domain: b.Domain, AdminRights: b.AdminRights})
	})
}

func (a *API) recordSupportPlan(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &SupportPlanBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.RecordSupportPlan(r.Context(), cmd, id, partner.Plan{PlanID: b.PlanID, Kind: partner.PlanKind(b.Kind), Reference: b.Reference,
			ValidFrom: b.ValidFrom.Time, ValidUntil: b.ValidUntil.Time})
	})
}

func (a *API) endSupportPlan(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &ReasonBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.EndSupportPlan(r.Context(), cmd, id, r.PathValue("planId"), b.Reason)
	})
}

func (a *API) grantAccess(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &GrantBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.GrantAzureAccess(r.Context(), cmd, id, b.CustomerID)
	})
}

func (a *API) revokeAccess(w http.ResponseWriter, r *http.Request, _ *query) error {
	b := &ReasonBody{}
	return pathCommand(a, w, r, b, func(cmd app.Command, id string) (app.Result, error) {
		return a.app.RevokeAzureAccess(r.Context(), cmd, id, r.PathValue("customerId"), b.Reason)
	})
}
