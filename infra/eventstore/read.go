package eventstore

import (
	"context"
	"errors"
)

// wholeStreamPage is how many events ReadWholeStream reads at a time.
const wholeStreamPage = 1024

// ReadWholeStream reads all of stream, forwards, a page at a time: for the
// small streams a component keeps its own state in. A stream that does not
// exist reads as no events and no error.
func ReadWholeStream(ctx context.Context, s Store, stream string) ([]RecordedEvent, error) {
	var out []RecordedEvent
	from := StreamStart()
	for {
		page, err := s.ReadStream(ctx, stream, Forwards, from, wholeStreamPage)
		if errors.Is(err, ErrStreamNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < wholeStreamPage {
			return out, nil
		}
		from = StreamRevision(page[len(page)-1].Revision + 1)
	}
}

// ReadLast reads the last event of stream: nil, and no error, when the
// stream does not exist or is empty.
func ReadLast(ctx context.Context, s Store, stream string) (*RecordedEvent, error) {
	last, err := s.ReadStream(ctx, stream, Backwards, StreamEnd(), 1)
	if errors.Is(err, ErrStreamNotFound) || (err == nil && len(last) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &last[0], nil
}
