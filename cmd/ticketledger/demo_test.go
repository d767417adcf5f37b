package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

func TestDemoOfflineRebuildVerify(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "data")

	r := runCLI(t, "demo", "--data", dir, "--tickets", "40")
	if r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	contains(t, r.out, "tickets", "events", "elapsed", "events/s")
	// stderr is not a terminal: progress lines instead of a bar.
	contains(t, r.err, "demo: ", "done in")

	r = runCLI(t, "rebuild", "--data", dir, "-o", "json")
	if r.code != 0 {
		t.Fatalf("rebuild: %+v", r)
	}
	var rb map[string]any
	if err := json.Unmarshal([]byte(r.out), &rb); err != nil || rb["applied"].(float64) < 100 || rb["tickets"].(float64) < 35 {
		t.Fatalf("rebuild result: %v %s", err, r.out)
	}
	contains(t, r.err, "rebuild: ")

	r = runCLI(t, "verify", "--data", dir)
	if r.code != 0 {
		t.Fatalf("verify: %+v", r)
	}
	contains(t, r.out, "unsealed")
	// The rate at the end: "N events in Xs (R events/s)"; progress on stderr.
	if !regexp.MustCompile(`(?m)^rate +\d+ events in [0-9.]+m?s \([0-9,]+ events/s\)$`).MatchString(r.out) {
		t.Errorf("verify prints no rate line:\n%s", r.out)
	}
	contains(t, r.err, "verify: ", "done in")
	r = runCLI(t, "verify", "--data", dir, "-o", "json")
	var rep logReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil || rep.Streams < 40 || len(rep.Problems) != 0 || rep.Seals < 1 || rep.Unsealed != 1 {
		t.Fatalf("verify json (want no problems, the demo sealed, only the final seal unsealed): %v %s", err, r.out)
	}

	// The same seed again records nothing twice.
	r = runCLI(t, "demo", "--data", dir, "--tickets", "40", "-o", "json")
	var sum demoResult
	if err := json.Unmarshal([]byte(r.out), &sum); r.code != 0 || err != nil || sum.Replayed != sum.Commands {
		t.Fatalf("second demo: %v %+v %s", err, sum, r.err)
	}
}

func TestDemoOverHTTP(t *testing.T) {
	e := newEnv(t)
	r := e.run("demo", "--token-file", e.adminFile, "--tickets", "30", "-o", "csv")
	if r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	recs := readCSV(t, r.out)
	if len(recs) != 2 || recs[0][0] != "tickets" {
		t.Fatalf("csv: %v", recs)
	}
	e.caughtUp()
	if n := e.l.Tickets.Len(); n < 25 {
		t.Fatalf("%d tickets after demo", n)
	}
	// The generator acted as many principals, by tokens it issued itself.
	roles := map[domain.Role]int{}
	for _, ti := range e.l.Tokens.Registry().Tokens() {
		roles[ti.Role]++
	}
	if roles[domain.RoleIndirectProvider] == 0 || roles[domain.RoleVendorSupport] == 0 {
		t.Fatalf("tokens after demo by role: %v", roles)
	}
	e.fails(2, "not both", "demo", "--data", t.TempDir())
	// Offline demo into a directory a server holds: refused, saying why.
	r = runCLI(t, "demo", "--data", e.dir)
	if r.code != 1 || !strings.Contains(r.err, "running `ticketledger serve`") || !strings.Contains(r.err, "--server") {
		t.Fatalf("demo --data on a served dir: %+v", r)
	}
}

// TestServeOnKurrentWire runs one ledger on the embedded store exposing
// the KurrentDB gRPC endpoint, and a second ledger on that endpoint as its
// KurrentDB store (--store esdb://…): the cluster deployment, end to end.
func TestServeOnKurrentWire(t *testing.T) {
	dir := t.TempDir()
	creds := issueTokens(t, dir) // the endpoint takes a replica token, and writes only with --kurrent-writable
	base, _, logs := startServe(t, "--data", dir, "--kurrent-listen", "127.0.0.1:0", "--kurrent-writable")
	waitReady(t, base)
	snaps := t.TempDir()
	// The second ledger signs its events but leaves sealing to the first (--no-seal).
	base2, stop2, logs2 := startServe(t, "--store", kurrentEndpoint(t, logs, creds["replica"]), "--snapshots", snaps, "--no-seal")
	waitReady(t, base2)
	contains(t, logs2.String(), "KurrentDB at esdb://")
	r := runCLI(t, append(with(nil, "partner", "register", "contoso", "--name", "Contoso", "--partner-role", "indirect_provider",
		"--email", "s@contoso.example"), "--server", base2)...)
	if r.code != 0 {
		t.Fatalf("register via KurrentDB store: %+v", r)
	}
	// The first ledger sees the event written through the second.
	r = runCLI(t, append(with(nil, "partner", "show", "contoso"), "--server", base)...)
	if r.code != 0 || !strings.Contains(r.out, "Contoso") {
		t.Fatalf("show on the embedded ledger: %+v", r)
	}
	if stop2() != 0 {
		t.Fatalf("stop:\n%s", logs2)
	}
	if strings.Contains(logs2.String(), `"sealed"`) || strings.Contains(logs2.String(), "msg=sealed") {
		t.Fatalf("the --no-seal replica sealed:\n%s", logs2)
	}
}

func TestVerifyBrokenChain(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	if r := runCLI(t, "demo", "--data", dir, "--tickets", "5"); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	// Forge an event appended behind the ledger's back: no valid hash.
	l, err := ledger.Open(context.Background(), ledger.Config{DataDir: dir, NoSnapshots: true})
	if err != nil {
		t.Fatal(err)
	}
	stream := "ticket-" + uuid.NewString()
	_, err = l.Raw.Append(context.Background(), stream, eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: "ticket.note_added",
		ContentType: "application/json", Data: []byte(`{"text":"forged"}`), Metadata: []byte(`{"hash":"00"}`)})
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "verify", "--data", dir)
	// Offline, verify checks the whole log and names the problem and its place.
	if r.code != 1 || !strings.Contains(r.out, "PROBLEM malformed "+stream+"@0") || !strings.Contains(r.err, "1 integrity problems") {
		t.Fatalf("verify: %+v", r)
	}
}

// An interrupted demo --data says so, stores what was accepted before the
// interrupt, and leaves a data directory that verifies.
func TestDemoInterrupted(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	go func() { // interrupt once generation has started
		for !strings.Contains(errb.String(), "demo: 1/") {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	code := runIO(ctx, []string{"demo", "--data", dir, "--tickets", "200000"}, &out, &errb)
	if code == 0 {
		t.Fatalf("an interrupted demo exited 0:\n%s", errb.String())
	}
	contains(t, errb.String(), "demo interrupted after", "ticketledger verify --data "+dir, "remove "+dir+" and run again")
	r := runCLI(t, "verify", "--data", dir, "-o", "json")
	if r.code != 0 {
		t.Fatalf("verify after the interrupt: %+v", r)
	}
	var v struct {
		Events   int   `json:"events"`
		Problems []any `json:"problems"`
	}
	if err := json.Unmarshal([]byte(r.out), &v); err != nil || v.Events == 0 || len(v.Problems) != 0 {
		t.Fatalf("verify after the interrupt: %v %s", err, r.out)
	}
}
