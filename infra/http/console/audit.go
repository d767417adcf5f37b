package console

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/projections"
)

// auditFilters are the audit query's filters (the API's queryAudit
// parameters); the time ones are read in the viewer's zone.
var auditFilters = []string{"actor", "partnerId", "customerId", "ticketId", "stream", "type",
	"recordedFrom", "recordedTo", "occurredFrom", "occurredTo", "order"}

// auditTimes are the filters that are instants.
var auditTimes = map[string]bool{"recordedFrom": true, "recordedTo": true, "occurredFrom": true, "occurredTo": true}

const (
	auditPageSize   = 50
	auditExportPage = projections.MaxLimit
)

// auditData is the audit page.
type auditData struct {
	Filters           map[string]string
	Page              projections.AuditPage
	NextURL, FirstURL string
	CSVURL, JSONURL   string
}

// auditQuery turns the page's filters into the API's query.
func auditQuery(r *http.Request) (map[string]string, url.Values, error) {
	in, loc := r.URL.Query(), zoneOf(r)
	f, q := map[string]string{}, url.Values{}
	for _, k := range auditFilters {
		v := strings.TrimSpace(in.Get(k))
		if v == "" {
			continue
		}
		f[k] = v
		if auditTimes[k] {
			t, err := inputTime(k, v, loc)
			if err != nil {
				return nil, nil, err
			}
			v = rfc3339(t)
		}
		q.Set(k, v)
	}
	return f, q, nil
}

func withFilters(path string, f map[string]string, extra ...string) string {
	q := url.Values{}
	for k, v := range f {
		q.Set(k, v)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// audit is the audit query: every filter of the API, a page at a time,
// with CSV and JSON downloads of everything the filters select.
func (c *Console) audit(w http.ResponseWriter, r *http.Request, s *session) error {
	f, q, err := auditQuery(r)
	if err != nil {
		return err
	}
	d := auditData{Filters: f, CSVURL: withFilters("/audit/export.csv", f), JSONURL: withFilters("/audit/export.json", f)}
	q.Set("limit", strconv.Itoa(auditPageSize))
	if cur := r.URL.Query().Get("cursor"); cur != "" {
		q.Set("cursor", cur)
		d.FirstURL = withFilters("/audit", f)
	}
	if err := c.get(r, s, "/v1/audit", q, &d.Page); err != nil {
		return err
	}
	if d.Page.Next != "" {
		d.NextURL = withFilters("/audit", f, "cursor", d.Page.Next)
	}
	return c.render(w, r, http.StatusOK, "audit", s, "Audit", d)
}

// auditPages reads every page the filters select, in turn, handing each
// to emit; the first page is read before anything is written, so a bad
// filter is an error page, not a broken download.
func (c *Console) auditPages(r *http.Request, s *session, start func(), emit func([]projections.AuditEntry) error) error {
	_, q, err := auditQuery(r)
	if err != nil {
		return err
	}
	q.Set("limit", strconv.Itoa(auditExportPage))
	for first := true; ; first = false {
		var p projections.AuditPage
		if err := c.get(r, s, "/v1/audit", q, &p); err != nil {
			if first {
				return err
			}
			c.log.Error("console: audit export cut short", "err", err)
			return errCutShort
		}
		if first {
			start()
		}
		if err := emit(p.Entries); err != nil {
			return errCutShort
		}
		if p.Next == "" {
			return nil
		}
		q.Set("cursor", p.Next)
	}
}

// errCutShort: a download failed after its headers were sent; it ends
// short (a JSON download then does not parse), with nothing more to tell
// the browser.
var errCutShort = errors.New("console: download cut short")

// exportName is the download's file name: audit-<UTC time>.<ext>.
func exportName(now time.Time, ext string) string {
	return `attachment; filename="audit-` + now.UTC().Format("20060102T150405Z") + "." + ext + `"`
}

// auditCSVHeader are the CSV export's columns.
var auditCSVHeader = []string{"position", "stream", "revision", "eventId", "type", "occurredAt", "recordedAt", "lateBySeconds",
	"actor", "actorRole", "actorPartner", "onBehalfOf", "policyVersion", "ticketId", "partnerId", "customerId"}

// AuditCSVRow is one entry as a row of the CSV export.
func auditCSVRow(e projections.AuditEntry) []string {
	row := []string{strconv.FormatUint(e.Position, 10), e.Stream, strconv.FormatUint(e.Revision, 10), e.EventID, e.Type,
		rfc3339(e.OccurredAt), rfc3339(e.RecordedAt), strconv.FormatFloat(e.LateBySeconds, 'f', -1, 64),
		e.Actor.ID, string(e.Actor.Role), e.Actor.Partner, e.OnBehalfOf, e.PolicyVersion, e.TicketID, e.PartnerID, e.CustomerID}
	for i, v := range row {
		row[i] = cellSafe(v)
	}
	return row
}

// cellSafe keeps a spreadsheet from reading a text cell as a formula: a
// value starting with = + - @ or a tab/CR gets a leading apostrophe.
func cellSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// auditCSV downloads the audit query's entries as CSV.
func (c *Console) auditCSV(w http.ResponseWriter, r *http.Request, s *session) error {
	cw := csv.NewWriter(w)
	return downloaded(c.auditPages(r, s, func() {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", exportName(c.now(), "csv"))
		_ = cw.Write(auditCSVHeader)
	}, func(es []projections.AuditEntry) error {
		for _, e := range es {
			if err := cw.Write(auditCSVRow(e)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}))
}

// downloaded is a download's error for wrap: none once it was cut short.
func downloaded(err error) error {
	if errors.Is(err, errCutShort) {
		return nil
	}
	return err
}

// auditJSON downloads the audit query's entries as JSON: the API's
// answer, {"entries": [...]}, with every page's entries in one list.
func (c *Console) auditJSON(w http.ResponseWriter, r *http.Request, s *session) error {
	n := 0
	err := c.auditPages(r, s, func() {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", exportName(c.now(), "json"))
		_, _ = w.Write([]byte(`{"entries":[`))
	}, func(es []projections.AuditEntry) error {
		for _, e := range es {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if n > 0 {
				b = append([]byte{','}, b...)
			}
			n++
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		_, _ = w.Write([]byte("]}\n"))
	}
	return downloaded(err)
}
