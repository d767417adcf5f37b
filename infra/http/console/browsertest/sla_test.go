//go:build browser

package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// slaReport is the API's GET /v1/reports/sla, as far as the tests read it.
type slaReport struct {
	GroupBy []string      `json:"groupBy"`
	Total   reportGroup   `json:"total"`
	Groups  []reportGroup `json:"groups"`
	Over    []struct {
		CompliancePct float64 `json:"compliancePct"`
	} `json:"over"`
}

type reportGroup struct {
	Key           map[string]string `json:"key"`
	Tickets       int               `json:"tickets"`
	Met           int               `json:"met"`
	Breached      int               `json:"breached"`
	Pending       int               `json:"pending"`
	CompliancePct float64           `json:"compliancePct"`
}

// summary is the figures the SLA page shows, one line per group, in the
// page's words.
func (r slaReport) summary(dim string) string {
	lines := []string{fmt.Sprintf("total %.1f%% %d · %d · %d of %d", r.Total.CompliancePct, r.Total.Met, r.Total.Breached, r.Total.Pending, r.Total.Tickets)}
	for _, g := range r.Groups {
		lines = append(lines, fmt.Sprintf("%s %.1f%% %d %d %d %d", g.Key[dim], g.CompliancePct, g.Tickets, g.Met, g.Breached, g.Pending))
	}
	var over []string
	for _, s := range r.Over {
		over = append(over, fmt.Sprintf("%.1f%%", s.CompliancePct))
	}
	return strings.Join(append(lines, "over "+strings.Join(over, " ")), "\n")
}

// agrees fails unless what the page shows equals the API's answer just
// before or just after the page was read (a ticket's clock may run out in
// between; when it did not, both answers are the same).
func agrees(t *testing.T, what, shown, before, after string) {
	t.Helper()
	if shown != before && shown != after {
		t.Fatalf("%s shown:\n%s\nthe API's answer before:\n%s\nand after:\n%s", what, shown, before, after)
	}
}

// grid is the figures of the page's main dl.grid lists: each dd's text
// by its dt's.
func (p *page) grid() map[string]string {
	p.t.Helper()
	return eval[map[string]string](p, `Object.fromEntries([...document.querySelectorAll("main dl.grid > div")].map(d => [d.querySelector("dt").innerText.trim(), d.querySelector("dd").innerText.trim()]))`)
}

// periodDates is a period of whole days in the viewer's zone, as the
// date inputs take it and as the API's instants.
func periodDates(t *testing.T, daysBack, daysAhead int) (fromIn, toIn string, from, to time.Time) {
	t.Helper()
	zone, err := time.LoadLocation(viewerZone)
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := time.Now().In(zone).Date()
	from = time.Date(y, m, d-daysBack, 0, 0, 0, 0, zone)
	to = time.Date(y, m, d+daysAhead, 0, 0, 0, 0, zone)
	return from.Format("2006-01-02"), to.Format("2006-01-02"), from, to
}

// firstWord is s up to its first space ("93.0%" of "93.0% (met of …)").
func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// TestSLAReport: a vendor engineer opens the SLA report, sets a period and
// groups it by product; the totals, each product's figures and the
// compliance-over-time chart's points equal GET /v1/reports/sla for the
// same period, grouping and slices, and both charts are SVG with a title.
func TestSLAReport(t *testing.T) {
	l := ledger(t)
	tok := l.SignInToken
	p := newPage(t, tok)
	p.open("/sla")
	fromIn, toIn, from, to := periodDates(t, 30, 1)
	p.setValue(byLabel("opened from"), fromIn)
	p.setValue(byLabel("opened before"), toIn)
	p.click(byLabel("product"))
	query := fmt.Sprintf("/v1/reports/sla?from=%s&to=%s&groupBy=product&slices=8", url.QueryEscape(rfc(from)), url.QueryEscape(rfc(to)))
	var before, after slaReport
	l.get(t, tok, query, &before)
	p.clickNav(byButton("show report"))
	l.get(t, tok, query, &after)
	if q, _ := url.ParseQuery(strings.SplitN(p.location(), "?", 2)[1]); q.Get("groupBy") != "product" {
		t.Fatalf("the report form went to %s, want groupBy=product", p.location())
	}
	if len(after.Groups) < 2 {
		t.Fatalf("the API groups the period into %d products: nothing to compare", len(after.Groups))
	}

	// The page, in the same words: the totals' list, the groups' table,
	// the points of the compliance chart (their tooltips).
	dd := p.grid()
	shown := []string{fmt.Sprintf("total %s %s of %s", firstWord(dd["Compliance"]), dd["Met · breached · pending"], firstWord(dd["Tickets with a deadline"]))}
	for _, r := range p.rows("main table[aria-labelledby=groups-h]") {
		shown = append(shown, strings.Join([]string{r["product"], r["compliance"], r["tickets"], r["met"], r["breached"], r["pending"]}, " "))
	}
	points := eval[[]string](p, `[...document.querySelectorAll("svg#chart-over circle title")].map(t => t.textContent.replace(/^.*: /, ""))`)
	shown = append(shown, "over "+strings.Join(points, " "))
	agrees(t, "the SLA report by product", strings.Join(shown, "\n"), before.summary("product"), after.summary("product"))

	for id, title := range map[string]string{"chart-over": "Compliance over time", "chart-ttfr": "Time to first response"} {
		if got := eval[string](p, fmt.Sprintf(`(document.querySelector("svg#%s > title") || {textContent: ""}).textContent`, id)); got != title {
			t.Fatalf("the chart svg#%s has the title %q, want %q", id, got, title)
		}
	}
	if bars := eval[int](p, `document.querySelectorAll("svg#chart-ttfr rect").length`); bars < 3*len(after.Groups) {
		t.Fatalf("the time-to-first-response chart draws %d bars for %d products (p50, p90, p99 each)", bars, len(after.Groups))
	}
	p.checkPage("sla")
}

// whatIf is the API's POST /v1/reports/what-if, as far as read here.
type whatIf struct {
	Evaluated       int `json:"evaluated"`
	MetToBreached   int `json:"metToBreached"`
	BreachedToMet   int `json:"breachedToMet"`
	Unchanged       int `json:"unchanged"`
	Failed          int `json:"failed"`
	RecordedMet     int `json:"recordedMet"`
	RecordedDecided int `json:"recordedDecided"`
	WhatIfMet       int `json:"whatIfMet"`
	WhatIfDecided   int `json:"whatIfDecided"`
	Flips           []struct {
		TicketID string `json:"ticketId"`
	} `json:"flips"`
}

func (w whatIf) summary() string {
	ids := make([]string, 0, len(w.Flips))
	for _, f := range w.Flips {
		ids = append(ids, f.TicketID)
	}
	sort.Strings(ids)
	return fmt.Sprintf("met→breached %d, breached→met %d, unchanged %d of %d, failed %d, recorded %d of %d, what-if %d of %d\nflips %s",
		w.MetToBreached, w.BreachedToMet, w.Unchanged, w.Evaluated, w.Failed, w.RecordedMet, w.RecordedDecided, w.WhatIfMet, w.WhatIfDecided, strings.Join(ids, " "))
}

var countsRe = regexp.MustCompile(`\((\d+) of (\d+) met\)`)

// TestWhatIf: a vendor engineer asks what-if under another policy version
// (the extra one serve loads, from GET /v1/policies) for a period; the
// job's page shows its progress until the result is there (it reloads
// itself), and the result's flip counts, compliance counts and flipped
// tickets equal POST /v1/reports/what-if for the same period and policy;
// the same question asked again is the same job, its result cached.
func TestWhatIf(t *testing.T) {
	l := ledger(t)
	tok := l.SignInToken
	var pols struct {
		Current  string `json:"current"`
		Policies []struct {
			Version string `json:"version"`
		} `json:"policies"`
	}
	l.get(t, tok, "/v1/policies", &pols)
	other := ""
	for _, v := range pols.Policies {
		if v.Version != pols.Current {
			other = v.Version
		}
	}
	if other != tightPolicy {
		t.Fatalf("GET /v1/policies lists %+v: want the extra version %s besides the current one", pols, tightPolicy)
	}
	p := newPage(t, tok)
	fromIn, toIn, from, to := periodDates(t, 21, 1)
	ask := func() string {
		p.open("/sla/what-if")
		p.choose(byLabel("policy version"), other)
		p.setValue(byLabel("opened from"), fromIn)
		p.setValue(byLabel("opened before"), toIn)
		p.clickNav(byButton("run what-if"))
		job := p.location()
		if !strings.Contains(job, "/sla/what-if/jobs/") {
			t.Fatalf("running the what-if went to %s, want its job's page", job)
		}
		return job
	}
	body := map[string]string{"policyVersion": other, "from": rfc(from), "to": rfc(to)}
	before := l.whatIf(t, tok, body)
	job := ask()
	// The progress page (while the job runs) shows a progress bar and
	// how far it got; it reloads itself until the result is there.
	progress := p.present(byCSS("progress#job-progress"))
	if progress {
		v, max := p.attr(byCSS("progress#job-progress"), "value"), p.attr(byCSS("progress#job-progress"), "max")
		if st := p.text("main [role=status]"); max != "10" || !strings.HasPrefix(st, v+" of 10") {
			t.Fatalf("the progress bar says %s of %s, its status %q", v, max, st)
		}
	}
	t.Logf("the job's first page showed its progress: %v", progress)
	p.waitFor("the what-if's result", `!!document.getElementById("sum-h")`)
	after := l.whatIf(t, tok, body)

	dd := p.grid()
	rec, wi := countsRe.FindStringSubmatch(dd["Compliance as recorded"]), countsRe.FindStringSubmatch(dd["Compliance under "+other])
	unchanged := strings.Fields(dd["Unchanged"]) // "N of M judged"
	if rec == nil || wi == nil || len(unchanged) < 3 {
		t.Fatalf("the result's figures: %v", dd)
	}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("the what-if's result shows %q where a count goes: %v", s, err)
		}
		return n
	}
	shownW := whatIf{MetToBreached: num(dd["Met → breached"]), BreachedToMet: num(dd["Breached → met"]), Unchanged: num(unchanged[0]),
		Evaluated: num(unchanged[2]), Failed: num(dd["Could not be judged"]), RecordedMet: num(rec[1]), RecordedDecided: num(rec[2]),
		WhatIfMet: num(wi[1]), WhatIfDecided: num(wi[2])}
	for _, h := range p.hrefs("main table[aria-labelledby=flips-h] tbody a[href^='/tickets/']") {
		shownW.Flips = append(shownW.Flips, struct {
			TicketID string `json:"ticketId"`
		}{strings.TrimPrefix(h, "/tickets/")})
	}
	shown := shownW.summary()
	agrees(t, "the what-if under "+other, shown, before.summary(), after.summary())
	if after.MetToBreached == 0 {
		t.Fatalf("under %s (half the targets) no met verdict flips: nothing was compared", other)
	}
	p.checkPage("what-if-result")

	// The same question again reuses the job and its cached result.
	if again := ask(); again != job || !p.present(byCSS("#sum-h")) {
		t.Fatalf("asking the same what-if again went to %s (the first job: %s); want the cached result", again, job)
	}
}

func (l *ledgerProc) whatIf(t *testing.T, tok string, body any) whatIf {
	t.Helper()
	code, b := l.api(t, tok, http.MethodPost, "/v1/reports/what-if", body)
	var w whatIf
	if code != http.StatusOK || json.Unmarshal(b, &w) != nil {
		t.Fatalf("POST /v1/reports/what-if %v: %d %s", body, code, b)
	}
	return w
}

// atRiskIDs is GET /v1/reports/at-risk with query: the tickets' ids, soonest first.
func (l *ledgerProc) atRiskIDs(t *testing.T, tok, query string) string {
	t.Helper()
	var v struct {
		Tickets []struct {
			TicketID string `json:"ticketId"`
		} `json:"tickets"`
	}
	l.get(t, tok, "/v1/reports/at-risk?"+query, &v)
	ids := make([]string, 0, len(v.Tickets))
	for _, tk := range v.Tickets {
		ids = append(ids, tk.TicketID)
	}
	return strings.Join(ids, " ")
}

// boardIDs is the tickets the at-risk board lists, in its order.
func (p *page) boardIDs() string {
	p.t.Helper()
	var ids []string
	for _, h := range p.hrefs("#board tbody a[href^='/tickets/']") {
		ids = append(ids, strings.TrimPrefix(h, "/tickets/"))
	}
	return strings.Join(ids, " ")
}

// TestAtRiskBoardLive: a vendor engineer opens the at-risk board with a
// four-hour horizon; it lists what GET /v1/reports/at-risk lists. Then
// sakura-cloud files a Sev A request in English (a two-hour target around
// the clock, so at risk at once) through the API, and the open page shows
// it without a reload, from its event stream, with the board's new list
// equal to the API's.
func TestAtRiskBoardLive(t *testing.T) {
	l := ledger(t)
	tok := l.SignInToken
	const query = "horizon=4h"
	p := newPage(t, tok)
	before := l.atRiskIDs(t, tok, query)
	p.open("/sla/at-risk?" + query)
	agrees(t, "the at-risk board", p.boardIDs(), before, l.atRiskIDs(t, tok, query))
	p.waitFor("the board to go live", `document.getElementById("board-status").innerText.startsWith("Live: ")`)
	eval[chromedp.Void](p, `window.sameDocument = true`)
	p.checkPage("sla-at-risk")

	id := l.fileAsSakura(t, "A", "Exchange Online rejects all mail")
	p.waitFor("the new Sev A ticket on the board", fmt.Sprintf(`!!document.querySelector("#board tbody a[href='/tickets/%s']")`, id))
	if !eval[bool](p, `window.sameDocument === true`) {
		t.Fatal("the board reloaded to show the new ticket; it should come over the event stream")
	}
	sev := eval[string](p, fmt.Sprintf(`document.querySelector("#board tbody a[href='/tickets/%s']").closest("tr").cells[1].innerText`, id))
	left := eval[string](p, fmt.Sprintf(`document.querySelector("#board tbody a[href='/tickets/%s']").closest("tr").cells[3].innerText`, id))
	if sev != "A" || !strings.HasSuffix(left, " left") {
		t.Fatalf("the new ticket's row on the board: Sev %q, time left %q", sev, left)
	}
	// The stream re-reads the board every few seconds: it comes to the
	// API's list.
	for deadline := time.Now().Add(actionTimeout); ; {
		got, want := p.boardIDs(), l.atRiskIDs(t, tok, query)
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live board lists:\n%s\nthe API's at-risk list:\n%s", got, want)
		}
		time.Sleep(500 * time.Millisecond)
	}
	p.check("sla-at-risk live")
}
