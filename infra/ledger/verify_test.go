package ledger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Verify checks every ticket and partner stream in one pass over $all,
// interleaved as they were written, and names the first broken link of
// each broken one; other streams are not its concern.
func TestVerifyOnePassNamesEachBrokenStream(t *testing.T) {
	ctx := context.Background()
	l, err := Open(ctx, Config{DataDir: t.TempDir(), NoSnapshots: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	prev := map[string]string{}
	appendNote := func(stream, text string, tamper bool) {
		t.Helper()
		data, metas, err := codec.EncodeChain(stream, prev[stream], []domain.Event{ticket.NoteAdded{Text: text}},
			[]domain.Meta{{Actor: domain.Actor{ID: "agent", Role: domain.RoleVendorSupport}, OccurredAt: at, RecordedAt: at}})
		if err != nil {
			t.Fatal(err)
		}
		if tamper {
			data[0].Data = []byte(`{"text":"altered"}`)
		}
		if _, err := l.Raw.Append(ctx, stream, eventstore.Any(), data...); err != nil {
			t.Fatal(err)
		}
		prev[stream] = metas[0].Hash
	}
	for i := range 3 {
		for _, s := range []string{"ticket-a", "ticket-b", "partner-p", "ticket-c", "other-x"} {
			appendNote(s, fmt.Sprint(s, i), (s == "ticket-b" && i == 1) || (s == "partner-p" && i == 2))
		}
	}
	var calls int
	rep, err := Verify(ctx, l.Raw, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Streams != 4 || rep.Events != 12 || rep.Broken != 2 || calls == 0 {
		t.Fatalf("report %+v, %d progress calls", rep, calls)
	}
	for _, r := range rep.Results {
		switch r.Stream {
		case "ticket-b", "partner-p":
			want := map[string]uint64{"ticket-b": 1, "partner-p": 2}[r.Stream]
			if r.OK || r.Problem == nil || r.Problem.Revision != want || r.Problem.Problem != "hash mismatch: the record was altered" || r.Events != 3 {
				t.Errorf("%s: %+v %+v", r.Stream, r, r.Problem)
			}
		default:
			if !r.OK || r.Events != 3 {
				t.Errorf("%s: %+v", r.Stream, r)
			}
		}
	}
}
