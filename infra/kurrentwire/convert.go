package kurrentwire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Keys of the system metadata map of proposed and recorded events, and the
// content types KurrentDB knows.
const (
	metaType        = "type"
	metaContentType = "content-type"
	metaCreated     = "created"

	contentTypeJSON   = "application/json"
	contentTypeBinary = "application/octet-stream"
)

// Trailer keys and values of KurrentDB's error statuses (the client reads
// "exception" and "stream-name" to recognise a deleted stream).
const (
	trailerException        = "exception"
	trailerStreamName       = "stream-name"
	trailerExpectedVersion  = "expected-version"
	trailerActualVersion    = "actual-version"
	trailerRequiredMetadata = "required-metadata-properties"

	excStreamDeleted        = "stream-deleted"
	excStreamNotFound       = "stream-not-found"
	excWrongExpectedVersion = "wrong-expected-version"
	excMissingMetadata      = "missing-required-metadata-property"
)

// KurrentDB's int64 encoding of expected versions, used in error messages
// and trailers.
const (
	versionNoStream     = -1
	versionAny          = -2
	versionStreamExists = -4
)

// ticksSinceEpoch renders t as KurrentDB's "created" value: a decimal count
// of 100-ns ticks since the Unix epoch. The official Go client calls
// log.Fatalf on anything else.
func ticksSinceEpoch(e *eventstore.RecordedEvent) string {
	if e.Created.IsZero() {
		return "0"
	}
	t := e.Created
	return strconv.FormatInt(t.Unix()*10_000_000+int64(t.Nanosecond()/100), 10)
}

func uuidToProto(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

func uuidFromProto(p *shared.UUID) (uuid.UUID, error) {
	switch v := p.GetValue().(type) {
	case *shared.UUID_Structured_:
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[:8], uint64(v.Structured.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(id[8:], uint64(v.Structured.GetLeastSignificantBits()))
		return id, nil
	case *shared.UUID_String_:
		return uuid.Parse(v.String_)
	}
	return uuid.Nil, errors.New("event id is missing")
}

// eventResp wraps a recorded event as a ReadResp. Metadata carries "type",
// "content-type" and "created", as KurrentDB sends them.
func eventResp(e *eventstore.RecordedEvent, uuidAsString bool) *api.ReadResp {
	ct := e.ContentType
	if ct == "" {
		ct = contentTypeBinary
	}
	data, meta := e.Data, e.Metadata
	if data == nil {
		data = []byte{}
	}
	if meta == nil {
		meta = []byte{}
	}
	rec := &api.ReadResp_ReadEvent_RecordedEvent{
		Id:               uuidToProto(e.ID, uuidAsString),
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(e.StreamID)},
		StreamRevision:   e.Revision,
		PreparePosition:  e.Position.Prepare,
		CommitPosition:   e.Position.Commit,
		Metadata: map[string]string{
			metaType:        e.Type,
			metaContentType: ct,
			metaCreated:     ticksSinceEpoch(e),
		},
		CustomMetadata: meta,
		Data:           data,
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event:    rec,
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: e.Position.Commit},
	}}}
}

func streamNotFoundResp(stream string) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(stream)},
	}}}
}

func checkpointResp(p eventstore.Position) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
		CommitPosition: p.Commit, PreparePosition: p.Prepare,
	}}}
}

var caughtUpResp = &api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}

// expectedOptions is what the options of Append, Delete and Tombstone
// requests share (each has its own generated types): the expected-revision
// oneof, read through its getters.
type expectedOptions interface {
	GetRevision() uint64
	GetNoStream() *shared.Empty
	GetAny() *shared.Empty
	GetStreamExists() *shared.Empty
}

// expectedFromProto converts the expected-revision oneof of o; set says
// whether the request carries one at all.
func expectedFromProto(o expectedOptions, set bool) (eventstore.ExpectedRevision, error) {
	switch {
	case !set:
		return eventstore.ExpectedRevision{}, status.Error(codes.InvalidArgument, "expected stream revision is missing")
	case o.GetNoStream() != nil:
		return eventstore.NoStream(), nil
	case o.GetAny() != nil:
		return eventstore.Any(), nil
	case o.GetStreamExists() != nil:
		return eventstore.StreamExists(), nil
	}
	return eventstore.Exact(o.GetRevision()), nil
}

// versionInt64 is KurrentDB's int64 notation of an expected revision.
func versionInt64(e eventstore.ExpectedRevision) int64 {
	switch {
	case e.IsNoStream():
		return versionNoStream
	case e.IsStreamExists():
		return versionStreamExists
	case e.IsAny():
		return versionAny
	}
	r, _ := e.Exact()
	return int64(r)
}

// wrongExpectedVersionResp is the AppendResp KurrentDB sends on a failed
// concurrency check. The Go client reads fields 6–11; the *_20_6_0 fields
// are filled too for older clients.
func wrongExpectedVersionResp(c *eventstore.ConflictError) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	if c.HasActual {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: c.Actual}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: c.Actual}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	}
	e := c.Expected
	switch {
	case e.IsAny():
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case e.IsStreamExists():
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case e.IsNoStream():
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: ^uint64(0)}
	default:
		r, _ := e.Exact()
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: r}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: r}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

func filterFromProto(f *api.ReadReq_Options_FilterOptions) (*eventstore.Filter, error) {
	var (
		on   eventstore.FilterOn
		expr *api.ReadReq_Options_FilterOptions_Expression
	)
	switch v := f.GetFilter().(type) {
	case *api.ReadReq_Options_FilterOptions_StreamIdentifier:
		on, expr = eventstore.FilterStreamName, v.StreamIdentifier
	case *api.ReadReq_Options_FilterOptions_EventType:
		on, expr = eventstore.FilterEventType, v.EventType
	default:
		return nil, status.Error(codes.InvalidArgument, "filter needs a stream identifier or event type expression")
	}
	if expr.GetRegex() == "" && len(expr.GetPrefix()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "filter needs a regex or prefixes")
	}
	if expr.GetRegex() != "" {
		// KurrentDB ignores the prefixes when a regex is given.
		return &eventstore.Filter{On: on, Regex: expr.GetRegex()}, nil
	}
	return &eventstore.Filter{On: on, Prefixes: expr.GetPrefix()}, nil
}

// checkpointInterval is KurrentDB's checkpoint interval of a filtered
// subscription: the multiplier times the search window (32 when unbounded).
func checkpointInterval(f *api.ReadReq_Options_FilterOptions) uint32 {
	window := uint32(DefaultFilterWindow)
	if m, ok := f.GetWindow().(*api.ReadReq_Options_FilterOptions_Max); ok && m.Max > 0 {
		window = m.Max
	}
	mult := f.GetCheckpointIntervalMultiplier()
	if mult == 0 {
		mult = 1
	}
	if uint64(window)*uint64(mult) > uint64(^uint32(0)) {
		return ^uint32(0)
	}
	return window * mult
}

// DefaultFilterWindow is the search window KurrentDB assumes for a filtered
// subscription without one.
const DefaultFilterWindow = 32

// toStatus maps a store error to the gRPC status KurrentDB would send and
// the trailers that go with it. It never returns nil.
func toStatus(op, stream string, err error) (error, metadata.MD) {
	var conflict *eventstore.ConflictError
	switch {
	case errors.As(err, &conflict):
		actual := int64(versionNoStream)
		if conflict.HasActual {
			actual = int64(conflict.Actual)
		}
		expected := versionInt64(conflict.Expected)
		msg := fmt.Sprintf("%s failed due to WrongExpectedVersion. Stream: %s, Expected version: %d, Actual version: %d",
			op, stream, expected, actual)
		return status.Error(codes.FailedPrecondition, msg), metadata.Pairs(
			trailerException, excWrongExpectedVersion,
			trailerStreamName, stream,
			trailerExpectedVersion, strconv.FormatInt(expected, 10),
			trailerActualVersion, strconv.FormatInt(actual, 10))
	case errors.Is(err, eventstore.ErrStreamDeleted):
		return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream),
			metadata.Pairs(trailerException, excStreamDeleted, trailerStreamName, stream)
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return status.Errorf(codes.NotFound, "Event stream '%s' is not found.", stream),
			metadata.Pairs(trailerException, excStreamNotFound, trailerStreamName, stream)
	case errors.Is(err, eventstore.ErrClosed):
		return status.Error(codes.Unavailable, "Server Is Not Ready: the event store is closed"), nil
	case errors.Is(err, eventstore.ErrSubscriptionDropped):
		return status.Error(codes.Aborted, "subscription dropped by the event store"), nil
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error()), nil
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error()), nil
	}
	if _, ok := status.FromError(err); ok {
		return err, nil
	}
	return status.Errorf(codes.Unknown, "%s %s: %v", strings.ToLower(op), stream, err), nil
}

// unaryError sets the trailers of err on a unary call and returns its status.
func (s *Server) unaryError(ctx context.Context, op, stream string, err error) error {
	st, md := toStatus(op, stream, err)
	s.logUnexpected(op, stream, st)
	if md != nil {
		_ = grpc.SetTrailer(ctx, md)
	}
	return st
}

// streamError is unaryError for streaming calls.
func (s *Server) streamError(ss grpc.ServerStream, op, stream string, err error) error {
	st, md := toStatus(op, stream, err)
	s.logUnexpected(op, stream, st)
	if md != nil {
		ss.SetTrailer(md)
	}
	return st
}

func (s *Server) logUnexpected(op, stream string, st error) {
	switch status.Code(st) {
	case codes.Unknown, codes.Internal, codes.DataLoss:
		s.opts.Logger.Warn("kurrentwire: store call failed", "op", op, "stream", stream, "err", st)
	}
}

func missingMetadataError(ss grpc.ServerStream, key string) error {
	ss.SetTrailer(metadata.Pairs(
		trailerException, excMissingMetadata,
		trailerRequiredMetadata, metaType+","+metaContentType))
	return status.Errorf(codes.InvalidArgument, "Required Metadata Property '%s' is missing", key)
}
