//go:build browser

package browsertest

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// count is how many tickets token's listing with query holds (every page).
func (l *ledgerProc) count(t *testing.T, token, query string) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		var page ticketList
		l.get(t, token, "/v1/tickets?limit=200&"+query+"&cursor="+url.QueryEscape(cursor), &page)
		n += len(page.Tickets)
		if page.Next == "" {
			return n
		}
		cursor = page.Next
	}
}

// fileRequest fills the filing form as sakura-cloud's staff would, for
// its customer kitano-seimitsu, in English.
func (p *page) fileRequest(product, severity, title string) {
	p.t.Helper()
	p.open("/tickets")
	p.clickNav(byLink("file a request"))
	p.fill(byLabel("customer"), "kitano-seimitsu")
	p.choose(byLabel("product"), product)
	p.choose(byLabel("severity"), severity)
	p.fill(byLabel("title"), title)
	p.fill(byLabel("name"), "Haruto Sato")
	p.fill(byLabel("e-mail"), "haruto.sato@sakura-cloud.example")
	p.fill(byLabel("support language"), "en")
	p.fill(byLabel("locale"), "ja-JP")
	p.clickNav(byButton("file the request"))
}

// TestFileRequest: sakura-cloud (a provider with a partner-network plan
// only) files a Dynamics 365 request for its customer: the page names the
// rule dynamics-needs-asfp next to the form and nothing is appended (its
// ticket count through the API is unchanged). The same request for Office
// 365 is filed: the new ticket's page shows its first-response deadline,
// the one the API gives for that ticket.
func TestFileRequest(t *testing.T) {
	l := ledger(t)
	tok := tokenFor(t, sakura)
	before := l.count(t, tok, "")

	p := newPage(t, tok)
	p.fileRequest("dynamics365", "Sev B", "CRM sync fails after the update")
	alert := p.text("[role=alert]")
	if !strings.Contains(alert, "dynamics-needs-asfp") || !strings.Contains(strings.ToLower(alert), "nothing was recorded") {
		t.Fatalf("a Dynamics 365 request without ASfP: the page says %q; want the rule dynamics-needs-asfp and that nothing was recorded\n%s", alert, p.text("main"))
	}
	if v := eval[string](p, `document.getElementById("title") ? document.getElementById("title").value : ""`); v != "CRM sync fails after the update" {
		t.Fatalf("the refused form lost what was typed: title %q", v)
	}
	p.checkPage("file-refused")
	if after := l.count(t, tok, ""); after != before {
		t.Fatalf("a refused request changed sakura-cloud's ticket count from %d to %d", before, after)
	}

	filedAt := time.Now()
	p.fileRequest("office365", "Sev B", "Mailbox migration stalls at 80%")
	loc := p.location()
	id := loc[strings.LastIndex(loc, "/")+1:]
	if !strings.Contains(loc, "/tickets/") || len(id) < 32 {
		t.Fatalf("after filing, the browser is at %s, want the new ticket's page\n%s", loc, p.text("main"))
	}
	var sla struct {
		Deadline *struct {
			At            time.Time `json:"at"`
			TargetSeconds int       `json:"targetSeconds"`
			PolicyVersion string    `json:"policyVersion"`
		} `json:"deadline"`
	}
	l.get(t, tok, "/v1/tickets/"+id+"/sla", &sla)
	if sla.Deadline == nil || sla.Deadline.TargetSeconds != 4*3600 || sla.Deadline.At.Sub(filedAt) > 4*time.Hour+time.Minute || sla.Deadline.At.Sub(filedAt) < 4*time.Hour-time.Minute {
		t.Fatalf("the API's deadline of the filed Sev B, English request: %+v; want 4 hours after filing", sla.Deadline)
	}
	notice := p.text("[role=status]")
	if !strings.Contains(notice, id) || !strings.Contains(strings.ToLower(notice), "deadline") || !strings.Contains(notice, sla.Deadline.PolicyVersion) {
		t.Fatalf("the new ticket's page says %q; want the ticket filed, its deadline and the policy version %s", notice, sla.Deadline.PolicyVersion)
	}
	shown := p.attr(byCSS("[role=status] time[datetime]"), "datetime")
	if at, err := time.Parse(time.RFC3339Nano, shown); err != nil || !at.Equal(sla.Deadline.At) {
		t.Fatalf("the deadline shown on filing is %q (%v); the API's is %s", shown, err, sla.Deadline.At)
	}
	p.checkPage("ticket-filed")
	if after := l.count(t, tok, ""); after != before+1 {
		t.Fatalf("filing one request took sakura-cloud's ticket count from %d to %d", before, after)
	}
}
