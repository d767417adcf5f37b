package pebblestore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

const killChildEnv = "PEBBLESTORE_KILL_CHILD_DIR"

// TestKillChild is the child of TestKillDuringAppends: it appends in a loop
// and prints "try" before and "ack" after each append until it is killed.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(killChildEnv)
	if dir == "" {
		t.Skip("run by TestKillDuringAppends")
	}
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Printf("open-error %v\n", err)
		os.Exit(2)
	}
	var mu sync.Mutex // one write(2) per line anyway; keeps lines whole under -race too
	out := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(os.Stdout, format, args...)
		mu.Unlock()
	}
	deadline := time.Now().Add(30 * time.Second) // never outlive a parent that forgot us
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				stream := fmt.Sprintf("kill-%d-%d", os.Getpid(), w)
				evs := make([]eventstore.EventData, 1+i%3)
				ids := make([]string, len(evs))
				for j := range evs {
					evs[j] = eventstore.EventData{ID: uuid.New(), Type: "kill.test", ContentType: "application/json", Data: []byte(`{"k":1}`)}
					ids[j] = evs[j].ID.String()
				}
				out("try %s %s\n", stream, strings.Join(ids, ","))
				res, err := s.Append(context.Background(), stream, eventstore.Any(), evs...)
				if err != nil {
					out("error %v\n", err)
					return
				}
				out("ack %s %d %s\n", stream, res.NextRevision, strings.Join(ids, ","))
			}
		}()
	}
	wg.Wait()
	s.Close()
	os.Exit(0)
}

// TestKillDuringAppends SIGKILLs a process in the middle of appending, then
// checks in the directory it left that every append it acknowledged is there,
// whole, and that nothing it only tried is there in part.
func TestKillDuringAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	type tried struct {
		stream string
		ids    []string
		acked  bool
		rev    uint64
	}
	all := map[string]*tried{} // by first id
	for round := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 300 + round*200 // acknowledged appends
		acks := 0
		r := bufio.NewReader(stdout)
		killed := false
		timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				break // a partial last line (cut by the kill) is ignored
			}
			f := strings.Fields(line)
			switch {
			case len(f) == 3 && f[0] == "try":
				ids := strings.Split(f[2], ",")
				all[ids[0]] = &tried{stream: f[1], ids: ids}
			case len(f) == 4 && f[0] == "ack":
				ids := strings.Split(f[3], ",")
				tr := all[ids[0]]
				if tr == nil {
					t.Fatalf("ack without try: %q", line)
				}
				tr.acked = true
				tr.rev, _ = strconv.ParseUint(f[2], 10, 64)
				if acks++; acks == killAfter && !killed {
					killed = true
					if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
				}
			case strings.HasPrefix(line, "error") || strings.HasPrefix(line, "open-error"):
				t.Fatalf("child: %s", line)
			}
		}
		timer.Stop()
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: the child stopped after %d acknowledged appends before being killed", round, acks)
		}

		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("reopen after kill -9: %v", err)
		}
		ctx := context.Background()
		byID := map[uuid.UUID]eventstore.RecordedEvent{}
		evs, err := s.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 1<<40, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			byID[ev.ID] = ev
		}
		lost, half, unacked := 0, 0, 0
		for _, tr := range all {
			present := 0
			for _, id := range tr.ids {
				if ev, ok := byID[uuid.MustParse(id)]; ok && ev.StreamID == tr.stream {
					present++
				}
			}
			switch {
			case present != 0 && present != len(tr.ids):
				half++
			case tr.acked && present == 0:
				lost++
			case !tr.acked && present > 0:
				unacked++ // stored but the answer did not make it out: allowed
			}
			if tr.acked && present == len(tr.ids) {
				last := byID[uuid.MustParse(tr.ids[len(tr.ids)-1])]
				if last.Revision != tr.rev {
					t.Errorf("acknowledged revision %d, stored at %d", tr.rev, last.Revision)
				}
			}
		}
		s.Close()
		if lost > 0 || half > 0 {
			t.Fatalf("round %d: %d acknowledged appends lost, %d appends half stored (of %d tried)", round, lost, half, len(all))
		}
		t.Logf("round %d: %d appends tried, %d acknowledged before the kill all there; %d unacknowledged ones stored whole", round, len(all), acks, unacked)
	}
}

// TestSecondOpen checks that a data directory has one owner at a time, with
// an error that says which directory and what to do.
func TestSecondOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	for _, want := range []string{dir, "another Store in this process", "another data directory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s.Close()

	// From another process: the child cannot open what we hold.
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	out, _ := cmd.Output()
	if !strings.Contains(string(out), "open-error") || !strings.Contains(string(out), fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("a second process opening a held directory said %q, want an open error naming pid %d", out, os.Getpid())
	}
}
