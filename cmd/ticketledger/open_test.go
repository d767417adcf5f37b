package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/infra/http/client"
)

func TestOpen(t *testing.T) {
	e := newPartnerEnv(t)

	// Table: accepted, ticket id, deadline and how it was derived.
	out := e.ok(openArgs("--occurred-at", "now-3h")...)
	contains(t, out, "accepted", "ticket ", "first response due", "policy 2026-01", "severity A", "target 2h", "24x7")

	// JSON: the command result.
	var res client.CommandResult
	if err := json.Unmarshal([]byte(e.ok(append(openArgs(), "-o", "json")...)), &res); err != nil {
		t.Fatal(err)
	}
	if res.TicketID == "" || res.Deadline == nil || res.Deadline.PolicyVersion != "2026-01" || len(res.Events) != 1 || res.Events[0].Type != "ticket.opened" {
		t.Fatalf("json result: %+v", res)
	}
	// What the command line leaves out, the ledger's defaults fill in; what
	// it gives is kept.
	var opened struct {
		Channel, Route, Context string
		Contact                 struct{ Organisation string }
	}
	if err := json.Unmarshal(res.Events[0].Payload, &opened); err != nil {
		t.Fatal(err)
	}
	if opened.Channel != "api" || opened.Route != "partner_center" || opened.Context != "customer" || opened.Contact.Organisation != "contoso" {
		t.Fatalf("defaults: %+v", opened)
	}
	var emailed client.CommandResult
	json.Unmarshal([]byte(e.ok(append(openArgs("--channel", "email"), "-o", "json")...)), &emailed)
	if len(emailed.Events) != 1 || json.Unmarshal(emailed.Events[0].Payload, &opened) != nil || opened.Channel != "email" {
		t.Fatalf("--channel email: channel %q", opened.Channel)
	}

	// CSV: a header and one row.
	recs := readCSV(t, e.ok(append(openArgs(), "-o", "csv")...))
	if len(recs) != 2 || recs[0][0] != "status" || recs[1][0] != "accepted" {
		t.Fatalf("csv: %v", recs)
	}

	// Business hours: Swedish support runs on the sv-SE calendar.
	out = e.ok(openArgs("--language", "sv", "--locale", "sv-SE")...)
	contains(t, out, "business hours of calendar sv-SE")

	// Idempotency: the same key returns the first result.
	first := e.ok(append(openArgs("--idempotency-key", "k-1"), "-o", "json")...)
	again := e.ok(openArgs("--idempotency-key", "k-1")...)
	contains(t, again, "replayed")
	var r1 client.CommandResult
	json.Unmarshal([]byte(first), &r1)
	contains(t, again, r1.TicketID)

	// Refusals carry the rule and map to exit codes.
	e.fails(3, "no-phone-channel", openArgs("--channel", "phone")...)
	e.fails(3, "required-field", openArgs("--title", "")...)
	e.fails(6, "dynamics-needs-asfp", openArgs("--product", "dynamics365")...)
	e.fails(6, "partner-must-serve-customer", openArgs("--customer", "stranger")...)
	e.fails(8, "Authorization: Bearer", "open", "--customer", "fabrikam", "--product", "azure")
	e.fails(2, "--class", openArgs("--class", "urgent")...)

	// Marketplace products go to the ISV.
	out = e.ok(with(provider, "redirect-isv", "--customer", "fabrikam", "--product-name", "Acme Backup", "--isv", "Acme Ltd",
		"--isv-url", "https://support.acme.example", "--title", "Backups fail")...)
	contains(t, out, "accepted", "ticket.redirected_to_isv")
	e.fails(3, "isv-contact-required", with(provider, "redirect-isv", "--customer", "fabrikam", "--product-name", "Acme", "--isv", "Acme", "--title", "x")...)
}

func TestUnreachable(t *testing.T) {
	clearEnv(t)
	r := runCLI(t, append(openArgs(), "--server", "http://127.0.0.1:1")...)
	if r.code != 7 || !strings.Contains(r.err, "ticketledger serve") {
		t.Fatalf("exit %d, stderr %s", r.code, r.err)
	}
	r = runCLI(t, "list", "--server", "http://127.0.0.1:1", "--proxy-actor", "x", "--proxy-role", "auditor")
	if r.code != 7 {
		t.Fatalf("list: exit %d", r.code)
	}
}

// TestOpenHelpExampleRuns: the example in open --help files a request as it
// stands (the token file replaced by the test's proxy identity).
func TestOpenHelpExampleRuns(t *testing.T) {
	e := newPartnerEnv(t)
	help := e.ok("open", "--help")
	i := strings.Index(help, "Examples:")
	j := strings.Index(help, "\nFlags:")
	if i < 0 || j < i {
		t.Fatalf("no example in\n%s", help)
	}
	example := strings.ReplaceAll(help[i+len("Examples:"):j], "\\\n", " ")
	args := shellWords(t, strings.TrimSpace(example))
	if len(args) < 2 || args[0] != "ticketledger" || args[1] != "open" {
		t.Fatalf("example %q", example)
	}
	args = args[1:]
	for k := 0; k+1 < len(args); k++ {
		if args[k] == "--token-file" {
			args = append(args[:k], args[k+2:]...)
			break
		}
	}
	contains(t, e.ok(with(provider, args...)...), "accepted", "first response due")
}

// shellWords splits a command line at spaces outside double quotes.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, in = !quoted, true
		case (r == ' ' || r == '\n') && !quoted:
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", s)
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
