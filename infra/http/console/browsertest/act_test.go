//go:build browser

package browsertest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// ticketSLA is the API's GET /v1/tickets/{id}/sla, as far as read here.
type ticketSLA struct {
	Verdict     string     `json:"verdict"`
	RespondedAt *time.Time `json:"respondedAt"`
	Deadline    *struct {
		At       time.Time `json:"at"`
		Severity string    `json:"severity"`
	} `json:"deadline"`
}

// openAction opens the action named label on a ticket's page (its
// disclosure) and returns the CSS selector of its form.
func (p *page) openAction(label string) string {
	p.t.Helper()
	p.click(within(".actions", "text", label))
	p.waitFor("the "+label+" form", `[...document.querySelectorAll(".actions details")].some(d => d.open)`)
	return ".actions details[open] form"
}

// newest is the id of the newest ticket the API lists for filters (a
// query string), failing with what when there is none.
func (l *ledgerProc) newest(t *testing.T, token, filters, what string) string {
	t.Helper()
	var list ticketList
	l.get(t, token, "/v1/tickets?order=newest&limit=1&"+filters, &list)
	if len(list.Tickets) == 0 {
		t.Fatalf("no %s ticket in the demo", what)
	}
	return list.Tickets[0].ID
}

// historyLen is how many events the ticket's stream holds (the API).
func (l *ledgerProc) historyLen(t *testing.T, token, id string) int {
	t.Helper()
	var h history
	l.get(t, token, "/v1/tickets/"+id+"/history", &h)
	return len(h.Entries)
}

// TestRecordFirstResponse: a vendor engineer records the first response
// of an open, unanswered ticket with its form: the page says it was
// recorded and shows the clock the API then gives (met or breached, the
// response time). Recording it a second time is refused with the rule
// named in the form, and nothing is appended.
func TestRecordFirstResponse(t *testing.T) {
	l := ledger(t)
	tok := l.SignInToken
	id := l.newest(t, tok, "status=open&sla=pending", "open unanswered")
	p := newPage(t, tok)
	p.open("/tickets/" + id)
	form := p.openAction("Record the first response")
	p.fill(within(form, "label", "summary"), "Looked at the logs: a quota limit; raising it now.")
	p.clickNav(within(form, "button", "record the first response"))

	var sla ticketSLA
	l.get(t, tok, "/v1/tickets/"+id+"/sla", &sla)
	if sla.RespondedAt == nil {
		t.Fatalf("the API has no first response after the form was sent: %+v\n%s", sla, p.text("main"))
	}
	if msg := p.text("[role=status]"); !strings.Contains(strings.ToLower(msg), "recorded") {
		t.Fatalf("after recording the first response the page says %q", msg)
	}
	badge := p.attr(byCSS("main .lead .badge[class*='sla-']"), "class")
	if !strings.Contains(badge, "sla-"+sla.Verdict) && !strings.Contains(badge, "sla-near_miss") {
		t.Fatalf("the API's verdict is %s; the page's badge %q", sla.Verdict, badge)
	}
	p.checkPage("ticket-first-response")

	n := l.historyLen(t, tok, id)
	form = p.openAction("Record the first response")
	p.clickNav(within(form, "button", "record the first response"))
	alert := p.text(".actions [role=alert]")
	if !strings.Contains(alert, "Rule:") || !strings.Contains(strings.ToLower(alert), "nothing was recorded") {
		t.Fatalf("a second first response: the form says %q; want the rule and that nothing was recorded", alert)
	}
	p.check("ticket action refused")
	if after := l.historyLen(t, tok, id); after != n {
		t.Fatalf("a refused action took the ticket's events from %d to %d", n, after)
	}
}

// TestSeverityChangeShowsDeadline: sakura-cloud raises a Sev C request it
// filed (through the API) to Sev A with the form; the page after it shows
// the deadline now in force, the one the API gives.
func TestSeverityChangeShowsDeadline(t *testing.T) {
	l := ledger(t)
	tok := tokenFor(t, sakura)
	id := l.fileAsSakura(t, "C", "Teams calls drop after a minute")
	p := newPage(t, tok)
	p.open("/tickets/" + id)
	form := p.openAction("Change the severity")
	p.choose(within(form, "label", "new severity"), "A")
	p.fill(within(form, "label", "reason"), "Production is down for all users now.")
	p.clickNav(within(form, "button", "change the severity"))

	var sla ticketSLA
	l.get(t, tok, "/v1/tickets/"+id+"/sla", &sla)
	if sla.Deadline == nil || sla.Deadline.Severity != "A" {
		t.Fatalf("the API's deadline after the change: %+v\n%s", sla.Deadline, p.text("main"))
	}
	shown := p.attr(byCSS("[role=status] time[datetime]"), "datetime")
	if at, err := time.Parse(time.RFC3339Nano, shown); err != nil || !at.Equal(sla.Deadline.At) {
		t.Fatalf("the deadline shown after the severity change is %q (%v); the API's is %s\n%s", shown, err, sla.Deadline.At, p.text("[role=status]"))
	}
	p.check("ticket severity changed")
}

// fileAsSakura files an English office365 request of severity sev for
// sakura-cloud's customer kitano-seimitsu through the API, as sakura, and
// returns its id.
func (l *ledgerProc) fileAsSakura(t *testing.T, sev, title string) string {
	t.Helper()
	code, body := l.api(t, tokenFor(t, sakura), http.MethodPost, "/v1/tickets", map[string]any{
		"customerId": "kitano-seimitsu", "product": "office365", "severity": sev, "title": title,
		"contact": map[string]string{"name": "Haruto Sato", "email": "haruto.sato@sakura-cloud.example"}, "language": "en", "locale": "ja-JP",
	})
	var filed struct {
		TicketID string `json:"ticketId"`
	}
	if err := json.Unmarshal(body, &filed); code != http.StatusCreated || err != nil || filed.TicketID == "" {
		t.Fatalf("file a Sev %s request through the API: %d %s", sev, code, body)
	}
	return filed.TicketID
}
