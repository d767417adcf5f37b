package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/tools/bench"
)

type benchCmd struct {
	g          *globals
	dir        string
	duration   time.Duration
	tickets    int
	readEvents int
	only       string
}

func newBenchCmd(g *globals) *cobra.Command {
	b := &benchCmd{g: g}
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure the performance targets side by side in one run (appends, reads, rebuild, SLA report)",
		Long: `Measure, in one run and on this machine's disk:

  append   durable appends, 1 event per append with 1, 16 and 64 concurrent
           writers, and 100 events per append
  read     $all forward reads in pages of 1,000
  rebuild  a cold rebuild of every read model over a generated history of
           --tickets tickets, through the same wiring as serve
  report   one SLA report over the rebuilt tickets, severity × product

append and read run on the embedded store called directly ("direct") and on
a second embedded store reached through the KurrentDB wire path ("wire":
the kurrentwire server on a loopback port and the official client), so
WIRE ÷ DIRECT compares them measured side by side.

Each timed measurement runs for --duration. The stores live in a fresh
directory under --dir (default: the system's temporary directory), removed
at the end. Progress goes to stderr; the results to stdout (-o json|csv for
scripts).`,
		Example: `  ticketledger bench
  ticketledger bench --only append --duration 10s --dir /mnt/nvme
  ticketledger bench --only rebuild,report --tickets 1000000 -o json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return b.run(c) },
	}
	f := c.Flags()
	f.StringVar(&b.dir, "dir", "", "directory for the stores (default: the system's temporary directory)")
	f.DurationVar(&b.duration, "duration", bench.DefaultDuration, "how long each timed measurement runs")
	f.IntVar(&b.tickets, "tickets", bench.DefaultTickets, "tickets in the generated history the rebuild and report run over")
	f.IntVar(&b.readEvents, "read-events", bench.DefaultReadEvents, "events the $all read benchmark reads over")
	f.StringVar(&b.only, "only", "", "comma-separated subset to run: append,read,rebuild,report (default all)")
	return c
}

func (b *benchCmd) run(c *cobra.Command) error {
	f, err := b.g.format()
	if err != nil {
		return err
	}
	only, err := bench.ParseKinds(b.only)
	if err != nil {
		return usagef(c, "--only: %v", err)
	}
	if b.duration <= 0 {
		return usagef(c, "--duration must be positive")
	}
	if b.tickets < 1 {
		return usagef(c, "--tickets must be at least 1")
	}
	if b.readEvents < 2 {
		return usagef(c, "--read-events must be at least 2")
	}
	stderr := c.ErrOrStderr()
	fmt.Fprintf(stderr, "bench: %s per measurement, %d tickets for rebuild/report\n", b.duration, b.tickets)
	res, err := bench.Run(c.Context(), bench.Options{
		Dir: b.dir, Duration: b.duration, Tickets: b.tickets, ReadEvents: b.readEvents, Only: only,
		NewProgress: func(desc string) bench.Progress { return newProgress(stderr, desc) },
	})
	if err != nil {
		return err
	}
	return render.Write(c.OutOrStdout(), f, res, res.Rows())
}
