package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
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
	// Token an admin token of it. Empty Server: RunHTTP opens a ledger on a
	// temporary directory under Dir and serves its API on a loopback port,
	// with authentication and event signatures on, as serve runs it.
	Server, Token string
	// Dir is where the in-process ledger and the store-direct measurement
	// live (a fresh subdirectory, removed at the end). Empty: the system's
	// temporary directory.
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
	// NewProgress returns the progress display of one step; nil shows none.
	NewProgress func(desc string) Progress
}

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
	// CPUSeconds is this process's CPU time during the phase and
	// CPUPerCommand that per accepted command, in microseconds: the ledger
	// and the load generator together when the ledger runs in-process,
	// the load generator alone against --server.
	CPUSeconds    float64 `json:"cpuSeconds"`
	CPUPerCommand float64 `json:"cpuPerCommandMicros"`
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
}

// HTTPResults is the outcome of RunHTTP.
type HTTPResults struct {
	Started    time.Time   `json:"started"`
	Target     string      `json:"target"`
	InProcess  bool        `json:"inProcess"`
	Clients    int         `json:"clients"`
	Duration   string      `json:"duration"`
	GOMAXPROCS int         `json:"gomaxprocs"`
	GoVersion  string      `json:"goVersion"`
	CPUNote    string      `json:"cpuNote"`
	Phases     []HTTPPhase `json:"phases"`
	// StoreDirect is the durable single-event append rate of the embedded
	// store called directly with Clients writers on this machine's disk,
	// measured in the same run; HTTPToStore is the first phase's command
	// rate ÷ that rate.
	StoreDirect float64 `json:"storeDirectAppendsPerSecond"`
	HTTPToStore float64 `json:"httpToStore"`
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
	if base == "" {
		srv, err := startLedger(ctx, filepath.Join(dir, "ledger"))
		if err != nil {
			return nil, err
		}
		defer srv.close()
		base, token, out.InProcess = srv.url, srv.token, true
		out.Target = "in-process ledger on " + srv.dir
		out.CPUNote = "process CPU: the ledger and the load generator together"
	} else {
		out.Target = base
		out.CPUNote = "client CPU only (the ledger runs elsewhere)"
	}
	d, err := newDesk(ctx, adminClient(base, token, opts.Clients), opts.Clients)
	if err != nil {
		return out, err
	}
	phases := []int{0}
	if opts.Queries > 0 {
		phases = append(phases, opts.Queries)
	}
	for _, q := range phases {
		ph, err := d.phase(ctx, opts, q)
		if err != nil {
			return out, err
		}
		out.Phases = append(out.Phases, ph)
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

// adminClient is the API client of the admin token, with idle connections
// kept for every client of the bench.
func adminClient(base, token string, clients int) *client.Client {
	admin := client.New(base)
	admin.Token = token
	admin.HTTP = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 4 * clients, MaxIdleConnsPerHost: 4 * clients, IdleConnTimeout: 90 * time.Second}}
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
	lat    map[string][]time.Duration
	errs   map[string]map[string]int64
	events int64
}

func newSample() *sample {
	return &sample{lat: map[string][]time.Duration{}, errs: map[string]map[string]int64{}}
}

func (s *sample) record(op string, el time.Duration, err error) {
	if err == nil {
		s.lat[op] = append(s.lat[op], el)
		return
	}
	status := "transport"
	var ce *client.Error
	if errors.As(err, &ce) && !ce.Unavailable {
		status = strconv.Itoa(ce.Problem.Status)
	}
	if s.errs[op] == nil {
		s.errs[op] = map[string]int64{}
	}
	s.errs[op][status]++
}

// phase runs the mix for opts.Duration with queries extra query clients.
func (d *desk) phase(ctx context.Context, opts HTTPOptions, queries int) (HTTPPhase, error) {
	name := fmt.Sprintf("%d command clients", len(d.clients))
	if queries > 0 {
		name += fmt.Sprintf(" + %d query clients", queries)
	}
	before, err := d.ledgerFigures(ctx)
	if err != nil {
		return HTTPPhase{}, err
	}
	samples := make([]*sample, len(d.clients)+queries)
	cpu0 := benchkit.CPUTime()
	_, el, _ := timed(opts.NewProgress("http: "+name), opts.Duration, func(more func() bool) (int64, error) {
		var wg sync.WaitGroup
		for i, c := range d.clients {
			s := newSample()
			samples[i] = s
			wg.Add(1)
			go func() {
				defer wg.Done()
				for more() && ctx.Err() == nil {
					op := c.pick()
					t0 := time.Now()
					n, _, err := d.do(ctx, c, op)
					s.record(op, time.Since(t0), err)
					s.events += int64(n)
				}
			}()
		}
		for i := range queries {
			s := newSample()
			samples[len(d.clients)+i] = s
			c := &deskClient{rnd: rand.New(rand.NewPCG(uint64(i), 7)), tickets: slices.Clone(d.clients[i%len(d.clients)].tickets)}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; more() && ctx.Err() == nil; k++ {
					op := []string{OpGetTicket, OpSLAReport, OpAudit}[k%3]
					t0 := time.Now()
					err := d.query(ctx, c, op)
					s.record(op, time.Since(t0), err)
				}
			}()
		}
		wg.Wait()
		return 0, nil
	})
	cpu := benchkit.CPUTime() - cpu0
	if err := ctx.Err(); err != nil {
		return HTTPPhase{}, err
	}
	after, err := d.ledgerFigures(ctx)
	if err != nil {
		return HTTPPhase{}, err
	}
	ph := HTTPPhase{Name: name, Clients: len(d.clients), QueryClients: queries, Seconds: el.Seconds(), CPUSeconds: cpu.Seconds(),
		Ledger: LedgerFigures{AppendsOK: after.AppendsOK - before.AppendsOK, AppendsConflict: after.AppendsConflict - before.AppendsConflict,
			AppendsError: after.AppendsError - before.AppendsError, ProjectionLagEvents: after.ProjectionLagEvents}}
	lat := map[string][]time.Duration{}
	errs := map[string]map[string]int64{}
	for _, s := range samples {
		ph.Events += s.events
		for op, l := range s.lat {
			lat[op] = append(lat[op], l...)
		}
		for op, m := range s.errs {
			if errs[op] == nil {
				errs[op] = map[string]int64{}
			}
			for k, v := range m {
				errs[op][k] += v
			}
		}
	}
	for _, op := range []string{OpOpen, OpFirstResponse, OpSeverity, OpNote, OpEscalate, OpDispute, OpFraud, OpGetTicket, OpSLAReport, OpAudit} {
		l := lat[op]
		if len(l) == 0 && errs[op] == nil {
			continue
		}
		slices.Sort(l)
		st := OpStats{Op: op, Count: int64(len(l)), PerSecond: float64(len(l)) / el.Seconds(), Errors: errs[op],
			P50: ms(quantile(l, 0.50)), P90: ms(quantile(l, 0.90)), P99: ms(quantile(l, 0.99)), Max: ms(quantile(l, 1))}
		ph.Ops = append(ph.Ops, st)
		switch op {
		case OpGetTicket, OpSLAReport, OpAudit:
			ph.Queries += st.Count
		default:
			ph.Commands += st.Count
		}
		for _, v := range st.Errors {
			ph.Errors += v
		}
	}
	ph.CommandsPerSecond = float64(ph.Commands) / el.Seconds()
	ph.QueriesPerSecond = float64(ph.Queries) / el.Seconds()
	if ph.Commands > 0 {
		ph.CPUPerCommand = float64(cpu.Microseconds()) / float64(ph.Commands)
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

// ledgerFigures reads the ledger's append counts and projection lag from
// its /metrics.
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
		p = append(p,
			[2]string{ph.Name + ": commands/s", fmt.Sprintf("%.0f (%s commands, %s events, %s errors)", ph.CommandsPerSecond, Thousands(ph.Commands), Thousands(ph.Events), Thousands(ph.Errors))},
			[2]string{ph.Name + ": queries/s", fmt.Sprintf("%.0f", ph.QueriesPerSecond)},
			[2]string{ph.Name + ": CPU per command", fmt.Sprintf("%.0f µs (%.1f s CPU; %s)", ph.CPUPerCommand, ph.CPUSeconds, r.CPUNote)},
			[2]string{ph.Name + ": ledger appends", fmt.Sprintf("%s ok, %s conflicts, %s errors; projection lag at the end: %d events",
				Thousands(ph.Ledger.AppendsOK), Thousands(ph.Ledger.AppendsConflict), Thousands(ph.Ledger.AppendsError), ph.Ledger.ProjectionLagEvents)})
	}
	p = append(p, [2]string{"store direct: appends/s", fmt.Sprintf("%.0f (1 event × %d writers, durable, this machine's disk)", r.StoreDirect, r.Clients)},
		[2]string{"HTTP ÷ store", fmt.Sprintf("%.3f", r.HTTPToStore)})
	return p
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
