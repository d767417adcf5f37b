package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/store/bulk"
	"github.com/ticketledger/ticketledger/infra/tools/demo"
)

// bulkGCPercent is the garbage collector's target while demo --data
// generates (GOGC; the default is 100).
const bulkGCPercent = 200

type demoCmd struct {
	g       *globals
	data    string
	tickets int
	seed    uint64
	window  time.Duration

	signingKey string
}

// demoLogger shows the ledger's warnings (a generated demo key) on stderr.
func demoLogger(c *cobra.Command) *slog.Logger {
	return slog.New(slog.NewTextHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func newDemoCmd(g *globals) *cobra.Command {
	d := &demoCmd{g: g}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Generate a realistic ticket history (over HTTP, or offline into a data directory)",
		Long: `Generate a realistic, reproducible history: partners, customers, support plans,
reseller grants, and --tickets service requests with first responses (some
late), severity changes, escalations, disputes, fraud flags, resolutions…

Without --data it talks to a running ledger (--server). With --data DIR it
writes straight into an embedded store that no server is using, signing and
sealing with --signing-key (or $TICKETLEDGER_SIGNING_KEY, or a demo key
generated beside the data directory).
Running it twice with the same --seed records nothing twice.`,
		Example: `  ticketledger demo --tickets 500
  ticketledger demo --data ./data --tickets 2000 --seed 7`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return d.run(c) },
	}
	f := c.Flags()
	f.StringVar(&d.data, "data", "", "write offline into this data directory instead of a running server")
	f.IntVar(&d.tickets, "tickets", demo.DefaultTickets, "number of service requests to file")
	f.Uint64Var(&d.seed, "seed", 1, "seed: the same seed gives the same history")
	f.DurationVar(&d.window, "window", demo.DefaultWindow, "how far back the history starts (at most 29 days)")
	signingKeyFlag(f, &d.signingKey, "with --data: the ledger's signing key file (default: $TICKETLEDGER_SIGNING_KEY, else DATA.signing-key, generated if missing)")
	return c
}

func (d *demoCmd) run(c *cobra.Command) error {
	ctx := c.Context()
	if d.tickets < 1 {
		return usagef(c, "--tickets must be at least 1")
	}
	if d.window <= 0 || d.window > demo.MaxWindow {
		return usagef(c, "--window must be between 1s and %s", demo.MaxWindow)
	}
	if d.data != "" && c.Flags().Changed("server") {
		return usagef(c, "give --data (offline) or --server (a running ledger), not both")
	}
	f, err := d.g.format()
	if err != nil {
		return err
	}
	opts := demo.Options{Seed: d.seed, Tickets: d.tickets, Now: time.Now(), Window: d.window}

	var target demo.Target
	where := d.g.server
	var l *ledger.Ledger
	var writer *bulk.Writer
	if d.data != "" {
		l, err = ledger.Open(ctx, ledger.Config{DataDir: d.data, Logger: demoLogger(c),
			SigningKeyFile: d.signingKey, KeyFromEnv: true, DemoKey: true})
		if err != nil {
			if errors.Is(err, ledger.ErrLocked) {
				return fmt.Errorf("%w\nThe data directory is in use, most likely by a running `ticketledger serve`: stop it, or generate through it with `ticketledger demo --server http://HOST:PORT`", err)
			}
			return err
		}
		defer l.Close()
		// The generator makes garbage fast and keeps little: collect less
		// often (the heap stays small either way).
		defer debug.SetGCPercent(debug.SetGCPercent(bulkGCPercent))
		svc, bw, err := l.Bulk(bulk.Options{})
		if err != nil {
			return err
		}
		writer = bw
		target, where = svc, l.Description
		opts.Now, opts.Tokens = l.Now(), l.Tokens
	} else {
		target = d.g.client().Target()
		opts.OverAPI = true
		if err := d.g.client().Ping(ctx); err != nil {
			return err
		}
	}

	fmt.Fprintf(c.ErrOrStderr(), "generating %d tickets into %s\n", d.tickets, where)
	bar := newProgress(c.ErrOrStderr(), "demo")
	start := time.Now()
	sum, err := demo.Generate(ctx, target, opts, func(done, total int) { bar.Set(int64(done), int64(total)) })
	if writer != nil {
		// What is still staged: stored only now (also after a refusal or
		// an interrupt: every command accepted is stored, and the data
		// directory verifies).
		err = errors.Join(err, writer.Flush(context.WithoutCancel(ctx)))
	}
	bar.Finish()
	elapsed := time.Since(start)
	if err != nil && errors.Is(err, context.Canceled) && c.Context().Err() != nil {
		if d.data == "" {
			return fmt.Errorf("demo interrupted after %s: what the ledger accepted before it is stored", elapsed.Round(time.Second))
		}
		return fmt.Errorf("demo interrupted after %s: what was accepted before it is stored and verifies (ticketledger verify --data %s); for the whole history, remove %s and run again", elapsed.Round(time.Second), d.data, d.data)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "demo:") {
		err = fmt.Errorf("demo: %w", err)
	}
	if err != nil {
		return err
	}
	if l != nil {
		// Bring the snapshot up to date, so the next serve starts from it.
		if err := l.Runner.CatchUp(ctx); err != nil {
			return fmt.Errorf("update projections: %w (run `ticketledger rebuild --data %s`)", err, d.data)
		}
	}
	return render.KV(c.OutOrStdout(), f, demoSummary(sum, elapsed), demoPairs(sum, elapsed))
}

// demoResult is the JSON form of a demo run's summary.
type demoResult struct {
	demo.Summary
	EventsTotal   int     `json:"eventsTotal"`
	ElapsedSecond float64 `json:"elapsedSeconds"`
	EventsPerSec  float64 `json:"eventsPerSecond"`
}

func demoSummary(s demo.Summary, elapsed time.Duration) demoResult {
	n := 0
	for _, v := range s.Events {
		n += v
	}
	r := demoResult{Summary: s, EventsTotal: n, ElapsedSecond: elapsed.Seconds()}
	if elapsed > 0 {
		r.EventsPerSec = float64(n) / elapsed.Seconds()
	}
	return r
}

func demoPairs(s demo.Summary, elapsed time.Duration) [][2]string {
	r := demoSummary(s, elapsed)
	return kvPairs("tickets", s.Tickets, "redirects", s.Redirects, "partners", s.Partners, "customers", s.Customers,
		"commands", s.Commands, "replayed", s.Replayed, "events", r.EventsTotal,
		"elapsed", elapsed.Round(time.Millisecond).String(), "events/s", fmt.Sprintf("%.0f", r.EventsPerSec))
}

// seedDemo fills an empty ledger with demo data (serve --demo).
func seedDemo(ctx context.Context, l *ledger.Ledger, tickets int, log *slog.Logger) error {
	if l.Head != nil {
		recs, err := l.Raw.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 1, demoFilter())
		if err != nil {
			return fmt.Errorf("--demo: read the log: %w", err)
		}
		if len(recs) > 0 {
			log.Info("--demo skipped: the ledger already holds tickets or partners")
			return nil
		}
	}
	log.Info("--demo: generating demo history", "tickets", tickets)
	start := time.Now()
	last := time.Now()
	sum, err := demo.Generate(ctx, l.Service, demo.Options{Seed: 1, Tickets: tickets, Now: l.Now(), Tokens: l.Tokens}, func(done, total int) {
		if time.Since(last) > 2*time.Second {
			last = time.Now()
			log.Info("--demo: progress", "done", done, "total", total)
		}
	})
	if err != nil {
		return fmt.Errorf("--demo: %w", err)
	}
	r := demoSummary(sum, time.Since(start))
	log.Info("--demo: done", "tickets", sum.Tickets, "redirects", sum.Redirects, "events", r.EventsTotal,
		"elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// demoFilter selects the ticket and partner streams (not the token streams
// the first start writes).
func demoFilter() *eventstore.Filter {
	return &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{ticket.StreamPrefix, partner.StreamPrefix}}
}
