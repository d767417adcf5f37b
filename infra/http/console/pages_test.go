package console_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/evidence"
	"github.com/ticketledger/ticketledger/infra/http/console"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/projections"
)

// apiGet asks the API as person and decodes the JSON answer.
func apiGet(t *testing.T, f *fixture, person, path string, q url.Values, out any) {
	t.Helper()
	apiDo(t, f, person, http.MethodGet, path, q, nil, out)
}

func apiDo(t *testing.T, f *fixture, person, method, path string, q url.Values, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path+"?"+q.Encode(), rd)
	req.Header = http.Header{"Authorization": {"Bearer " + f.tokens[person]}, "Content-Type": {"application/json"}}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("API %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("API %s: %v", path, err)
	}
}

// wide is a period covering the whole demo history.
var wide = url.Values{"from": {"2000-01-01"}, "to": {"2100-01-01"}}

// The SLA report renders its groups, both charts as accessible inline SVG
// with data tables, and the totals the API gives for the same question.
func TestSLAPageRenders(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	b.signIn("vendor")
	q := url.Values{"from": wide["from"], "to": wide["to"], "groupBy": {"severity", "partner"}}
	p := b.get("/sla?" + q.Encode())
	if p.status != http.StatusOK {
		t.Fatalf("sla: %d\n%s", p.status, p.body)
	}
	var rep projections.Report
	apiGet(t, f, "vendor", "/v1/reports/sla", url.Values{"from": {"2000-01-01T00:00:00Z"}, "to": {"2100-01-01T00:00:00Z"}, "groupBy": {"severity,partner"}}, &rep)
	contains(t, p.body, fmt.Sprintf("<strong>%.1f%%</strong>", rep.Total.CompliancePct))
	contains(t, p.body, fmt.Sprintf("<dd>%d · %d · %d</dd>", rep.Total.Met, rep.Total.Breached, rep.Total.Pending))
	if n := strings.Count(p.body, "<tr><td>"+rep.Groups[0].Key["severity"]+"</td>"); n == 0 || len(rep.Groups) < 2 {
		t.Fatalf("groups not listed (%d groups)", len(rep.Groups))
	}
	for _, id := range []string{"chart-over", "chart-ttfr"} {
		contains(t, p.body, `<svg class="chart" id="`+id+`" role="img" aria-labelledby="`+id+`-t `+id+`-d"`)
		contains(t, p.body, `<desc id="`+id+`-d">`)
	}
	contains(t, p.body, "Data table: compliance over time")
	var over projections.Report
	apiGet(t, f, "vendor", "/v1/reports/sla", url.Values{"from": {"2000-01-01T00:00:00Z"}, "to": {"2100-01-01T00:00:00Z"}, "slices": {"8"}}, &over)
	for _, sl := range over.Over { // each slice, a row of the chart's data table
		contains(t, p.body, fmt.Sprintf("<td>%.1f%%</td><td>%d</td><td>%d</td><td>%d</td></tr>", sl.CompliancePct, sl.Met, sl.Breached, sl.Tickets))
	}
	contains(t, p.body, "<h2 id=\"breaches-h\">Breaches</h2>")
	if rep.Total.Breached > 0 {
		contains(t, p.body, "breached tickets of the period")
	}
	lacks(t, p.body, "<script>") // no inline script
	if p := b.get("/sla?from=yesterday"); p.status != http.StatusBadRequest {
		t.Fatalf("a bad from: %d", p.status)
	}
}

// Each page renders for vendor support and an auditor; an auditor sees no
// action controls; an admin reads no ticket data (the API's rule) but sees
// the integrity page's tree head.
func TestPagesRenderByRole(t *testing.T) {
	f := theFixture(t)
	id := f.ticketOf(t, "thames-digital").ID
	pages := []string{"/sla", "/sla/at-risk", "/sla/what-if", "/audit", "/integrity", "/tickets/" + id + "/evidence"}
	for _, who := range []string{"vendor", "auditor"} {
		b := f.browser(t)
		b.signIn(who)
		for _, path := range pages {
			p := b.get(path)
			if p.status != http.StatusOK {
				t.Fatalf("%s %s: %d\n%s", who, path, p.status, p.body)
			}
			contains(t, p.body, "<h1>")
			if who == "auditor" {
				lacks(t, p.body, "Act on this ticket")
				lacks(t, p.body, "File a request")
			}
		}
	}
	b := f.browser(t)
	form := b.get("/signin")
	if res := b.post("/signin", url.Values{"csrf": {csrfOf(t, form)}, "token": {f.tokens["admin"]}, "next": {"/integrity"}}); res.status != http.StatusSeeOther {
		t.Fatalf("admin sign-in: %d", res.status)
	}
	p := b.get("/integrity")
	contains(t, p.body, "Latest signed tree head")
	contains(t, p.body, "checks against key")
	if p := b.get("/sla"); p.status != http.StatusForbidden {
		t.Fatalf("admin /sla: %d", p.status)
	}
}

// siblingIDs are every ticket id of hudson-msp, thames-digital's sibling.
func siblingIDs(t *testing.T, f *fixture) []string {
	pg, err := f.l.Tickets.List(projections.TicketFilter{Scope: projections.Scope{PartnerID: "hudson-msp"}}, projections.Page{Limit: 10000})
	if err != nil || len(pg.Tickets) == 0 {
		t.Fatalf("no hudson tickets: %v", err)
	}
	ids := make([]string, len(pg.Tickets))
	for i, tk := range pg.Tickets {
		ids[i] = tk.ID
	}
	return ids
}

// lacksSibling fails if body names hudson-msp or any of its tickets, even
// by short id (unless the viewer typed it into a filter, which echoes it).
func lacksSibling(t *testing.T, what, body string, ids []string) {
	t.Helper()
	if !strings.Contains(what, "hudson-msp") && strings.Contains(body, "hudson-msp") {
		t.Fatalf("%s names the sibling partner", what)
	}
	for _, id := range ids {
		if !strings.Contains(what, id) && strings.Contains(body, id[:8]) {
			t.Fatalf("%s shows the sibling's ticket %s", what, id)
		}
	}
}

// A reseller's pages and downloads never show a sibling's ticket, not
// even its id; the sibling's evidence reads as a ticket never filed.
func TestPagesScopedForReseller(t *testing.T) {
	f := theFixture(t)
	ids := siblingIDs(t, f)
	b := f.browser(t)
	b.signIn("thames")
	for _, path := range []string{
		"/sla?" + url.Values{"from": wide["from"], "to": wide["to"], "groupBy": {"partner", "customer"}}.Encode(),
		"/sla?partnerId=hudson-msp&from=2000-01-01",
		"/sla/at-risk?includeBreached=true&horizon=24h",
		"/sla/what-if",
		"/audit", "/audit?order=newest", "/audit?partnerId=hudson-msp", "/audit?ticketId=" + ids[0],
		"/audit/export.csv", "/audit/export.json", "/audit/export.csv?partnerId=hudson-msp",
		"/integrity",
	} {
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d\n%s", path, p.status, p.body)
		}
		lacksSibling(t, path, p.body, ids)
	}
	for _, suffix := range []string{"/evidence", "/evidence.zip"} {
		hidden := b.get("/tickets/" + ids[0] + suffix)
		missing := b.get("/tickets/00000000-0000-4000-8000-000000000000" + suffix)
		if hidden.status != http.StatusNotFound || hidden.body != missing.body {
			t.Fatalf("sibling %s: %d, reads unlike a missing ticket:\n%s\n----\n%s", suffix, hidden.status, hidden.body, missing.body)
		}
	}
}

// The audit page pages through the API's answer; its CSV and JSON
// downloads hold exactly the API's entries for the same filters.
func TestAuditExportMatchesAPI(t *testing.T) {
	f := theFixture(t)
	b := f.browser(t)
	b.signIn("auditor")
	filters := url.Values{"type": {"ticket.opened,ticket.first_response_recorded,ticket.severity_changed"}}
	var want []projections.AuditEntry
	q := url.Values{"type": filters["type"], "limit": {"7"}}
	for {
		var pg projections.AuditPage
		apiGet(t, f, "auditor", "/v1/audit", q, &pg)
		want = append(want, pg.Entries...)
		if pg.Next == "" {
			break
		}
		q.Set("cursor", pg.Next)
	}
	if len(want) < 60 {
		t.Fatalf("want more than a page of entries for the test, have %d", len(want))
	}

	p := b.get("/audit?" + filters.Encode())
	contains(t, p.body, "Next page")
	contains(t, p.body, "<td>"+strconv.FormatUint(want[0].Position, 10)+"</td>")
	lacks(t, p.body, "<td>"+strconv.FormatUint(want[len(want)-1].Position, 10)+"</td>")

	js := b.get("/audit/export.json?" + filters.Encode())
	if js.status != http.StatusOK || !strings.HasPrefix(js.header.Get("Content-Type"), "application/json") ||
		!strings.Contains(js.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("json export: %d %v", js.status, js.header)
	}
	var got projections.AuditPage
	if err := json.Unmarshal([]byte(js.body), &got); err != nil {
		t.Fatalf("json export does not parse: %v", err)
	}
	if !reflect.DeepEqual(got.Entries, want) {
		t.Fatalf("json export: %d entries, the API %d; first %+v vs %+v", len(got.Entries), len(want), got.Entries[0], want[0])
	}

	cs := b.get("/audit/export.csv?" + filters.Encode())
	if cs.status != http.StatusOK || !strings.HasPrefix(cs.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv export: %d %v", cs.status, cs.header)
	}
	rows, err := csv.NewReader(strings.NewReader(cs.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want)+1 || rows[0][0] != "position" {
		t.Fatalf("csv export: %d rows, the API %d entries", len(rows)-1, len(want))
	}
	for i, e := range want {
		r := rows[i+1]
		wantRow := []string{strconv.FormatUint(e.Position, 10), e.Stream, strconv.FormatUint(e.Revision, 10), e.EventID, e.Type,
			e.OccurredAt.UTC().Format(time.RFC3339Nano), e.RecordedAt.UTC().Format(time.RFC3339Nano), strconv.FormatFloat(e.LateBySeconds, 'f', -1, 64),
			e.Actor.ID, string(e.Actor.Role), e.Actor.Partner, e.OnBehalfOf, e.PolicyVersion, e.TicketID, e.PartnerID, e.CustomerID}
		if !reflect.DeepEqual(r, wantRow) {
			t.Fatalf("csv row %d:\n got %q\nwant %q", i, r, wantRow)
		}
	}
	if p := b.get("/audit/export.csv?recordedFrom=soon"); p.status != http.StatusBadRequest {
		t.Fatalf("a bad filter: %d", p.status)
	}
}

// A what-if runs as a job: its page shows the progress while it runs and
// refreshes itself, then the result, which adds up to the API's answer for
// the whole period; the same question reuses it; another tenancy neither
// sees the job nor shares its cache.
func TestWhatIfJob(t *testing.T) {
	f := theFixture(t)
	var pols server.PolicyList
	apiGet(t, f, "vendor", "/v1/policies", nil, &pols)
	policy := pols.Policies[0].Version
	for _, p := range pols.Policies {
		if p.Version != pols.Current {
			policy = p.Version
		}
	}
	reached, release := make(chan int, 16), make(chan struct{})
	defer console.SetWhatIfStep(func(done, _ int) {
		if done == 1 {
			reached <- done
			<-release
		}
	})()
	b := f.browser(t)
	b.signIn("vendor")
	form := b.get("/sla/what-if")
	contains(t, form.body, `<option value="`+policy+`"`)
	ask := url.Values{"csrf": {csrfOf(t, form)}, "policy": {policy}, "from": {"2000-01-01"}, "to": {"2100-01-01"}}
	res := b.post("/sla/what-if", ask)
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/sla/what-if/jobs/") {
		t.Fatalf("start: %d %q\n%s", res.status, loc, res.body)
	}
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatal("the job did not start")
	}
	running := b.get(loc)
	if running.header.Get("Refresh") != "1" {
		t.Fatalf("a running job's page does not refresh itself: %v", running.header)
	}
	contains(t, running.body, `<progress id="job-progress" max="10" value="1">`)
	contains(t, running.body, "1 of 10 (10%)")
	close(release)

	var done page
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if done = b.get(loc); done.header.Get("Refresh") == "" || time.Now().After(deadline) {
			break
		}
	}
	if done.status != http.StatusOK || done.header.Get("Refresh") != "" {
		t.Fatalf("the job did not finish: %d\n%s", done.status, done.body)
	}
	var want projections.WhatIfReport
	apiDo(t, f, "vendor", http.MethodPost, "/v1/reports/what-if", nil, server.WhatIfBody{PolicyVersion: policy,
		From: server.Timestamp{Time: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}, To: server.Timestamp{Time: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}}, &want)
	contains(t, done.body, fmt.Sprintf("<dt>Met → breached</dt><dd>%d</dd>", want.MetToBreached))
	contains(t, done.body, fmt.Sprintf("<dt>Breached → met</dt><dd>%d</dd>", want.BreachedToMet))
	contains(t, done.body, fmt.Sprintf("<dd>%d of %d judged</dd>", want.Unchanged, want.Evaluated))
	contains(t, done.body, fmt.Sprintf("<strong>%.1f%%</strong>", want.WhatIfCompliancePct))
	if len(want.Flips) > 0 {
		contains(t, done.body, `<a href="/tickets/`+want.Flips[0].TicketID+`">`)
	}

	again := b.post("/sla/what-if", ask)
	if again.header.Get("Location") != loc {
		t.Fatalf("the same question started another job: %q, was %q", again.header.Get("Location"), loc)
	}
	r := f.browser(t)
	rcsrf := r.signIn("thames")
	if p := r.get(loc); p.status != http.StatusNotFound {
		t.Fatalf("another tenancy sees the job: %d", p.status)
	}
	ask.Set("csrf", rcsrf)
	if other := r.post("/sla/what-if", ask); other.header.Get("Location") == loc || other.status != http.StatusSeeOther {
		t.Fatalf("another tenancy shares the cache: %d %q", other.status, other.header.Get("Location"))
	}
}

// sseEvents reads a server-sent event stream's "atrisk" events.
func sseEvents(t *testing.T, b *browser, path string) (<-chan string, func()) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	ch := make(chan string, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "atrisk":
				ch <- strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return ch, func() { resp.Body.Close() }
}

// The at-risk board lists the tickets at load, and its event stream sends
// an event when a ticket becomes at risk — to its tenancy only.
func TestAtRiskStreamSendsNewRisk(t *testing.T) {
	defer console.SetLivePoll(50 * time.Millisecond)()
	f := theFixture(t)
	b := f.browser(t)
	csrf := b.signIn("thames")
	h := f.browser(t)
	h.signIn("hudson")
	page := b.get("/sla/at-risk?horizon=24h")
	contains(t, page.body, `data-live="/sla/at-risk/events?horizon=24h"`)
	contains(t, page.body, `<script src="/assets/atrisk.js" defer></script>`)
	events, stop := sseEvents(t, b, "/sla/at-risk/events?horizon=24h")
	defer stop()
	sibling, stopSibling := sseEvents(t, h, "/sla/at-risk/events?horizon=24h")
	defer stopSibling()
	first := <-events
	var bd struct {
		Tickets []struct{ ID, Left string }
	}
	if err := json.Unmarshal([]byte(first), &bd); err != nil {
		t.Fatalf("first event: %v\n%s", err, first)
	}

	res := b.post("/tickets", fileForm(csrf, "office365", "Teams calls drop at risk"))
	id := strings.TrimPrefix(res.header.Get("Location"), "/tickets/")
	if res.status != http.StatusSeeOther || id == "" {
		t.Fatalf("filing: %d\n%s", res.status, res.body)
	}
	timeout := time.After(20 * time.Second)
	for found := false; !found; {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if strings.Contains(ev, `"id":"`+id+`"`) {
				found = true
				contains(t, ev, " left")
			}
		case <-timeout:
			t.Fatal("no event for the ticket that became at risk")
		}
	}
	contains(t, b.get("/sla/at-risk?horizon=24h").body, `<a href="/tickets/`+id+`">`)
	for {
		select {
		case ev := <-sibling:
			if strings.Contains(ev, id) {
				t.Fatal("the sibling's stream shows the new ticket")
			}
			continue
		case <-time.After(300 * time.Millisecond):
		}
		break
	}
}

// The evidence page verifies the ticket's bundle and says what it proves;
// the download is the API's bundle; an altered bundle uploaded fails with
// its problems; the integrity page shows the head and the verify status.
func TestEvidencePageVerifiesBundle(t *testing.T) {
	f := theFixture(t)
	tk := f.ticketOf(t, "thames-digital")
	b := f.browser(t)
	csrf := b.signIn("auditor")
	contains(t, b.get("/tickets/"+tk.ID).body, `<a href="/tickets/`+tk.ID+`/evidence">`)
	if p := b.get("/integrity?ticket=" + tk.ID); p.status != http.StatusSeeOther || p.header.Get("Location") != "/tickets/"+tk.ID+"/evidence" {
		t.Fatalf("the integrity page's ticket form: %d %q", p.status, p.header.Get("Location"))
	}
	p := b.get("/tickets/" + tk.ID + "/evidence")
	if p.status != http.StatusOK {
		t.Fatalf("evidence: %d\n%s", p.status, p.body)
	}
	contains(t, p.body, "Verification: verified")
	contains(t, p.body, "What it proves")
	contains(t, p.body, "none altered, removed or reordered")
	contains(t, p.body, `href="/tickets/`+tk.ID+`/evidence.zip"`)

	zip := b.get("/tickets/" + tk.ID + "/evidence.zip")
	if zip.status != http.StatusOK || zip.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %v", zip.status, zip.header)
	}
	bundle, err := evidence.Read(strings.NewReader(zip.body), int64(len(zip.body)))
	if err != nil {
		t.Fatal(err)
	}
	rep := evidence.Verify(bundle, evidence.Trust{})
	if !rep.OK || rep.TicketID != tk.ID {
		t.Fatalf("the downloaded bundle does not verify: %+v", rep.Problems)
	}
	contains(t, p.body, "<li>"+template(rep.Proves[len(rep.Proves)-1])+"</li>")

	data, _ := evidence.EventFile(0)
	raw := bundle.Files[data]
	bundle.Files[data] = bytes.Replace(raw, []byte(`"`), []byte(`'`), 1)
	var tampered bytes.Buffer
	if err := bundle.Write(&tampered); err != nil {
		t.Fatal(err)
	}
	up := b.upload("/integrity/verify", csrf, "tampered.zip", tampered.Bytes())
	if up.status != http.StatusOK {
		t.Fatalf("upload: %d\n%s", up.status, up.body)
	}
	contains(t, up.body, "Verification: does NOT verify")
	contains(t, up.body, data)
	if up := b.upload("/integrity/verify", csrf, "notes.zip", []byte("not a zip")); up.status != http.StatusBadRequest {
		t.Fatalf("a file that is no bundle: %d", up.status)
	}

	in := b.get("/integrity")
	contains(t, in.body, "Latest signed tree head")
	contains(t, in.body, "checks against key")
	contains(t, in.body, "Every event the running sealer met verified")
	v := f.browser(t)
	v.signIn("vendor")
	contains(t, v.get("/integrity").body, "for auditors and admins")
}

// template escapes s as html/template does in text.
func template(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// upload posts a file as the integrity page's form does.
func (b *browser) upload(path, csrf, name string, content []byte) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("bundle", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.f.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}
