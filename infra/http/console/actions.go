package console

import "net/http"

// fileTicket files a request from the tickets page.
func (c *Console) fileTicket(w http.ResponseWriter, r *http.Request, s *session) error {
	return &pageError{Status: http.StatusNotImplemented, Title: "Not yet", Detail: "filing from the console is not built yet: use POST /v1/tickets"}
}

// act runs one action on a ticket.
func (c *Console) act(w http.ResponseWriter, r *http.Request, s *session) error {
	return &pageError{Status: http.StatusNotImplemented, Title: "Not yet", Detail: "acting from the console is not built yet: use the API"}
}
