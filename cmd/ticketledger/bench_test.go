package main

import (
	"encoding/json"
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
