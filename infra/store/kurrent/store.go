package kurrent

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/metadata"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

var _ eventstore.Store = (*Store)(nil)

// Store is the event-store port on a KurrentDB node or cluster, through the
// official client. It is safe for concurrent use.
type Store struct {
	client *esdb.Client
	closed atomic.Bool
	authz  string // see plaintextAuthorization
}

// Dial connects to KurrentDB with a connection string such as
// "esdb://localhost:2113?tls=false" or "esdb+discover://host:2113".
// The client connects lazily, so Dial reads one (normally missing) stream to
// fail fast on a wrong address or credentials; it gives up when ctx ends. The client's own log lines go
// to slog.Default at debug level: every failure also comes back as an error.
func Dial(ctx context.Context, connString string) (*Store, error) {
	cfg, err := esdb.ParseConnectionString(connString)
	if err != nil {
		return nil, fmt.Errorf("kurrent: invalid connection string: %w", err)
	}
	cfg.Logger = slogLogger(slog.Default())
	client, err := esdb.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("kurrent: %w", err)
	}
	s := &Store{client: client, authz: plaintextAuthorization(cfg)}

	// The client's node discovery does not watch ctx: probe in the
	// background and stop waiting when ctx ends.
	probe := make(chan error, 1)
	go func() {
		_, err := s.ReadStream(ctx, dialProbeStream, eventstore.Backwards, eventstore.StreamEnd(), 1)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			err = nil
		}
		probe <- err
	}()
	select {
	case err = <-probe:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("kurrent: connect: %w", err)
	}
	return s, nil
}

// plaintextAuthorization is the "authorization" metadata the store sends
// itself on every call when the connection string has credentials, tls=false
// and a loopback address (esdb://user:pass@127.0.0.1:2113?tls=false), and ""
// otherwise. The official client sends credentials only over TLS; a
// ledger's wire endpoint on loopback (serve --kurrent-listen, which needs
// no TLS there) requires them, and plaintext on loopback never leaves the
// host.
func plaintextAuthorization(cfg *esdb.Configuration) string {
	if !cfg.DisableTLS || cfg.Username == "" || cfg.DnsDiscover || len(cfg.GossipSeeds) > 1 {
		return ""
	}
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return ""
	}
	if ip, err := netip.ParseAddr(host); !(err == nil && ip.IsLoopback()) && host != "localhost" {
		return ""
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password))
}

// call is ctx carrying the plaintext credentials, if any.
func (s *Store) call(ctx context.Context) context.Context {
	if s.authz == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", s.authz)
}

// dialProbeStream is the stream Dial reads to check the connection.
const dialProbeStream = "ticketledger-dial-probe"

// New wraps an existing client. The Store owns it: Close closes it.
func New(client *esdb.Client) *Store { return &Store{client: client} }

// Close closes the client. Subscriptions end with eventstore.ErrClosed, and
// so do later calls.
func (s *Store) Close() error {
	s.closed.Store(true)
	return s.client.Close()
}

// Append writes events to stream if its revision matches expected. Event
// metadata goes verbatim into KurrentDB's custom metadata, where its UI
// shows it; ContentType "application/json" marks the event as JSON,
// anything else as binary.
//
// KurrentDB answers an idempotent append (ids already stored at that place)
// exactly as a fresh one, so Append reads the appended revisions back (one
// more round trip) and reports Deduplicated when the stored events are not
// the ones sent (another type, data or metadata). A retry of identical
// events reads as a fresh append; should the read-back fail, the append is
// reported as fresh too (it did succeed).
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	data := make([]esdb.EventData, len(events))
	for i, e := range events {
		ct := esdb.ContentTypeBinary
		if e.ContentType == contentTypeJSON {
			ct = esdb.ContentTypeJson
		}
		data[i] = esdb.EventData{
			EventID:     e.ID,
			EventType:   e.Type,
			ContentType: ct,
			Data:        e.Data,
			Metadata:    e.Metadata,
		}
	}
	opts := esdb.AppendToStreamOptions{ExpectedRevision: toExpected(expected), Deadline: deadline(ctx)}
	res, err := s.client.AppendToStream(s.call(ctx), stream, opts, data...)
	if err != nil {
		return eventstore.AppendResult{}, mapError(ctx, "append to "+stream, stream, expected, err)
	}
	out := eventstore.AppendResult{
		NextRevision: res.NextExpectedVersion,
		Position:     eventstore.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition},
	}
	out.Deduplicated = s.storedOthers(ctx, stream, out.NextRevision, events)
	return out, nil
}

// storedOthers reports whether the events stored at the revisions an append
// of sent ended at (last) are not the ones sent: the append was
// deduplicated against earlier events with the same ids.
func (s *Store) storedOthers(ctx context.Context, stream string, last uint64, sent []eventstore.EventData) bool {
	n := uint64(len(sent))
	if n == 0 || last+1 < n {
		return false
	}
	got, err := s.ReadStream(ctx, stream, eventstore.Forwards, eventstore.StreamRevision(last+1-n), n)
	if err != nil || uint64(len(got)) != n {
		return false
	}
	for i := range got {
		g, e := &got[i], &sent[i]
		if g.ID != e.ID || g.Type != e.Type || !bytes.Equal(g.Data, e.Data) || !bytes.Equal(g.Metadata, e.Metadata) {
			return true
		}
	}
	return false
}

// ReadStream reads up to count events of stream.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from eventstore.StreamPos, count uint64) ([]eventstore.RecordedEvent, error) {
	opts := esdb.ReadStreamOptions{Direction: toDirection(dir), From: toStreamPosition(from), Deadline: deadline(ctx)}
	rs, err := s.client.ReadStream(s.call(ctx), stream, opts, count)
	out, err := collect(count, rs, err)
	if err != nil {
		return nil, mapError(ctx, "read "+stream, stream, eventstore.Any(), err)
	}
	return out, nil
}

// readAllPage is how many events a filtered ReadAll fetches per round trip:
// the client has no filtered $all reads, so filtering happens here.
const readAllPage = 512

// ReadAll reads up to count events of $all. Forwards reads include from,
// backwards reads exclude it.
func (s *Store) ReadAll(ctx context.Context, dir eventstore.Direction, from eventstore.AllPos, count uint64, filter *eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	m, err := filter.Compile()
	if err != nil {
		return nil, fmt.Errorf("kurrent: read $all: %w", err)
	}
	read := func(from esdb.AllPosition, n uint64) (*esdb.ReadStream, error) {
		return s.client.ReadAll(s.call(ctx), esdb.ReadAllOptions{Direction: toDirection(dir), From: from, Deadline: deadline(ctx)}, n)
	}
	if m.IsAll() {
		rs, err := read(toAllPosition(from), count)
		out, err := collect(count, rs, err)
		if err != nil {
			return nil, mapError(ctx, "read $all", "$all", eventstore.Any(), err)
		}
		return out, nil
	}

	var out []eventstore.RecordedEvent
	pos := toAllPosition(from)
	var last *esdb.Position // last event scanned; forwards pages restart there
	for uint64(len(out)) < count {
		n := uint64(readAllPage)
		if last != nil && dir == eventstore.Forwards {
			n++ // the page starts with the last event scanned
		}
		rs, err := read(pos, n)
		page, err := collect(n, rs, err)
		if err != nil {
			return nil, mapError(ctx, "read $all", "$all", eventstore.Any(), err)
		}
		got := uint64(len(page))
		if last != nil && dir == eventstore.Forwards && len(page) > 0 &&
			page[0].Position == (eventstore.Position{Commit: last.Commit, Prepare: last.Prepare}) {
			page = page[1:]
		}
		for i := range page {
			if m.Match(&page[i]) {
				out = append(out, page[i])
				if uint64(len(out)) == count {
					return out, nil
				}
			}
		}
		if got < n || len(page) == 0 {
			break
		}
		p := page[len(page)-1].Position
		last = &esdb.Position{Commit: p.Commit, Prepare: p.Prepare}
		pos = *last
	}
	return out, nil
}

// collect drains a read of up to count events into port events.
func collect(count uint64, rs *esdb.ReadStream, err error) ([]eventstore.RecordedEvent, error) {
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make([]eventstore.RecordedEvent, 0, min(count, 1024))
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fromRecorded(ev.OriginalEvent()))
	}
}

// Head implements eventstore.Store: the position of the last event of $all,
// or the zero Position when it is empty; projections compare it with their
// checkpoint to measure lag.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	evs, err := s.ReadAll(ctx, eventstore.Backwards, eventstore.AllEnd(), 1, nil)
	if err != nil || len(evs) == 0 {
		return eventstore.Position{}, err
	}
	return evs[0].Position, nil
}

// Delete implements kurrentwire.Store: it soft-deletes stream, which reads as not found and a later append
// continues its numbering.
func (s *Store) Delete(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error) {
	res, err := s.client.DeleteStream(s.call(ctx), stream, esdb.DeleteStreamOptions{ExpectedRevision: toExpected(expected), Deadline: deadline(ctx)})
	if err != nil {
		return eventstore.Position{}, mapError(ctx, "delete "+stream, stream, expected, err)
	}
	return eventstore.Position{Commit: res.Position.Commit, Prepare: res.Position.Prepare}, nil
}

// Tombstone implements kurrentwire.Store: it hard-deletes stream for good.
func (s *Store) Tombstone(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error) {
	res, err := s.client.TombstoneStream(s.call(ctx), stream, esdb.TombstoneStreamOptions{ExpectedRevision: toExpected(expected), Deadline: deadline(ctx)})
	if err != nil {
		return eventstore.Position{}, mapError(ctx, "tombstone "+stream, stream, expected, err)
	}
	return eventstore.Position{Commit: res.Position.Commit, Prepare: res.Position.Prepare}, nil
}

// deadline passes ctx's deadline to the client, which otherwise applies its
// own default (10 s, or defaultDeadline from the connection string) to
// every call that is not a subscription.
func deadline(ctx context.Context) *time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	left := max(time.Until(d), time.Millisecond)
	return &left
}
