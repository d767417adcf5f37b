package main

import (
	"fmt"
	"math"
	"os"
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
	c.AddCommand(newBenchHTTPCmd(g))
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

// newBenchHTTPCmd is `bench http`; its flags fill the bench.HTTPOptions
// the run gets.
func newBenchHTTPCmd(g *globals) *cobra.Command {
	var opts bench.HTTPOptions
	var inProcess bool
	c := &cobra.Command{
		Use:   "http",
		Short: "Drive a ledger over HTTP with a support desk's mix of commands and queries",
		Long: `Drive a ledger over its HTTP API from --clients concurrent clients for
--duration with a support desk's mix: open 30 %, first response 25 %,
severity change 10 %, notes 20 %, escalations, billing disputes and fraud
flags 10 %, queries 5 % (GET ticket, SLA report, audit). Each client works on
its own recent tickets as a partner agent and a vendor engineer, with
ledger tokens of its own, over keep-alive HTTP/1.1 connections; every
answer's status is checked and its body read.

Without --server it starts this binary's serve as a process of its own on a
temporary directory under --dir, as serve ships (ledger tokens, every event
signed, the sealer on), so the ledger's CPU and the load generator's are
measured apart; --in-process runs the ledger inside the bench's process
instead (then one CPU figure holds both). With --server URL it drives that
ledger, with the admin token of --token-file (it registers a partner of its
own, bench-…).

It prints, per operation, the rate and the p50/p90/p99/max latency seen by
the client and the failures by HTTP status; then per phase the command and
query p99, the ledger's CPU per command (from its process accounting, or
with --server from process_cpu_seconds_total on its /metrics), the load
generator's CPU per command (this process), the ledger's own figures
(appends by outcome and the projection lag right after the load, from its
/metrics), and the durable append rate of the embedded store called
directly with as many writers on this machine's disk, measured in the same
run, with the HTTP ÷ store ratio.

--queries N adds a second phase with N extra clients looping GET ticket,
SLA report and audit beside the command clients, and prints how much the
command rate dropped and the command p99 without and with them, and the
queries' p99. --peer-rate N (e.g. the appends/s of the PostgreSQL peer run
next to it) prints the first phase's command rate ÷ N.`,
		Example: `  ticketledger bench http
  ticketledger bench http --clients 64 --duration 10s --queries 4 --peer-rate 14615
  ticketledger bench http --server http://127.0.0.1:8080 --token-file ./data/admin.token -o json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runBenchHTTP(c, g, opts, inProcess) },
	}
	f := c.Flags()
	f.StringVar(&opts.Dir, "dir", "", "directory for the ledger the bench starts and the store-direct run (default: the system's temporary directory)")
	f.IntVar(&opts.Clients, "clients", bench.DefaultHTTPClients, "concurrent command clients")
	f.DurationVar(&opts.Duration, "duration", bench.DefaultHTTPDuration, "how long each phase runs")
	f.IntVar(&opts.Queries, "queries", 0, "extra clients looping queries, in a second phase beside the command clients (0: none)")
	f.Float64Var(&opts.PeerRate, "peer-rate", 0, "a PostgreSQL figure (appends/s) to divide the first phase's command rate by (0: none)")
	f.BoolVar(&inProcess, "in-process", false, "run the ledger inside the bench's process instead of as a serve process of its own (its CPU then mixes with the load generator's)")
	return c
}

func runBenchHTTP(c *cobra.Command, g *globals, opts bench.HTTPOptions, inProcess bool) error {
	f, err := g.format()
	if err != nil {
		return err
	}
	if opts.Clients < 1 {
		return usagef(c, "--clients must be at least 1")
	}
	if opts.Duration <= 0 {
		return usagef(c, "--duration must be positive")
	}
	if opts.Queries < 0 {
		return usagef(c, "--queries must be 0 or more")
	}
	if opts.PeerRate < 0 || math.IsNaN(opts.PeerRate) || math.IsInf(opts.PeerRate, 0) {
		return usagef(c, "--peer-rate must be a positive rate (appends/s), or 0 for none")
	}
	_, fromEnv := os.LookupEnv("TICKETLEDGER_SERVER")
	if c.Flags().Changed("server") || fromEnv {
		if inProcess {
			return usagef(c, "--in-process starts a ledger of its own: drop it to drive --server, or drop --server (and %s)", "TICKETLEDGER_SERVER")
		}
		if g.token == "" {
			return usagef(c, "--server needs the ledger's admin token: pass --token-file FILE (serve writes DATA/admin.token) or set %s", EnvToken)
		}
		opts.Server, opts.Token = g.server, g.token
	}
	stderr := c.ErrOrStderr()
	where := opts.Server
	switch {
	case opts.Server != "":
	case inProcess:
		where = "an in-process ledger"
	default:
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench http: find this binary to start its serve: %w (run the ledger in-process with --in-process, or start serve and pass --server)", err)
		}
		opts.ServeCommand = []string{exe}
		where = "a serve process of its own"
	}
	fmt.Fprintf(stderr, "bench http: %d clients against %s, %s per phase\n", opts.Clients, where, opts.Duration)
	opts.NewProgress = func(desc string) bench.Progress { return newProgress(stderr, desc) }
	res, err := bench.RunHTTP(c.Context(), opts)
	if err != nil {
		return err
	}
	out := c.OutOrStdout()
	if err := render.Write(out, f, res, res.Rows()); err != nil || f != render.Table {
		return err
	}
	fmt.Fprintln(out)
	return render.KV(out, f, res, res.Pairs())
}
