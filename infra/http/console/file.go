package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

// products are the product families a request can be about (a marketplace
// product is not filed but redirected to its ISV: the API's
// /v1/tickets/isv-redirects).
var products = []string{string(ticket.ProductAzure), string(ticket.ProductOffice365), string(ticket.ProductDynamics365),
	string(ticket.ProductEMS), string(ticket.ProductBilling)}

// fileData is the filing page.
type fileData struct {
	Products, Severities []string
	Values               url.Values
	Problem              *pageError
	Key                  string
	// Files is whether the role files requests (only partners do).
	Files bool
}

func (c *Console) fileData(s *session, v url.Values, p *pageError) fileData {
	if v == nil {
		v = url.Values{"language": {"en"}, "locale": {"en-US"}, "severity": {"B"}}
	}
	key := v.Get("key")
	if key == "" {
		key = randomToken(16)
	}
	return fileData{Products: products, Severities: options.Severities, Values: v, Problem: p, Key: key,
		Files: s.principal.Role.IsPartner()}
}

// Value is a submitted value, to refill the form.
func (d fileData) Value(name string) string { return d.Values.Get(name) }

// fileForm shows the form to file a service request.
func (c *Console) fileForm(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.render(w, r, http.StatusOK, "file", s, "File a request", c.fileData(s, nil, nil))
}

// fileTicket files a request through the API's POST /v1/tickets as the
// signed-in partner. A request the domain refuses comes back to the form
// with the rule and its remedy (nothing was appended); a filed one opens
// the new ticket, which shows its first-response deadline.
func (c *Console) fileTicket(w http.ResponseWriter, r *http.Request, s *session) error {
	r.ParseForm()
	v := r.PostForm
	body := server.OpenTicketBody{
		ResellerID: strings.TrimSpace(v.Get("resellerId")), CustomerID: strings.TrimSpace(v.Get("customerId")),
		Product: v.Get("product"), NonCritical: v.Get("nonCritical") == "on", Severity: v.Get("severity"),
		Title: v.Get("title"), Description: v.Get("description"),
		Contact:     ticket.Contact{Name: v.Get("contactName"), Email: strings.TrimSpace(v.Get("contactEmail")), Phone: strings.TrimSpace(v.Get("contactPhone"))},
		SupportPlan: strings.TrimSpace(v.Get("supportPlan")), Entitlement: strings.TrimSpace(v.Get("entitlement")),
		Language: strings.TrimSpace(v.Get("language")), Locale: strings.TrimSpace(v.Get("locale")),
	}
	base, err := commandBase(r, v)
	if err == nil {
		body.CommandBase = base
		hdr := http.Header{}
		if k := v.Get("key"); k != "" {
			hdr.Set(server.HeaderIdempotencyKey, k)
		}
		var res server.CommandResult[json.RawMessage]
		if err = c.call(r, s, http.MethodPost, "/v1/tickets", nil, hdr, body, &res); err == nil {
			s.setFlash(flash{Message: "Request filed: ticket " + res.TicketID, Deadline: res.Deadline})
			http.Redirect(w, r, "/tickets/"+url.PathEscape(res.TicketID), http.StatusSeeOther)
			return nil
		}
	}
	pe := pageErrorOf(err)
	if pe.Status >= 500 {
		return err
	}
	return c.render(w, r, pe.Status, "file", s, "File a request", c.fileData(s, v, pe))
}
