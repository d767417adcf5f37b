package main

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/infra/tools/bench"
)

// tinyBench are the flags of a bench run that takes a second or two.
var tinyBench = []string{"bench", "--duration", "50ms", "--tickets", "50", "--read-events", "2000"}

func TestBenchTable(t *testing.T) {
	clearEnv(t)
	r := runCLI(t, append(tinyBench, "--dir", t.TempDir())...)
	if r.code != 0 {
		t.Fatalf("bench: %+v", r)
	}
	lines := strings.Split(strings.TrimRight(r.out, "\n"), "\n")
	header := strings.Join(strings.Fields(lines[0]), " ")
	if !strings.HasPrefix(header, "BENCHMARK PATH EVENTS/S WIRE ÷ DIRECT TARGET MET") {
		t.Fatalf("header %q", lines[0])
	}
	// 4 append configurations and the $all read, direct and wire; the
	// rebuild; the report.
	if len(lines) != 1+10+1+1 {
		t.Fatalf("want 12 rows:\n%s", r.out)
	}
	// The columns are aligned: PATH starts at the same rune on every line.
	col := len([]rune(lines[0][:strings.Index(lines[0], "PATH")]))
	for _, l := range lines[1:] {
		cell := string([]rune(l)[col:])
		if !strings.HasPrefix(cell, "direct ") && !strings.HasPrefix(cell, "wire ") && !strings.HasPrefix(cell, "embedded ") {
			t.Fatalf("misaligned row %q", l)
		}
	}
	contains(t, r.out, "cold rebuild", "SLA report", "not extrapolated")
	// stderr is not a terminal: progress lines instead of a bar.
	contains(t, r.err, "append 1 event × 64 writers (wire): ", "done in", "cold rebuild of every read model: ")
}

func TestBenchJSONAndOnly(t *testing.T) {
	clearEnv(t)
	r := runCLI(t, append(tinyBench, "-o", "json")...)
	if r.code != 0 {
		t.Fatalf("bench: %+v", r)
	}
	var res bench.Results
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, r.out)
	}
	if len(res.Results) != 12 || res.Tickets != 50 {
		t.Fatalf("results: %+v", res)
	}
	kinds := map[bench.Kind]int{}
	for _, x := range res.Results {
		kinds[x.Kind]++
		if x.EventsPerSecond <= 0 || x.Events <= 0 || x.Seconds <= 0 {
			t.Errorf("%s (%s): rate %v, %d events in %vs", x.Benchmark, x.Path, x.EventsPerSecond, x.Events, x.Seconds)
		}
		if x.Path == "wire" && (x.WireToDirect <= 0 || x.Met == "") {
			t.Errorf("%s (wire): ratio %v, met %q", x.Benchmark, x.WireToDirect, x.Met)
		}
		if x.Target != "" && x.Met != bench.MetYes && x.Met != bench.MetNo && x.Met != bench.MetNA {
			t.Errorf("%s (%s): met %q", x.Benchmark, x.Path, x.Met)
		}
	}
	if kinds[bench.Append] != 8 || kinds[bench.Read] != 2 || kinds[bench.Rebuild] != 1 || kinds[bench.Report] != 1 {
		t.Fatalf("kinds %v", kinds)
	}
	if rep := res.Results[11]; rep.Met != bench.MetNA && rep.Met != bench.MetNo {
		t.Fatalf("a report over 50 tickets cannot meet a target for 1,000,000: %+v", rep)
	}

	r = runCLI(t, append(tinyBench, "--only", "report", "-o", "csv")...)
	rows := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != 0 || len(rows) != 2 || !strings.HasPrefix(rows[1], `"SLA report, severity × product",embedded,`) {
		t.Fatalf("--only report: %+v", r)
	}
	if r = runCLI(t, "bench", "--only", "append,nope"); r.code != 2 || !strings.Contains(r.err, "nope") {
		t.Fatalf("--only nope: %+v", r)
	}
}

// benchChildEnv, set to 1, has the test binary run as ticketledger itself
// (TestMain), so that bench http can start its serve as a child process
// from os.Executable().
const benchChildEnv = "GO_TEST_BENCH_CHILD_IS_TICKETLEDGER"

func TestMain(m *testing.M) {
	if os.Getenv(benchChildEnv) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}

// TestBenchHTTP runs the HTTP bench briefly against a serve process of its
// own, with the query phase: every command of the mix is accepted, the
// ledger's own figures agree with the client's, both CPU figures and the
// store-direct rate are there; then in-process, as a table.
func TestBenchHTTP(t *testing.T) {
	clearEnv(t)
	t.Setenv(benchChildEnv, "1")
	r := runCLI(t, "bench", "http", "--clients", "4", "--duration", "300ms", "--queries", "2", "--peer-rate", "1000", "--dir", t.TempDir(), "-o", "json")
	if r.code != 0 {
		t.Fatalf("bench http: %+v", r)
	}
	var res bench.HTTPResults
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, r.out)
	}
	if res.InProcess || res.Mode != bench.ModeChild || res.Clients != 4 || len(res.Phases) != 2 || res.StoreDirect <= 0 || res.HTTPToStore <= 0 {
		t.Fatalf("results: %+v", res)
	}
	for _, ph := range res.Phases {
		if ph.Errors != 0 || ph.Commands == 0 || ph.CommandsPerSecond <= 0 || ph.Events < ph.Commands {
			t.Fatalf("%s: %d errors, %d commands (%v/s), %d events: %+v", ph.Name, ph.Errors, ph.Commands, ph.CommandsPerSecond, ph.Events, ph.Ops)
		}
		if ph.Ledger.AppendsOK != ph.Commands || ph.Ledger.AppendsConflict != 0 {
			t.Fatalf("%s: the ledger counted %+v for %d accepted commands", ph.Name, ph.Ledger, ph.Commands)
		}
		if ph.LedgerCPUSource != "/proc" || ph.LedgerCPUSeconds <= 0 || ph.LedgerCPUPerCommand <= 0 || ph.LoadGenCPUSeconds <= 0 || ph.LoadGenCPUPerCommand <= 0 {
			t.Fatalf("%s: CPU figures: ledger %v s (%q), %v µs/command; load generator %v s, %v µs/command", ph.Name,
				ph.LedgerCPUSeconds, ph.LedgerCPUSource, ph.LedgerCPUPerCommand, ph.LoadGenCPUSeconds, ph.LoadGenCPUPerCommand)
		}
		if ph.CommandP99 <= 0 {
			t.Fatalf("%s: command p99 %v", ph.Name, ph.CommandP99)
		}
		for _, o := range ph.Ops {
			if o.Count > 0 && (o.P50 <= 0 || o.P50 > o.P90 || o.P90 > o.P99 || o.P99 > o.Max) {
				t.Fatalf("%s %s: latencies %+v", ph.Name, o.Op, o)
			}
		}
	}
	without, with := res.Phases[0], res.Phases[1]
	if with.QueryClients != 2 || with.Queries <= without.Queries || with.QueryP99 <= 0 {
		t.Fatalf("the query phase answered %d queries (p99 %v ms), the first %d", with.Queries, with.QueryP99, without.Queries)
	}
	q := res.Queries
	if q == nil || q.CommandP99Without != without.CommandP99 || q.CommandP99With != with.CommandP99 || q.QueryP99 != with.QueryP99 ||
		math.Abs(q.CommandsDropPercent-100*(1-with.CommandsPerSecond/without.CommandsPerSecond)) > 1e-9 {
		t.Fatalf("query effect %+v of phases %+v and %+v", q, without, with)
	}
	if res.PeerRate != 1000 || math.Abs(res.HTTPToPeer-without.CommandsPerSecond/1000) > 1e-12 {
		t.Fatalf("peer ratio %v of %v/s against %v", res.HTTPToPeer, without.CommandsPerSecond, res.PeerRate)
	}
	contains(t, r.err, "against a serve process of its own", "http: 4 command clients: ", "store direct: append 1 event × 4 writers")

	r = runCLI(t, "bench", "http", "--in-process", "--clients", "2", "--duration", "100ms", "--queries", "1", "--dir", t.TempDir())
	if r.code != 0 {
		t.Fatalf("bench http table: %+v", r)
	}
	contains(t, r.out, "PHASE", "OPERATION", "P99 MS", "open", "HTTP ÷ store", "load generator CPU per command", "ledger CPU per command",
		"not known apart (in-process", "queries' effect on commands", "command p99")
	if strings.Contains(r.out, "PostgreSQL") {
		t.Fatalf("no --peer-rate, yet a peer ratio:\n%s", r.out)
	}
}

func TestBenchHTTPUsage(t *testing.T) {
	clearEnv(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	r := runCLI(t, "bench", "http", "--server", "http://127.0.0.1:1")
	if r.code != 2 || !strings.Contains(r.err, "--token-file") {
		t.Fatalf("bench http --server without a token: %+v", r)
	}
	r = runCLI(t, "bench", "http", "--server", "http://127.0.0.1:1", "--in-process")
	if r.code != 2 || !strings.Contains(r.err, "--in-process starts a ledger of its own") {
		t.Fatalf("bench http --server --in-process: %+v", r)
	}
	r = runCLI(t, "bench", "http", "--peer-rate", "-5")
	if r.code != 2 || !strings.Contains(r.err, "--peer-rate") {
		t.Fatalf("bench http --peer-rate -5: %+v", r)
	}
}
