package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/client"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
	"github.com/ticketledger/ticketledger/infra/tools/bench/benchkit"
	"github.com/ticketledger/ticketledger/infra/tools/storebench"
)

// Defaults of HTTPOptions.
const (
	DefaultHTTPClients  = 64
	DefaultHTTPDuration = 10 * time.Second
)

// The operations of the HTTP mix (OpStats.Op), with their share of the
// commands and queries the clients send.
const (
	OpOpen          = "open"           // POST /v1/tickets, 30 %
	OpFirstResponse = "first-response" // 25 %
	OpSeverity      = "severity"       // 10 %
	OpNote          = "note"           // 20 %
	OpEscalate      = "escalate"       // escalations, disputes and fraud flags together: 10 %
	OpDispute       = "dispute"
	OpFraud         = "fraud-flag"
	OpGetTicket     = "get-ticket" // queries together: 5 %
	OpSLAReport     = "sla-report"
	OpAudit         = "audit"
)

// HTTPOptions configures RunHTTP.
type HTTPOptions struct {
	// Server is the base URL of a running ledger ("http://host:8080") and
	// Token an admin token of it. Empty Server: RunHTTP starts a ledger
	// of its own on a temporary directory under Dir, with authentication,
	// event signatures and the sealer on, as serve runs it: as a child
	// process when ServeCommand is set, else in this process.
	Server, Token string
	// ServeCommand is the program (and any leading arguments) whose
	// `serve` RunHTTP starts as the ledger's own process, e.g. the path of
	// the ticketledger binary. Its CPU time then comes from the system's
	// accounting apart from the load generator's. Empty: the ledger runs
	// in this process (go test -bench), and its CPU cannot be told from
	// the load generator's.
	ServeCommand []string
	// Dir is where the ledger RunHTTP starts and the store-direct
	// measurement live (a fresh subdirectory, removed at the end). Empty:
	// the system's temporary directory.
	Dir string
	// Clients is the number of concurrent command clients
	// (DefaultHTTPClients if 0), Duration how long each phase runs
	// (DefaultHTTPDuration if 0).
	Clients  int
	Duration time.Duration
	// Queries, when positive, adds a second phase with that many extra
	// clients looping GET ticket / SLA report / audit beside the command
	// clients, to show whether queries starve commands.
	Queries int
	// PeerRate, when positive, is a PostgreSQL figure (appends/s of the
	// peer run on this machine) the first phase's command rate is divided
	// by.
	PeerRate float64
	// NewProgress returns the progress display of one step; nil shows none.
	NewProgress func(desc string) Progress
}

// The ways RunHTTP reaches its ledger (HTTPResults.Mode).
const (
	ModeChild     = "child"      // serve of ServeCommand, a process of its own
	ModeInProcess = "in-process" // in the bench's process
	ModeServer    = "server"     // a running ledger (Server)
)

// OpStats are the figures of one operation in one phase. Latencies are in
// milliseconds, measured by the client (request sent to answer read).
type OpStats struct {
	Op        string  `json:"op"`
	Count     int64   `json:"count"`
	PerSecond float64 `json:"perSecond"`
	P50       float64 `json:"p50Ms"`
	P90       float64 `json:"p90Ms"`
	P99       float64 `json:"p99Ms"`
	Max       float64 `json:"maxMs"`
	// Errors counts failed calls by HTTP status ("transport" when no
	// answer came); failed calls are not in Count or the latencies.
	Errors map[string]int64 `json:"errors,omitempty"`
}

// HTTPPhase is one timed run of the mix.
type HTTPPhase struct {
	Name         string  `json:"name"`
	Clients      int     `json:"clients"`
	QueryClients int     `json:"queryClients"`
	Seconds      float64 `json:"seconds"`
	// Commands are the accepted commands of the command clients,
	// CommandsPerSecond their rate; Events the events they appended.
	Commands          int64   `json:"commands"`
	CommandsPerSecond float64 `json:"commandsPerSecond"`
	Events            int64   `json:"events"`
	// Queries are the answered queries (of the mix and of the query
	// clients).
	Queries          int64   `json:"queries"`
	QueriesPerSecond float64 `json:"queriesPerSecond"`
	Errors           int64   `json:"errors"`
	// CommandP99 and QueryP99 are the 99th percentiles of all the phase's
	// commands and of all its queries, in milliseconds.
	CommandP99 float64 `json:"commandP99Ms"`
	QueryP99   float64 `json:"queryP99Ms"`
	// LoadGenCPUSeconds is the bench process's CPU time during the phase
	// and LoadGenCPUPerCommand that per accepted command, in microseconds:
	// the load generator's alone, except in-process, where the ledger's
	// is in it too.
	LoadGenCPUSeconds    float64 `json:"loadGeneratorCpuSeconds"`
	LoadGenCPUPerCommand float64 `json:"loadGeneratorCpuPerCommandMicros"`
	// LedgerCPUSeconds and LedgerCPUPerCommand are the ledger's own CPU
	// time during the phase, from LedgerCPUSource: "/proc" (the child's
	// process accounting) or "/metrics" (process_cpu_seconds_total of a
	// running server); no source (in-process, or a server without the
	// metric): zero.
	LedgerCPUSeconds    float64 `json:"ledgerCpuSeconds"`
	LedgerCPUPerCommand float64 `json:"ledgerCpuPerCommandMicros"`
	LedgerCPUSource     string  `json:"ledgerCpuSource,omitempty"`
	// Ledger are the ledger's own figures of the phase, from its /metrics.
	Ledger LedgerFigures `json:"ledger"`
	Ops    []OpStats     `json:"ops"`
}

// LedgerFigures are what the ledger itself reports (GET /metrics) about a
// phase: the appends it made, by outcome, and the projection lag right
// after the load stopped.
type LedgerFigures struct {
	AppendsOK           int64 `json:"appendsOk"`
	AppendsConflict     int64 `json:"appendsConflict"`
	AppendsError        int64 `json:"appendsError"`
	ProjectionLagEvents int64 `json:"projectionLagEvents"`
	// cpu is process_cpu_seconds_total, when the page has it.
	cpu    float64
	hasCPU bool
}

// QueryEffect compares the phase with query clients to the one without:
// what the queries cost the commands.
type QueryEffect struct {
	// CommandsDropPercent is how much lower the command rate was with the
	// query clients (negative: higher).
	CommandsDropPercent float64 `json:"commandsDropPercent"`
	// CommandP99Without and CommandP99With are the commands' p99 without
	// and with the query clients, QueryP99 the queries' p99 with them, in
	// milliseconds.
	CommandP99Without float64 `json:"commandP99WithoutMs"`
	CommandP99With    float64 `json:"commandP99WithMs"`
	QueryP99          float64 `json:"queryP99Ms"`
}

// HTTPResults is the outcome of RunHTTP.
type HTTPResults struct {
	Started time.Time `json:"started"`
	Target  string    `json:"target"`
	// Mode is how the bench reached the ledger: ModeChild, ModeInProcess
	// or ModeServer; InProcess is Mode == ModeInProcess.
	Mode       string      `json:"mode"`
	InProcess  bool        `json:"inProcess"`
	Clients    int         `json:"clients"`
	Duration   string      `json:"duration"`
	GOMAXPROCS int         `json:"gomaxprocs"`
	GoVersion  string      `json:"goVersion"`
	CPUNote    string      `json:"cpuNote"`
	Phases     []HTTPPhase `json:"phases"`
	// Queries is the effect of the query clients on the commands (nil
	// without a query phase).
	Queries *QueryEffect `json:"queryEffect,omitempty"`
	// StoreDirect is the durable single-event append rate of the embedded
	// store called directly with Clients writers on this machine's disk,
	// measured in the same run; HTTPToStore is the first phase's command
	// rate ÷ that rate.
	StoreDirect float64 `json:"storeDirectAppendsPerSecond"`
	HTTPToStore float64 `json:"httpToStore"`
	// PeerRate is the PostgreSQL figure given (HTTPOptions.PeerRate) and
	// HTTPToPeer the first phase's command rate ÷ it; zero without one.
	PeerRate   float64 `json:"peerRate,omitempty"`
	HTTPToPeer float64 `json:"httpToPeer,omitempty"`
}

// RunHTTP drives a ledger over its HTTP API with the mix of commands and
// queries of a support desk from opts.Clients concurrent clients, then
// measures the store-direct append rate of the same concurrency.
func RunHTTP(ctx context.Context, opts HTTPOptions) (*HTTPResults, error) {
	if opts.Clients <= 0 {
		opts.Clients = DefaultHTTPClients
	}
	if opts.Duration <= 0 {
		opts.Duration = DefaultHTTPDuration
	}
	if opts.NewProgress == nil {
		opts.NewProgress = func(string) Progress { return noProgress{} }
	}
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("bench http: %w", err)
		}
	}
	dir, err := os.MkdirTemp(opts.Dir, "ticketledger-bench-http-")
	if err != nil {
		return nil, fmt.Errorf("bench http: %w", err)
	}
	defer os.RemoveAll(dir)

	out := &HTTPResults{Started: time.Now().UTC(), Clients: opts.Clients, Duration: opts.Duration.String(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), Phases: []HTTPPhase{}}
	base, token := opts.Server, opts.Token
	var ledgerCPU func() (time.Duration, bool) // the ledger's CPU from its process accounting
	switch {
	case base != "":
		out.Mode, out.Target = ModeServer, base
		out.CPUNote = "the ledger's from its /metrics (process_cpu_seconds_total), the load generator's from this process"
	case len(opts.ServeCommand) > 0:
		ch, err := startChild(ctx, opts.ServeCommand, dir)
		if err != nil {
			return nil, err
		}
		defer ch.close()
		base, token, ledgerCPU = ch.url, ch.token, ch.cpu
		out.Mode, out.Target = ModeChild, fmt.Sprintf("%s serve (pid %d) on %s", opts.ServeCommand[0], ch.cmd.Process.Pid, ch.dir)
		out.CPUNote = "the ledger's from its process accounting, the load generator's from this process"
	default:
		srv, err := startLedger(ctx, filepath.Join(dir, "ledger"))
		if err != nil {
			return nil, err
		}
		defer srv.close()
		base, token = srv.url, srv.token
		out.Mode, out.Target = ModeInProcess, "in-process ledger on "+srv.dir
		out.CPUNote = "in-process: the load generator's figure is the ledger and the load generator together"
	}
	out.InProcess = out.Mode == ModeInProcess
	if !out.InProcess {
		// The load generator's heap is small and short-lived: fewer
		// collections of it leave more of the machine to the ledger.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	d, err := newDesk(ctx, adminClient(base, token, opts.Clients+opts.Queries), opts.Clients)
	if err != nil {
		return out, err
	}
	phases := []int{0}
	if opts.Queries > 0 {
		phases = append(phases, opts.Queries)
	}
	for _, q := range phases {
		ph, err := d.phase(ctx, opts, q, ledgerCPU)
		if err != nil {
			return out, err
		}
		out.Phases = append(out.Phases, ph)
	}
	if len(out.Phases) == 2 {
		without, with := out.Phases[0], out.Phases[1]
		out.Queries = &QueryEffect{CommandP99Without: without.CommandP99, CommandP99With: with.CommandP99, QueryP99: with.QueryP99}
		if without.CommandsPerSecond > 0 {
			out.Queries.CommandsDropPercent = 100 * (1 - with.CommandsPerSecond/without.CommandsPerSecond)
		}
	}
	if opts.PeerRate > 0 {
		out.PeerRate, out.HTTPToPeer = opts.PeerRate, out.Phases[0].CommandsPerSecond/opts.PeerRate
	}

	st, err := pebblestore.Open(filepath.Join(dir, "store-direct"), pebblestore.Options{})
	if err != nil {
		return out, fmt.Errorf("bench http: open the store-direct store: %w", err)
	}
	defer st.Close()
	n, el, err := timed(opts.NewProgress(fmt.Sprintf("store direct: append 1 event × %d writers", opts.Clients)), opts.Duration,
		func(more func() bool) (int64, error) { return storebench.AppendLoop(ctx, st, opts.Clients, 1, more) })
	if err != nil {
		return out, fmt.Errorf("bench http: store-direct appends: %w", err)
	}
	out.StoreDirect = float64(n) / el.Seconds()
	if out.StoreDirect > 0 {
		out.HTTPToStore = out.Phases[0].CommandsPerSecond / out.StoreDirect
	}
	return out, nil
}

// adminClient is the API client of the admin token; its transport keeps an
// idle connection for each of conns clients (and then some), and it has no
// per-request timeout (a timer each): the phases bound their calls.
func adminClient(base, token string, conns int) *client.Client {
	admin := client.New(base)
	admin.Token = token
	admin.HTTP = &http.Client{Transport: &http.Transport{
		MaxIdleConns: 2*conns + 8, MaxIdleConnsPerHost: 2*conns + 8, IdleConnTimeout: 90 * time.Second}}
	return admin
}

// inProcess is a ledger RunHTTP started, serving its API on loopback.
type inProcess struct {
	dir, url, token string
	l               *ledger.Ledger
	close           func()
}

// startLedger opens a ledger on dir as serve does (signing key, sealer,
// projections following the log, ledger tokens), issues the first admin
// token and serves the API on 127.0.0.1:0.
func startLedger(ctx context.Context, dir string) (*inProcess, error) {
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		return nil, fmt.Errorf("bench http: signing key: %w", err)
	}
	l, err := ledger.Open(ctx, ledger.Config{DataDir: dir, SigningKey: key, RequireKey: true})
	if err != nil {
		return nil, fmt.Errorf("bench http: open the ledger: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan error, 1)
	go func() { ran <- l.Runner.Run(runCtx) }()
	var srv *http.Server
	served := make(chan error, 1)
	closeAll := func() {
		if srv != nil {
			srv.Close()
			<-served
		}
		stop()
		<-ran
		l.Close()
	}
	_, secret, _, err := auth.Bootstrap(ctx, l.Tokens, filepath.Join(dir, "admin.token"))
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("bench http: admin token: %w", err)
	}
	h, err := l.APIHandler(nil, ledger.Access{})
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("bench http: API: %w", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("bench http: listen on loopback: %w", err)
	}
	srv = &http.Server{Handler: h, ReadHeaderTimeout: server.ReadHeaderTimeout, ReadTimeout: server.ReadTimeout,
		WriteTimeout: server.WriteTimeout, IdleTimeout: server.IdleTimeout}
	go func() { served <- srv.Serve(lis) }()
	select {
	case <-l.Runner.Ready():
	case <-ctx.Done():
		closeAll()
		return nil, ctx.Err()
	}
	return &inProcess{dir: dir, url: "http://" + lis.Addr().String(), token: secret, l: l, close: closeAll}, nil
}

// sample is what one client measured in a phase.
type sample struct {
	lat    [nOps][]time.Duration
	errs   [nOps]map[string]int64
	events int64
}

func (s *sample) record(o op, el time.Duration, err error) {
	if err == nil {
		s.lat[o] = append(s.lat[o], el)
		return
	}
	if s.errs[o] == nil {
		s.errs[o] = map[string]int64{}
	}
	s.errs[o][errStatus(err)]++
}

// callGrace is how long past its duration a phase's calls may take before
// they are cancelled (a ledger that stopped answering).
const callGrace = 2 * time.Minute

// phase runs the mix for opts.Duration with queries extra query clients;
// ledgerCPU, when not nil, reads the ledger's CPU time.
func (d *desk) phase(ctx context.Context, opts HTTPOptions, queries int, ledgerCPU func() (time.Duration, bool)) (HTTPPhase, error) {
	name := fmt.Sprintf("%d command clients", len(d.clients))
	if queries > 0 {
		name += fmt.Sprintf(" + %d query clients", queries)
	}
	before, err := d.ledgerFigures(ctx)
	if err != nil {
		return HTTPPhase{}, err
	}
	// One timer for the phase, not one per call.
	pctx, cancel := context.WithTimeoutCause(ctx, opts.Duration+callGrace,
		fmt.Errorf("bench http: the ledger did not answer within %s after the phase's end", callGrace))
	defer cancel()
	samples := make([]*sample, len(d.clients)+queries)
	var lcpu0 time.Duration
	lcpuOK := false
	if ledgerCPU != nil {
		lcpu0, lcpuOK = ledgerCPU()
	}
	cpu0 := benchkit.CPUTime()
	_, el, _ := timed(opts.NewProgress("http: "+name), opts.Duration, func(more func() bool) (int64, error) {
		var wg sync.WaitGroup
		for i, c := range d.clients {
			s := &sample{}
			samples[i] = s
			wg.Add(1)
			go func() {
				defer wg.Done()
				for more() && pctx.Err() == nil {
					o := c.pick()
					t0 := time.Now()
					n, err := d.do(pctx, c, o)
					s.record(o, time.Since(t0), err)
					s.events += int64(n)
				}
			}()
		}
		for i := range queries {
			s := &sample{}
			samples[len(d.clients)+i] = s
			from := d.clients[i%len(d.clients)]
			c := &deskClient{n: -1 - i, rnd: rand.New(rand.NewPCG(uint64(i), 7)), tickets: slices.Clone(from.tickets), auditorHdr: headers(d.auditor)}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; more() && pctx.Err() == nil; k++ {
					o := opGetTicket + op(k%3)
					t0 := time.Now()
					err := d.query(pctx, c, o)
					s.record(o, time.Since(t0), err)
				}
			}()
		}
		wg.Wait()
		return 0, nil
	})
	cpu := benchkit.CPUTime() - cpu0
	var lcpu time.Duration
	if lcpuOK {
		var lcpu1 time.Duration
		if lcpu1, lcpuOK = ledgerCPU(); lcpuOK {
			lcpu = lcpu1 - lcpu0
		}
	}
	if err := ctx.Err(); err != nil {
		return HTTPPhase{}, err
	}
	if err := context.Cause(pctx); err != nil && pctx.Err() == context.DeadlineExceeded {
		return HTTPPhase{}, err
	}
	after, err := d.ledgerFigures(ctx)
	if err != nil {
		return HTTPPhase{}, err
	}
	ph := HTTPPhase{Name: name, Clients: len(d.clients), QueryClients: queries, Seconds: el.Seconds(), LoadGenCPUSeconds: cpu.Seconds(),
		Ledger: LedgerFigures{AppendsOK: after.AppendsOK - before.AppendsOK, AppendsConflict: after.AppendsConflict - before.AppendsConflict,
			AppendsError: after.AppendsError - before.AppendsError, ProjectionLagEvents: after.ProjectionLagEvents}}
	switch {
	case lcpuOK:
		ph.LedgerCPUSeconds, ph.LedgerCPUSource = lcpu.Seconds(), "/proc"
	case ledgerCPU == nil && opts.Server != "" && before.hasCPU && after.hasCPU:
		ph.LedgerCPUSeconds, ph.LedgerCPUSource = after.cpu-before.cpu, "/metrics"
	}
	var lat [nOps][]time.Duration
	var errs [nOps]map[string]int64
	for _, s := range samples {
		ph.Events += s.events
		for o := range nOps {
			lat[o] = append(lat[o], s.lat[o]...)
			for k, v := range s.errs[o] {
				if errs[o] == nil {
					errs[o] = map[string]int64{}
				}
				errs[o][k] += v
			}
		}
	}
	var commands, queryLat []time.Duration
	for o := range nOps {
		l := lat[o]
		if len(l) == 0 && errs[o] == nil {
			continue
		}
		slices.Sort(l)
		st := OpStats{Op: o.String(), Count: int64(len(l)), PerSecond: float64(len(l)) / el.Seconds(), Errors: errs[o],
			P50: ms(quantile(l, 0.50)), P90: ms(quantile(l, 0.90)), P99: ms(quantile(l, 0.99)), Max: ms(quantile(l, 1))}
		ph.Ops = append(ph.Ops, st)
		if o.query() {
			ph.Queries += st.Count
			queryLat = append(queryLat, l...)
		} else {
			ph.Commands += st.Count
			commands = append(commands, l...)
		}
		for _, v := range st.Errors {
			ph.Errors += v
		}
	}
	slices.Sort(commands)
	slices.Sort(queryLat)
	ph.CommandP99, ph.QueryP99 = ms(quantile(commands, 0.99)), ms(quantile(queryLat, 0.99))
	ph.CommandsPerSecond = float64(ph.Commands) / el.Seconds()
	ph.QueriesPerSecond = float64(ph.Queries) / el.Seconds()
	if ph.Commands > 0 {
		ph.LoadGenCPUPerCommand = float64(cpu.Microseconds()) / float64(ph.Commands)
		ph.LedgerCPUPerCommand = ph.LedgerCPUSeconds * 1e6 / float64(ph.Commands)
	}
	return ph, nil
}

// quantile returns the q-quantile of sorted (nearest rank), 0 when empty.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ledgerFigures reads the ledger's append counts, projection lag and CPU
// time from its /metrics.
func (d *desk) ledgerFigures(ctx context.Context) (LedgerFigures, error) {
	page, err := d.admin.Raw(ctx, "/metrics")
	if err != nil {
		return LedgerFigures{}, fmt.Errorf("bench http: read the ledger's /metrics: %w", err)
	}
	var f LedgerFigures
	for _, line := range strings.Split(string(page), "\n") {
		name, labels, value, ok := metricLine(line)
		if !ok {
			continue
		}
		switch name {
		case "ticketledger_append_duration_seconds_count":
			switch {
			case strings.Contains(labels, `outcome="ok"`):
				f.AppendsOK += int64(value)
			case strings.Contains(labels, `outcome="conflict"`):
				f.AppendsConflict += int64(value)
			default:
				f.AppendsError += int64(value)
			}
		case "ticketledger_projection_lag_events":
			f.ProjectionLagEvents = max(f.ProjectionLagEvents, int64(value))
		case "process_cpu_seconds_total":
			f.cpu, f.hasCPU = value, true
		}
	}
	return f, nil
}

// metricLine splits a sample line of the Prometheus text format into the
// metric's name, its labels (without braces) and the value.
func metricLine(line string) (name, labels string, value float64, ok bool) {
	if line == "" || line[0] == '#' {
		return "", "", 0, false
	}
	head, val, found := strings.Cut(line, " ")
	if i := strings.LastIndexByte(line, '}'); i > 0 {
		head, val, found = line[:i+1], strings.TrimSpace(line[i+1:]), true
	}
	if !found {
		return "", "", 0, false
	}
	val, _, _ = strings.Cut(strings.TrimSpace(val), " ") // a timestamp may follow
	v, err := strconv.ParseFloat(val, 64)
	if err != nil {
		return "", "", 0, false
	}
	name, labels, _ = strings.Cut(head, "{")
	return name, strings.TrimSuffix(labels, "}"), v, true
}

// HTTPHeader is the header of the per-operation table.
var HTTPHeader = []string{"PHASE", "OPERATION", "COUNT", "PER S", "P50 MS", "P90 MS", "P99 MS", "MAX MS", "ERRORS"}

// Rows returns one row per operation and phase (HTTPHeader), for
// infra/cli/render.
func (r *HTTPResults) Rows() render.Rows {
	rows := render.Rows{Header: HTTPHeader}
	for _, ph := range r.Phases {
		for _, o := range ph.Ops {
			rows.Add(ph.Name, o.Op, Thousands(o.Count), fmt.Sprintf("%.0f", o.PerSecond),
				fmt.Sprintf("%.1f", o.P50), fmt.Sprintf("%.1f", o.P90), fmt.Sprintf("%.1f", o.P99), fmt.Sprintf("%.1f", o.Max), errText(o.Errors))
		}
	}
	return rows
}

// Pairs returns the run's totals as field/value pairs (render.KV).
func (r *HTTPResults) Pairs() [][2]string {
	p := [][2]string{{"target", r.Target}, {"clients", strconv.Itoa(r.Clients)}, {"duration per phase", r.Duration}}
	for _, ph := range r.Phases {
		ledgerCPU := "not known (" + r.CPUNote + ")"
		switch {
		case ph.LedgerCPUSource != "":
			ledgerCPU = fmt.Sprintf("%.0f µs (%.1f s CPU, from %s)", ph.LedgerCPUPerCommand, ph.LedgerCPUSeconds, ph.LedgerCPUSource)
		case r.Mode == ModeServer:
			ledgerCPU = "not known (its /metrics has no process_cpu_seconds_total)"
		case r.InProcess:
			ledgerCPU = "not known apart (in-process: see the load generator's, which includes it)"
		}
		p = append(p,
			[2]string{ph.Name + ": commands/s", fmt.Sprintf("%.0f (%s commands, %s events, %s errors)", ph.CommandsPerSecond, Thousands(ph.Commands), Thousands(ph.Events), Thousands(ph.Errors))},
			[2]string{ph.Name + ": queries/s", fmt.Sprintf("%.0f", ph.QueriesPerSecond)},
			[2]string{ph.Name + ": p99", fmt.Sprintf("commands %.1f ms, queries %.1f ms", ph.CommandP99, ph.QueryP99)},
			[2]string{ph.Name + ": ledger CPU per command", ledgerCPU},
			[2]string{ph.Name + ": load generator CPU per command", fmt.Sprintf("%.0f µs (%.1f s CPU, this process%s)", ph.LoadGenCPUPerCommand, ph.LoadGenCPUSeconds, inProcessNote(r.InProcess))},
			[2]string{ph.Name + ": ledger appends", fmt.Sprintf("%s ok, %s conflicts, %s errors; projection lag at the end: %d events",
				Thousands(ph.Ledger.AppendsOK), Thousands(ph.Ledger.AppendsConflict), Thousands(ph.Ledger.AppendsError), ph.Ledger.ProjectionLagEvents)})
	}
	if q := r.Queries; q != nil && len(r.Phases) == 2 {
		p = append(p, [2]string{"queries' effect on commands", fmt.Sprintf("throughput %s %.1f %% (%.0f → %.0f commands/s), command p99 %.1f → %.1f ms, query p99 %.1f ms",
			map[bool]string{true: "down", false: "up"}[q.CommandsDropPercent >= 0], math.Abs(q.CommandsDropPercent),
			r.Phases[0].CommandsPerSecond, r.Phases[1].CommandsPerSecond, q.CommandP99Without, q.CommandP99With, q.QueryP99)})
	}
	p = append(p, [2]string{"store direct: appends/s", fmt.Sprintf("%.0f (1 event × %d writers, durable, this machine's disk)", r.StoreDirect, r.Clients)},
		[2]string{"HTTP ÷ store", fmt.Sprintf("%.3f", r.HTTPToStore)})
	if r.PeerRate > 0 {
		p = append(p, [2]string{"HTTP ÷ PostgreSQL peer", fmt.Sprintf("%.2f (%.0f commands/s ÷ %.0f/s given by --peer-rate)", r.HTTPToPeer, r.Phases[0].CommandsPerSecond, r.PeerRate)})
	}
	return p
}

func inProcessNote(in bool) string {
	if in {
		return ": the ledger and the load generator together"
	}
	return ""
}

func errText(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s×%d", k, m[k])
	}
	return b.String()
}
