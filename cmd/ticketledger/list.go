package main

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/projections"
)

// pageFlags are the paging flags of listings.
type pageFlags struct {
	cursor string
	limit  int
	order  string
	all    bool
}

// allPageSize is the page size of each request of --all unless --limit
// says otherwise.
const allPageSize = 1000

func (p *pageFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&p.cursor, "cursor", "", "continue after a previous page (the cursor it printed)")
	c.Flags().IntVar(&p.limit, "limit", 50, fmt.Sprintf("page size (at most 10000; with --all, rows per request, default %d)", allPageSize))
	c.Flags().StringVar(&p.order, "order", "", "oldest (default) or newest first")
	c.Flags().BoolVar(&p.all, "all", false, "every page: follow the cursor to the end (progress on a terminal)")
}

// listing is how fetchPages reads and joins the pages of type R.
type listing[R any] struct {
	rows func(R, render.Format) render.Rows
	next func(R) string
	// join appends the rows of more to acc, takes its cursor, and returns
	// how many rows it added.
	join func(acc *R, more R) int
}

// pageListing is the listing of pages of type R whose rows are written by
// rows; parts gives a page's entries and its cursor to the next page.
func pageListing[R, E any](rows func(R, render.Format) render.Rows, parts func(*R) (*[]E, *string)) listing[R] {
	return listing[R]{rows: rows,
		next: func(p R) string {
			_, next := parts(&p)
			return *next
		},
		join: func(acc *R, more R) int {
			entries, next := parts(acc)
			moreEntries, moreNext := parts(&more)
			*entries, *next = append(*entries, *moreEntries...), *moreNext
			return len(*moreEntries)
		}}
}

// fetchPages is fetch of one page, or with --all of every page from the
// cursor on, written as one; q gets the page flags (pageFlags.query).
func fetchPages[R any](c *cobra.Command, g *globals, path string, q url.Values, p *pageFlags, l listing[R]) error {
	p.query(q)
	if !p.all {
		return fetch(c, g, path, q, l.rows, l.next)
	}
	f, err := g.format()
	if err != nil {
		return err
	}
	if !c.Flags().Changed("limit") {
		q.Set("limit", strconv.Itoa(allPageSize))
	}
	cl := g.client()
	prog := newTerminalProgress(c.ErrOrStderr(), "fetching", "rows")
	var acc R
	n := 0
	for first := true; ; first = false {
		var page R
		if err := cl.Get(c.Context(), path, q, &page); err != nil {
			return err
		}
		if first {
			var none R
			acc, n = page, l.join(&none, page)
		} else {
			n += l.join(&acc, page)
		}
		if prog != nil {
			prog.Set(int64(n), -1)
		}
		next := l.next(page)
		if next == "" {
			break
		}
		q.Set("cursor", next)
	}
	if prog != nil {
		prog.Finish()
	}
	return render.Write(c.OutOrStdout(), f, acc, l.rows(acc, f))
}

func (p *pageFlags) query(q url.Values) {
	setIf(q, "cursor", p.cursor)
	if p.limit > 0 {
		q.Set("limit", strconv.Itoa(p.limit))
	}
	setIf(q, "order", p.order)
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// queryFilters are string flags that each become a query parameter when
// given.
type queryFilters struct {
	params []string
	values []*string
}

// add registers --flag (help usage) on c as the filter for query
// parameter param.
func (fs *queryFilters) add(c *cobra.Command, flag, param, usage string) {
	fs.params = append(fs.params, param)
	fs.values = append(fs.values, c.Flags().String(flag, "", usage))
}

// query is the filters given, as query parameters.
func (fs *queryFilters) query() url.Values {
	q := url.Values{}
	for i, p := range fs.params {
		setIf(q, p, *fs.values[i])
	}
	return q
}

// params is a query of the given name, value pairs that have a value.
func params(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		setIf(q, kv[i], kv[i+1])
	}
	return q
}

// getAs parses --output and GETs path?q into a value of type R.
func getAs[R any](c *cobra.Command, g *globals, path string, q url.Values) (R, render.Format, error) {
	var res R
	f, err := g.format()
	if err != nil {
		return res, f, err
	}
	return res, f, g.client().Get(c.Context(), path, q, &res)
}

// postAs is getAs for a command: it POSTs body to path and decodes the
// answer into a value of type R, with the --output format.
func postAs[R any](c *cobra.Command, g *globals, path string, body any) (R, render.Format, error) {
	var res R
	f, err := g.format()
	if err != nil {
		return res, f, err
	}
	return res, f, g.client().Post(c.Context(), path, body, &res)
}

// fetch GETs path?q into a value of type R and writes it in the --output
// format: JSON is R as the server sent it, the table and CSV are rows(R).
// For a page, next returns its cursor, and the table says how to go on.
func fetch[R any](c *cobra.Command, g *globals, path string, q url.Values, rows func(R, render.Format) render.Rows, next func(R) string) error {
	res, f, err := getAs[R](c, g, path, q)
	if err != nil {
		return err
	}
	if err := render.Write(c.OutOrStdout(), f, res, rows(res, f)); err != nil {
		return err
	}
	if next != nil {
		printNext(c, f, next(res))
	}
	return nil
}

func setTime(q url.Values, k string, t *timeFlag) {
	if !t.t.IsZero() {
		q.Set(k, t.t.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"))
	}
}

// printNext says how to get the next page, in every format (on stderr, so
// scripts still read stdout as JSON/CSV).
func printNext(c *cobra.Command, _ render.Format, next string) {
	if next != "" {
		fmt.Fprintf(c.ErrOrStderr(), "more: add --cursor %s\n", next)
	}
}

func newListCmd(g *globals) *cobra.Command {
	var page pageFlags
	var filters queryFilters
	var from, to timeFlag
	c := &cobra.Command{
		Use:   "list",
		Short: "List tickets with filters, a page at a time",
		Example: `  ticketledger list --status open --severity A
  ticketledger list --sla breached_unanswered -o json
  ticketledger list --sla at_risk --horizon 2h`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			q := filters.query()
			setTime(q, "openedFrom", &from)
			setTime(q, "openedTo", &to)
			return fetchPages(c, g, "/v1/tickets", q, &page, ticketListing)
		},
	}
	filters.add(c, "partner-id", "partnerId", "filing partner (--partner is the acting partner)")
	filters.add(c, "customer", "customerId", "customer id")
	filters.add(c, "status", "status", "open, in_progress, awaiting_info, resolved, closed, redirected_to_isv")
	filters.add(c, "severity", "severity", "A, B or C")
	filters.add(c, "product", "product", "azure, office365, dynamics365, ems, billing, marketplace")
	filters.add(c, "sla", "sla", "met, breached, pending, at_risk or breached_unanswered")
	filters.add(c, "horizon", "horizon", "at-risk horizon for --sla at_risk (e.g. 2h)")
	addTime(c, &from, "from", "opened at or after")
	addTime(c, &to, "to", "opened before")
	page.register(c)
	return c
}

// ticketListing reads and joins pages of tickets.
var ticketListing = pageListing(ticketRows, func(p *projections.TicketPage) (*[]projections.Ticket, *string) {
	return &p.Tickets, &p.Next
})

// ticketRows is the table of a page of tickets. SLA is the state at the
// listing's instant (breached_unanswered, at_risk, …) and LEFT the time to
// the deadline of an unanswered ticket ("30m over" once passed); in CSV,
// LEFT SECONDS is that time in seconds, negative once passed.
func ticketRows(res projections.TicketPage, f render.Format) render.Rows {
	rows := render.Rows{Header: []string{"ID", "STATUS", "SEV", "PRODUCT", "PARTNER", "CUSTOMER", "OPENED", "DUE", "FIRST RESPONSE", "SLA", unitHeader("LEFT", "SECONDS", f)}}
	for _, t := range res.Tickets {
		due, fr, state, rem := "", "", "", ""
		if t.Deadline != nil {
			due = fmtTime(t.Deadline.At)
		}
		if t.FirstResponse != nil {
			fr = fmtTime(t.FirstResponse.At)
			state = "met"
			if !t.FirstResponse.Met {
				state = "breached"
			}
		}
		if s := t.SLA; s != nil {
			state = s.State
			if s.RemainingSeconds != nil {
				rem = timeLeft(*s.RemainingSeconds, f)
			}
		}
		rows.Add(t.ID, t.Status, t.Severity, t.Product, t.PartnerID, t.CustomerID, fmtTime(t.OpenedAt), due, fr, state, rem)
	}
	return rows
}

// timeLeft formats the seconds left to a deadline: "2h30m" or "30m over"
// for people, plain seconds for CSV.
func timeLeft(secs float64, f render.Format) string {
	if f != render.CSV && secs < 0 {
		return fmtSecs(-secs) + " over"
	}
	return secsCell(secs, f)
}
