//go:build browser

package browsertest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// auditAll is every entry GET /v1/audit gives for query, page after page,
// each as the API's JSON object.
func (l *ledgerProc) auditAll(t *testing.T, tok string, query url.Values) []map[string]any {
	t.Helper()
	var all []map[string]any
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", "500")
	for {
		var page struct {
			Entries []map[string]any `json:"entries"`
			Next    string           `json:"next"`
		}
		l.get(t, tok, "/v1/audit?"+q.Encode(), &page)
		all = append(all, page.Entries...)
		if page.Next == "" {
			return all
		}
		q.Set("cursor", page.Next)
	}
}

// TestAuditExport: an auditor filters the audit page by event type and a
// recorded-before instant (typed in the viewer's zone), and the page's
// table, the CSV and the JSON the browser downloads from it hold the
// entries GET /v1/audit gives for the same filters, in the same order:
// the JSON entry for entry, the CSV row for row (position, event id,
// type, actor, ticket, partner, customer, both times).
func TestAuditExport(t *testing.T) {
	l := ledger(t)
	tok := tokenFor(t, auditor)
	zone, err := time.LoadLocation(viewerZone)
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().Truncate(time.Second)
	p := newPage(t, tok)
	p.open("/audit")
	p.fill(byLabel("event types"), "ticket.escalated")
	p.setValue(byLabel("recorded before"), until.In(zone).Format("2006-01-02T15:04:05"))
	p.clickNav(byButton("query"))
	want := l.auditAll(t, tok, url.Values{"type": {"ticket.escalated"}, "recordedTo": {rfc(until)}})
	if len(want) < 2 {
		t.Fatalf("the API has %d escalations recorded before %s: nothing to compare", len(want), until)
	}
	var shown []string
	for _, r := range p.rows("main table") {
		shown = append(shown, r["position"])
	}
	var first []string
	for _, e := range want[:min(len(want), 50)] {
		first = append(first, fmt.Sprint(e["position"]))
	}
	if strings.Join(shown, " ") != strings.Join(first, " ") {
		t.Fatalf("the filtered audit page lists positions %v; the API's first page %v", shown, first)
	}
	p.checkPage("audit")

	var js struct {
		Entries []map[string]any `json:"entries"`
	}
	if b := p.download(byLink("JSON")); json.Unmarshal(b, &js) != nil || !reflect.DeepEqual(js.Entries, want) {
		t.Fatalf("the JSON download (%d entries) is not the API's %d entries for the same filters:\n%.600s", len(js.Entries), len(want), b)
	}
	rows, err := csv.NewReader(bytes.NewReader(p.download(byLink("CSV")))).ReadAll()
	if err != nil || len(rows) != len(want)+1 {
		t.Fatalf("the CSV download: %d rows (%v), want a header and the API's %d entries", len(rows), err, len(want))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, e := range want {
		actor := e["actor"].(map[string]any)
		for name, v := range map[string]any{"position": e["position"], "eventId": e["eventId"], "type": e["type"], "actor": actor["id"],
			"ticketId": e["ticketId"], "partnerId": e["partnerId"], "customerId": e["customerId"], "occurredAt": e["occurredAt"], "recordedAt": e["recordedAt"]} {
			c, ok := col[name]
			if !ok {
				t.Fatalf("the CSV has no column %q: %v", name, rows[0])
			}
			if got := rows[i+1][c]; !sameValue(got, v) {
				t.Fatalf("CSV row %d, %s: %q; the API's entry has %v", i+1, name, got, v)
			}
		}
	}
}

// sameValue: a CSV cell holds the API's value (a number as digits, a
// time as the same instant).
func sameValue(cell string, v any) bool {
	switch v := v.(type) {
	case nil:
		return cell == ""
	case float64:
		return cell == fmt.Sprint(uint64(v))
	case string:
		if a, err := time.Parse(time.RFC3339Nano, v); err == nil {
			b, err := time.Parse(time.RFC3339Nano, cell)
			return err == nil && a.Equal(b)
		}
		return cell == v
	}
	return false
}

// treeHead is GET /v1/audit/tree-head, as far as read here.
type treeHead struct {
	Size uint64 `json:"size"`
	Root string `json:"root"`
	// KeyID is the signing key's id.
	KeyID string `json:"keyId"`
}

func (h treeHead) String() string {
	return fmt.Sprintf("size %d, root %s, key %s", h.Size, h.Root, h.KeyID)
}

var verifiedRe = regexp.MustCompile(`(?m)^result\s+VERIFIED$`)

// TestEvidenceDownloadVerifies: an auditor follows a breached ticket's
// evidence link; the evidence page says in words that the bundle
// verified and what it proves; the bundle downloaded through the browser
// is one `ticketledger evidence verify` verifies, for that ticket; and the
// integrity page shows the latest signed tree head GET /v1/audit/tree-head
// gives, with its signature checked.
func TestEvidenceDownloadVerifies(t *testing.T) {
	l := ledger(t)
	tok := tokenFor(t, auditor)
	id := l.newest(t, tok, "sla=breached", "breached")
	p := newPage(t, tok)
	p.open("/tickets/" + id)
	p.clickNav(byLink("evidence"))
	if loc := p.location(); !strings.HasSuffix(loc, "/tickets/"+id+"/evidence") {
		t.Fatalf("the evidence link went to %s", loc)
	}
	if h, st := p.text("#result-h"), p.text("main .success[role=status]"); h != "Verification: verified" || !strings.Contains(st, "Every check passed for ticket "+id) {
		t.Fatalf("the evidence page says %q and %q; want it verified, in words", h, st)
	}
	if proves := p.text("ul[aria-labelledby=proves-h]"); !strings.Contains(proves, "breached") {
		t.Fatalf("what the bundle of a breached ticket proves, on the page: %q", proves)
	}
	p.checkPage("evidence")

	zip := p.download(byLink("download the evidence bundle"))
	file := filepath.Join(t.TempDir(), "evidence.zip")
	if err := os.WriteFile(file, zip, 0o644); err != nil {
		t.Fatal(err)
	}
	out := l.cli(t, "", "evidence", "verify", file)
	if !verifiedRe.MatchString(out) || !strings.Contains(out, id) {
		t.Fatalf("ticketledger evidence verify on the bundle the browser downloaded:\n%s\nwant VERIFIED for ticket %s", out, id)
	}

	var before, after treeHead
	l.get(t, tok, "/v1/audit/tree-head", &before)
	p.open("/integrity")
	l.get(t, tok, "/v1/audit/tree-head", &after)
	dd := p.grid()
	var shown treeHead
	fmt.Sscanf(dd["Tree size"], "%d events", &shown.Size)
	shown.Root, shown.KeyID = dd["Root hash"], dd["Signing key"]
	agrees(t, "the integrity page's tree head", shown.String(), before.String(), after.String())
	if st := p.text("ul[aria-labelledby=verify-h]"); !strings.Contains(st, "signature checks against key "+shown.KeyID) {
		t.Fatalf("the integrity page's verify status: %q", st)
	}
	p.checkPage("integrity")
}
