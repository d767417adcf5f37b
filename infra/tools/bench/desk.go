package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/http/client"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

// desk is the world the clients work in: one indirect provider with a few
// customers, a partner agent and a vendor engineer per client, and an
// auditor for the queries.
type desk struct {
	admin     *client.Client
	target    *client.Target
	auditor   *client.Client
	partner   string
	customers []string
	clients   []*deskClient
}

// deskClient is one client's state: the tickets it opened, newest last.
type deskClient struct {
	n       int
	agent   domain.Actor
	vendor  domain.Actor
	rnd     *rand.Rand
	tickets []*benchTicket
	waiting []*benchTicket // opened, no first response yet
	seq     int
}

type benchTicket struct {
	id       string
	severity domain.Severity
	fraud    bool
}

// workingSet is how many of its most recent tickets a client works on.
const workingSet = 100

// newDesk registers, as admin, the bench's partner (a fresh id per run, so runs
// against one server do not meet) with its customers, issues the
// auditor's token and has every client open a ticket and answer it (which
// also issues their tokens), untimed.
func newDesk(ctx context.Context, admin *client.Client, clients int) (*desk, error) {
	if err := admin.Ping(ctx); err != nil {
		return nil, err
	}
	var b [4]byte
	_, _ = crand.Read(b[:])
	run := "bench-" + hex.EncodeToString(b[:])
	d := &desk{admin: admin, target: admin.Target(), partner: run}
	sys := app.Command{Actor: domain.Actor{ID: "bench", Role: domain.RoleAdmin}}
	if _, err := d.target.RegisterPartner(ctx, sys, run, partner.Registration{Name: "Bench " + run, Role: domain.RoleIndirectProvider, Email: "support@" + run + ".example"}); err != nil {
		return nil, fmt.Errorf("bench http: register partner %s: %w (is the token an admin's?)", run, err)
	}
	for i := range 4 {
		c := fmt.Sprintf("%s-c%d", run, i)
		if _, err := d.target.LinkCustomer(ctx, sys, run, partner.Link{CustomerID: c, Name: "Customer " + c, Domain: c + ".example", AdminRights: true}); err != nil {
			return nil, fmt.Errorf("bench http: link customer %s: %w", c, err)
		}
		d.customers = append(d.customers, c)
	}
	var iss server.IssuedToken
	if err := admin.Post(ctx, "/v1/tokens", server.IssueTokenBody{Role: string(domain.RoleAuditor), Name: "auditor@" + run + ".example"}, &iss); err != nil {
		return nil, fmt.Errorf("bench http: issue the auditor's token: %w", err)
	}
	d.auditor = &client.Client{BaseURL: admin.BaseURL, HTTP: admin.HTTP, Token: iss.Secret}
	for i := range clients {
		c := &deskClient{n: i, rnd: rand.New(rand.NewPCG(uint64(i), 42)),
			agent:  domain.Actor{ID: fmt.Sprintf("agent-%d@%s.example", i, run), Role: domain.RoleIndirectProvider, Partner: run},
			vendor: domain.Actor{ID: fmt.Sprintf("engineer-%d@support.vendor.example", i), Role: domain.RoleVendorSupport}}
		d.clients = append(d.clients, c)
	}
	// Warm up: every client opens a ticket and answers it (its tokens are
	// issued on first use), a few at a time; each reports once.
	errs := make(chan error, clients)
	sem := make(chan struct{}, 8)
	for _, c := range d.clients {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, op := range []string{OpOpen, OpFirstResponse} {
				if _, _, err := d.do(ctx, c, op); err != nil {
					errs <- fmt.Errorf("bench http: warm-up %s of client %d: %w", op, c.n, err)
					return
				}
			}
			errs <- nil
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

// pick chooses the next operation of the command clients' mix.
func (c *deskClient) pick() string {
	x := c.rnd.IntN(100)
	switch {
	case x < 30 || len(c.tickets) == 0:
		return OpOpen
	case x < 55:
		if len(c.waiting) == 0 {
			return OpOpen
		}
		return OpFirstResponse
	case x < 65:
		return OpSeverity
	case x < 85:
		return OpNote
	case x < 95:
		return []string{OpEscalate, OpDispute, OpFraud}[c.rnd.IntN(3)]
	}
	return []string{OpGetTicket, OpSLAReport, OpAudit}[c.rnd.IntN(3)]
}

// recent returns one of the client's recent tickets.
func (c *deskClient) recent() *benchTicket {
	n := len(c.tickets)
	return c.tickets[n-1-c.rnd.IntN(min(n, workingSet))]
}

var severities = []domain.Severity{domain.SeverityA, domain.SeverityB, domain.SeverityC}

// do runs op as client c and returns the number of events it appended
// and whether it was a query.
func (d *desk) do(ctx context.Context, c *deskClient, op string) (events int, query bool, err error) {
	c.seq++
	seq := strconv.Itoa(c.seq)
	agent := app.Command{Actor: c.agent}
	var res app.Result
	switch op {
	case OpOpen:
		sev := severities[c.rnd.IntN(3)]
		res, err = d.target.Open(ctx, agent, app.OpenTicket{OpenRequest: ticket.OpenRequest{
			CustomerID: d.customers[c.rnd.IntN(len(d.customers))], Product: ticket.ProductAzure, Severity: sev,
			Title: "VMs in West Europe fail to start (" + seq + ")", Description: "Since 09:10 UTC new VMs stay in 'starting'; existing ones run.",
			Language: "en", Locale: "en-US", Contact: ticket.Contact{Name: "Alex Doe", Email: "alex@" + d.partner + ".example"},
		}})
		if err == nil {
			t := &benchTicket{id: res.TicketID, severity: sev}
			c.tickets = append(c.tickets, t)
			c.waiting = append(c.waiting, t)
		}
	case OpFirstResponse:
		t := c.waiting[0]
		res, err = d.target.Act(ctx, app.Command{Actor: c.vendor}, t.id, ticket.FirstResponse{Summary: "Looking into it: capacity constraint in the region."})
		c.waiting = c.waiting[1:]
	case OpSeverity:
		t := c.recent()
		to := severities[(slices.Index(severities, t.severity)+1+c.rnd.IntN(2))%3]
		res, err = d.target.Act(ctx, agent, t.id, ticket.SeverityChange{To: to, Reason: "business impact changed (" + seq + ")"})
		if err == nil {
			t.severity = to
		}
	case OpNote:
		res, err = d.target.Act(ctx, agent, c.recent().id, ticket.Note{Text: "Customer confirms the workaround helps for now (" + seq + ")."})
	case OpEscalate:
		res, err = d.target.Act(ctx, agent, c.recent().id, ticket.Escalation{Reason: "production outage for the customer (" + seq + ")", Criteria: []string{"business-critical"}})
	case OpDispute:
		res, err = d.target.Act(ctx, agent, c.recent().id, ticket.Dispute{
			DisputeID: "d-" + seq, InvoiceRef: "INV-" + seq, AmountCents: 12_500, Currency: "EUR", Reason: "charged twice for the same month"})
	case OpFraud:
		t := c.recent()
		if t.fraud {
			return d.do(ctx, c, OpEscalate)
		}
		res, err = d.target.Act(ctx, agent, t.id, ticket.FraudFlag{Reason: "unknown subscriptions created overnight", Indicators: []string{"new-admin", "odd-region"}})
		if err == nil {
			t.fraud = true
		}
	default:
		return 0, true, d.query(ctx, c, op)
	}
	return len(res.Events), false, err
}

// query runs one query as the auditor.
func (d *desk) query(ctx context.Context, c *deskClient, op string) error {
	switch op {
	case OpGetTicket:
		return d.auditor.Get(ctx, "/v1/tickets/"+url.PathEscape(c.recent().id), nil, nil)
	case OpSLAReport:
		return d.auditor.Get(ctx, "/v1/reports/sla", url.Values{"groupBy": {"severity,product"}}, nil)
	default:
		return d.auditor.Get(ctx, "/v1/audit", url.Values{"ticketId": {c.recent().id}, "limit": {"100"}}, nil)
	}
}
