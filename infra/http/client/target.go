package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/subject"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

// CommandResult is the server's answer to an accepted command, with the
// events' payloads left as raw JSON.
type CommandResult = server.CommandResult[json.RawMessage]

// Ping checks that the server answers (GET /healthz).
func (c *Client) Ping(ctx context.Context) error {
	return c.Get(ctx, "/healthz", nil, nil)
}

// Target returns c as the ledger's command methods (the shape of
// *app.Service that infra/tools/demo drives), each sent over the HTTP API
// with the app.Command's on-behalf-of, idempotency key, expected revision and
// correlation id as headers and its occurred-at in the body.
//
// Who acts: with a Client Token (an admin's), the Target acts as each
// command's actor by a ledger token of that actor's role and partner, named
// after the actor id, which it issues itself (POST /v1/tokens) the first
// time it needs it; commands of the operator roles (admin, system) go with
// the Client's own token. Without a Token, the actor is sent as the X-Actor-*
// identity headers, which only a ledger in proxy mode honours.
func (c *Client) Target() *Target { return &Target{c: c, tokens: map[domain.Actor]string{}} }

// Target runs application commands over HTTP. Create it with Client.Target.
// Results carry the stream, ids, revision, position, deadline, replay flag
// and the events' types and metadata (not their decoded payloads).
type Target struct {
	c      *Client
	mu     sync.Mutex
	tokens map[domain.Actor]string // actor (without Auth) → its token's secret
}

// tokenFor returns the secret of the token the Target acts as actor
// with, issuing it first if needed.
func (t *Target) tokenFor(ctx context.Context, actor domain.Actor) (string, error) {
	if actor.Role.Operates() {
		return t.c.Token, nil
	}
	actor.Auth = ""
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.tokens[actor]; ok {
		return s, nil
	}
	var iss server.IssuedToken
	if err := t.c.Post(ctx, "/v1/tokens", server.IssueTokenBody{Role: string(actor.Role), Partner: actor.Partner, Name: actor.ID}, &iss); err != nil {
		return "", fmt.Errorf("issue a token for %s (%s): %w", actor.ID, actor.Role, err)
	}
	t.tokens[actor] = iss.Secret
	return iss.Secret, nil
}

func (t *Target) post(ctx context.Context, cmd app.Command, path string, body any) (app.Result, error) {
	call := Call{OnBehalfOf: cmd.OnBehalfOf, IdempotencyKey: cmd.IdempotencyKey, CorrelationID: cmd.CorrelationID}
	if t.c.Token == "" {
		call.Actor = cmd.Actor
	} else {
		tok, err := t.tokenFor(ctx, cmd.Actor)
		if err != nil {
			return app.Result{}, err
		}
		call.Token = tok
	}
	if cmd.ExpectedRevision != nil {
		call.IfMatch = strconv.FormatUint(*cmd.ExpectedRevision, 10)
	}
	var out CommandResult
	if err := t.c.PostAs(ctx, call, path, body, &out); err != nil {
		return app.Result{}, err
	}
	return out.Result(), nil
}

func base(cmd app.Command) server.CommandBase {
	return server.CommandBase{OccurredAt: server.Timestamp{Time: cmd.OccurredAt}}
}

func ts(t time.Time) server.Timestamp { return server.Timestamp{Time: t} }

func tpath(id, suffix string) string { return "/v1/tickets/" + url.PathEscape(id) + suffix }
func ppath(id, suffix string) string { return "/v1/partners/" + url.PathEscape(id) + suffix }

// RegisterPartner implements the demo target.
func (t *Target) RegisterPartner(ctx context.Context, cmd app.Command, partnerID string, in partner.Registration) (app.Result, error) {
	return t.post(ctx, cmd, "/v1/partners", server.RegisterPartnerBody{CommandBase: base(cmd), PartnerID: partnerID,
		Name: in.Name, Role: string(in.Role), ProviderID: in.ProviderID, Email: in.Email})
}

// LinkCustomer implements the demo target.
func (t *Target) LinkCustomer(ctx context.Context, cmd app.Command, partnerID string, in partner.Link) (app.Result, error) {
	return t.post(ctx, cmd, ppath(partnerID, "/customers"), server.LinkCustomerBody{CommandBase: base(cmd),
		CustomerID: in.CustomerID, Name: in.Name, Domain: in.Domain, AdminRights: in.AdminRights})
}

// RecordSupportPlan implements the demo target.
func (t *Target) RecordSupportPlan(ctx context.Context, cmd app.Command, partnerID string, in partner.Plan) (app.Result, error) {
	return t.post(ctx, cmd, ppath(partnerID, "/support-plans"), server.SupportPlanBody{CommandBase: base(cmd),
		PlanID: in.PlanID, Kind: string(in.Kind), Reference: in.Reference, ValidFrom: ts(in.ValidFrom), ValidUntil: ts(in.ValidUntil)})
}

// EndSupportPlan implements the demo target.
func (t *Target) EndSupportPlan(ctx context.Context, cmd app.Command, partnerID, planID, reason string) (app.Result, error) {
	return t.post(ctx, cmd, ppath(partnerID, "/support-plans/"+url.PathEscape(planID)+"/end"), server.ReasonBody{CommandBase: base(cmd), Reason: reason})
}

// GrantAzureAccess implements the demo target.
func (t *Target) GrantAzureAccess(ctx context.Context, cmd app.Command, resellerID, customerID string) (app.Result, error) {
	return t.post(ctx, cmd, ppath(resellerID, "/azure-access"), server.GrantBody{CommandBase: base(cmd), CustomerID: customerID})
}

// RevokeAzureAccess implements the demo target.
func (t *Target) RevokeAzureAccess(ctx context.Context, cmd app.Command, resellerID, customerID, reason string) (app.Result, error) {
	return t.post(ctx, cmd, ppath(resellerID, "/azure-access/"+url.PathEscape(customerID)+"/revocation"), server.ReasonBody{CommandBase: base(cmd), Reason: reason})
}

// Forget implements the demo target: POST /v1/subjects/{subject}/forget.
func (t *Target) Forget(ctx context.Context, cmd app.Command, subj, reason string) (app.Erasure, error) {
	res, err := t.post(ctx, cmd, "/v1/subjects/"+url.PathEscape(subj)+"/forget", server.ReasonBody{CommandBase: base(cmd), Reason: reason})
	if err != nil {
		return app.Erasure{}, err
	}
	er := app.Erasure{Result: res, SubjectID: strings.TrimPrefix(res.Stream, subject.StreamPrefix)}
	if n := len(res.Events); n > 0 {
		er.ErasedAt = res.Events[n-1].Meta.RecordedAt
	}
	return er, nil
}

// Open implements the demo target.
func (t *Target) Open(ctx context.Context, cmd app.Command, in app.OpenTicket) (app.Result, error) {
	return t.post(ctx, cmd, "/v1/tickets", OpenBody(cmd.OccurredAt, in))
}

// OpenBody is the request body of POST /v1/tickets for in.
func OpenBody(occurredAt time.Time, in app.OpenTicket) server.OpenTicketBody {
	return server.OpenTicketBody{CommandBase: server.CommandBase{OccurredAt: ts(occurredAt)}, ResellerID: in.ResellerID,
		Context: string(in.Context), CustomerID: in.CustomerID, Product: string(in.Product), NonCritical: in.NonCritical,
		Severity: string(in.Severity), Title: in.Title, Description: in.Description, Channel: string(in.Channel),
		Route: string(in.Route), Contact: in.Contact, SupportPlan: in.SupportPlan, Entitlement: in.Entitlement,
		Language: in.Language, Locale: in.Locale}
}

// RedirectToISV implements the demo target.
func (t *Target) RedirectToISV(ctx context.Context, cmd app.Command, in app.RedirectTicket) (app.Result, error) {
	return t.post(ctx, cmd, "/v1/tickets/isv-redirects", server.RedirectBody{CommandBase: base(cmd),
		CustomerID: in.CustomerID, ProductName: in.ProductName, ISV: in.ISV, ISVContact: in.ISVContact, Title: in.Title})
}

// Act implements the demo target: the action's route with its body
// (server.ActionRequest).
func (t *Target) Act(ctx context.Context, cmd app.Command, ticketID string, a ticket.Action) (app.Result, error) {
	path, body, err := server.ActionRequest(ticketID, a, base(cmd))
	if err != nil {
		return app.Result{}, err
	}
	return t.post(ctx, cmd, path, body)
}
