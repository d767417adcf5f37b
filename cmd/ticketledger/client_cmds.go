package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/http/client"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/projections"
)

// addClientCommands adds the commands that talk to a running ledger over
// its HTTP API (routes of infra/http/server).
func addClientCommands(root *cobra.Command, g *globals) {
	root.AddCommand(
		newOpenCmd(g), newRedirectCmd(g),
		newRespondCmd(g), newSeverityCmd(g), newEscalateCmd(g), newInfoCmd(g), newDisputeCmd(g), newFraudCmd(g),
		newNoteCmd(g), newReassignCmd(g), newResolveCmd(g), newReopenCmd(g), newCloseCmd(g),
		newPartnerCmd(g), newTokensCmd(g), newWebhooksCmd(g), newImportCmd(g),
		newShowCmd(g), newListCmd(g), newHistoryCmd(g), newAuditCmd(g), newEvidenceCmd(g),
		commandGroup("sla", "SLA compliance: reports, what-if under another policy, at-risk tickets, policies", "",
			newSLAReportCmd(g), newSLAWhatIfCmd(g), newSLAAtRiskCmd(g), newSLAPoliciesCmd(g)),
	)
}

// timeFlag is a flag holding an instant: RFC 3339, a date (YYYY-MM-DD,
// midnight UTC), "now", or "now-2h" / "now+30m" (Go durations, plus "d"
// for days).
type timeFlag struct {
	t   time.Time
	raw string
	now func() time.Time
}

// String returns the value as given.
func (f *timeFlag) String() string { return f.raw }

// Set parses the flag value.
func (f *timeFlag) Set(s string) error {
	t, err := parseTime(s, f.now)
	if err != nil {
		return err
	}
	f.t, f.raw = t, s
	return nil
}

// Type names the flag's type in help.
func (f *timeFlag) Type() string { return "time" }

// parseTime parses the instants the CLI accepts (see timeFlag).
func parseTime(s string, now func() time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if now == nil {
		now = time.Now
	}
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		if rest == "" {
			return now().UTC(), nil
		}
		sign := rest[0]
		if sign != '+' && sign != '-' {
			return time.Time{}, fmt.Errorf("%q: want now, now-2h or now+30m", s)
		}
		d, err := parseDuration(rest[1:])
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: %v", s, err)
		}
		if sign == '-' {
			d = -d
		}
		return now().UTC().Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-03-02T09:30:00Z), a date (2026-03-02) or now-2h", s)
}

// parseDuration is time.ParseDuration plus a "d" (24h) unit.
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		return time.Duration(days * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 90m, 2h, 3d)", s)
	}
	return d, nil
}

// addTime registers a time flag.
func addTime(c *cobra.Command, f *timeFlag, name, usage string) {
	c.Flags().Var(f, name, usage+" (RFC 3339, YYYY-MM-DD, now, now-2h)")
}

// cmdBase builds the common part of a command body.
func cmdBase(occurred *timeFlag) server.CommandBase {
	return server.CommandBase{OccurredAt: server.Timestamp{Time: occurred.t}}
}

// ticketPath is the path of a ticket (sub)resource.
func ticketPath(id, suffix string) string { return "/v1/tickets/" + url.PathEscape(id) + suffix }

// partnerPath is the path of a partner (sub)resource.
func partnerPath(id, suffix string) string { return "/v1/partners/" + url.PathEscape(id) + suffix }

// post sends a command and prints its result.
func (g *globals) post(c *cobra.Command, path string, body any) error {
	f, err := g.format()
	if err != nil {
		return err
	}
	var res client.CommandResult
	if err := g.client().Post(c.Context(), path, body, &res); err != nil {
		return refused(err)
	}
	return printResult(c, f, res)
}

// refused words a command's failure: the rule that refused it and what to do.
func refused(err error) error {
	var ce *client.Error
	if errors.As(err, &ce) && !ce.Unavailable && ce.Problem.Status >= 400 && ce.Problem.Status < 500 {
		return &refusal{ce}
	}
	return err
}

// refusal is a command the ledger refused; it keeps the client error (and so
// the exit code).
type refusal struct{ err *client.Error }

// Error names the rule that refused the command and what to do.
func (r *refusal) Error() string {
	p := r.err.Problem
	verb := "refused"
	switch p.Status {
	case 400, 422:
		verb = "refused (invalid)"
	case 404:
		verb = "refused (not found)"
	case 409, 412:
		verb = "refused (conflict)"
	}
	if p.Rule == "" {
		return verb + ": " + r.err.Error()
	}
	return verb + " by rule " + p.Rule + ": " + p.Message() + p.Hints()
}

// Unwrap returns the client error (for the exit code).
func (r *refusal) Unwrap() error { return r.err }

// printResult prints an accepted command.
func printResult(c *cobra.Command, f render.Format, res client.CommandResult) error {
	status := "accepted"
	switch {
	case res.Replayed:
		status = "accepted (replayed: this idempotency key was already recorded)"
	case !res.Changed:
		status = "accepted (no change: nothing to record)"
	}
	pairs := [][2]string{{"status", status}}
	if res.TicketID != "" {
		pairs = append(pairs, [2]string{"ticket", res.TicketID})
	}
	if res.PartnerID != "" {
		pairs = append(pairs, [2]string{"partner", res.PartnerID})
	}
	pairs = append(pairs, [2]string{"stream", res.Stream}, [2]string{"revision", fmt.Sprint(res.Revision)})
	var types []string
	for _, e := range res.Events {
		types = append(types, e.Type)
	}
	if len(types) > 0 {
		pairs = append(pairs, [2]string{"events", strings.Join(types, ", ")})
		if m := res.Events[len(res.Events)-1].Meta; !m.OccurredAt.IsZero() {
			pairs = append(pairs, [2]string{"occurred at", fmtTime(m.OccurredAt)}, [2]string{"recorded at", fmtTime(m.RecordedAt)})
		}
	}
	if res.Deadline != nil {
		pairs = append(pairs, deadlinePairs("first response due", *res.Deadline)...)
	}
	return render.KV(c.OutOrStdout(), f, res, pairs)
}

// deadlinePairs describes a deadline and how it was derived.
func deadlinePairs(label string, d projections.Deadline) [][2]string {
	return [][2]string{
		{label, fmtTime(d.At)},
		{"derived from", deadlineHow(d)},
	}
}

// deadlineHow says how a deadline was computed, e.g. "policy 2026-01,
// severity A break_fix, 2h around the clock (24x7) from 2026-…".
func deadlineHow(d projections.Deadline) string {
	clock := "around the clock (24x7)"
	if d.Clock == sla.ClockBusinessHours {
		clock = "business hours of calendar " + d.Calendar
	}
	sev := ""
	if d.Severity != "" {
		sev = "severity " + string(d.Severity) + " "
	}
	lang := ""
	if d.Language != "" {
		lang = ", language " + d.Language
	}
	return fmt.Sprintf("policy %s: %s%s, target %s %s%s, from %s", d.PolicyVersion, sev, d.Class, fmtDur(d.Target()), clock, lang, fmtTime(d.From))
}

// fmtTime formats an instant for tables (UTC, seconds).
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// fmtTimePtr formats an optional instant.
func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

// fmtDur formats a duration compactly (render.Duration).
func fmtDur(d time.Duration) string { return render.Duration(d) }

// fmtSecs formats seconds as a duration.
func fmtSecs(s float64) string { return fmtDur(time.Duration(s * float64(time.Second))) }

// csvSecs formats seconds as a plain number a spreadsheet can sum (to the
// millisecond, no unit).
func csvSecs(s float64) string {
	return strconv.FormatFloat(math.Round(s*1000)/1000, 'f', -1, 64)
}

// secsCell is a duration cell: 2h30m for people, plain seconds in CSV.
func secsCell(s float64, f render.Format) string {
	if f == render.CSV {
		return csvSecs(s)
	}
	return fmtSecs(s)
}

// pctCell is a percentage cell: 97.5% for people, 97.5 in CSV (a number a
// spreadsheet can average; the header says it is a percentage).
func pctCell(p float64, f render.Format) string {
	if f == render.CSV {
		return strconv.FormatFloat(math.Round(p*100)/100, 'f', -1, 64)
	}
	return fmt.Sprintf("%.1f%%", p)
}

// unitHeader is a column header that names its unit in CSV, where the
// cells are bare numbers: "TTFR P50" becomes "TTFR P50 SECONDS".
func unitHeader(name, unit string, f render.Format) string {
	if f == render.CSV {
		return name + " " + unit
	}
	return name
}

// verifyRemote verifies the hash chain of every ticket through a running
// ledger: it lists the tickets and asks for each one's verification.
func verifyRemote(ctx context.Context, g *globals, progress func(done, total int)) (ledger.VerifyReport, error) {
	cl := g.client()
	var ids []string
	q := url.Values{"limit": {"10000"}}
	for {
		var page projections.TicketPage
		if err := cl.Get(ctx, "/v1/tickets", q, &page); err != nil {
			return ledger.VerifyReport{}, err
		}
		for _, t := range page.Tickets {
			ids = append(ids, t.ID)
		}
		if page.Next == "" {
			break
		}
		q.Set("cursor", page.Next)
	}
	rep := ledger.VerifyReport{Streams: len(ids)}
	for i, id := range ids {
		var v server.Verification
		check := ledger.StreamCheck{Stream: "ticket-" + id}
		if err := cl.Get(ctx, ticketPath(id, "/evidence/verification"), nil, &v); err != nil {
			var ce *client.Error
			if errors.As(err, &ce) && ce.Unavailable {
				return rep, err
			}
			check.Error = err.Error()
		} else {
			check.Events, check.OK = v.Events, v.Verified
			if v.Problem != nil {
				check.Problem = &codec.ChainError{Stream: check.Stream, Revision: v.Problem.Revision, Problem: v.Problem.Problem,
					Expected: v.Problem.Expected, Found: v.Problem.Found}
			}
		}
		rep.Events += check.Events
		if !check.OK {
			rep.Broken++
		}
		rep.Results = append(rep.Results, check)
		if progress != nil {
			progress(i+1, len(ids))
		}
	}
	return rep, nil
}
