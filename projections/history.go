package projections

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
)

// HistoryEntry is one event of a ticket's history: who did what, when (on
// both axes), why, and the old → new value of every field it changed.
type HistoryEntry struct {
	EventRef
	CorrelationID string `json:"correlationId,omitempty"`
	CausationID   string `json:"causationId,omitempty"`
	PrevHash      string `json:"prevHash,omitempty"`
	Hash          string `json:"hash,omitempty"`
	// Summary says what happened in words; Reason why, when the event
	// carries one.
	Summary string `json:"summary"`
	Reason  string `json:"reason,omitempty"`
	// Changes lists the ticket fields the event changed.
	Changes []Change `json:"changes"`
	// Payload is the event as recorded.
	Payload domain.Event `json:"payload"`
}

// EventRef points at one event: which event, who caused it on whose behalf,
// when on both axes, and the SLA policy that computed any deadline in it. A
// history entry and an audit entry start with one.
type EventRef struct {
	Position   uint64       `json:"position"`
	Revision   uint64       `json:"revision"`
	EventID    string       `json:"eventId"`
	Type       string       `json:"type"`
	Actor      domain.Actor `json:"actor"`
	OnBehalfOf string       `json:"onBehalfOf,omitempty"`
	OccurredAt time.Time    `json:"occurredAt"`
	RecordedAt time.Time    `json:"recordedAt"`
	// LateBySeconds is how much later than it occurred the event was
	// recorded (0 when recorded before or at occurred-at).
	LateBySeconds float64 `json:"lateBySeconds"`
	PolicyVersion string  `json:"policyVersion,omitempty"`
}

func newEventRef(pos, rev uint64, eventID, typ string, actor domain.Actor, behalf string, occurred, recorded time.Time, policy string) EventRef {
	r := EventRef{Position: pos, Revision: rev, EventID: eventID, Type: typ, Actor: actor, OnBehalfOf: behalf,
		OccurredAt: occurred, RecordedAt: recorded, PolicyVersion: policy}
	if d := recorded.Sub(occurred); d > 0 && !occurred.IsZero() {
		r.LateBySeconds = d.Seconds()
	}
	return r
}

// Change is one field's old and new value, rendered as text ("" = unset).
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// History returns the full history of one ticket from its recorded events
// (the ticket stream as read from the store, in any order: it is sorted by
// revision). Events of other streams are ignored.
func History(events []domain.Recorded, clock Clock) []HistoryEntry {
	evs := sortedStream(events)
	t := NewTickets(TicketsOptions{Clock: clock})
	out := make([]HistoryEntry, 0, len(evs))
	var before []kv
	for _, e := range evs {
		t.apply(&e)
		var after []kv
		if t.n > 0 {
			after = flatten(t.view(t.at(0)))
		}
		h := HistoryEntry{
			EventRef: ref(&e), CorrelationID: e.Meta.CorrelationID, CausationID: e.Meta.CausationID,
			PrevHash: e.Meta.PrevHash, Hash: e.Meta.Hash, Changes: diff(before, after), Payload: e.Event,
		}
		h.Summary, h.Reason = describe(e.Event)
		out = append(out, h)
		before = after
	}
	return out
}

// sortedStream copies the events of the first ticket stream in events,
// sorted by revision.
func sortedStream(events []domain.Recorded) []domain.Recorded {
	var stream string
	evs := make([]domain.Recorded, 0, len(events))
	for _, e := range events {
		if !strings.HasPrefix(e.Stream, ticket.StreamPrefix) {
			continue
		}
		if stream == "" {
			stream = e.Stream
		}
		if e.Stream == stream {
			evs = append(evs, e)
		}
	}
	slices.SortStableFunc(evs, func(a, b domain.Recorded) int {
		switch {
		case a.Revision < b.Revision:
			return -1
		case a.Revision > b.Revision:
			return 1
		}
		return 0
	})
	return evs
}

type kv struct{ k, v string }

func tstr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func tpstr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return tstr(*t)
}

// flatten renders the fields of a ticket that an auditor follows.
func flatten(v Ticket) []kv {
	itoa := strconv.Itoa
	f := []kv{
		{"status", v.Status}, {"severity", string(v.Severity)}, {"product", v.Product}, {"class", v.Class},
		{"partnerId", v.PartnerID}, {"customerId", v.CustomerID}, {"onBehalfOf", v.OnBehalfOf},
		{"language", v.Language}, {"locale", v.Locale}, {"assignee", v.Assignee}, {"isv", v.ISV},
		{"escalations.count", itoa(v.Escalations.Count)}, {"escalations.level", itoa(v.Escalations.Level)},
		{"disputes.opened", itoa(v.Disputes.Opened)}, {"disputes.open", itoa(v.Disputes.Open)},
		{"fraud.flagged", strconv.FormatBool(v.Fraud.Flagged)}, {"fraud.flags", itoa(v.Fraud.Flags)},
		{"infoPending", strconv.FormatBool(v.InfoPending)}, {"notes", itoa(v.Notes)}, {"reopens", itoa(v.Reopens)},
		{"resolvedAt", tpstr(v.ResolvedAt)}, {"closedAt", tpstr(v.ClosedAt)},
		{"atRiskNoticedAt", tpstr(v.AtRiskNoticedAt)}, {"breachNoticedAt", tpstr(v.BreachNoticedAt)},
	}
	if d := v.Deadline; d != nil {
		f = append(f, kv{"deadline.at", tstr(d.At)}, kv{"deadline.targetSeconds", strconv.FormatInt(d.TargetSeconds, 10)},
			kv{"deadline.clock", string(d.Clock)}, kv{"deadline.calendar", d.Calendar},
			kv{"deadline.severity", string(d.Severity)}, kv{"deadline.policyVersion", d.PolicyVersion},
			kv{"deadline.from", tstr(d.From)})
	}
	if r := v.FirstResponse; r != nil {
		f = append(f, kv{"firstResponse.at", tstr(r.At)}, kv{"firstResponse.by", r.By},
			kv{"firstResponse.deadlineAt", tstr(r.DeadlineAt)}, kv{"firstResponse.met", strconv.FormatBool(r.Met)})
	}
	return f
}

func diff(before, after []kv) []Change {
	old := make(map[string]string, len(before))
	for _, x := range before {
		old[x.k] = x.v
	}
	out := []Change{}
	for _, x := range after {
		if o := old[x.k]; o != x.v {
			out = append(out, Change{Field: x.k, Old: o, New: x.v})
		}
	}
	return out
}

// describe says in words what an event did, and why.
func describe(ev domain.Event) (summary, reason string) {
	switch e := ev.(type) {
	case ticket.Opened:
		return fmt.Sprintf("opened a severity %s %s request for partner %s%s: %s", e.Severity, e.Product, e.PartnerID, forCustomer(e.CustomerID), e.Title), ""
	case ticket.RedirectedToISV:
		return fmt.Sprintf("redirected the marketplace request about %s to its publisher %s", e.ProductName, e.ISV), ""
	case ticket.FirstResponseRecorded:
		v := "met"
		if !e.Met {
			v = "breached"
		}
		return fmt.Sprintf("recorded the first response by %s (deadline %s %s)", e.Responder, tstr(e.Deadline.At), v), e.Summary
	case ticket.SeverityChanged:
		return fmt.Sprintf("changed severity %s → %s; deadline %s → %s", e.From, e.To, tstr(e.Previous.At), tstr(e.Deadline.At)), e.Reason
	case ticket.Escalated:
		r := e.Reason
		if len(e.CriteriaMet) > 0 {
			r += " (criteria met: " + strings.Join(e.CriteriaMet, ", ") + ")"
		}
		return fmt.Sprintf("escalated to level %d", e.Level), r
	case ticket.InfoRequested:
		return "asked the partner for information", e.Question
	case ticket.InfoProvided:
		return "provided the information asked for", e.Answer
	case ticket.BillingDisputeOpened:
		return fmt.Sprintf("opened billing dispute %s on %s for %d %s (minor units)", e.DisputeID, e.InvoiceRef, e.AmountCents, e.Currency), e.Reason
	case ticket.BillingDisputeResolved:
		return fmt.Sprintf("resolved billing dispute %s: %s, credit %d %s (minor units)", e.DisputeID, e.Outcome, e.CreditAmountCents, e.Currency), e.Explanation
	case ticket.FraudFlagged:
		r := e.Reason
		if len(e.Indicators) > 0 {
			r += " (indicators: " + strings.Join(e.Indicators, ", ") + ")"
		}
		return "flagged suspected fraud", r
	case ticket.FraudCleared:
		return "cleared the fraud flag", e.Reason
	case ticket.NoteAdded:
		return "added a note: " + e.Text, ""
	case ticket.Reassigned:
		return fmt.Sprintf("reassigned from %q to %q", e.From, e.To), e.Reason
	case ticket.Resolved:
		return "resolved the request", e.Resolution
	case ticket.Reopened:
		return "reopened the request", e.Reason
	case ticket.Closed:
		return "closed the request", e.Reason
	case ticket.SLANoticed:
		if e.Notice == ticket.NoticeAtRisk {
			return fmt.Sprintf("at risk noticed at %s: the first-response deadline %s (%s, policy %s) is near with no response",
				tstr(e.NoticedAt), tstr(e.Deadline.At), e.Deadline.Clock, e.Deadline.PolicyVersion), ""
		}
		return fmt.Sprintf("breach noticed at %s: the first-response deadline %s (%s, policy %s) passed with no response",
			tstr(e.NoticedAt), tstr(e.Deadline.At), e.Deadline.Clock, e.Deadline.PolicyVersion), ""
	case nil:
		return "unknown event", ""
	}
	return "event " + ev.EventType(), ""
}

func forCustomer(c string) string {
	if c == "" {
		return " (own tenant)"
	}
	return " on behalf of customer " + c
}
