package integrity

import (
	"context"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// A sealer whose reader lags behind its own seals (a busy machine: it seals
// again before the log has delivered its previous seal back to it) keeps
// chaining each seal to the one it appended last, not to the older seal it
// meets late in the log.
func TestSealerLaggingBehindItsOwnSealsChainsToTheLatest(t *testing.T) {
	ctx := context.Background()
	st, key := keyedStore(t, t.TempDir())
	defer st.Close()
	s := NewSealer(st, key, SealerOptions{Interval: time.Hour, Now: func() time.Time { return tNow }})
	read := 0 // how many records of $all the sealer has been handed
	feed := func(n int) {
		t.Helper()
		recs, err := st.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 1000, nil)
		if err != nil || len(recs) < read+n {
			t.Fatalf("read $all: %d records, %v", len(recs), err)
		}
		for i := read; i < read+n; i++ {
			s.add(&recs[i])
		}
		read += n
	}
	note := func(text string) {
		t.Helper()
		if _, err := appendSigned(ctx, st, "ticket-a", key, tNow, noteEv(text)); err != nil {
			t.Fatal(err)
		}
	}
	seal := func() {
		t.Helper()
		if _, err := s.Seal(ctx); err != nil {
			t.Fatal(err)
		}
	}
	note("a0")
	feed(2)    // the key and a0
	note("a1") // appended while the sealer seals
	seal()     // A over [key a0]; the log: key a0 a1 A
	feed(1)    // a1
	note("a2")
	seal()  // B over [key a0 a1]; the log: key a0 a1 A a2 B
	feed(2) // A arrives late, then a2
	seal()  // C over [key a0 a1 A a2] must chain to B, the last seal appended
	feed(2) // B, C
	if len(s.Problems()) != 0 {
		t.Fatalf("sealer problems: %v", s.Problems())
	}
	r, err := VerifyLog(ctx, st, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Seals != 3 {
		t.Fatalf("%d seals, problems:\n%s", r.Seals, dump(r))
	}
}
