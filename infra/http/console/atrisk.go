package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/ticketledger/ticketledger/infra/http/server"
)

// The at-risk board lists open unanswered tickets whose deadline is near
// (or, if asked, past), soonest first, rendered in full at load; its
// script (assets/static/atrisk.js) then follows /sla/at-risk/events, a
// server-sent event stream under the same session and tenancy, and
// redraws the list on each "atrisk" event.

// livePoll is how often the stream re-reads the board; an event is sent
// when what the board shows changed, a comment line otherwise after
// liveKeepAlive.
var livePoll atomic.Int64

func init() { livePoll.Store(int64(5 * time.Second)) }

const liveKeepAlive = 25 * time.Second

// atRiskFilters are the board's query parameters, passed to the API.
var atRiskFilters = []string{"horizon", "includeBreached", "severity", "product", "partnerId", "customerId"}

// horizons are the board's horizon choices.
var horizons = []string{"30m", "1h", "4h", "24h"}

// atRiskData is the board.
type atRiskData struct {
	Filters    map[string]string
	Horizons   []string
	Severities []string
	Board      board
	Live       string // the event stream's URL
}

// board is what the board shows, and what each event carries.
type board struct {
	Now     time.Time    `json:"now"`
	Horizon string       `json:"horizon"`
	Tickets []boardEntry `json:"tickets"`
}

// boardEntry is one ticket of the board.
type boardEntry struct {
	ID         string    `json:"id"`
	Short      string    `json:"short"`
	Severity   string    `json:"severity"`
	Product    string    `json:"product"`
	PartnerID  string    `json:"partnerId"`
	CustomerID string    `json:"customerId,omitempty"`
	State      string    `json:"state"`
	StateLabel string    `json:"stateLabel"`
	Deadline   time.Time `json:"deadline"`
	// DeadlineText is the deadline in the viewer's zone; Left says the
	// time left (or over) in words.
	DeadlineText string `json:"deadlineText"`
	Left         string `json:"left"`
}

// readBoard asks the API for the board as the session's principal.
func (c *Console) readBoard(r *http.Request, s *session, filters map[string]string) (board, error) {
	q := url.Values{}
	for k, v := range filters {
		q.Set(k, v)
	}
	var v server.AtRiskView
	if err := c.get(r, s, "/v1/reports/at-risk", q, &v); err != nil {
		return board{}, err
	}
	loc := zoneOf(r)
	b := board{Now: v.Now, Horizon: words(seconds(v.HorizonSeconds)), Tickets: make([]boardEntry, 0, len(v.Tickets))}
	for _, t := range v.Tickets {
		e := boardEntry{ID: t.TicketID, Short: shortID(t.TicketID), Severity: string(t.Severity), Product: t.Product,
			PartnerID: t.PartnerID, CustomerID: t.CustomerID, State: t.State, StateLabel: slaLabel(t.State)}
		if t.Deadline != nil {
			e.Deadline = t.Deadline.At
			e.DeadlineText = t.Deadline.At.In(loc).Format("2 Jan 2006 15:04 MST")
		}
		if t.RemainingSeconds != nil {
			if left := seconds(*t.RemainingSeconds); left >= 0 {
				e.Left = words(left) + " left"
			} else {
				e.Left = words(-left) + " over"
			}
		}
		b.Tickets = append(b.Tickets, e)
	}
	return b, nil
}

func atRiskFiltersOf(r *http.Request) map[string]string {
	in, f := r.URL.Query(), map[string]string{}
	for _, k := range atRiskFilters {
		if v := in.Get(k); v != "" {
			f[k] = v
		}
	}
	return f
}

// atRisk is the board, as of the page's load.
func (c *Console) atRisk(w http.ResponseWriter, r *http.Request, s *session) error {
	d := atRiskData{Filters: atRiskFiltersOf(r), Horizons: horizons, Severities: options.Severities}
	b, err := c.readBoard(r, s, d.Filters)
	if err != nil {
		return err
	}
	d.Board = b
	d.Live = "/sla/at-risk/events"
	if len(r.URL.RawQuery) > 0 {
		d.Live += "?" + r.URL.RawQuery
	}
	return c.render(w, r, http.StatusOK, "atrisk", s, "At-risk board", d)
}

// atRiskEvents streams the board: an "atrisk" event with the board as
// JSON at once and whenever it changes, until the client goes, the
// session ends (checked on every poll) or the API refuses.
func (c *Console) atRiskEvents(w http.ResponseWriter, r *http.Request, s *session) error {
	filters := atRiskFiltersOf(r)
	first, err := c.readBoard(r, s, filters)
	if err != nil {
		return err // before the stream starts: an error page
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\n\n", (5 * time.Second).Milliseconds())
	last := ""
	send := func(b board) error {
		js, err := json.Marshal(b.Tickets)
		if err != nil {
			return err
		}
		if string(js) == last {
			return nil
		}
		last = string(js)
		all, _ := json.Marshal(b)
		_, err = fmt.Fprintf(w, "event: atrisk\ndata: %s\n\n", all)
		if err == nil {
			err = rc.Flush()
		}
		return err
	}
	if err := send(first); err != nil {
		return nil // the client went
	}
	poll, alive := time.NewTicker(time.Duration(livePoll.Load())), time.NewTicker(liveKeepAlive)
	defer poll.Stop()
	defer alive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-alive.C:
			if _, err := fmt.Fprint(w, ": still here\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		case <-poll.C:
			if _, err := c.sessionOf(w, r); err != nil {
				fmt.Fprint(w, "event: end\ndata: signed out\n\n")
				_ = rc.Flush()
				return nil
			}
			b, err := c.readBoard(r, s, filters)
			if err != nil {
				fmt.Fprintf(w, "event: end\ndata: %s\n\n", pageErrorOf(err).Detail)
				_ = rc.Flush()
				return nil
			}
			if send(b) != nil {
				return nil
			}
		}
	}
}

// boardState is the class of a board entry's badge.
func (e boardEntry) BadgeClass() string { return "sla-" + e.State }
