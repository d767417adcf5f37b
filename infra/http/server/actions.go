package server

import (
	"fmt"
	"net/url"

	"github.com/ticketledger/ticketledger/domain/ticket"
)

// ActionRequest is the HTTP form of an action on a ticket, for clients of
// this API: the path of its route (the ticket id escaped) and its body,
// starting with base. It is the inverse of the ticket command routes of
// the route table (a test holds the two together).
func ActionRequest(ticketID string, a ticket.Action, base CommandBase) (path string, body any, err error) {
	p := "/v1/tickets/" + url.PathEscape(ticketID)
	switch a := a.(type) {
	case ticket.FirstResponse:
		return p + "/first-response", FirstResponseBody{base, a.Summary}, nil
	case ticket.SeverityChange:
		return p + "/severity", SeverityBody{base, string(a.To), a.Reason}, nil
	case ticket.Escalation:
		return p + "/escalations", EscalateBody{base, a.Reason, a.Criteria}, nil
	case ticket.InfoRequest:
		return p + "/info-requests", InfoRequestBody{base, a.Question}, nil
	case ticket.InfoAnswer:
		return p + "/info-responses", InfoResponseBody{base, a.Answer}, nil
	case ticket.Dispute:
		return p + "/disputes", DisputeBody{base, a.DisputeID, a.InvoiceRef, a.AmountCents, a.Currency, a.Reason}, nil
	case ticket.Decision:
		return p + "/disputes/" + url.PathEscape(a.DisputeID) + "/resolution",
			DisputeResolutionBody{base, a.Outcome, a.CreditAmountCents, a.Currency, a.Explanation}, nil
	case ticket.FraudFlag:
		return p + "/fraud-flags", FraudFlagBody{base, a.Reason, a.Indicators}, nil
	case ticket.FraudClearance:
		return p + "/fraud-clearance", ReasonBody{base, a.Reason}, nil
	case ticket.Note:
		return p + "/notes", NoteBody{base, a.Text}, nil
	case ticket.Reassignment:
		return p + "/assignment", ReassignBody{base, a.To, a.Reason}, nil
	case ticket.Resolution:
		return p + "/resolution", ResolveBody{base, a.Text}, nil
	case ticket.Reopening:
		return p + "/reopening", ReasonBody{base, a.Reason}, nil
	case ticket.Closure:
		return p + "/closure", ReasonBody{base, a.Reason}, nil
	}
	return "", nil, fmt.Errorf("the HTTP API has no route for the action %T", a)
}
