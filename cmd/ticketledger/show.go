package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/projections"
)

func newShowCmd(g *globals) *cobra.Command {
	var asOf timeFlag
	var axis string
	c := &cobra.Command{
		Use:   "show TICKET-ID",
		Short: "Show a ticket and its SLA clock, now or as the ledger knew it at --as-of",
		Long: `Show a ticket's current state and SLA clock (from the read model), or, with
--as-of T, replay its stream to show what the ledger knew at T: on the
recorded axis (default: what had been recorded by T) or the occurred axis
(what had happened by T, including events entered late).`,
		Example: `  ticketledger show 7d1c…
  ticketledger show 7d1c… --as-of 2026-11-20T10:00:00Z --axis occurred`,
		Args: exactArgs("TICKET-ID"),
		RunE: func(c *cobra.Command, args []string) error {
			q := url.Values{}
			if !asOf.t.IsZero() {
				setTime(q, "asOf", &asOf)
				setIf(q, "axis", axis)
			} else if axis != "" {
				return usagef(c, "--axis applies to --as-of: add --as-of TIME")
			}
			id, err := g.ticketID(c, args[0])
			if err != nil {
				return err
			}
			v, f, err := getAs[projections.AsOfView](c, g, ticketPath(id, ""), q)
			if err != nil {
				return err
			}
			return render.KV(c.OutOrStdout(), f, v, viewPairs(v, !asOf.t.IsZero(), f))
		},
	}
	addTime(c, &asOf, "as-of", "show the ticket as known at this instant")
	c.Flags().StringVar(&axis, "axis", "", "time axis of --as-of: recorded (default) or occurred")
	return c
}

func viewPairs(v projections.AsOfView, asOf bool, f render.Format) [][2]string {
	var p [][2]string
	add := func(k, val string) {
		if val != "" {
			p = append(p, [2]string{k, val})
		}
	}
	if asOf {
		add("as of", fmtTime(v.At)+" ("+string(v.Axis)+" axis)")
		if !v.Exists {
			if v.Axis == projections.AxisRecorded {
				add("exists", "no: the ledger had not recorded the ticket by then")
			} else {
				add("exists", "no: the ticket had not been opened by then")
			}
			return p
		}
	}
	t := v.Ticket
	if t == nil {
		return p
	}
	add("ticket", t.ID)
	add("status", t.Status)
	add("severity", string(t.Severity))
	add("product", t.Product)
	add("class", t.Class)
	add("context", t.Context)
	add("partner", t.PartnerID)
	add("customer", t.CustomerID)
	add("filed by", fmt.Sprintf("%s (%s)", t.FiledBy.ID, t.FiledBy.Role))
	add("on behalf of", t.OnBehalfOf)
	add("channel / route", t.Channel+" / "+t.Route)
	add("language / locale", strings.Trim(t.Language+" / "+t.Locale, " /"))
	add("assignee", t.Assignee)
	add("isv", t.ISV)
	add("opened at", fmtTime(t.OpenedAt))
	add("recorded at", fmtTime(t.RecordedAt))
	if t.Deadline != nil {
		add("first response due", fmtTime(t.Deadline.At))
		add("derived from", deadlineHow(*t.Deadline))
		if t.DeadlineChanges > 0 {
			add("deadline set by", fmt.Sprintf("%s (%d earlier deadline(s) in the history)", t.DeadlineCause, t.DeadlineChanges))
		}
	}
	if fr := t.FirstResponse; fr != nil {
		verdict := "met"
		if !fr.Met {
			verdict = "BREACHED"
		}
		add("first response", fmt.Sprintf("%s by %s: %s", fmtTime(fr.At), fr.By, verdict))
	}
	if s := v.SLA; s != nil {
		state := s.State
		if state == "" {
			state = s.Verdict
		}
		add("sla", state)
		if s.RemainingSeconds != nil && s.RespondedAt == nil {
			add(unitHeader("remaining", "seconds", f), timeLeft(*s.RemainingSeconds, f))
		}
		if s.BusinessTimeToFirstResponseSeconds != nil {
			counted := secsCell(*s.BusinessTimeToFirstResponseSeconds, f)
			if f != render.CSV {
				counted += " (counted)"
			}
			add(unitHeader("time to first response", "seconds", f), counted)
		}
	}
	add("at risk noticed at", fmtTimePtr(t.AtRiskNoticedAt))
	add("breach noticed at", fmtTimePtr(t.BreachNoticedAt))
	if t.Escalations.Count > 0 {
		add("escalations", fmt.Sprintf("%d (level %d)", t.Escalations.Count, t.Escalations.Level))
	}
	if t.Disputes.Opened > 0 {
		add("billing disputes", fmt.Sprintf("%d opened, %d open", t.Disputes.Opened, t.Disputes.Open))
	}
	if t.Fraud.Flags > 0 {
		add("fraud", fmt.Sprintf("%d flag(s), active: %v", t.Fraud.Flags, t.Fraud.Flagged))
	}
	if t.InfoPending {
		add("info pending", "yes")
	}
	add("notes", fmt.Sprint(t.Notes))
	add("resolved at", fmtTimePtr(t.ResolvedAt))
	add("closed at", fmtTimePtr(t.ClosedAt))
	add("events", fmt.Sprint(t.Events))
	add("revision", fmt.Sprint(t.Revision))
	if asOf {
		if n := len(v.NotYetRecorded); n > 0 {
			add("not yet recorded then", fmt.Sprintf("%d event(s) had occurred but were recorded later", n))
		}
		if n := len(v.NotYetOccurred); n > 0 {
			add("recorded ahead", fmt.Sprintf("%d event(s) recorded by then occurred later", n))
		}
		if n := len(v.Excluded); n > 0 {
			add("excluded", fmt.Sprintf("%d later event(s)", n))
		}
	}
	return p
}

func newHistoryCmd(g *globals) *cobra.Command {
	var wide bool
	c := &cobra.Command{
		Use:   "history TICKET-ID",
		Short: "The full history of a ticket: who did what, when (both axes), on whose behalf, why",
		Long: `The full history of a ticket: who did what, when (both axes), on whose behalf,
why, and what changed. On a terminal the table fits its width (ACTOR, ON BEHALF
OF, SUMMARY and CHANGES end in … where cut; $COLUMNS sets the width
elsewhere); --wide prints them whole, as -o json and -o csv always do.`,
		Args: exactArgs("TICKET-ID"),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := g.ticketID(c, args[0])
			if err != nil {
				return err
			}
			width := 0
			if !wide {
				width = termWidth(c.OutOrStdout())
			}
			return fetch(c, g, ticketPath(id, "/history"), nil, func(h historyView, f render.Format) render.Rows {
				rows := historyRows(h, f)
				if f != render.Table {
					return rows
				}
				return render.Fit(rows, width, historyActor, historyOnBehalfOf, historySummary, historyChanges)
			}, nil)
		},
	}
	c.Flags().BoolVar(&wide, "wide", false, "do not fit the table to the terminal: print SUMMARY and CHANGES whole")
	return c
}

// The columns of historyRows that render.Fit may shorten.
const (
	historyActor      = 4
	historyOnBehalfOf = 6
	historySummary    = 8
	historyChanges    = 9
)

// historyRows is the table of a ticket's history; instants inside the
// summary and the changes are RFC 3339 to the second, like the columns.
func historyRows(h historyView, _ render.Format) render.Rows {
	rows := render.Rows{Header: []string{"REV", "OCCURRED", "RECORDED", "TYPE", "ACTOR", "ROLE", "ON BEHALF OF", "POLICY", "SUMMARY", "CHANGES"}}
	for _, e := range h.Entries {
		var ch []string
		for _, x := range e.Changes {
			if x.Old == "" && (x.New == "0" || x.New == "false" || strings.HasPrefix(x.Field, "deadline.")) {
				continue // initial zero values and the deadline (see POLICY / show)
			}
			if len(ch) == 4 {
				ch = append(ch, "…")
				break
			}
			ch = append(ch, fmt.Sprintf("%s: %s → %s", x.Field, dash(x.Old), dash(x.New)))
		}
		sum := e.Summary
		if e.Reason != "" {
			sum += " (" + e.Reason + ")"
		}
		rows.Add(e.Revision, fmtTime(e.OccurredAt), fmtTime(e.RecordedAt), e.Type, e.Actor.ID, e.Actor.Role,
			e.OnBehalfOf, e.PolicyVersion, toSeconds(sum), toSeconds(strings.Join(ch, "; ")))
	}
	return rows
}

// fraction matches the fractional seconds of an RFC 3339 instant.
var fraction = regexp.MustCompile(`(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+(Z|[+-]\d\d:\d\d)`)

// toSeconds cuts the instants in s to the second (as fmtTime does).
func toSeconds(s string) string { return fraction.ReplaceAllString(s, "$1$2") }

// termWidth is the width to fit a table to on w: the terminal's, else
// $COLUMNS, else 0 (do not fit).
func termWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && isTerminal(w) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	n, _ := strconv.Atoi(os.Getenv("COLUMNS"))
	return max(n, 0)
}

// historyView is server.HistoryView with event payloads as raw JSON (the
// payload's Go type is known only to the server's codec).
type historyView struct {
	TicketID string         `json:"ticketId"`
	Entries  []historyEntry `json:"entries"`
}

// historyEntry shadows projections.HistoryEntry's Payload.
type historyEntry struct {
	projections.HistoryEntry
	Payload json.RawMessage `json:"payload"`
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
