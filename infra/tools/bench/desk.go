package bench

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/http/client"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

// op is an operation of the mix, an index into opNames.
type op int

const (
	opOpen op = iota
	opFirstResponse
	opSeverity
	opNote
	opEscalate
	opDispute
	opFraud
	opGetTicket
	opSLAReport
	opAudit
	nOps
)

// opNames are the operations' names (OpStats.Op), in the order of the
// table.
var opNames = [nOps]string{OpOpen, OpFirstResponse, OpSeverity, OpNote, OpEscalate, OpDispute, OpFraud, OpGetTicket, OpSLAReport, OpAudit}

func (o op) String() string { return opNames[o] }

// query tells the queries of the mix from its commands.
func (o op) query() bool { return o >= opGetTicket }

// desk is the world the clients work in: one indirect provider with a few
// customers, a partner agent and a vendor engineer per client, and an
// auditor for the queries.
//
// The timed calls go through call, a lean HTTP/1.1 client: keep-alive
// connections, request bodies filled into templates encoded once by the
// API's own body types, prepared headers per token, and the answer read
// whole and checked (status, shape) without decoding it by reflection.
type desk struct {
	admin     *client.Client
	http      *http.Client
	base      string
	partner   string
	customers []string
	auditor   string // the auditor's token
	clients   []*deskClient
	bodies    bodies
}

// deskClient is one client's state: the tickets it opened, newest last,
// and its reusable request headers and answer buffer.
type deskClient struct {
	n       int
	rnd     *rand.Rand
	tickets []*benchTicket
	waiting []*benchTicket // opened, no first response yet
	seq     int

	agentHdr, vendorHdr, auditorHdr http.Header
	answer                          bytes.Buffer
	body                            []byte
}

type benchTicket struct {
	id       string
	path     string // /v1/tickets/{id}
	severity int    // index into severities
	fraud    bool
}

// workingSet is how many of its most recent tickets a client works on.
const workingSet = 100

var severities = []domain.Severity{domain.SeverityA, domain.SeverityB, domain.SeverityC}

// newDesk registers, as admin, the bench's partner (a fresh id per run, so runs
// against one server do not meet) with its customers, issues the
// auditor's token and every client's tokens, and has every client open a
// ticket and answer it, untimed.
func newDesk(ctx context.Context, admin *client.Client, clients int) (*desk, error) {
	if err := admin.Ping(ctx); err != nil {
		return nil, err
	}
	bodies, err := newBodies()
	if err != nil {
		return nil, fmt.Errorf("bench http: %w", err)
	}
	var b [4]byte
	_, _ = crand.Read(b[:])
	run := "bench-" + hex.EncodeToString(b[:])
	d := &desk{admin: admin, http: admin.HTTP, base: admin.BaseURL, partner: run, bodies: bodies}
	target := admin.Target()
	sys := app.Command{Actor: domain.Actor{ID: "bench", Role: domain.RoleAdmin}}
	if _, err := target.RegisterPartner(ctx, sys, run, partner.Registration{Name: "Bench " + run, Role: domain.RoleIndirectProvider, Email: "support@" + run + ".example"}); err != nil {
		return nil, fmt.Errorf("bench http: register partner %s: %w (is the token an admin's?)", run, err)
	}
	for i := range 4 {
		c := fmt.Sprintf("%s-c%d", run, i)
		if _, err := target.LinkCustomer(ctx, sys, run, partner.Link{CustomerID: c, Name: "Customer " + c, Domain: c + ".example", AdminRights: true}); err != nil {
			return nil, fmt.Errorf("bench http: link customer %s: %w", c, err)
		}
		d.customers = append(d.customers, c)
	}
	if d.auditor, err = d.issue(ctx, server.IssueTokenBody{Role: string(domain.RoleAuditor), Name: "auditor@" + run + ".example"}); err != nil {
		return nil, err
	}
	for i := range clients {
		c := &deskClient{n: i, rnd: rand.New(rand.NewPCG(uint64(i), 42)), auditorHdr: headers(d.auditor)}
		d.clients = append(d.clients, c)
	}
	// Tokens and warm-up, a few clients at a time: each issues its agent's
	// and its engineer's token, opens a ticket and answers it; each
	// reports once.
	errs := make(chan error, clients)
	sem := make(chan struct{}, 8)
	for _, c := range d.clients {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs <- d.warmUp(ctx, c, run)
		}()
	}
	var first error
	for range clients {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return d, nil
}

// warmUp issues client c's tokens and runs its first open and first
// response.
func (d *desk) warmUp(ctx context.Context, c *deskClient, run string) error {
	agent, err := d.issue(ctx, server.IssueTokenBody{Role: string(domain.RoleIndirectProvider), Partner: run, Name: fmt.Sprintf("agent-%d@%s.example", c.n, run)})
	if err != nil {
		return err
	}
	vendor, err := d.issue(ctx, server.IssueTokenBody{Role: string(domain.RoleVendorSupport), Name: fmt.Sprintf("engineer-%d@support.vendor.example", c.n)})
	if err != nil {
		return err
	}
	c.agentHdr, c.vendorHdr = headers(agent), headers(vendor)
	for _, o := range []op{opOpen, opFirstResponse} {
		if _, err := d.do(ctx, c, o); err != nil {
			return fmt.Errorf("bench http: warm-up %s of client %d: %w", o, c.n, err)
		}
	}
	return nil
}

// issue has the admin issue a ledger token and returns its secret.
func (d *desk) issue(ctx context.Context, body server.IssueTokenBody) (string, error) {
	var iss server.IssuedToken
	if err := d.admin.Post(ctx, "/v1/tokens", body, &iss); err != nil {
		return "", fmt.Errorf("bench http: issue a token for %s (%s): %w", body.Name, body.Role, err)
	}
	return iss.Secret, nil
}

// headers are the request headers of the token's calls, prepared once:
// the transport only reads them, and each client sends one call at a time.
func headers(token string) http.Header {
	return http.Header{
		"Content-Type":  {"application/json"},
		"Accept":        {"application/json"},
		"Authorization": {"Bearer " + token},
	}
}

// pick chooses the next operation of the command clients' mix.
func (c *deskClient) pick() op {
	x := c.rnd.IntN(100)
	switch {
	case x < 30 || len(c.tickets) == 0:
		return opOpen
	case x < 55:
		if len(c.waiting) == 0 {
			return opOpen
		}
		return opFirstResponse
	case x < 65:
		return opSeverity
	case x < 85:
		return opNote
	case x < 95:
		return opEscalate + op(c.rnd.IntN(3)) // escalate, dispute, fraud flag
	}
	return opGetTicket + op(c.rnd.IntN(3)) // get ticket, SLA report, audit
}

// recent returns one of the client's recent tickets.
func (c *deskClient) recent() *benchTicket {
	n := len(c.tickets)
	return c.tickets[n-1-c.rnd.IntN(min(n, workingSet))]
}

// do runs o as client c and returns the number of events it appended (0
// for a query).
func (d *desk) do(ctx context.Context, c *deskClient, o op) (events int, err error) {
	if o.query() {
		return 0, d.query(ctx, c, o)
	}
	c.seq++
	var seqBuf [20]byte
	seq := strconv.AppendInt(seqBuf[:0], int64(c.seq), 10)
	b := &d.bodies
	body := c.body[:0]
	hdr := c.agentHdr
	var t *benchTicket
	path := ""
	switch o {
	case opOpen:
		sev := c.rnd.IntN(len(severities))
		body = b.open.fill(body, d.customers[c.rnd.IntN(len(d.customers))], string(severities[sev]), string(seq), d.partner)
		c.body = body
		ans, err := d.call(ctx, c, http.MethodPost, "/v1/tickets", hdr, body)
		if err != nil {
			return 0, err
		}
		id, n, err := commandAnswer(ans, true)
		if err != nil {
			return 0, fmt.Errorf("POST /v1/tickets: %w", err)
		}
		t := &benchTicket{id: id, path: "/v1/tickets/" + url.PathEscape(id), severity: sev}
		c.tickets = append(c.tickets, t)
		c.waiting = append(c.waiting, t)
		return n, nil
	case opFirstResponse:
		t = c.waiting[0]
		c.waiting = c.waiting[1:]
		hdr, path, body = c.vendorHdr, b.firstResponse.path, b.firstResponse.fill(body)
	case opSeverity:
		t = c.recent()
		to := (t.severity + 1 + c.rnd.IntN(2)) % len(severities)
		path, body = b.severity.path, b.severity.fill(body, string(severities[to]), string(seq))
		defer func() {
			if err == nil {
				t.severity = to
			}
		}()
	case opNote:
		t = c.recent()
		path, body = b.note.path, b.note.fill(body, string(seq))
	case opEscalate:
		t = c.recent()
		path, body = b.escalate.path, b.escalate.fill(body, string(seq))
	case opDispute:
		t = c.recent()
		path, body = b.dispute.path, b.dispute.fill(body, string(seq))
	case opFraud:
		t = c.recent()
		if t.fraud {
			path, body = b.escalate.path, b.escalate.fill(body, string(seq))
			break
		}
		path, body = b.fraud.path, b.fraud.fill(body, string(seq))
		defer func() {
			if err == nil {
				t.fraud = true
			}
		}()
	}
	// The body's buffer is the client's again at its next call: a body
	// this small leaves in the one write of the request, before any answer.
	c.body = body
	path = t.path + path
	ans, err := d.call(ctx, c, http.MethodPost, path, hdr, body)
	if err != nil {
		return 0, err
	}
	_, n, err := commandAnswer(ans, false)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", path, err)
	}
	return n, nil
}

// query runs one query as the auditor.
func (d *desk) query(ctx context.Context, c *deskClient, o op) error {
	var path string
	switch o {
	case opGetTicket:
		path = c.recent().path
	case opSLAReport:
		path = "/v1/reports/sla?groupBy=severity%2Cproduct"
	default:
		path = "/v1/audit?limit=100&ticketId=" + url.QueryEscape(c.recent().id)
	}
	ans, err := d.call(ctx, c, http.MethodGet, path, c.auditorHdr, nil)
	if err != nil {
		return err
	}
	if a := bytes.TrimSpace(ans); len(a) == 0 || (a[0] != '{' && a[0] != '[') {
		return fmt.Errorf("GET %s: the answer is not a JSON document: %.80q", path, ans)
	}
	return nil
}

// call sends one request with the prepared headers hdr and body (nil for
// none) and returns the answer's body, read whole into c's buffer (valid
// until c's next call). An answer other than 2xx is a *client.Error with
// the problem the server sent; no answer, one with Unavailable set.
func (d *desk) call(ctx context.Context, c *deskClient, method, path string, hdr http.Header, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	req.Header = hdr
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, &client.Error{Unavailable: true, Err: err}
	}
	c.answer.Reset()
	_, err = c.answer.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, &client.Error{Unavailable: true, Err: fmt.Errorf("read the answer to %s %s: %w", method, path, err)}
	}
	ans := c.answer.Bytes()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &client.Error{Problem: client.Problem{Status: resp.StatusCode, Title: resp.Status}}
		if json.Unmarshal(ans, &e.Problem) != nil || e.Problem.Status == 0 {
			e.Problem.Status, e.Problem.Detail = resp.StatusCode, strings.TrimSpace(string(ans))
		}
		return nil, e
	}
	return ans, nil
}

var (
	eventsKey   = []byte(`"events":[`)
	eventKey    = []byte(`{"revision":`)
	ticketIDKey = []byte(`"ticketId":"`)
)

// commandAnswer reads what the bench needs of a command's answer (a
// server.CommandResult as the server encodes it): the number of events
// and, with wantID, the ticket id. It scans the JSON text for them
// instead of decoding it; an answer without its events list, or without
// a ticket id when one is wanted, is an error.
func commandAnswer(ans []byte, wantID bool) (ticketID string, events int, err error) {
	a := bytes.TrimSpace(ans)
	if len(a) < 2 || a[0] != '{' || a[len(a)-1] != '}' {
		return "", 0, fmt.Errorf("the answer is not a JSON object: %.80q", ans)
	}
	i := bytes.Index(a, eventsKey)
	if i < 0 {
		return "", 0, fmt.Errorf("the answer has no events list: %.80q", ans)
	}
	events = bytes.Count(a[i:], eventKey)
	if !wantID {
		return "", events, nil
	}
	if j := bytes.Index(a, ticketIDKey); j >= 0 {
		id := a[j+len(ticketIDKey):]
		if k := bytes.IndexByte(id, '"'); k > 0 && bytes.IndexByte(id[:k], '\\') < 0 {
			return string(id[:k]), events, nil
		}
	}
	// An escaped or missing id: decode the field the slow way.
	var r struct {
		TicketID string `json:"ticketId"`
	}
	if err := json.Unmarshal(a, &r); err != nil || r.TicketID == "" {
		return "", 0, fmt.Errorf("the answer names no ticket: %.80q", ans)
	}
	return r.TicketID, events, nil
}

// bodies are the request bodies of the commands, as templates.
type bodies struct {
	open                                                    template
	firstResponse, severity, note, escalate, dispute, fraud actionTemplate
}

// actionTemplate is the body of a ticket action and its path after
// /v1/tickets/{id}.
type actionTemplate struct {
	template
	path string
}

// Holes of the templates: a template's body is encoded with these in
// place of the values that vary, then split at them.
const (
	hole0 = "{{0}}"
	hole1 = "{{1}}"
	hole2 = "{{2}}"
	hole3 = "{{3}}"
)

// newBodies encodes, with the API's body types, the bodies the clients
// send, holes where each request puts its values.
func newBodies() (bodies, error) {
	var b bodies
	var err error
	// open: customer, severity, sequence number, partner.
	b.open, err = newTemplate(client.OpenBody(time.Time{}, app.OpenTicket{OpenRequest: ticket.OpenRequest{
		CustomerID: hole0, Product: ticket.ProductAzure, Severity: domain.Severity(hole1),
		Title: "VMs in West Europe fail to start (" + hole2 + ")", Description: "Since 09:10 UTC new VMs stay in 'starting'; existing ones run.",
		Language: "en", Locale: "en-US", Contact: ticket.Contact{Name: "Alex Doe", Email: "alex@" + hole3 + ".example"},
	}}), 4)
	if err != nil {
		return b, err
	}
	for _, a := range []struct {
		t      *actionTemplate
		action ticket.Action
		holes  int
	}{
		{&b.firstResponse, ticket.FirstResponse{Summary: "Looking into it: capacity constraint in the region."}, 0},
		{&b.severity, ticket.SeverityChange{To: domain.Severity(hole0), Reason: "business impact changed (" + hole1 + ")"}, 2},
		{&b.note, ticket.Note{Text: "Customer confirms the workaround helps for now (" + hole0 + ")."}, 1},
		{&b.escalate, ticket.Escalation{Reason: "production outage for the customer (" + hole0 + ")", Criteria: []string{"business-critical"}}, 1},
		{&b.dispute, ticket.Dispute{DisputeID: "d-" + hole0, InvoiceRef: "INV-" + hole0, AmountCents: 12_500, Currency: "EUR", Reason: "charged twice for the same month"}, 1},
		{&b.fraud, ticket.FraudFlag{Reason: "unknown subscriptions created overnight", Indicators: []string{"new-admin", "odd-region"}}, 0},
	} {
		const id = "ticket-id"
		path, body, err := server.ActionRequest(id, a.action, server.CommandBase{})
		if err != nil {
			return b, err
		}
		if a.t.template, err = newTemplate(body, a.holes); err != nil {
			return b, err
		}
		a.t.path = strings.TrimPrefix(path, "/v1/tickets/"+id)
	}
	return b, nil
}

// template is a JSON body with holes for string values: lit[0] value
// lit[1] value … lit[n].
type template struct {
	lit   []string
	holes []int // which value goes in each hole
}

// newTemplate encodes body and splits it at its holes (hole0…), of which
// it must use exactly holes distinct ones.
func newTemplate(body any, holes int) (template, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return template{}, fmt.Errorf("encode a request body: %w", err)
	}
	var t template
	s := string(js)
	seen := map[int]bool{}
	for {
		i := strings.Index(s, "{{")
		if i < 0 || i+5 > len(s) || s[i+3:i+5] != "}}" || s[i+2] < '0' || s[i+2] > '9' {
			if i >= 0 {
				return template{}, fmt.Errorf("request body template %s: a malformed hole", js)
			}
			break
		}
		n := int(s[i+2] - '0')
		t.lit = append(t.lit, s[:i])
		t.holes = append(t.holes, n)
		seen[n] = true
		s = s[i+5:]
	}
	t.lit = append(t.lit, s)
	if len(seen) != holes {
		return template{}, fmt.Errorf("request body template %s: %d holes, want %d", js, len(seen), holes)
	}
	for n := range seen {
		if n >= holes {
			return template{}, fmt.Errorf("request body template %s: hole %d of %d", js, n, holes)
		}
	}
	return t, nil
}

// fill appends the template to dst with vals in its holes, each escaped as
// JSON string content.
func (t *template) fill(dst []byte, vals ...string) []byte {
	for i, l := range t.lit {
		dst = append(dst, l...)
		if i < len(t.holes) {
			dst = appendJSONText(dst, vals[t.holes[i]])
		}
	}
	return dst
}

// appendJSONText appends s escaped as the content of a JSON string, as
// encoding/json escapes it (HTML characters and U+2028/U+2029 included).
func appendJSONText(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9):
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[s[i+2]&0xf])
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// errStatus is the key a failed call is counted under: its HTTP status,
// or "transport" when no answer came.
func errStatus(err error) string {
	var ce *client.Error
	if errors.As(err, &ce) && !ce.Unavailable {
		return strconv.Itoa(ce.Problem.Status)
	}
	return "transport"
}
