package console

import (
	"net/http"
	"net/url"

	"github.com/ticketledger/ticketledger/projections"
)

// ticketData is the ticket page.
type ticketData struct {
	View projections.AsOfView
}

// ticket shows one ticket.
func (c *Console) ticket(w http.ResponseWriter, r *http.Request, s *session) error {
	var d ticketData
	if err := c.get(r, s, "/v1/tickets/"+url.PathEscape(r.PathValue("id")), nil, &d.View); err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "ticket", s, "Ticket "+shortID(r.PathValue("id")), d)
}
