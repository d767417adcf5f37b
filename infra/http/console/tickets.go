package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/ticketledger/ticketledger/projections"
)

// ticketFilters are the list's filters: the API's listTickets query
// parameters, passed through as the viewer set them.
var ticketFilters = []string{"q", "status", "severity", "product", "partnerId", "customerId", "sla", "openedFrom", "openedTo", "idPrefix"}

// ticketsData is the tickets page.
type ticketsData struct {
	Filters  map[string]string
	Page     projections.TicketPage
	Now      time.Time
	NextURL  string
	FirstURL string
	Options  filterOptions
	// Files is whether the viewer may file requests (partners).
	Files bool
}

// filterOptions are the fixed choices of the filter selects.
type filterOptions struct{ Statuses, Severities, SLAStates []string }

var options = filterOptions{
	Statuses:   []string{"open", "resolved", "closed"},
	Severities: []string{"A", "B", "C"},
	SLAStates:  []string{projections.SLAMet, projections.SLABreached, projections.SLAPending, projections.SLAAtRisk, projections.SLABreachedUnanswered},
}

// tickets lists the tickets the viewer may see, filtered, newest first,
// one page at a time.
func (c *Console) tickets(w http.ResponseWriter, r *http.Request, s *session) error {
	in := r.URL.Query()
	q := url.Values{}
	d := ticketsData{Filters: map[string]string{}, Now: c.now(), Options: options, Files: s.principal.Role.IsPartner()}
	for _, k := range ticketFilters {
		if v := in.Get(k); v != "" {
			d.Filters[k] = v
			q.Set(k, apiValue(k, v, zoneOf(r)))
		}
	}
	q.Set("order", "newest")
	q.Set("limit", "50")
	if cur := in.Get("cursor"); cur != "" {
		q.Set("cursor", cur)
	}
	if err := c.get(r, s, "/v1/tickets", q, &d.Page); err != nil {
		return err
	}
	if d.Page.Next != "" {
		nq := url.Values{}
		for k, v := range d.Filters {
			nq.Set(k, v)
		}
		nq.Set("cursor", d.Page.Next)
		d.NextURL = "/tickets?" + nq.Encode()
	}
	if in.Get("cursor") != "" {
		fq := url.Values{}
		for k, v := range d.Filters {
			fq.Set(k, v)
		}
		d.FirstURL = "/tickets?" + fq.Encode()
	}
	return c.render(w, r, http.StatusOK, "tickets", s, "Tickets", d)
}

// apiValue turns a filter as a form sends it into the API's form: a date
// or datetime-local input's value, in the viewer's zone, becomes RFC 3339.
func apiValue(k, v string, loc *time.Location) string {
	if k != "openedFrom" && k != "openedTo" {
		return v
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC().Format(time.RFC3339)
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	return v // the API names the problem
}
