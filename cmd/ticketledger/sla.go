package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/projections"
)

func newSLAReportCmd(g *globals) *cobra.Command {
	var from, to timeFlag
	var groupBy []string
	var horizon, partner, customer string
	c := &cobra.Command{
		Use:   "report",
		Short: "SLA compliance of tickets opened in a period, grouped",
		Long: `SLA compliance over the tickets opened in [--from, --to): met, breached and
pending first responses, compliance, near misses (met in the last 10% of the
window), percentiles of time to first response (counted time: business time
for business-hours tickets), and open unanswered tickets at risk (deadline
within --horizon) or already breached.`,
		Example: `  ticketledger sla report --from now-7d --group-by severity,product
  ticketledger sla report --group-by partner -o csv`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			q := params("horizon", horizon, "partnerId", partner, "customerId", customer)
			setTime(q, "from", &from)
			setTime(q, "to", &to)
			for _, d := range groupBy {
				q.Add("groupBy", d)
			}
			return fetch(c, g, "/v1/reports/sla", q, reportRows, nil)
		},
	}
	addTime(c, &from, "from", "period start: tickets opened at or after")
	addTime(c, &to, "to", "period end: tickets opened before")
	c.Flags().StringSliceVar(&groupBy, "group-by", nil, "dimensions: severity, product, partner, customer, locale")
	c.Flags().StringVar(&horizon, "horizon", "", "at-risk horizon (default 1h)")
	c.Flags().StringVar(&partner, "partner-id", "", "only this partner's tickets")
	c.Flags().StringVar(&customer, "customer", "", "only this customer's tickets")
	return c
}

// reportRows is the table of an SLA report: a row a group and, except in
// CSV of a grouped report, the total.
func reportRows(rep projections.Report, f render.Format) render.Rows {
	header := []string{}
	for _, d := range rep.GroupBy {
		header = append(header, strings.ToUpper(d))
	}
	header = append(header, "TICKETS", "MET", "BREACHED", "PENDING", unitHeader("COMPLIANCE", "PCT", f), "NEAR MISS",
		unitHeader("TTFR P50", "SECONDS", f), unitHeader("TTFR P90", "SECONDS", f), unitHeader("TTFR P99", "SECONDS", f), "AT RISK", "BREACHED OPEN")
	rows := render.Rows{Header: header}
	add := func(key []string, gr projections.ReportGroup) {
		cells := make([]any, 0, len(header))
		for _, k := range key {
			cells = append(cells, k)
		}
		b := gr.BusinessTimeToFirstResponse
		cells = append(cells, gr.Tickets, gr.Met, gr.Breached, gr.Pending, pctCell(gr.CompliancePct, f), gr.NearMisses,
			quantile(b.Count, b.P50, f), quantile(b.Count, b.P90, f), quantile(b.Count, b.P99, f), gr.AtRisk, gr.BreachedUnanswered)
		rows.Add(cells...)
	}
	for _, gr := range rep.Groups {
		key := make([]string, len(rep.GroupBy))
		for i, d := range rep.GroupBy {
			key[i] = gr.Key[d]
		}
		add(key, gr)
	}
	if f != render.CSV || len(rep.GroupBy) == 0 {
		key := make([]string, len(rep.GroupBy))
		if len(key) > 0 {
			key[0] = "TOTAL"
		}
		add(key, rep.Total)
	}
	return rows
}

// quantile is a quantile of n times to first response ("" without any).
func quantile(n int, s float64, f render.Format) string {
	if n == 0 {
		return ""
	}
	return secsCell(s, f)
}

func newSLAWhatIfCmd(g *globals) *cobra.Command {
	var from, to timeFlag
	var version, file, partner, customer string
	var limit int
	c := &cobra.Command{
		Use:   "whatif",
		Short: "Re-judge tickets under another SLA policy version and list the verdicts that flip",
		Long: `Recompute every ticket's first-response deadline under another policy —
a version the server holds (--policy, see 'sla policies') or one defined in a
JSON file (--policy-file, a policy spec whose base is a shipped version) —
and compare verdicts. Nothing recorded changes.`,
		Example: `  ticketledger sla whatif --policy 2026-07-whatif
  ticketledger sla whatif --policy-file faster-sev-a.json --from now-14d`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			f, err := g.format()
			if err != nil {
				return err
			}
			if (version == "") == (file == "") {
				return usagef(c, "give --policy VERSION or --policy-file FILE")
			}
			body := server.WhatIfBody{PolicyVersion: version, From: server.Timestamp{Time: from.t}, To: server.Timestamp{Time: to.t},
				PartnerID: partner, CustomerID: customer}
			if file != "" {
				data, err := os.ReadFile(file)
				if err != nil {
					return usagef(c, "--policy-file: %v", err)
				}
				if !json.Valid(data) {
					return usagef(c, "--policy-file %s is not valid JSON", file)
				}
				body.Policy = data
			}
			var rep projections.WhatIfReport
			if err := g.client().Post(c.Context(), "/v1/reports/what-if", body, &rep); err != nil {
				return err
			}
			if f != render.Table {
				return render.Write(c.OutOrStdout(), f, rep, flipRows(rep, 0, f))
			}
			w := c.OutOrStdout()
			if err := render.KV(w, f, rep, [][2]string{
				{"policy", rep.PolicyVersion},
				{"evaluated", strconv.Itoa(rep.Evaluated)},
				{"met → breached", strconv.Itoa(rep.MetToBreached)},
				{"breached → met", strconv.Itoa(rep.BreachedToMet)},
				{"unchanged", strconv.Itoa(rep.Unchanged)},
				{"failed", strconv.Itoa(rep.Failed)},
				{unitHeader("compliance recorded", "pct", f), pctCell(rep.RecordedCompliancePct, f)},
				{unitHeader("compliance what-if", "pct", f), pctCell(rep.WhatIfCompliancePct, f)},
			}); err != nil {
				return err
			}
			if len(rep.Flips) > 0 {
				fmt.Fprintln(w)
				if err := render.Write(w, f, rep, flipRows(rep, limit, f)); err != nil {
					return err
				}
			}
			for _, e := range rep.Errors {
				fmt.Fprintf(c.ErrOrStderr(), "could not judge %s: %s\n", e.TicketID, e.Error)
			}
			return nil
		},
	}
	c.Flags().StringVar(&version, "policy", "", "policy version held by the server")
	c.Flags().StringVar(&file, "policy-file", "", "JSON policy definition to evaluate")
	addTime(c, &from, "from", "tickets opened at or after")
	addTime(c, &to, "to", "tickets opened before")
	c.Flags().StringVar(&partner, "partner-id", "", "only this partner's tickets")
	c.Flags().StringVar(&customer, "customer", "", "only this customer's tickets")
	c.Flags().IntVar(&limit, "limit", 20, "flips to list in the table (0: all)")
	return c
}

func flipRows(rep projections.WhatIfReport, limit int, f render.Format) render.Rows {
	rows := render.Rows{Header: []string{"TICKET", "SEV", "PRODUCT", "PARTNER", "RESPONDED", "RECORDED", "WHAT-IF", unitHeader("DEADLINE SHIFT", "SECONDS", f)}}
	for i, fl := range rep.Flips {
		if limit > 0 && i >= limit {
			break
		}
		rows.Add(fl.TicketID, fl.Severity, fl.Product, fl.PartnerID, fmtTimePtr(fl.RespondedAt),
			fl.Recorded.Verdict, fl.WhatIf.Verdict, secsCell(fl.ShiftSeconds, f))
	}
	return rows
}

func newSLAAtRiskCmd(g *globals) *cobra.Command {
	var horizon, partner, customer, severity, product string
	var breached bool
	var limit int
	c := &cobra.Command{
		Use:     "at-risk",
		Short:   "Open unanswered tickets whose deadline is near (or passed), soonest first",
		Example: `  ticketledger sla at-risk --horizon 2h --include-breached`,
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			q := params("horizon", horizon, "partnerId", partner, "customerId", customer, "severity", severity, "product", product)
			if breached {
				q.Set("includeBreached", "true")
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			return fetch(c, g, "/v1/reports/at-risk", q, atRiskRows, nil)
		},
	}
	fl := c.Flags()
	fl.StringVar(&horizon, "horizon", "", "how close the deadline must be (default 1h)")
	fl.BoolVar(&breached, "include-breached", false, "also list open unanswered tickets already past their deadline")
	fl.StringVar(&partner, "partner-id", "", "only this partner's tickets")
	fl.StringVar(&customer, "customer", "", "only this customer's tickets")
	fl.StringVar(&severity, "severity", "", "A, B or C")
	fl.StringVar(&product, "product", "", "product family")
	fl.IntVar(&limit, "limit", 0, "at most this many")
	return c
}

func newSLAPoliciesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "policies",
		Short: "The SLA policy versions the server holds, and the current one",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return fetch(c, g, "/v1/policies", nil, policyRows, nil)
		},
	}
}

// atRiskRows is the table of the tickets at risk.
func atRiskRows(v server.AtRiskView, f render.Format) render.Rows {
	rows := render.Rows{Header: []string{"TICKET", "SEV", "PRODUCT", "PARTNER", "CUSTOMER", "DUE", unitHeader("REMAINING", "SECONDS", f), "VERDICT"}}
	for _, t := range v.Tickets {
		due, rem := "", ""
		if t.Deadline != nil {
			due = fmtTime(t.Deadline.At)
		}
		if t.RemainingSeconds != nil {
			rem = secsCell(*t.RemainingSeconds, f)
		}
		rows.Add(t.TicketID, t.Severity, t.Product, t.PartnerID, t.CustomerID, due, rem, t.Verdict)
	}
	return rows
}

// policyRows is the table of the policy versions, the current one starred.
// It sorts pl.Policies in place, so the JSON output (the same slice) is in
// version order too.
func policyRows(pl server.PolicyList, _ render.Format) render.Rows {
	sort.Slice(pl.Policies, func(i, j int) bool { return pl.Policies[i].Version < pl.Policies[j].Version })
	rows := render.Rows{Header: []string{"VERSION", "CURRENT", "SUMMARY"}}
	for _, p := range pl.Policies {
		cur := ""
		if p.Version == pl.Current {
			cur = "*"
		}
		rows.Add(p.Version, cur, p.Summary)
	}
	return rows
}
