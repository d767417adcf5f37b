package ticket

import (
	"fmt"
	"sort"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// Status is where a ticket stands in its state machine. It is derived from
// the events, never persisted by itself.
type Status string

// Statuses.
const (
	StatusNew             Status = ""                 // not opened yet (New)
	StatusOpen            Status = "open"             // with vendor support
	StatusAwaitingPartner Status = "awaiting_partner" // vendor support asked the partner for information
	StatusResolved        Status = "resolved"         // resolved; may be reopened or closed
	StatusClosed          Status = "closed"           // final
	StatusRedirected      Status = "redirected"       // marketplace request sent to the ISV: terminal
)

// DeadlinePolicy computes first-response deadlines. The SLA policy
// (*sla.Policy) implements it; the ticket owns the interface so that it
// depends on nothing but the contract.
type DeadlinePolicy interface {
	Deadline(sla.Request) (sla.Deadline, error)
}

// Ticket is the aggregate of one service request (stream "ticket-<id>").
// Its state lives in unexported fields and changes only by applying events;
// commands check the rules, apply the events they emit to the ticket and
// return them for the caller to append.
type Ticket struct {
	id         string
	status     Status
	context    Context
	partnerID  string
	providerID string
	resellerID string
	customerID string
	product    Product
	class      sla.Class
	severity   domain.Severity
	language   string
	locale     string
	title      string
	openedAt   time.Time

	// deadlines are the first-response promises in the order made, each in
	// force from its instant on.
	deadlines []promise

	responded   bool
	respondedAt time.Time
	met         bool

	// notices are the SLA notices recorded, oldest first.
	notices []SLANoticed

	escalations []string // reasons, in order
	disputes    map[string]dispute
	fraud       bool
	owner       string

	version int
	window  domain.Window
}

type promise struct {
	from     time.Time
	deadline sla.Deadline
}

type dispute struct {
	open        bool
	amountCents int64
	currency    string
}

// New returns the empty aggregate of a ticket that does not exist yet: the
// starting point of Open and RedirectToISV.
func New(id string) *Ticket { return &Ticket{id: id, disputes: map[string]dispute{}} }

// WithWindow sets the backdating window commands check occurred-at against
// (zero fields take the defaults: 30 days back, 2 minutes ahead) and
// returns t.
func (t *Ticket) WithWindow(w domain.Window) *Ticket { t.window = w; return t }

// Rebuild replays a ticket's history (its stream's events in order, as
// values or pointers). An empty history is a KindNotFound error
// (RuleTicketNotFound). A history that does not start with Opened or
// RedirectedToISV, or holds an unknown event, is a KindInternal error.
func Rebuild(history []domain.Event) (*Ticket, error) {
	return domain.Rebuild(history, New(""), (*Ticket).checkReplay, (*Ticket).apply, func() error {
		return domain.Errorf(domain.KindNotFound, domain.RuleTicketNotFound, "ticketId", "the ticket has no history: open it first, or check the ticket id")
	})
}

// checkReplay checks that event i of the ticket's history may stand there
// (Opened or RedirectedToISV first, and only first; a ticket event).
func (t *Ticket) checkReplay(i int, e domain.Event) error {
	_, opened := e.(Opened)
	_, redirected := e.(RedirectedToISV)
	if first := opened || redirected; first != (i == 0) {
		return fmt.Errorf("rebuild ticket: event %d (%s): a ticket stream starts with one %s or %s", i, domain.TypeName(e), TypeOpened, TypeRedirectedToISV)
	}
	if !known(e) {
		return fmt.Errorf("rebuild ticket %s: event %d: unknown event %s", t.id, i, domain.TypeName(e))
	}
	return nil
}

// apply changes the state by one event. It never fails.
func (t *Ticket) apply(e domain.Event) {
	t.version++
	switch e := domain.Value(e).(type) {
	case Opened:
		t.id, t.status, t.context = e.TicketID, StatusOpen, e.Context
		t.partnerID, t.providerID, t.resellerID, t.customerID = e.PartnerID, e.ProviderID, e.ResellerID, e.CustomerID
		t.product, t.class, t.severity = e.Product, e.Class, e.Severity
		t.language, t.locale, t.title = e.Language, e.Locale, e.Title
		t.openedAt = e.OpenedAt
		if t.openedAt.IsZero() {
			t.openedAt = e.Deadline.From
		}
		t.deadlines = []promise{{from: t.openedAt, deadline: e.Deadline}}
	case RedirectedToISV:
		t.id, t.status = e.TicketID, StatusRedirected
		t.partnerID, t.customerID, t.product, t.title = e.PartnerID, e.CustomerID, ProductMarketplace, e.Title
	case FirstResponseRecorded:
		t.responded, t.respondedAt, t.met = true, e.RespondedAt, e.Met
	case SeverityChanged:
		t.severity = e.To
		t.deadlines = append(t.deadlines, promise{from: e.ChangedAt, deadline: e.Deadline})
	case Escalated:
		t.escalations = append(t.escalations, e.Reason)
	case InfoRequested:
		t.status = StatusAwaitingPartner
	case InfoProvided:
		t.status = StatusOpen
	case BillingDisputeOpened:
		t.disputes[e.DisputeID] = dispute{open: true, amountCents: e.AmountCents, currency: e.Currency}
	case BillingDisputeResolved:
		d := t.disputes[e.DisputeID]
		d.open = false
		t.disputes[e.DisputeID] = d
	case FraudFlagged:
		t.fraud = true
	case FraudCleared:
		t.fraud = false
	case Reassigned:
		t.owner = e.To
	case Resolved:
		t.status = StatusResolved
	case Reopened:
		t.status = StatusOpen
	case Closed:
		t.status = StatusClosed
	case SLANoticed:
		t.notices = append(t.notices, e)
	}
}

// ID returns the ticket id.
func (t *Ticket) ID() string { return t.id }

// Stream returns the ticket's stream name, "ticket-<id>".
func (t *Ticket) Stream() string { return StreamPrefix + t.id }

// Status returns the current status.
func (t *Ticket) Status() Status { return t.status }

// Context returns customer or own context.
func (t *Ticket) Context() Context { return t.context }

// Partner returns the filing partner's id.
func (t *Ticket) Partner() string { return t.partnerID }

// Provider returns the indirect provider over a filing reseller ("" when a
// provider filed).
func (t *Ticket) Provider() string { return t.providerID }

// Reseller returns the reseller whose customer a provider filed for ("" otherwise).
func (t *Ticket) Reseller() string { return t.resellerID }

// Customer returns the customer id ("" in own context).
func (t *Ticket) Customer() string { return t.customerID }

// Product returns the product family.
func (t *Ticket) Product() Product { return t.product }

// Class returns the SLA class (break_fix or non_critical).
func (t *Ticket) Class() sla.Class { return t.class }

// Severity returns the current severity.
func (t *Ticket) Severity() domain.Severity { return t.severity }

// Title returns the request's title.
func (t *Ticket) Title() string { return t.title }

// OpenedAt returns when the request was filed.
func (t *Ticket) OpenedAt() time.Time { return t.openedAt }

// Deadline returns the first-response promise made last (zero for a
// redirected ticket).
func (t *Ticket) Deadline() sla.Deadline {
	if len(t.deadlines) == 0 {
		return sla.Deadline{}
	}
	return t.deadlines[len(t.deadlines)-1].deadline
}

// Deadlines returns every first-response promise made, oldest first.
func (t *Ticket) Deadlines() []sla.Deadline {
	out := make([]sla.Deadline, len(t.deadlines))
	for i, p := range t.deadlines {
		out[i] = p.deadline
	}
	return out
}

// DeadlineAt returns the promise in force at instant at: the last one made
// at or before at (the opening promise for earlier instants).
func (t *Ticket) DeadlineAt(at time.Time) sla.Deadline {
	if len(t.deadlines) == 0 {
		return sla.Deadline{}
	}
	d := t.deadlines[0].deadline
	for _, p := range t.deadlines[1:] {
		if !p.from.After(at) {
			d = p.deadline
		}
	}
	return d
}

// FirstResponse returns when vendor support first responded, whether that
// met the deadline in force, and whether it responded at all.
func (t *Ticket) FirstResponse() (at time.Time, met, ok bool) {
	return t.respondedAt, t.met, t.responded
}

// Escalations returns how many times the ticket was escalated.
func (t *Ticket) Escalations() int { return len(t.escalations) }

// FraudFlagged reports whether suspected fraud is flagged and not cleared.
func (t *Ticket) FraudFlagged() bool { return t.fraud }

// OpenDisputes returns the ids of billing disputes not yet resolved, sorted.
func (t *Ticket) OpenDisputes() []string {
	var ids []string
	for id, d := range t.disputes {
		if d.open {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Owner returns the engineer or queue the ticket is assigned to ("" until
// the first reassignment).
func (t *Ticket) Owner() string { return t.owner }

// Version is the number of events applied: after Rebuild, the stream's
// length (its last revision + 1). Commands apply what they emit, so read it
// before a command to get the expected revision of the append.
func (t *Ticket) Version() int { return t.version }
