package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/projections"
)

// actionSpec is one action on a ticket the console offers: its form, who
// may use it (the domain's roles: the form is shown to them only; the
// domain still decides), and the ticket.Action it builds from the form.
type actionSpec struct {
	Name, Label      string
	partners, vendor bool
	Fields           []field
	build            func(v url.Values) (ticket.Action, error)
}

func reasonField(label string) field {
	return field{Name: "reason", Label: label, Kind: "textarea", Required: true}
}

// actionSpecs are the ticket actions, in the order the page offers them.
var actionSpecs = []actionSpec{
	{Name: "first-response", Label: "Record the first response", vendor: true,
		Fields: []field{{Name: "summary", Label: "Summary", Kind: "textarea"}},
		build:  func(v url.Values) (ticket.Action, error) { return ticket.FirstResponse{Summary: v.Get("summary")}, nil }},
	{Name: "info-request", Label: "Ask the partner for information", vendor: true,
		Fields: []field{{Name: "question", Label: "Question", Kind: "textarea", Required: true}},
		build:  func(v url.Values) (ticket.Action, error) { return ticket.InfoRequest{Question: v.Get("question")}, nil }},
	{Name: "info-answer", Label: "Answer the information request", partners: true,
		Fields: []field{{Name: "answer", Label: "Answer", Kind: "textarea", Required: true}},
		build:  func(v url.Values) (ticket.Action, error) { return ticket.InfoAnswer{Answer: v.Get("answer")}, nil }},
	{Name: "severity", Label: "Change the severity", partners: true,
		Fields: []field{{Name: "severity", Label: "New severity", Kind: "select", Options: []string{"A", "B", "C"}, Required: true}, reasonField("Reason")},
		build: func(v url.Values) (ticket.Action, error) {
			return ticket.SeverityChange{To: domain.Severity(v.Get("severity")), Reason: v.Get("reason")}, nil
		}},
	{Name: "escalate", Label: "Escalate", partners: true,
		Fields: []field{reasonField("Why the partner cannot solve it"), {Name: "criteria", Label: "Escalation criteria met", Kind: "lines", Required: true, Hint: "one per line"}},
		build: func(v url.Values) (ticket.Action, error) {
			return ticket.Escalation{Reason: v.Get("reason"), Criteria: lines(v.Get("criteria"))}, nil
		}},
	{Name: "dispute", Label: "Open a billing dispute", partners: true,
		Fields: []field{{Name: "disputeId", Label: "Dispute id", Kind: "text", Required: true}, {Name: "invoiceRef", Label: "Invoice", Kind: "text", Required: true},
			{Name: "amount", Label: "Amount disputed", Kind: "money", Required: true, Hint: "e.g. 120.50"}, {Name: "currency", Label: "Currency", Kind: "text", Required: true, Hint: "ISO 4217, e.g. EUR"}, reasonField("Reason")},
		build: func(v url.Values) (ticket.Action, error) {
			cents, err := moneyCents(v.Get("amount"), "amount")
			return ticket.Dispute{DisputeID: v.Get("disputeId"), InvoiceRef: v.Get("invoiceRef"), AmountCents: cents,
				Currency: strings.ToUpper(strings.TrimSpace(v.Get("currency"))), Reason: v.Get("reason")}, err
		}},
	{Name: "dispute-decision", Label: "Decide a billing dispute", vendor: true,
		Fields: []field{{Name: "disputeId", Label: "Dispute id", Kind: "text", Required: true},
			{Name: "outcome", Label: "Outcome", Kind: "select", Options: []string{ticket.OutcomeUpheld, ticket.OutcomePartial, ticket.OutcomeRejected}, Required: true},
			{Name: "credit", Label: "Credit", Kind: "money", Hint: "upheld or partial; e.g. 60.00"}, {Name: "currency", Label: "Currency", Kind: "text", Hint: "default: the dispute's"},
			{Name: "explanation", Label: "Explanation", Kind: "textarea", Required: true}},
		build: func(v url.Values) (ticket.Action, error) {
			cents, err := moneyCents(v.Get("credit"), "credit")
			return ticket.Decision{DisputeID: v.Get("disputeId"), Outcome: v.Get("outcome"), CreditAmountCents: cents,
				Currency: strings.ToUpper(strings.TrimSpace(v.Get("currency"))), Explanation: v.Get("explanation")}, err
		}},
	{Name: "fraud-flag", Label: "Flag suspected fraud", partners: true,
		Fields: []field{reasonField("Reason"), {Name: "indicators", Label: "Indicators", Kind: "lines", Hint: "one per line"}},
		build: func(v url.Values) (ticket.Action, error) {
			return ticket.FraudFlag{Reason: v.Get("reason"), Indicators: lines(v.Get("indicators"))}, nil
		}},
	{Name: "fraud-clear", Label: "Clear the fraud flag", vendor: true,
		Fields: []field{reasonField("Reason")},
		build:  func(v url.Values) (ticket.Action, error) { return ticket.FraudClearance{Reason: v.Get("reason")}, nil }},
	{Name: "note", Label: "Add a note", partners: true, vendor: true,
		Fields: []field{{Name: "text", Label: "Note", Kind: "textarea", Required: true}},
		build:  func(v url.Values) (ticket.Action, error) { return ticket.Note{Text: v.Get("text")}, nil }},
	{Name: "reassign", Label: "Reassign", vendor: true,
		Fields: []field{{Name: "to", Label: "Engineer or queue", Kind: "text", Required: true}, reasonField("Reason")},
		build: func(v url.Values) (ticket.Action, error) {
			return ticket.Reassignment{To: v.Get("to"), Reason: v.Get("reason")}, nil
		}},
	{Name: "resolve", Label: "Resolve", vendor: true,
		Fields: []field{{Name: "resolution", Label: "Resolution", Kind: "textarea", Required: true}},
		build:  func(v url.Values) (ticket.Action, error) { return ticket.Resolution{Text: v.Get("resolution")}, nil }},
	{Name: "reopen", Label: "Reopen", partners: true,
		Fields: []field{reasonField("Reason")},
		build:  func(v url.Values) (ticket.Action, error) { return ticket.Reopening{Reason: v.Get("reason")}, nil }},
	{Name: "close", Label: "Close for good", partners: true,
		Fields: []field{reasonField("Reason")},
		build:  func(v url.Values) (ticket.Action, error) { return ticket.Closure{Reason: v.Get("reason")}, nil }},
}

func specOf(name string) *actionSpec {
	for i := range actionSpecs {
		if actionSpecs[i].Name == name {
			return &actionSpecs[i]
		}
	}
	return nil
}

// actionForm is one action form as the ticket page renders it.
type actionForm struct {
	*actionSpec
	Revision uint64
	// Key is the form's Idempotency-Key: sending it twice acts once.
	Key string
	// Values and Problem are a refused submission's input and answer.
	Values  url.Values
	Problem *pageError
	Open    bool
}

// Value is the submitted value of a field, to refill the form.
func (f actionForm) Value(name string) string { return f.Values.Get(name) }

// formsFor returns the action forms the session's role may use on t: none
// for an auditor or an admin, none on a closed or redirected ticket.
func formsFor(s *session, t projections.Ticket) []actionForm {
	role := s.principal.Role
	if !userOf(s).Acts || t.Status == projections.StatusClosed || t.Status == projections.StatusRedirected {
		return nil
	}
	var out []actionForm
	for i := range actionSpecs {
		a := &actionSpecs[i]
		if (role.IsPartner() && a.partners) || (role == domain.RoleVendorSupport && a.vendor) {
			out = append(out, actionForm{actionSpec: a, Revision: t.Revision, Key: randomToken(16)})
		}
	}
	return out
}

// flash is what the page after a successful action or filing says.
type flash struct {
	Message  string
	Deadline *projections.Deadline
	SLA      *projections.TicketSLA
}

// act runs one action on a ticket through the API's command route, as the
// signed-in principal: on success the ticket page says what was recorded
// and the deadline in force; on a refusal the page shows the form again
// with the rule and its remedy, and nothing was appended.
func (c *Console) act(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	spec := specOf(r.PathValue("action"))
	if spec == nil {
		return &pageError{Status: http.StatusNotFound, Title: "No such action", Detail: "the console has no action " + clip(r.PathValue("action"), 40) + ": use a form of the ticket page"}
	}
	r.ParseForm()
	v := r.PostForm
	res, err := c.runAction(r, s, id, spec, v)
	if err == nil {
		var view projections.AsOfView
		if gerr := c.get(r, s, "/v1/tickets/"+url.PathEscape(id), nil, &view); gerr == nil && view.Ticket != nil {
			f := flash{Message: spec.Label + ": recorded", Deadline: view.Ticket.Deadline, SLA: view.SLA}
			if !res.Changed {
				f.Message = spec.Label + ": nothing changed (already recorded)"
			}
			s.setFlash(f)
		}
		http.Redirect(w, r, "/tickets/"+url.PathEscape(id), http.StatusSeeOther)
		return nil
	}
	pe := pageErrorOf(err)
	if pe.Status >= 500 || pe.Rule == string(domain.RuleTicketNotFound) {
		return err // a hidden or missing ticket: the same 404 page as a read
	}
	d, rerr := c.ticketPage(r, s)
	if rerr != nil {
		return rerr
	}
	for i := range d.Forms {
		if d.Forms[i].Name == spec.Name {
			d.Forms[i].Values, d.Forms[i].Problem, d.Forms[i].Open = v, pe, true
			d.Forms[i].Key = v.Get("key") // the same attempt, if sent again
		}
	}
	return c.render(w, r, pe.Status, "ticket", s, "Ticket "+shortID(id), d)
}

// runAction builds the action from the form and sends it to the API with
// the form's idempotency key and the revision it was shown at (If-Match:
// an action decided on a stale page is refused, not applied).
func (c *Console) runAction(r *http.Request, s *session, id string, spec *actionSpec, v url.Values) (server.CommandResult[json.RawMessage], error) {
	var res server.CommandResult[json.RawMessage]
	a, err := spec.build(v)
	if err != nil {
		return res, err
	}
	base, err := commandBase(r, v)
	if err != nil {
		return res, err
	}
	path, body, err := server.ActionRequest(id, a, base)
	if err != nil {
		return res, err
	}
	hdr := http.Header{}
	if k := v.Get("key"); k != "" {
		hdr.Set(server.HeaderIdempotencyKey, k)
	}
	if rev := v.Get("revision"); rev != "" {
		hdr.Set(server.HeaderIfMatch, strconv.Quote(rev))
	}
	err = c.call(r, s, http.MethodPost, path, nil, hdr, body, &res)
	return res, err
}
