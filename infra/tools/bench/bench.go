// Package bench measures the ledger's performance targets side by side in
// one run, for `ticketledger bench`:
//
//   - durable appends (1 event per append with 1, 16 and 64 concurrent
//     writers, and 100 events per append) and $all forward reads, each on
//     the embedded store called directly ("direct") and on a second
//     embedded store reached through the KurrentDB wire path ("wire":
//     kurrentwire on a loopback port, the official client via kurrent.Dial);
//   - a cold rebuild of every read model through infra/ledger, over a store
//     filled with a generated history of Options.Tickets tickets;
//   - one SLA report over the rebuilt tickets read model, grouped by
//     severity × product.
//
// RunHTTP (`ticketledger bench http`) measures the command path over the
// HTTP API instead: a support desk's mix of commands and queries from many
// clients against a ledger it starts in-process or a running one, beside
// the store-direct append rate of the same concurrency.
//
// Figures are rates measured in the same process on the same disk; a wire
// row carries its ratio to the direct row measured just before it.
package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/store/kurrent"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
	"github.com/ticketledger/ticketledger/infra/tools/bench/benchkit"
	"github.com/ticketledger/ticketledger/infra/tools/storebench"
	"github.com/ticketledger/ticketledger/projections"
)

// Kind names a group of measurements (Options.Only).
type Kind string

// The groups of measurements, in the order they run.
const (
	Append  Kind = "append"  // durable appends, direct and wire
	Read    Kind = "read"    // $all forward reads, direct and wire
	Rebuild Kind = "rebuild" // cold rebuild of every read model
	Report  Kind = "report"  // one SLA report over the rebuilt read model
)

// Kinds lists every Kind in run order.
var Kinds = []Kind{Append, Read, Rebuild, Report}

// ParseKinds parses a comma-separated list of kinds ("append,read").
func ParseKinds(s string) ([]Kind, error) {
	var out []Kind
	for _, f := range strings.Split(s, ",") {
		k := Kind(strings.ToLower(strings.TrimSpace(f)))
		if k == "" {
			continue
		}
		if !slices.Contains(Kinds, k) {
			return nil, fmt.Errorf("unknown benchmark %q: use append, read, rebuild or report", f)
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// Defaults of Options.
const (
	DefaultDuration   = 3 * time.Second
	DefaultTickets    = 50_000
	DefaultReadEvents = 100_000
)

// Targets, from the performance issues.
const (
	TargetAppend64      = 40_000  // events/s, 64 writers, direct
	TargetReadAll       = 500_000 // events/s, $all forwards, direct
	TargetWireRatio     = 0.25    // wire rate ÷ direct rate: within 4×
	TargetRebuild       = 300_000 // events/s, cold rebuild of every read model
	TargetReportTickets = 1_000_000
	TargetReportTime    = 500 * time.Millisecond // per report over TargetReportTickets
)

// Progress shows how far one measurement is. cmd/ticketledger's progress
// bar satisfies it.
type Progress interface {
	// Set reports done of total (units of the measurement: events, or
	// milliseconds of a timed run).
	Set(done, total int64)
	// Finish ends the display.
	Finish()
}

// Options configures Run.
type Options struct {
	// Dir is where the stores are created (in a fresh subdirectory that
	// Run removes at the end). Empty: the system's temporary directory.
	Dir string
	// Duration is how long each timed measurement runs. Default 3 s.
	Duration time.Duration
	// Tickets is the size of the generated history that the rebuild and the
	// report run over. Default DefaultTickets.
	Tickets int
	// ReadEvents is how many events the $all read benchmark reads over
	// (wrapping around). Default DefaultReadEvents.
	ReadEvents int
	// Only selects groups of measurements; empty means all.
	Only []Kind
	// NewProgress returns the progress display of one step (desc names it);
	// nil shows none.
	NewProgress func(desc string) Progress
}

// Met values of a Result.
const (
	MetYes = "yes"
	MetNo  = "no"
	MetNA  = "n/a" // there is a target, but this run cannot tell
)

// Result is one measurement: one row of the table.
type Result struct {
	Kind      Kind   `json:"kind"`
	Benchmark string `json:"benchmark"`
	// Path is "direct" (the embedded store called in-process), "wire"
	// (through kurrentwire and the official client over loopback gRPC) or
	// "embedded" (the ledger on the embedded store).
	Path string `json:"path"`
	// Writers and Batch describe append measurements.
	Writers int `json:"writers,omitempty"`
	Batch   int `json:"batch,omitempty"`
	// Events is the number of events measured (tickets for the report).
	Events  int64   `json:"events"`
	Seconds float64 `json:"seconds"`
	// EventsPerSecond is Events / Seconds.
	EventsPerSecond float64 `json:"eventsPerSecond"`
	// WireToDirect is this wire row's rate ÷ the direct row's (0 elsewhere).
	WireToDirect float64 `json:"wireToDirect,omitempty"`
	// Target says what the measurement should reach ("" when none).
	Target string `json:"target,omitempty"`
	// Met is MetYes, MetNo, MetNA or "" (no target).
	Met string `json:"met,omitempty"`
	// Note says what was measured, in words.
	Note string `json:"note,omitempty"`
}

// Results is the outcome of a run.
type Results struct {
	Started    time.Time `json:"started"`
	Dir        string    `json:"dir"`
	Duration   string    `json:"duration"`
	Tickets    int       `json:"tickets"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	GoVersion  string    `json:"goVersion"`
	Results    []Result  `json:"results"`
}

type noProgress struct{}

func (noProgress) Set(int64, int64) {}
func (noProgress) Finish()          {}

type runner struct {
	opts Options
	dir  string
	out  *Results
}

// Run runs the selected measurements and returns their results. It stops at
// the first error (or when ctx ends).
func Run(ctx context.Context, opts Options) (*Results, error) {
	if opts.Duration <= 0 {
		opts.Duration = DefaultDuration
	}
	if opts.Tickets <= 0 {
		opts.Tickets = DefaultTickets
	}
	if opts.ReadEvents <= 0 {
		opts.ReadEvents = DefaultReadEvents
	}
	if len(opts.Only) == 0 {
		opts.Only = Kinds
	}
	if opts.NewProgress == nil {
		opts.NewProgress = func(string) Progress { return noProgress{} }
	}
	parent := opts.Dir
	if parent != "" {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	dir, err := os.MkdirTemp(parent, "ticketledger-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)

	r := &runner{opts: opts, dir: dir, out: &Results{
		Started: time.Now().UTC(), Dir: dir, Duration: opts.Duration.String(), Tickets: opts.Tickets,
		GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), Results: []Result{},
	}}
	has := func(k Kind) bool { return slices.Contains(opts.Only, k) }
	if has(Append) || has(Read) {
		if err := r.stores(ctx, has(Append), has(Read)); err != nil {
			return r.out, err
		}
	}
	if has(Rebuild) || has(Report) {
		if err := r.ledger(ctx, has(Rebuild), has(Report)); err != nil {
			return r.out, err
		}
	}
	return r.out, nil
}

func (r *runner) add(res Result) {
	if res.Seconds > 0 {
		res.EventsPerSecond = float64(res.Events) / res.Seconds
	}
	r.out.Results = append(r.out.Results, res)
}

// addPath adds res, a row of one store path: the direct path's row, which
// it keeps in *d, or the wire path's, which it compares with *d.
func (r *runner) addPath(res Result, direct bool, d *Result) {
	r.add(res)
	last := &r.out.Results[len(r.out.Results)-1]
	if direct {
		*d = *last
		return
	}
	*last = wireRow(*d, *last)
}

// wireRow completes a wire result with its ratio to direct and the 4× target.
func wireRow(direct, wire Result) Result {
	if direct.EventsPerSecond > 0 {
		wire.WireToDirect = wire.EventsPerSecond / direct.EventsPerSecond
	}
	wire.Target = fmt.Sprintf("wire ≥ %.2f× direct (within 4×)", TargetWireRatio)
	wire.Met = met(wire.WireToDirect >= TargetWireRatio)
	return wire
}

func met(ok bool) string {
	if ok {
		return MetYes
	}
	return MetNo
}

// timed runs f for the configured duration, showing elapsed time as
// progress; f gets the deadline check.
func (r *runner) timed(desc string, f func(more func() bool) (int64, error)) (int64, time.Duration, error) {
	return timed(r.opts.NewProgress(desc), r.opts.Duration, f)
}

// timed runs f for d, showing elapsed time on p (milliseconds of d); f gets
// the deadline check. It returns f's count, the time taken and f's error.
func timed(p Progress, d time.Duration, f func(more func() bool) (int64, error)) (int64, time.Duration, error) {
	total := d.Milliseconds()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.Set(min(time.Since(start).Milliseconds(), total), total)
			}
		}
	}()
	n, err := f(func() bool { return time.Now().Before(deadline) })
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	p.Set(total, total)
	p.Finish()
	return n, elapsed, err
}

// stores measures appends and $all reads, direct and through the wire.
func (r *runner) stores(ctx context.Context, doAppend, doRead bool) error {
	direct, err := pebblestore.Open(filepath.Join(r.dir, "direct"), pebblestore.Options{})
	if err != nil {
		return fmt.Errorf("bench: open the direct store: %w", err)
	}
	defer direct.Close()
	backing, err := pebblestore.Open(filepath.Join(r.dir, "wire"), pebblestore.Options{})
	if err != nil {
		return fmt.Errorf("bench: open the wire path's store: %w", err)
	}
	defer backing.Close()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("bench: listen on loopback: %w", err)
	}
	srv := kurrentwire.NewServer(backing, kurrentwire.Options{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	defer func() {
		srv.Stop()
		<-served
	}()
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	wire, err := kurrent.Dial(dctx, fmt.Sprintf("esdb://%s?tls=false", lis.Addr()))
	cancel()
	if err != nil {
		return fmt.Errorf("bench: dial the wire server: %w", err)
	}
	defer wire.Close()

	paths := []struct {
		name  string
		store eventstore.Store
	}{{"direct", direct}, {"wire", wire}}

	if doAppend {
		for _, c := range []struct{ writers, batch int }{{1, 1}, {16, 1}, {64, 1}, {1, 100}} {
			name := fmt.Sprintf("append 1 event × %d writers", c.writers)
			if c.writers == 1 {
				name = "append 1 event × 1 writer"
			}
			if c.batch > 1 {
				name = fmt.Sprintf("append %d events/append × %d writer", c.batch, c.writers)
			}
			var d Result
			for _, p := range paths {
				n, el, err := r.timed(name+" ("+p.name+")", func(more func() bool) (int64, error) {
					return storebench.AppendLoop(ctx, p.store, c.writers, c.batch, more)
				})
				if err != nil {
					return fmt.Errorf("bench: %s (%s): %w", name, p.name, err)
				}
				res := Result{Kind: Append, Benchmark: name, Path: p.name, Writers: c.writers, Batch: c.batch,
					Events: n, Seconds: el.Seconds(), Note: note(n, "events", el, "durable (fsync) appends")}
				if p.name == "direct" && c.writers == 64 && c.batch == 1 {
					res.Target = fmt.Sprintf("≥ %s events/s", Thousands(TargetAppend64))
					res.Met = met(n > 0 && float64(n)/el.Seconds() >= TargetAppend64)
				}
				r.addPath(res, p.name == "direct", &d)
			}
		}
	}

	if doRead {
		// Populate both stores with the same events, untimed. The wire
		// path's store is filled directly: positions are the same through
		// the wire.
		firsts := make([]eventstore.Position, 2)
		for i, s := range []eventstore.Store{direct, backing} {
			p := r.opts.NewProgress(fmt.Sprintf("populate $all for reads (%s)", paths[i].name))
			first, err := storebench.PopulateReadAllProgress(ctx, s, r.opts.ReadEvents, func(done int) {
				p.Set(int64(done), int64(r.opts.ReadEvents))
			})
			p.Finish()
			if err != nil {
				return fmt.Errorf("bench: populate $all: %w", err)
			}
			firsts[i] = first
		}
		name := "read $all forwards, pages of 1,000"
		var d Result
		for i, p := range paths {
			n, el, err := r.timed(name+" ("+p.name+")", func(more func() bool) (int64, error) {
				return storebench.ReadAllLoop(ctx, p.store, firsts[i], func(int64) bool { return more() })
			})
			if err != nil {
				return fmt.Errorf("bench: %s (%s): %w", name, p.name, err)
			}
			res := Result{Kind: Read, Benchmark: name, Path: p.name, Events: n, Seconds: el.Seconds(),
				Note: note(n, "events", el, fmt.Sprintf("over %s events, wrapping", Thousands(int64(r.opts.ReadEvents))))}
			if i == 0 {
				res.Target = fmt.Sprintf("≥ %s events/s", Thousands(TargetReadAll))
				res.Met = met(n > 0 && float64(n)/el.Seconds() >= TargetReadAll)
			}
			r.addPath(res, i == 0, &d)
		}
	}
	return nil
}

// ledger fills an embedded store with a generated history, then rebuilds
// the read models through infra/ledger and reports over them.
func (r *runner) ledger(ctx context.Context, doRebuild, doReport bool) error {
	dir := filepath.Join(r.dir, "ledger")
	events, err := r.fill(ctx, dir)
	if err != nil {
		return err
	}
	l, err := ledger.Open(ctx, ledger.Config{DataDir: dir, NoSnapshots: true})
	if err != nil {
		return fmt.Errorf("bench: open the ledger: %w", err)
	}
	defer l.Close()

	p := r.opts.NewProgress("cold rebuild of every read model")
	start := time.Now()
	err = l.Runner.Rebuild(ctx, func(done, total uint64) { p.Set(int64(done), int64(total)) })
	el := time.Since(start)
	p.Finish()
	if err != nil {
		return fmt.Errorf("bench: rebuild: %w", err)
	}
	applied := int64(l.Runner.Stats().Applied)
	if doRebuild {
		r.add(Result{Kind: Rebuild, Benchmark: "cold rebuild, all read models", Path: "embedded",
			Events: applied, Seconds: el.Seconds(),
			Target: fmt.Sprintf("≥ %s events/s", Thousands(TargetRebuild)),
			Met:    met(applied > 0 && float64(applied)/el.Seconds() >= TargetRebuild),
			Note: note(applied, "events", el, fmt.Sprintf("%s tickets; %s events in the store",
				Thousands(int64(l.Tickets.Len())), Thousands(int64(events))))})
	}
	if !doReport {
		return nil
	}

	tickets := l.Tickets.Len()
	q := projections.ReportQuery{GroupBy: []string{projections.DimSeverity, projections.DimProduct}, Now: l.Now(), Horizon: time.Hour}
	var runs int
	var total time.Duration
	var groups int
	_, _, err = r.timed("SLA report, severity × product", func(more func() bool) (int64, error) {
		for runs == 0 || (more() && runs < 100) {
			t0 := time.Now()
			rep, err := l.Tickets.Report(q)
			total += time.Since(t0)
			if err != nil {
				return 0, err
			}
			runs++
			groups = len(rep.Groups)
		}
		return int64(runs), nil
	})
	if err != nil {
		return fmt.Errorf("bench: SLA report: %w", err)
	}
	per := total / time.Duration(runs)
	res := Result{Kind: Report, Benchmark: "SLA report, severity × product", Path: "embedded",
		Events: int64(tickets), Seconds: per.Seconds(),
		Target: fmt.Sprintf("≤ %s per report over %s tickets", TargetReportTime, Thousands(TargetReportTickets))}
	switch {
	case tickets >= TargetReportTickets:
		res.Met = met(per <= TargetReportTime)
	case per > TargetReportTime:
		res.Met = MetNo // already too slow over fewer tickets
	default:
		res.Met = MetNA
	}
	res.Note = fmt.Sprintf("rate in tickets/s: %s per report (mean of %d) over %s tickets, %d groups",
		per.Round(time.Microsecond), runs, Thousands(int64(tickets)), groups)
	if tickets < TargetReportTickets {
		res.Note += fmt.Sprintf("; measured on %s tickets, not %s: not extrapolated (use --tickets %d)",
			Thousands(int64(tickets)), Thousands(TargetReportTickets), TargetReportTickets)
	}
	r.add(res)
	return nil
}

// fill writes a generated history of Options.Tickets tickets
// (projectionstest: partners, tickets with first responses, severity
// changes, resolutions…, each stream hash-chained by the codec) into an
// embedded store in dir, with 64 concurrent appenders, and returns the
// number of events.
func (r *runner) fill(ctx context.Context, dir string) (int, error) {
	p := r.opts.NewProgress(fmt.Sprintf("generate and append %s tickets (untimed)", Thousands(int64(r.opts.Tickets))))
	st, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		return 0, fmt.Errorf("bench: open the ledger's store: %w", err)
	}
	n, err := benchkit.Fill(ctx, st, r.opts.Tickets, fillWriters, p.Set)
	p.Finish()
	if err != nil {
		st.Close()
		return 0, fmt.Errorf("bench: %w", err)
	}
	if err := st.Close(); err != nil {
		return 0, fmt.Errorf("bench: close the ledger's store: %w", err)
	}
	return n, nil
}

func note(n int64, unit string, el time.Duration, what string) string {
	return fmt.Sprintf("%s %s in %s, %s", Thousands(n), unit, el.Round(time.Millisecond), what)
}

// Thousands formats n with comma thousands separators: 1234567 → "1,234,567".
func Thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Header is the table's header row.
var Header = []string{"BENCHMARK", "PATH", "EVENTS/S", "WIRE ÷ DIRECT", "TARGET", "MET", "NOTE"}

// Rows returns the results as table rows (Header), for infra/cli/render.
func (r *Results) Rows() render.Rows {
	rows := render.Rows{Header: Header}
	for _, x := range r.Results {
		ratio := "-"
		if x.Path == "wire" {
			ratio = fmt.Sprintf("%.2f", x.WireToDirect)
		}
		rows.Add(x.Benchmark, x.Path, Thousands(int64(x.EventsPerSecond+0.5)), ratio, x.Target, x.Met, x.Note)
	}
	return rows
}

// fillWriters is how many appenders fill the ledger's store: enough for
// the store's group commit to share each fsync among many streams.
const fillWriters = 512
