package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/projections"
)

// fileForm is a filing for a customer of thames-digital (a reseller with a
// partner-network plan only, so Dynamics 365 is refused by rule 3).
func fileForm(csrf, product, title string) url.Values {
	return url.Values{"csrf": {csrf}, "key": {"k-" + strings.ReplaceAll(title, " ", "-")}, "customerId": {"harbour-foods"}, "product": {product}, "severity": {"A"},
		"title": {title}, "contactName": {"Tom"}, "contactEmail": {"tom@thames-digital.example"}, "language": {"en"}, "locale": {"en-GB"}}
}

// A filing the domain refuses comes back to the form with the rule and its
// remedy, and nothing is appended.
func TestFilingRefusedShowsTheRule(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	csrf := b.signIn("thames")
	before := f.l.Tickets.Len()
	p := b.post("/tickets", fileForm(csrf, "dynamics365", "CRM sync fails"))
	if p.status != http.StatusForbidden {
		t.Fatalf("refused filing: %d\n%s", p.status, p.body)
	}
	contains(t, p.body, "<code>dynamics-needs-asfp</code>")
	contains(t, p.body, "record such a support plan for the partner first") // the remedy, in the API's words
	contains(t, p.body, "Nothing was recorded")
	contains(t, p.body, `value="CRM sync fails"`) // the form keeps what was typed
	if n := f.l.Tickets.Len(); n != before {
		t.Fatalf("a refused filing appended: %d tickets, was %d", n, before)
	}
}

var deadlineRE = regexp.MustCompile(`Deadline in force: first response by <time datetime="([^"]+)"`)

// A filing that succeeds opens the new ticket, which says its
// first-response deadline; sending the same form again files nothing new.
func TestFilingShowsItsDeadline(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	csrf := b.signIn("thames")
	form := fileForm(csrf, "office365", "Mailbox migration stuck")
	res := b.post("/tickets", form)
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/tickets/") {
		t.Fatalf("filing: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	id := strings.TrimPrefix(res.header.Get("Location"), "/tickets/")
	p := b.get(res.header.Get("Location"))
	contains(t, p.body, "Request filed: ticket "+id)
	m := deadlineRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no deadline on the new ticket's page:\n%s", p.body)
	}
	v, ok := f.l.Tickets.Get(id)
	if !ok || v.Deadline == nil || v.Deadline.At.UTC().Format("2006-01-02T15:04:05Z") != m[1] && v.Deadline.At.UTC().Format("2006-01-02T15:04:05.999999999Z07:00") != m[1] {
		t.Fatalf("page deadline %s, ledger %+v", m[1], v.Deadline)
	}
	contains(t, p.body, "2 hours 24x7") // Sev A in English
	contains(t, p.body, "Mailbox migration stuck")
	// The flash is shown once.
	lacks(t, b.get(res.header.Get("Location")).body, "Request filed")
	// The same form (same idempotency key) files nothing new.
	n := f.l.Tickets.Len()
	again := b.post("/tickets", form)
	if again.header.Get("Location") != res.header.Get("Location") || f.l.Tickets.Len() != n {
		t.Fatalf("resent form: %q (was %q), %d tickets (was %d)", again.header.Get("Location"), res.header.Get("Location"), f.l.Tickets.Len(), n)
	}
}

// An action goes through the API's command route as the signed-in
// principal: a severity change shows the recomputed deadline; a refused
// escalation shows its rule inline and appends nothing; a form from a
// page that is out of date is refused rather than applied.
func TestActionsShowDeadlineAndRules(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	csrf := b.signIn("thames")
	res := b.post("/tickets", fileForm(csrf, "office365", "Teams calls drop"))
	id := strings.TrimPrefix(res.header.Get("Location"), "/tickets/")
	page := b.get("/tickets/" + id)
	contains(t, page.body, `action="/tickets/`+id+`/actions/severity"`)
	rev := func() uint64 { v, _ := f.l.Tickets.Get(id); return v.Revision }
	r0 := rev()

	p := b.post("/tickets/"+id+"/actions/escalate", url.Values{"csrf": {csrf}, "revision": {"0"}, "reason": {"we cannot reproduce it"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("escalation without criteria: %d\n%s", p.status, p.body)
	}
	contains(t, p.body, "<code>escalation-needs-reason-and-criteria</code>")
	contains(t, p.body, `<details open>`)
	if rev() != r0 {
		t.Fatal("a refused escalation appended")
	}

	p = b.post("/tickets/"+id+"/actions/severity", url.Values{"csrf": {csrf}, "revision": {"0"}, "key": {"sev-1"}, "severity": {"C"}, "reason": {"workaround found"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("severity change: %d\n%s", p.status, p.body)
	}
	p = b.get("/tickets/" + id)
	contains(t, p.body, "Change the severity: recorded")
	contains(t, p.body, "8 hours 24x7, severity C")
	v, _ := f.l.Tickets.Get(id)
	if m := deadlineRE.FindStringSubmatch(p.body); m == nil || !strings.HasPrefix(m[1], v.Deadline.At.UTC().Format("2006-01-02T15:04:05")) {
		t.Fatalf("shown deadline %v, ledger %v", m, v.Deadline.At)
	}

	// The severity form still says revision 0: someone (here: we) acted since.
	r1 := rev()
	p = b.post("/tickets/"+id+"/actions/note", url.Values{"csrf": {csrf}, "revision": {"0"}, "text": {"from a stale page"}})
	if p.status != http.StatusConflict {
		t.Fatalf("stale form: %d\n%s", p.status, p.body)
	}
	if rev() != r1 {
		t.Fatal("a stale form appended")
	}
}

// An auditor reads every ticket and sees no action control at all; vendor
// support sees its forms on the same ticket.
func TestAuditorSeesNoForms(t *testing.T) {
	f := theFixture(t)
	pg, err := f.l.Tickets.List(projections.TicketFilter{Scope: projections.Scope{PartnerID: "atlantic-channel"}, Status: projections.StatusInProgress}, projections.Page{Limit: 1})
	if err != nil || len(pg.Tickets) == 0 {
		t.Fatalf("no ticket of atlantic-channel in progress: %v", err)
	}
	tk := pg.Tickets[0]
	aud := f.browser(t)
	aud.signIn("auditor")
	list := aud.get("/tickets")
	lacks(t, list.body, "File a request")
	p := aud.get("/tickets/" + tk.ID)
	if p.status != http.StatusOK {
		t.Fatalf("auditor: %d", p.status)
	}
	lacks(t, p.body, "/actions/")
	lacks(t, p.body, "Act on this ticket")
	if n := strings.Count(p.body, `method="post"`); n != 1 { // sign-out only
		t.Fatalf("auditor's page has %d POST forms", n)
	}
	if p := aud.get("/tickets/new"); strings.Contains(p.body, `action="/tickets"`) {
		t.Fatal("the auditor is offered the filing form")
	}
	ven := f.browser(t)
	ven.signIn("vendor")
	contains(t, ven.get("/tickets/"+tk.ID).body, "/actions/note")
}
