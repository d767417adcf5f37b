package kurrentwire

import (
	"testing"
	"time"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// The fast encoder must produce what marshalling eventResp's message would.
func TestWireCodecMatchesProto(t *testing.T) {
	c := newWireCodec()
	created := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.UTC)
	cases := []eventstore.RecordedEvent{
		{
			StreamID: "ticket-1", Revision: 7, Position: eventstore.Position{Commit: 1 << 40, Prepare: 1<<40 - 3},
			ID: uuid.New(), Type: "ticket.opened", ContentType: "application/json",
			Data: []byte(`{"a":1}`), Metadata: []byte(`{"actor":"x"}`), Created: created,
		},
		{StreamID: "s", ID: uuid.MustParse("ffffffff-ffff-ffff-ffff-ffffffffffff"), Type: "t"},                      // zeros, empty payloads
		{StreamID: "", ID: uuid.Nil, Type: "", Data: make([]byte, 70000), Created: time.Unix(0, 100).UTC()},         // long data
		{StreamID: "$$ticket-1", Revision: 1, Position: eventstore.Position{Commit: 5, Prepare: 5}, ID: uuid.New()}, // metadata stream
	}
	for i := range cases {
		for _, asString := range []bool{false, true} {
			e := &cases[i]
			bs, err := c.Marshal(&eventMsg{e: e, asString: asString})
			if err != nil {
				t.Fatal(err)
			}
			var got api.ReadResp
			if err := proto.Unmarshal(bs.Materialize(), &got); err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			bs.Free()
			if want := eventResp(e, asString); !proto.Equal(&got, want) {
				t.Errorf("case %d (string ids %v):\n got %v\nwant %v", i, asString, &got, want)
			}
		}
	}
	if got := ticksSinceEpoch(&cases[0]); got != "17723682451234567" {
		t.Errorf("created ticks %s", got)
	}
}
