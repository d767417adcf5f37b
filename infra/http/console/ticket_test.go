package console_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/http/console"
	"github.com/ticketledger/ticketledger/projections"
)

// lateTicket finds a ticket of the demo with at least three events whose
// opening was recorded well after it occurred (the demo backdates).
func lateTicket(t *testing.T, f *fixture) projections.Ticket {
	t.Helper()
	pg, err := f.l.Tickets.List(projections.TicketFilter{}, projections.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range pg.Tickets {
		if tk.Events >= 3 && tk.RecordedAt.Sub(tk.OpenedAt) > time.Hour && tk.Deadline != nil {
			return tk
		}
	}
	t.Fatal("no late-recorded ticket with three events in the demo")
	return projections.Ticket{}
}

// apiAsOf asks the API, as vendor support, for the ticket as of at.
func apiAsOf(t *testing.T, f *fixture, id string, at time.Time, axis string) projections.AsOfView {
	t.Helper()
	q := url.Values{"asOf": {at.UTC().Format(time.RFC3339Nano)}, "axis": {axis}}
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/v1/tickets/"+id+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["vendor"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v projections.AsOfView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("API as of: %d %v", resp.StatusCode, err)
	}
	return v
}

// The ticket page's timeline has every event with both times, actor and
// late-recorded mark; the as-of scrubber shows the ticket and its SLA
// clock as the API answers for that instant, on both axes.
func TestTicketTimelineAndAsOf(t *testing.T) {
	f := theFixture(t)
	tk := lateTicket(t, f)
	b := f.browser(t)
	b.signIn("vendor")
	now := b.get("/tickets/" + tk.ID)
	if now.status != http.StatusOK {
		t.Fatalf("ticket: %d", now.status)
	}
	if n := strings.Count(now.body, `<p><strong>#`); n != tk.Events {
		t.Fatalf("timeline has %d entries, the ticket %d events", n, tk.Events)
	}
	contains(t, now.body, "after it occurred") // the opening's late-recorded mark
	contains(t, now.body, "by "+tk.FiledBy.ID)
	contains(t, now.body, "policy <code>"+tk.Deadline.PolicyVersion+"</code>")

	// Recorded axis, at the opening's recording: one event, open, and the
	// SLA clock the API gives for that instant.
	at := tk.RecordedAt
	p := b.get("/tickets/" + tk.ID + "?" + url.Values{"asOf": {at.Format(time.RFC3339Nano)}, "axis": {"recorded"}}.Encode())
	if p.status != http.StatusOK {
		t.Fatalf("as of: %d\n%s", p.status, p.body)
	}
	api := apiAsOf(t, f, tk.ID, at, "recorded")
	contains(t, p.body, "on the recorded axis")
	contains(t, p.body, "1 of ")
	contains(t, p.body, "not in this view")
	contains(t, p.body, `<span class="badge">`+api.Ticket.Status+`</span>`)
	contains(t, p.body, "<p>"+console.ExplainText(api.SLA)+"</p>")
	lacks(t, p.body, "Act on this ticket") // the past is not acted on
	if !strings.Contains(p.body, "next event →") || strings.Contains(p.body, "← previous event") {
		t.Fatal("at the first event: want a next and no previous link")
	}

	// Occurred axis, at the opening's occurrence: the ledger had not
	// recorded it yet, and the page says so.
	p = b.get("/tickets/" + tk.ID + "?" + url.Values{"asOf": {tk.OpenedAt.Format(time.RFC3339Nano)}, "axis": {"occurred"}}.Encode())
	api = apiAsOf(t, f, tk.ID, tk.OpenedAt, "occurred")
	if len(api.NotYetRecorded) == 0 {
		t.Fatal("the API does not call the backdated opening not yet recorded")
	}
	contains(t, p.body, "had happened, not yet recorded")
	contains(t, p.body, "<p>"+console.ExplainText(api.SLA)+"</p>")

	// Before the ticket existed.
	p = b.get("/tickets/" + tk.ID + "?" + url.Values{"asOf": {tk.OpenedAt.Add(-time.Hour).Format(time.RFC3339Nano)}, "axis": {"occurred"}}.Encode())
	contains(t, p.body, "had not been opened yet")

	// A datetime-local value is read in the viewer's zone.
	u, _ := url.Parse(f.srv.URL)
	b.jar.SetCookies(u, []*http.Cookie{{Name: "tl_tz", Value: "Asia%2FTokyo"}})
	tokyo := tk.RecordedAt.Add(time.Second).In(mustZone(t, "Asia/Tokyo")).Format("2006-01-02T15:04:05")
	p = b.get("/tickets/" + tk.ID + "?" + url.Values{"asOf": {tokyo}, "axis": {"recorded"}}.Encode())
	contains(t, p.body, `value="`+tokyo+`"`)
	contains(t, p.body, "JST")
	if p := b.get("/tickets/" + tk.ID + "?asOf=yesterday"); p.status != http.StatusBadRequest {
		t.Fatalf("a bad asOf: %d", p.status)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
