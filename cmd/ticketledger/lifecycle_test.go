package main

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/http/client"
)

func TestLifecycle(t *testing.T) {
	e := newPartnerEnv(t)
	id := e.openTicket("--severity", "B", "--occurred-at", "now-1h")

	steps := [][]string{
		with(provider, "severity", id, "--to", "A", "--reason", "production now down"),
		with(support, "respond", id, "--summary", "Investigating"),
		with(provider, "escalate", id, "--reason", "platform bug, no workaround", "--criteria", "business_critical,no_workaround"),
		with(support, "info", "request", id, "--question", "Which subscription?"),
		with(provider, "info", "provide", id, "--answer", "sub-1234"),
		with(provider, "dispute", "open", id, "--dispute-id", "D-1", "--invoice", "INV-77", "--amount-cents", "125000", "--currency", "EUR", "--reason", "double charge"),
		with(support, "dispute", "resolve", id, "--dispute-id", "D-1", "--outcome", "partial", "--credit-cents", "50000", "--currency", "EUR", "--explanation", "half credited"),
		with(provider, "fraud", "flag", id, "--reason", "card testing", "--indicators", "velocity"),
		with(support, "fraud", "clear", id, "--reason", "customer verified"),
		with(provider, "note", id, "--text", "called the admin"),
		with(support, "reassign", id, "--to", "queue:compute", "--reason", "compute issue"),
		with(support, "resolve", id, "--resolution", "host replaced"),
		with(provider, "reopen", id, "--reason", "came back"),
		with(support, "resolve", id, "--resolution", "host replaced again"),
		with(provider, "close", id, "--reason", "confirmed"),
	}
	for _, s := range steps {
		out := e.ok(s...)
		contains(t, out, "accepted", "ticket-"+id)
	}

	// The severity change recomputed the deadline from the creation.
	id2 := e.openTicket("--severity", "C", "--occurred-at", "now-3h")
	var res client.CommandResult
	out := e.ok(with(provider, "severity", id2, "--to", "A", "--reason", "worse", "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Deadline == nil || res.Deadline.Severity != "A" {
		t.Fatalf("severity result: %v %s", err, out)
	}

	// Exit codes: conflict (state), conflict (stale revision), not found,
	// invalid id, refused by rule.
	e.ok(with(support, "respond", id2)...)
	e.fails(5, "refused (conflict)", with(support, "respond", id2)...)
	e.fails(5, "stale-revision", with(provider, "note", id2, "--text", "x", "--expected-revision", "0")...)
	e.ok(with(provider, "note", id2, "--text", "x", "--expected-revision", "2")...)
	e.fails(4, "not found", with(provider, "note", uuid.NewString(), "--text", "x")...)
	e.fails(3, "ticket", with(provider, "note", "not-a-uuid", "--text", "x")...)
	e.fails(6, "auditor-read-only", with(auditor, "note", id2, "--text", "x")...)
	e.fails(3, "escalation-needs-reason-and-criteria", with(provider, "escalate", id2, "--reason", "x")...)
	e.fails(2, "--dispute-id", with(support, "dispute", "resolve", id2, "--outcome", "upheld")...)
	e.fails(2, "TICKET-ID", with(support, "respond")...)
}
