package kurrentwire

import (
	"context"
	"errors"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// streamsService implements KurrentDB's event_store.client.streams.Streams.
type streamsService struct {
	api.UnimplementedStreamsServer
	s          *Server
	fastEvents bool // the grpc.Server has wireCodec: send eventMsg
}

// Append reads the whole client stream (options, then proposed events)
// before answering anything: a status sent while the client is still
// writing is lost to the official client, which then reports EOF instead.
func (x *streamsService) Append(srv api.Streams_AppendServer) error {
	var (
		opts    *api.AppendReq_Options
		events  []eventstore.EventData
		problem error // first malformed input; reported after draining
	)
	for {
		req, err := srv.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if problem != nil {
			continue
		}
		switch c := req.GetContent().(type) {
		case *api.AppendReq_Options_:
			if opts != nil {
				problem = status.Error(codes.InvalidArgument, "append options sent twice")
				continue
			}
			opts = c.Options
		case *api.AppendReq_ProposedMessage_:
			if opts == nil {
				problem = status.Error(codes.InvalidArgument, "append options must come first")
				continue
			}
			ev, err := proposedEvent(srv, c.ProposedMessage)
			if err != nil {
				problem = err
				continue
			}
			events = append(events, ev)
		default:
			problem = status.Error(codes.InvalidArgument, "unknown append request content")
		}
	}
	if problem != nil {
		return problem
	}
	if opts == nil {
		return status.Error(codes.InvalidArgument, "append options are missing")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	if stream == "" {
		return status.Error(codes.InvalidArgument, "stream name is empty")
	}
	if err := x.s.authorizeWrite(srv.Context(), "Append", stream); err != nil {
		return err
	}
	expected, err := expectedFromProto(opts, opts.GetExpectedStreamRevision() != nil)
	if err != nil {
		return err
	}

	res, err := x.s.store.Append(srv.Context(), stream, expected, events...)
	var conflict *eventstore.ConflictError
	if errors.As(err, &conflict) {
		return srv.SendAndClose(wrongExpectedVersionResp(conflict))
	}
	if err != nil {
		return x.s.streamError(srv, "Append", stream, err)
	}
	return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: res.NextRevision},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: res.Position.Commit, PreparePosition: res.Position.Prepare,
		}},
	}}})
}

func proposedEvent(srv api.Streams_AppendServer, m *api.AppendReq_ProposedMessage) (eventstore.EventData, error) {
	id, err := uuidFromProto(m.GetId())
	if err != nil {
		return eventstore.EventData{}, status.Errorf(codes.InvalidArgument, "invalid event id: %v", err)
	}
	typ, ok := m.GetMetadata()[metaType]
	if !ok {
		return eventstore.EventData{}, missingMetadataError(srv, metaType)
	}
	ct, ok := m.GetMetadata()[metaContentType]
	if !ok {
		return eventstore.EventData{}, missingMetadataError(srv, metaContentType)
	}
	return eventstore.EventData{
		ID:          id,
		Type:        typ,
		ContentType: ct,
		Data:        m.GetData(),
		Metadata:    m.GetCustomMetadata(),
	}, nil
}

// Delete soft-deletes a stream. The reply always carries a position: the
// official client dereferences it without checking.
func (x *streamsService) Delete(ctx context.Context, req *api.DeleteReq) (*api.DeleteResp, error) {
	o := req.GetOptions()
	return remove(ctx, x, "Delete", o.GetStreamIdentifier(), o, o.GetExpectedStreamRevision() != nil, x.s.store.Delete,
		func(p eventstore.Position) *api.DeleteResp {
			return &api.DeleteResp{PositionOption: &api.DeleteResp_Position_{Position: &api.DeleteResp_Position{CommitPosition: p.Commit, PreparePosition: p.Prepare}}}
		})
}

// Tombstone hard-deletes a stream; the reply always carries a position.
func (x *streamsService) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	o := req.GetOptions()
	return remove(ctx, x, "Tombstone", o.GetStreamIdentifier(), o, o.GetExpectedStreamRevision() != nil, x.s.store.Tombstone,
		func(p eventstore.Position) *api.TombstoneResp {
			return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{CommitPosition: p.Commit, PreparePosition: p.Prepare}}}
		})
}

// remove authorizes and runs a Delete or Tombstone (del) of the stream and
// answers with what reply makes of the position the removal was recorded
// at. KurrentDB reports the failures of both as "Delete".
func remove[R any](ctx context.Context, x *streamsService, method string, id *shared.StreamIdentifier, o expectedOptions, set bool,
	del func(context.Context, string, eventstore.ExpectedRevision) (eventstore.Position, error), reply func(eventstore.Position) R) (R, error) {
	var none R
	stream := string(id.GetStreamName())
	if err := x.s.authorizeWrite(ctx, method, stream); err != nil {
		return none, err
	}
	expected, err := expectedFromProto(o, set)
	if err != nil {
		return none, err
	}
	pos, err := del(ctx, stream, expected)
	if err != nil {
		return none, x.s.unaryError(ctx, "Delete", stream, err)
	}
	return reply(pos), nil
}

// Read serves stream reads, $all reads (optionally filtered) and stream and
// $all subscriptions. A read only ever answers "event" or
// "stream_not_found" messages: the official client panics on anything else.
func (x *streamsService) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "read options are missing")
	}
	name := "$all"
	if so := o.GetStream(); so != nil {
		name = string(so.GetStreamIdentifier().GetStreamName())
	}
	if err := x.s.authorizeRead(srv.Context(), name); err != nil {
		return err
	}
	asString := false
	if _, ok := o.GetUuidOption().GetContent().(*api.ReadReq_Options_UUIDOption_String_); ok {
		asString = true
	}
	var filter *eventstore.Filter
	if f := o.GetFilter(); f != nil {
		if o.GetStream() != nil {
			return status.Error(codes.InvalidArgument, "filters apply to $all only")
		}
		var err error
		if filter, err = filterFromProto(f); err != nil {
			return err
		}
	}
	r := &reader{s: x.s, srv: srv, asString: asString, fast: x.fastEvents}

	switch c := o.GetCountOption().(type) {
	case *api.ReadReq_Options_Count:
		dir := eventstore.Forwards
		if o.GetReadDirection() == api.ReadReq_Options_Backwards {
			dir = eventstore.Backwards
		}
		switch so := o.GetStreamOption().(type) {
		case *api.ReadReq_Options_Stream:
			from, err := streamPosFromProto(so.Stream)
			if err != nil {
				return err
			}
			return r.readStream(string(so.Stream.GetStreamIdentifier().GetStreamName()), dir, from, c.Count)
		case *api.ReadReq_Options_All:
			from, err := allPosFromProto(so.All)
			if err != nil {
				return err
			}
			return r.readAll(dir, from, c.Count, filter)
		}
	case *api.ReadReq_Options_Subscription:
		if o.GetReadDirection() != api.ReadReq_Options_Forwards {
			return status.Error(codes.InvalidArgument, "subscriptions only go forwards")
		}
		switch so := o.GetStreamOption().(type) {
		case *api.ReadReq_Options_Stream:
			from, err := streamPosFromProto(so.Stream)
			if err != nil {
				return err
			}
			return r.subscribeStream(string(so.Stream.GetStreamIdentifier().GetStreamName()), from)
		case *api.ReadReq_Options_All:
			from, err := allPosFromProto(so.All)
			if err != nil {
				return err
			}
			var interval uint32
			if filter != nil {
				interval = checkpointInterval(o.GetFilter())
			}
			return r.subscribeAll(from, eventstore.SubscribeOptions{Filter: filter, CheckpointInterval: interval})
		}
	default:
		return status.Error(codes.InvalidArgument, "read needs a count or subscription option")
	}
	return status.Error(codes.InvalidArgument, "read needs a stream or $all option")
}

func streamPosFromProto(so *api.ReadReq_Options_StreamOptions) (eventstore.StreamPos, error) {
	switch r := so.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		return eventstore.StreamRevision(r.Revision), nil
	case *api.ReadReq_Options_StreamOptions_Start:
		return eventstore.StreamStart(), nil
	case *api.ReadReq_Options_StreamOptions_End:
		return eventstore.StreamEnd(), nil
	}
	return eventstore.StreamPos{}, status.Error(codes.InvalidArgument, "stream revision option is missing")
}

func allPosFromProto(ao *api.ReadReq_Options_AllOptions) (eventstore.AllPos, error) {
	switch p := ao.GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		return eventstore.AllPosition(eventstore.Position{
			Commit: p.Position.GetCommitPosition(), Prepare: p.Position.GetPreparePosition(),
		}), nil
	case *api.ReadReq_Options_AllOptions_Start:
		return eventstore.AllStart(), nil
	case *api.ReadReq_Options_AllOptions_End:
		return eventstore.AllEnd(), nil
	}
	return eventstore.AllPos{}, status.Error(codes.InvalidArgument, "$all position option is missing")
}

// newSubscriptionID names a subscription in its confirmation.
func newSubscriptionID() string { return uuid.NewString() }
