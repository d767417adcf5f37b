package kurrent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

const contentTypeJSON = "application/json"

func toExpected(e eventstore.ExpectedRevision) esdb.ExpectedRevision {
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	}
	if r, ok := e.Exact(); ok {
		return esdb.Revision(r)
	}
	return esdb.Any{}
}

func toDirection(d eventstore.Direction) esdb.Direction {
	if d == eventstore.Backwards {
		return esdb.Backwards
	}
	return esdb.Forwards
}

func toStreamPosition(p eventstore.StreamPos) esdb.StreamPosition {
	if r, ok := p.Revision(); ok {
		return esdb.Revision(r)
	}
	if p.IsEnd() {
		return esdb.End{}
	}
	return esdb.Start{}
}

func toAllPosition(p eventstore.AllPos) esdb.AllPosition {
	if pos, ok := p.Position(); ok {
		return esdb.Position{Commit: pos.Commit, Prepare: pos.Prepare}
	}
	if p.IsEnd() {
		return esdb.End{}
	}
	return esdb.Start{}
}

func fromRecorded(e *esdb.RecordedEvent) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{
		StreamID:    e.StreamID,
		Revision:    e.EventNumber,
		Position:    eventstore.Position{Commit: e.Position.Commit, Prepare: e.Position.Prepare},
		ID:          e.EventID,
		Type:        e.EventType,
		ContentType: e.ContentType,
		Data:        e.Data,
		Metadata:    e.UserMetadata,
		Created:     e.CreatedDate.UTC(),
	}
}

func toFilter(f *eventstore.Filter) *esdb.SubscriptionFilter {
	sf := &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: f.Prefixes, Regex: f.Regex}
	if f.On == eventstore.FilterEventType {
		sf.Type = esdb.EventFilterType
	}
	return sf
}

var (
	// "wrong expected version: expecting '1' but got 'no_stream'" (append).
	appendCurrentRe = regexp.MustCompile(`but got '([^']*)'`)
	// "... failed due to WrongExpectedVersion. Stream: s, Expected version: 1,
	// Actual version: 3" (delete and tombstone status message).
	deleteActualRe = regexp.MustCompile(`Actual version: (-?\d+)`)
)

// mapError turns a client error into the port's errors: *ConflictError,
// ErrStreamNotFound, ErrStreamDeleted, ErrClosed or ctx's error, wrapped
// with the operation.
func mapError(ctx context.Context, op, stream string, expected eventstore.ExpectedRevision, err error) error {
	var e *esdb.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdb.ErrorCodeWrongExpectedVersion:
			return conflict(stream, expected, appendCurrentRe.FindStringSubmatch(e.Error()))
		case esdb.ErrorCodeStreamDeleted:
			return fmt.Errorf("kurrent: %s: %w", op, eventstore.ErrStreamDeleted)
		case esdb.ErrorCodeResourceNotFound:
			return fmt.Errorf("kurrent: %s: %w", op, eventstore.ErrStreamNotFound)
		case esdb.ErrorCodeConnectionClosed:
			return fmt.Errorf("kurrent: %s: %w", op, eventstore.ErrClosed)
		}
	}
	// The client reports a failed delete check as a bare FailedPrecondition.
	if st, ok := status.FromError(err); ok && st.Code() == codes.FailedPrecondition &&
		strings.Contains(st.Message(), "WrongExpectedVersion") {
		return conflict(stream, expected, deleteActualRe.FindStringSubmatch(st.Message()))
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("kurrent: %s: %w", op, cerr)
	}
	return fmt.Errorf("kurrent: %s: %w", op, err)
}

// conflict builds a ConflictError from the current revision the server
// reported (m[1]: "no_stream", "-1" or a revision).
func conflict(stream string, expected eventstore.ExpectedRevision, m []string) error {
	c := &eventstore.ConflictError{Stream: stream, Expected: expected}
	if len(m) == 2 {
		if n, err := strconv.ParseInt(m[1], 10, 64); err == nil && n >= 0 {
			c.Actual, c.HasActual = uint64(n), true
		}
	}
	return c
}

// slogLogger routes the client's log lines to l at debug level.
func slogLogger(l *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		if !l.Enabled(context.Background(), slog.LevelDebug) {
			return
		}
		l.Debug(fmt.Sprintf(format, args...), "component", "esdb", "esdb_level", level)
	}
}
