package kurrentwire_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
)

func setup(t testing.TB) (*esdb.Client, eventstore.Store, string) {
	t.Helper()
	store := newStore(t)
	addr, _ := startServer(t, store, kurrentwire.Options{ReadBatchSize: 3})
	return dial(t, addr, ""), store, addr
}

// The connection handshake calls ServerFeatures; a plain
// esdb://host:port?tls=false string must work without gossip.
func TestHandshakeAndServerFeatures(t *testing.T) {
	c, _, addr := setup(t)
	if _, err := drain(c.ReadAll(testCtx(t), esdb.ReadAllOptions{}, 10)); err != nil {
		t.Fatalf("first call through a fresh client: %v", err)
	}

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got, err := serverfeatures.NewServerFeaturesClient(conn).GetSupportedMethods(testCtx(t), &shared.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if got.EventStoreServerVersion != kurrentwire.DefaultServerVersion {
		t.Errorf("version %q", got.EventStoreServerVersion)
	}
	methods := map[string]bool{}
	for _, m := range got.Methods {
		methods[m.ServiceName+"/"+m.MethodName] = true
	}
	for _, want := range []string{"read", "append", "delete", "tombstone"} {
		if !methods["event_store.client.streams.streams/"+want] {
			t.Errorf("streams/%s not advertised: %v", want, methods)
		}
	}
	if methods["event_store.client.streams.streams/batchappend"] {
		t.Error("batchappend advertised but not implemented")
	}
}

// Trap: "created" must be decimal 100-ns ticks (else log.Fatalf in the
// client), and "type"/"content-type" must be echoed.
func TestRecordedEventMetadata(t *testing.T) {
	c, _, _ := setup(t)
	ctx := testCtx(t)
	before := time.Now()
	ev := jsonEvent("ticket.opened", 7)
	bin := esdb.EventData{EventID: uuid.New(), EventType: "blob", ContentType: esdb.ContentTypeBinary, Data: []byte{0, 1, 2}}
	if _, err := c.AppendToStream(ctx, "ticket-1", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, ev, bin); err != nil {
		t.Fatal(err)
	}
	got, err := drain(c.ReadStream(ctx, "ticket-1", esdb.ReadStreamOptions{}, 10))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("read %d events, want 2", len(got))
	}
	e := got[0].Event
	if e.EventID != ev.EventID || e.EventType != "ticket.opened" || e.ContentType != "application/json" ||
		e.StreamID != "ticket-1" || e.EventNumber != 0 || !bytes.Equal(e.Data, ev.Data) || !bytes.Equal(e.UserMetadata, ev.Metadata) {
		t.Errorf("event = %+v", e)
	}
	if e.SystemMetadata["type"] != "ticket.opened" || e.SystemMetadata["content-type"] != "application/json" {
		t.Errorf("system metadata = %v", e.SystemMetadata)
	}
	if d := e.CreatedDate.Sub(before); d < -time.Second || d > 5*time.Second {
		t.Errorf("created %v, appended at %v", e.CreatedDate, before)
	}
	if got[1].Event.ContentType != "application/octet-stream" || got[1].Event.EventNumber != 1 {
		t.Errorf("binary event = %+v", got[1].Event)
	}
	if e.Position.Commit == 0 || !(e.Position.Commit < got[1].Event.Position.Commit) {
		t.Errorf("positions %v, %v", e.Position, got[1].Event.Position)
	}
}

// Trap: a read answers "stream_not_found" with the stream's name.
func TestReadStreamNotFound(t *testing.T) {
	c, _, _ := setup(t)
	_, err := drain(c.ReadStream(testCtx(t), "nope", esdb.ReadStreamOptions{}, 10))
	if errCode(err) != esdb.ErrorCodeResourceNotFound || !strings.Contains(err.Error(), "'nope'") {
		t.Fatalf("err = %v", err)
	}
}

func TestReadStreamPagingAndDirections(t *testing.T) {
	c, _, _ := setup(t) // ReadBatchSize 3
	appendN(t, c, "s", 10)
	ctx := testCtx(t)
	revs := func(evs []*esdb.ResolvedEvent) (out []uint64) {
		for _, e := range evs {
			out = append(out, e.Event.EventNumber)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		opts  esdb.ReadStreamOptions
		count uint64
		want  []uint64
	}{
		{"all forwards", esdb.ReadStreamOptions{}, ^uint64(0), []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"from 4, 5 events", esdb.ReadStreamOptions{From: esdb.Revision(4)}, 5, []uint64{4, 5, 6, 7, 8}},
		{"backwards from end", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 4, []uint64{9, 8, 7, 6}},
		{"backwards from 2", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(2)}, 100, []uint64{2, 1, 0}},
		{"forwards from end", esdb.ReadStreamOptions{From: esdb.End{}}, 100, nil},
	} {
		got, err := drain(c.ReadStream(ctx, "s", tc.opts, tc.count))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if g := revs(got); !equalU64(g, tc.want) {
			t.Errorf("%s: revisions %v, want %v", tc.name, g, tc.want)
		}
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Forwards $all reads from a position include it; backwards exclude it.
func TestReadAllPositions(t *testing.T) {
	c, _, _ := setup(t) // ReadBatchSize 3: paging is exercised
	appendN(t, c, "a", 4)
	appendN(t, c, "b", 4)
	ctx := testCtx(t)
	all, err := drain(c.ReadAll(ctx, esdb.ReadAllOptions{}, 1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 8 {
		t.Fatalf("read %d events, want 8", len(all))
	}
	for i := 1; i < len(all); i++ {
		if !(all[i-1].Event.Position.Commit < all[i].Event.Position.Commit) || all[i].Commit == nil || *all[i].Commit != all[i].Event.Position.Commit {
			t.Fatalf("positions not strictly increasing at %d", i)
		}
	}
	mid := all[3].Event.Position
	fwd, err := drain(c.ReadAll(ctx, esdb.ReadAllOptions{From: mid}, 1000))
	if err != nil || len(fwd) != 5 || fwd[0].Event.Position != mid {
		t.Fatalf("forwards from %v: %d events, err %v", mid, len(fwd), err)
	}
	bwd, err := drain(c.ReadAll(ctx, esdb.ReadAllOptions{From: mid, Direction: esdb.Backwards}, 1000))
	if err != nil || len(bwd) != 3 || bwd[0].Event.Position != all[2].Event.Position {
		t.Fatalf("backwards from %v: %d events, err %v", mid, len(bwd), err)
	}
	last, err := drain(c.ReadAll(ctx, esdb.ReadAllOptions{From: esdb.End{}, Direction: esdb.Backwards}, 1))
	if err != nil || len(last) != 1 || last[0].Event.Position != all[7].Event.Position {
		t.Fatalf("head read: %v %v", last, err)
	}
}

// Trap: wrong expected version is the AppendResp.wrong_expected_version
// variant, with current and expected revisions the client can print.
func TestWrongExpectedVersion(t *testing.T) {
	c, _, _ := setup(t)
	ctx := testCtx(t)
	appendN(t, c, "s", 2)
	for _, tc := range []struct {
		exp  esdb.ExpectedRevision
		want string
	}{
		{esdb.NoStream{}, "expecting 'no_stream' but got '1'"},
		{esdb.Revision(0), "expecting '0' but got '1'"},
	} {
		_, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: tc.exp}, jsonEvent("x", 0))
		if errCode(err) != esdb.ErrorCodeWrongExpectedVersion || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("expected %v: err = %v, want %q", tc.exp, err, tc.want)
		}
	}
	_, err := c.AppendToStream(ctx, "missing", esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, jsonEvent("x", 0))
	if errCode(err) != esdb.ErrorCodeWrongExpectedVersion || !strings.Contains(err.Error(), "expecting 'stream_exists' but got 'no_stream'") {
		t.Errorf("stream exists on a missing stream: %v", err)
	}
	res, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(1)}, jsonEvent("x", 0))
	if err != nil || res.NextExpectedVersion != 2 || res.CommitPosition == 0 {
		t.Errorf("exact append: %+v, %v", res, err)
	}
}

// Trap: the server must read the client's whole append stream before it
// answers an error, or the client sees EOF instead of the status.
func TestAppendErrorAfterLargeRequest(t *testing.T) {
	c, _, _ := setup(t)
	ctx := testCtx(t)
	appendN(t, c, "gone", 1)
	if _, err := c.TombstoneStream(ctx, "gone", esdb.TombstoneStreamOptions{}); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 256<<10)
	evs := make([]esdb.EventData, 64) // 16 MiB: far beyond any flow-control window
	for i := range evs {
		evs[i] = esdb.EventData{EventID: uuid.New(), EventType: "big", ContentType: esdb.ContentTypeBinary, Data: big}
	}
	_, err := c.AppendToStream(ctx, "gone", esdb.AppendToStreamOptions{}, evs...)
	if errCode(err) != esdb.ErrorCodeStreamDeleted {
		t.Fatalf("append to tombstoned stream: %v (code %d), want ErrorCodeStreamDeleted", err, errCode(err))
	}
	// A malformed request (wrong expected version too) is answered the same way.
	_, err = c.AppendToStream(ctx, "fresh", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(3)}, evs...)
	if errCode(err) != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("large conflicting append: %v", err)
	}
}

// Traps: Delete/Tombstone replies carry a position; stream-deleted errors
// carry the exception and stream-name trailers; soft-deleted streams read
// as not found and continue numbering; tombstoned ones are gone for good.
func TestDeleteAndTombstone(t *testing.T) {
	c, _, _ := setup(t)
	ctx := testCtx(t)
	appendN(t, c, "soft", 3)
	del, err := c.DeleteStream(ctx, "soft", esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(2)})
	if err != nil || del.Position.Commit == 0 {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	if _, err := drain(c.ReadStream(ctx, "soft", esdb.ReadStreamOptions{}, 10)); errCode(err) != esdb.ErrorCodeResourceNotFound {
		t.Fatalf("read after delete: %v", err)
	}
	res, err := c.AppendToStream(ctx, "soft", esdb.AppendToStreamOptions{}, jsonEvent("x", 0))
	if err != nil || res.NextExpectedVersion != 3 {
		t.Fatalf("append after delete: %+v, %v (numbering must continue at 3)", res, err)
	}
	got, err := drain(c.ReadStream(ctx, "soft", esdb.ReadStreamOptions{}, 10))
	if err != nil || len(got) != 1 || got[0].Event.EventNumber != 3 {
		t.Fatalf("read after re-append: %v, %v", got, err)
	}

	_, err = c.DeleteStream(ctx, "soft", esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(0)})
	if err == nil || !strings.Contains(err.Error(), "WrongExpectedVersion") || !strings.Contains(err.Error(), "Actual version: 3") {
		t.Fatalf("delete with a stale revision: %v", err)
	}

	appendN(t, c, "hard", 1)
	ts, err := c.TombstoneStream(ctx, "hard", esdb.TombstoneStreamOptions{ExpectedRevision: esdb.StreamExists{}})
	if err != nil || ts.Position.Commit == 0 {
		t.Fatalf("tombstone: %+v, %v", ts, err)
	}
	if _, err := drain(c.ReadStream(ctx, "hard", esdb.ReadStreamOptions{}, 10)); errCode(err) != esdb.ErrorCodeStreamDeleted || !strings.Contains(err.Error(), "'hard'") {
		t.Fatalf("read tombstoned: %v", err)
	}
	if _, err := c.AppendToStream(ctx, "hard", esdb.AppendToStreamOptions{}, jsonEvent("x", 0)); errCode(err) != esdb.ErrorCodeStreamDeleted {
		t.Fatalf("append tombstoned: %v", err)
	}
	if _, err := c.DeleteStream(ctx, "hard", esdb.DeleteStreamOptions{}); errCode(err) != esdb.ErrorCodeStreamDeleted {
		t.Fatalf("delete tombstoned: %v", err)
	}
	if _, err := c.TombstoneStream(ctx, "hard", esdb.TombstoneStreamOptions{}); errCode(err) != esdb.ErrorCodeStreamDeleted {
		t.Fatalf("tombstone tombstoned: %v", err)
	}
}

func TestStreamMetadataRoundTrip(t *testing.T) {
	c, _, _ := setup(t)
	ctx := testCtx(t)
	appendN(t, c, "ticket-9", 5)
	var m esdb.StreamMetadata
	m.SetMaxCount(100)
	m.SetMaxAge(48 * time.Hour)
	m.SetTruncateBefore(2)
	m.AddCustomProperty("owner", "support")
	if _, err := c.SetStreamMetadata(ctx, "ticket-9", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, m); err != nil {
		t.Fatal(err)
	}
	m.SetMaxCount(3)
	if _, err := c.SetStreamMetadata(ctx, "ticket-9", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, m); err != nil {
		t.Fatal(err)
	}
	// The client reads forwards from the start: only the latest metadata
	// event is visible, as in KurrentDB.
	got, err := c.GetStreamMetadata(ctx, "ticket-9", esdb.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mc := got.MaxCount(); mc == nil || *mc != 3 {
		t.Errorf("max count %v, want 3", mc)
	}
	if ma := got.MaxAge(); ma == nil || *ma != 48*time.Hour {
		t.Errorf("max age %v", ma)
	}
	if tb := got.TruncateBefore(); tb == nil || *tb != 2 {
		t.Errorf("truncate before %v", tb)
	}
	if got.CustomProperty("owner") != "support" {
		t.Errorf("custom properties %v", got.CustomProperties())
	}
	raw, err := drain(c.ReadStream(ctx, "$$ticket-9", esdb.ReadStreamOptions{}, 10))
	if err != nil || len(raw) != 1 || raw[0].Event.EventNumber != 1 || raw[0].Event.EventType != "$metadata" {
		t.Errorf("metadata stream read: %v, %v", raw, err)
	}
}

// Trap: a subscription answers "confirmation" first (else the client
// fails with "failed to initiate subscription").
func TestSubscribeStream(t *testing.T) {
	c, _, _ := setup(t)
	ctx := testCtx(t)
	appendN(t, c, "mine", 2)
	appendN(t, c, "other", 2)

	sub := subscribeStream(t, ctx, c, "mine", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	fromEnd := subscribeStream(t, ctx, c, "mine", esdb.SubscribeToStreamOptions{From: esdb.End{}})
	fromRev := subscribeStream(t, ctx, c, "mine", esdb.SubscribeToStreamOptions{From: esdb.Revision(0)})

	expectEvents(t, sub, "mine", 0, 1)
	expectCaughtUp(t, sub)
	expectCaughtUp(t, fromEnd)
	expectEvents(t, fromRev, "mine", 1)
	expectCaughtUp(t, fromRev)

	appendN(t, c, "other", 1)
	appendN(t, c, "mine", 1)
	expectEvents(t, sub, "mine", 2)
	expectEvents(t, fromEnd, "mine", 2)
	expectEvents(t, fromRev, "mine", 2)
}

func expectEvents(t *testing.T, sub *esdb.Subscription, stream string, revs ...uint64) {
	t.Helper()
	for _, r := range revs {
		ev := recvSub(t, sub, 5*time.Second)
		if ev.EventAppeared == nil {
			t.Fatalf("want event %s@%d, got %+v", stream, r, ev)
		}
		if e := ev.EventAppeared.Event; e.StreamID != stream || e.EventNumber != r {
			t.Fatalf("want event %s@%d, got %s@%d", stream, r, e.StreamID, e.EventNumber)
		}
	}
}

func expectCaughtUp(t *testing.T, sub *esdb.Subscription) {
	t.Helper()
	if ev := recvSub(t, sub, 5*time.Second); ev.CaughtUp == nil {
		t.Fatalf("want caught up, got %+v", ev)
	}
}

func TestSubscribeAllFilteredWithCheckpoints(t *testing.T) {
	c, _, _ := setup(t)
	ctx := testCtx(t)
	appendN(t, c, "ticket-1", 1)
	appendN(t, c, "noise", 6)
	appendN(t, c, "ticket-2", 1)

	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:               esdb.Start{},
		Filter:             &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"ticket-"}},
		MaxSearchWindow:    2,
		CheckpointInterval: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	var streams []string
	checkpoints := 0
	var lastCheckpoint esdb.Position
	for caughtUp := false; !caughtUp; {
		ev := recvSub(t, sub, 5*time.Second)
		switch {
		case ev.EventAppeared != nil:
			streams = append(streams, ev.EventAppeared.Event.StreamID)
		case ev.CheckPointReached != nil:
			checkpoints++
			lastCheckpoint = *ev.CheckPointReached
		case ev.CaughtUp != nil:
			caughtUp = true
		case ev.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", ev.SubscriptionDropped.Error)
		}
	}
	if strings.Join(streams, ",") != "ticket-1,ticket-2" {
		t.Errorf("filtered events from %v", streams)
	}
	if checkpoints < 2 || lastCheckpoint.Commit == 0 {
		t.Errorf("%d checkpoints (last %v) over 6 filtered-out events with interval 2", checkpoints, lastCheckpoint)
	}
	appendN(t, c, "noise", 1)
	appendN(t, c, "ticket-3", 1)
	for {
		ev := recvSub(t, sub, 5*time.Second)
		if ev.CheckPointReached != nil {
			continue
		}
		if ev.EventAppeared == nil || ev.EventAppeared.Event.StreamID != "ticket-3" {
			t.Fatalf("live: %+v", ev)
		}
		break
	}

	// Event-type filter with a regex, from a position (exclusive).
	appendN(t, c, "typed", 1)
	all, _ := drain(c.ReadAll(ctx, esdb.ReadAllOptions{}, 100))
	sub2, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:   all[0].Event.Position,
		Filter: &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Regex: "^ticket\\.noted$"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Close()
	n := 0
	for {
		ev := recvSub(t, sub2, 5*time.Second)
		if ev.CaughtUp != nil {
			break
		}
		if ev.EventAppeared != nil {
			if ev.EventAppeared.Event.Position == all[0].Event.Position {
				t.Fatal("subscription from a position must exclude it")
			}
			n++
		}
	}
	if n != len(all)-1 {
		t.Errorf("regex event-type subscription delivered %d events, want %d", n, len(all)-1)
	}
}

// When the store drops a slow subscriber, the server resubscribes from
// the last event sent: no gap, no duplicate, no visible drop.
func TestResubscribeAfterStoreDrop(t *testing.T) {
	addr, _ := startServer(t, dropStore{Store: newStore(t), after: 3}, kurrentwire.Options{})
	c := dial(t, addr, "")
	ctx := testCtx(t)
	appendN(t, c, "s", 10)

	all := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.Start{}})
	one := subscribeStream(t, ctx, c, "s", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	for _, sub := range []*esdb.Subscription{all, one} {
		expectEvents(t, sub, "s", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
		expectCaughtUp(t, sub)
	}
	appendN(t, c, "s", 1)
	expectEvents(t, all, "s", 10)
	expectEvents(t, one, "s", 10)
}

func TestGracefulStopEndsSubscriptions(t *testing.T) {
	store := newStore(t)
	addr, srv := startServer(t, store, kurrentwire.Options{})
	c := dial(t, addr, "")
	sub, err := c.SubscribeToAll(testCtx(t), esdb.SubscribeToAllOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	expectCaughtUp(t, sub)
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("GracefulStop blocked on a live subscription")
	}
	if ev := recvSub(t, sub, 5*time.Second); ev.SubscriptionDropped == nil {
		t.Fatalf("want dropped, got %+v", ev)
	}
}

// Authentication: any credentials (or none) are accepted.
func TestAnyCredentialsAccepted(t *testing.T) {
	_, _, addr := setup(t)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(testCtx(t), "authorization",
		"Basic "+base64.StdEncoding.EncodeToString([]byte("admin:wrong-password")))
	rc, err := api.NewStreamsClient(conn).Read(ctx, &api.ReadReq{Options: &api.ReadReq_Options{
		StreamOption: &api.ReadReq_Options_Stream{Stream: &api.ReadReq_Options_StreamOptions{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte("nope")},
			RevisionOption:   &api.ReadReq_Options_StreamOptions_Start{Start: &shared.Empty{}},
		}},
		CountOption:  &api.ReadReq_Options_Count{Count: 1},
		FilterOption: &api.ReadReq_Options_NoFilter{NoFilter: &shared.Empty{}},
		UuidOption:   &api.ReadReq_Options_UUIDOption{Content: &api.ReadReq_Options_UUIDOption_String_{String_: &shared.Empty{}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rc.Recv()
	if err != nil || resp.GetStreamNotFound() == nil || string(resp.GetStreamNotFound().GetStreamIdentifier().GetStreamName()) != "nope" {
		t.Fatalf("resp %v, err %v", resp, err)
	}
}

// Event ids are sent as strings when the read asks for it.
func TestUUIDStringOption(t *testing.T) {
	c, _, addr := setup(t)
	ev := jsonEvent("x", 1)
	if _, err := c.AppendToStream(testCtx(t), "u", esdb.AppendToStreamOptions{}, ev); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rc, err := api.NewStreamsClient(conn).Read(testCtx(t), &api.ReadReq{Options: &api.ReadReq_Options{
		StreamOption: &api.ReadReq_Options_Stream{Stream: &api.ReadReq_Options_StreamOptions{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte("u")},
			RevisionOption:   &api.ReadReq_Options_StreamOptions_Start{Start: &shared.Empty{}},
		}},
		CountOption: &api.ReadReq_Options_Count{Count: 1},
		UuidOption:  &api.ReadReq_Options_UUIDOption{Content: &api.ReadReq_Options_UUIDOption_String_{String_: &shared.Empty{}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetEvent().GetEvent().GetId().GetString_(); got != ev.EventID.String() {
		t.Fatalf("id %q, want %s", got, ev.EventID)
	}
}

// Trap: the client pings every 10 s. With gRPC's default enforcement
// (5 min) the server answers the third early ping with GOAWAY
// "too_many_pings" and every idle subscription dies after ~30–40 s. This
// test idles 45 s, so it runs only with TICKETLEDGER_SLOW_TESTS=1 (.ci/run
// sets it); the fast variant below checks the policy with a raw HTTP/2
// connection.
func TestIdleSubscriptionSurvivesKeepalive(t *testing.T) {
	if testing.Short() || os.Getenv("TICKETLEDGER_SLOW_TESTS") == "" {
		t.Skip("idles 45 s: set TICKETLEDGER_SLOW_TESTS=1 to run it")
	}
	c, _, _ := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sub := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.End{}})
	expectCaughtUp(t, sub)
	time.Sleep(45 * time.Second)
	appendN(t, c, "after-idle", 1)
	expectEvents(t, sub, "after-idle", 0)
}
