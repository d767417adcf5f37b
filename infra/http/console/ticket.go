package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/ticketledger/ticketledger/projections"
)

// lateAfter is how much later than it occurred an event must be recorded
// for the timeline to mark it late-recorded.
const lateAfter = time.Minute

// entry is one event of a ticket's timeline as the history route answers
// it (its payload left out: the summary and changes say it in words).
type entry struct {
	projections.EventRef
	Summary string               `json:"summary"`
	Reason  string               `json:"reason,omitempty"`
	Changes []projections.Change `json:"changes"`
}

// history is the history route's answer.
type history struct {
	TicketID string  `json:"ticketId"`
	Entries  []entry `json:"entries"`
}

// timelineItem is an entry with what the page marks on it.
type timelineItem struct {
	entry
	Late bool
	// Outside: at the as-of instant this event had not happened (occurred
	// axis) or was not recorded (recorded axis): the view leaves it out.
	Outside bool
	// Unknown (occurred axis): it had happened but the ledger had not
	// recorded it yet. Future (recorded axis): recorded already, occurring
	// later.
	Unknown, Future bool
	// AsOfOccurred and AsOfRecorded scrub the page to this event.
	AsOfOccurred, AsOfRecorded string
}

// ticketData is the ticket page.
type ticketData struct {
	ID       string
	View     projections.AsOfView
	Timeline []timelineItem
	Scrub    scrubber
	Now      time.Time
	Flash    *flash
	Forms    []actionForm
}

// ticket shows one ticket: its facts, its SLA clock and its timeline, now
// or as the ledger knew them at an instant on either time axis.
func (c *Console) ticket(w http.ResponseWriter, r *http.Request, s *session) error {
	d, err := c.ticketPage(r, s)
	if err != nil {
		return err
	}
	d.Flash = s.takeFlash()
	return c.render(w, r, http.StatusOK, "ticket", s, "Ticket "+shortID(d.ID), d)
}

// ticketPage reads what the ticket page shows, through the API: the view
// (as of the scrubber's instant, if any) and the history.
func (c *Console) ticketPage(r *http.Request, s *session) (*ticketData, error) {
	id := r.PathValue("id")
	path := "/v1/tickets/" + url.PathEscape(id)
	sc, err := scrubberOf(r)
	if err != nil {
		return nil, err
	}
	d := &ticketData{ID: id, Scrub: sc, Now: c.now()}
	q := url.Values{}
	if !sc.At.IsZero() {
		q.Set("asOf", sc.At.UTC().Format(time.RFC3339Nano))
		q.Set("axis", sc.Axis)
	}
	if err := c.get(r, s, path, q, &d.View); err != nil {
		return nil, err
	}
	var h history
	if err := c.get(r, s, path+"/history", nil, &h); err != nil {
		return nil, err
	}
	d.Timeline = timeline(h.Entries, d.View)
	d.Scrub.steps(h.Entries)
	if d.View.Exists && d.View.Ticket != nil && sc.At.IsZero() {
		d.Forms = formsFor(s, *d.View.Ticket)
	}
	return d, nil
}

// timeline marks each entry for the view: late-recorded, outside the
// as-of view, known or not yet known at its instant.
func timeline(es []entry, v projections.AsOfView) []timelineItem {
	ids := func(refs []projections.EventRef) map[string]bool {
		m := map[string]bool{}
		for _, r := range refs {
			m[r.EventID] = true
		}
		return m
	}
	excluded, unknown, future := ids(v.Excluded), ids(v.NotYetRecorded), ids(v.NotYetOccurred)
	out := make([]timelineItem, len(es))
	for i, e := range es {
		out[i] = timelineItem{entry: e, Late: time.Duration(e.LateBySeconds*float64(time.Second)) >= lateAfter,
			Outside: excluded[e.EventID], Unknown: unknown[e.EventID], Future: future[e.EventID],
			AsOfOccurred: asOfQuery(e.OccurredAt, projections.AxisOccurred),
			AsOfRecorded: asOfQuery(e.RecordedAt, projections.AxisRecorded)}
	}
	return out
}

func asOfQuery(t time.Time, axis projections.Axis) string {
	return "?" + url.Values{"asOf": {t.UTC().Format(time.RFC3339Nano)}, "axis": {string(axis)}}.Encode()
}
