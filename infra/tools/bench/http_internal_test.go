package bench

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/http/client"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

func TestMetricLine(t *testing.T) {
	for _, c := range []struct {
		line, name, labels string
		value              float64
		ok                 bool
	}{
		{`ticketledger_append_duration_seconds_count{category="ticket",outcome="ok"} 17480`, "ticketledger_append_duration_seconds_count", `category="ticket",outcome="ok"`, 17480, true},
		{`ticketledger_projection_lag_events{projection="audit"} 3 1700000000000`, "ticketledger_projection_lag_events", `projection="audit"`, 3, true},
		{`go_goroutines 148`, "go_goroutines", "", 148, true},
		{`a{route="GET /v1/tickets/{id}"} 2.5`, "a", `route="GET /v1/tickets/{id}"`, 2.5, true},
		{`# HELP go_goroutines Number of goroutines.`, "", "", 0, false},
		{``, "", "", 0, false},
		{`broken{`, "", "", 0, false},
	} {
		name, labels, v, ok := metricLine(c.line)
		if name != c.name || labels != c.labels || v != c.value || ok != c.ok {
			t.Errorf("%q: %q %q %v %v", c.line, name, labels, v, ok)
		}
	}
}

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.9: 90 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := quantile(d, q); got != want {
			t.Errorf("q%v = %v, want %v", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 || quantile(d[:1], 0.99) != time.Millisecond {
		t.Error("edge cases")
	}
}

// TestBodiesMatchTheAPITypes checks that the bodies filled into the
// templates are the bytes the API's own body types encode to, with values
// that need escaping too.
func TestBodiesMatchTheAPITypes(t *testing.T) {
	b, err := newBodies()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"17", `a "quoted" <b> & \ back` + "\t\x01\n\u2028é", "bench-1f2e-c3"} {
		base := server.CommandBase{}
		open := client.OpenBody(time.Time{}, app.OpenTicket{OpenRequest: ticket.OpenRequest{
			CustomerID: v + "c", Product: ticket.ProductAzure, Severity: domain.Severity(v + "s"),
			Title: "VMs in West Europe fail to start (" + v + ")", Description: "Since 09:10 UTC new VMs stay in 'starting'; existing ones run.",
			Language: "en", Locale: "en-US", Contact: ticket.Contact{Name: "Alex Doe", Email: "alex@" + v + "p.example"},
		}})
		check := func(name string, got []byte, body any) {
			t.Helper()
			want, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s with %q:\n got %s\nwant %s", name, v, got, want)
			}
		}
		check("open", b.open.fill(nil, v+"c", v+"s", v, v+"p"), open)
		for _, a := range []struct {
			name   string
			t      actionTemplate
			got    []byte
			action ticket.Action
			path   string
		}{
			{"first response", b.firstResponse, b.firstResponse.fill(nil), ticket.FirstResponse{Summary: "Looking into it: capacity constraint in the region."}, "/first-response"},
			{"severity", b.severity, b.severity.fill(nil, v+"s", v), ticket.SeverityChange{To: domain.Severity(v + "s"), Reason: "business impact changed (" + v + ")"}, "/severity"},
			{"note", b.note, b.note.fill(nil, v), ticket.Note{Text: "Customer confirms the workaround helps for now (" + v + ")."}, "/notes"},
			{"escalate", b.escalate, b.escalate.fill(nil, v), ticket.Escalation{Reason: "production outage for the customer (" + v + ")", Criteria: []string{"business-critical"}}, "/escalations"},
			{"dispute", b.dispute, b.dispute.fill(nil, v), ticket.Dispute{DisputeID: "d-" + v, InvoiceRef: "INV-" + v, AmountCents: 12_500, Currency: "EUR", Reason: "charged twice for the same month"}, "/disputes"},
			{"fraud", b.fraud, b.fraud.fill(nil), ticket.FraudFlag{Reason: "unknown subscriptions created overnight", Indicators: []string{"new-admin", "odd-region"}}, "/fraud-flags"},
		} {
			path, body, err := server.ActionRequest("T-1", a.action, base)
			if err != nil {
				t.Fatal(err)
			}
			if "/v1/tickets/T-1"+a.t.path != path || a.t.path != a.path {
				t.Errorf("%s: path %q, want %q", a.name, a.t.path, path)
			}
			check(a.name, a.got, body)
		}
	}
	if _, err := newTemplate(map[string]string{"a": hole0, "b": hole2}, 2); err == nil {
		t.Error("a template with holes 0 and 2 of 2 was accepted")
	}
	if _, err := newTemplate(map[string]string{"a": hole0}, 2); err == nil {
		t.Error("a template with 1 hole of 2 was accepted")
	}
}

// TestCommandAnswer reads the ticket id and the event count from answers
// as the server encodes them.
func TestCommandAnswer(t *testing.T) {
	ev := func(rev uint64, payload string) server.EventOut[json.RawMessage] {
		return server.EventOut[json.RawMessage]{Revision: rev, Type: "TicketNoteAdded",
			Meta: domain.Meta{Actor: domain.Actor{ID: "a", Role: domain.RoleAdmin}}, Payload: json.RawMessage(payload)}
	}
	for _, c := range []struct {
		name   string
		res    client.CommandResult
		wantID bool
		id     string
		events int
	}{
		{"open", client.CommandResult{TicketID: "TKT-01", Stream: "ticket-TKT-01", Revision: 0, Changed: true,
			Events: []server.EventOut[json.RawMessage]{ev(0, `{"ticketId":"TKT-01","text":"{\"revision\":1}"}`)}}, true, "TKT-01", 1},
		{"two events", client.CommandResult{TicketID: "T-2", Stream: "ticket-T-2", Revision: 4, Changed: true,
			Events: []server.EventOut[json.RawMessage]{ev(3, `{}`), ev(4, `{"x":[{"y":1}]}`)}}, false, "", 2},
		{"no change", client.CommandResult{TicketID: "T-3", Stream: "ticket-T-3", Revision: 4, Events: []server.EventOut[json.RawMessage]{}}, false, "", 0},
		{"escaped id", client.CommandResult{TicketID: `T"4`, Stream: "ticket-T-4", Events: []server.EventOut[json.RawMessage]{ev(0, `{}`)}}, true, `T"4`, 1},
	} {
		js, err := json.Marshal(c.res)
		if err != nil {
			t.Fatal(err)
		}
		id, n, err := commandAnswer(js, c.wantID)
		if err != nil || id != c.id || n != c.events {
			t.Errorf("%s: %q, %d events, %v; want %q, %d\n%s", c.name, id, n, err, c.id, c.events, js)
		}
	}
	for _, bad := range []string{``, `[]`, `{"ticketId":"T"}`, `not json`, `{"events":[]}`} {
		if _, _, err := commandAnswer([]byte(bad), true); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
