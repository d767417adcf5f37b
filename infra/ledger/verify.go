package ledger

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// StreamCheck is the result of verifying one stream's hash chain.
type StreamCheck struct {
	Stream string `json:"stream"`
	Events int    `json:"events"`
	OK     bool   `json:"ok"`
	// Problem describes the first broken link (nil when OK).
	Problem *codec.ChainError `json:"problem,omitempty"`
	// Error is a failure to read the stream.
	Error string `json:"error,omitempty"`
}

// VerifyReport is the result of Verify.
type VerifyReport struct {
	Streams int           `json:"streams"`
	Events  int           `json:"events"`
	Broken  int           `json:"broken"`
	Results []StreamCheck `json:"results"`
}

// VerifyPrefixes are the stream categories whose hash chains Verify checks.
var VerifyPrefixes = []string{"ticket-", "partner-"}

// Verify recomputes the hash chain of every ticket and partner stream of
// store (codec.Verify), reporting progress as streams are checked. A broken
// chain is a result, not an error; the error is a failure to read the store.
func Verify(ctx context.Context, store eventstore.Store, progress func(done, total int)) (VerifyReport, error) {
	streams, err := listStreams(ctx, store, VerifyPrefixes)
	if err != nil {
		return VerifyReport{}, err
	}
	rep := VerifyReport{Streams: len(streams), Results: make([]StreamCheck, 0, len(streams))}
	for i, s := range streams {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		c := StreamCheck{Stream: s}
		hist, err := readStream(ctx, store, s)
		switch {
		case err != nil:
			c.Error = err.Error()
		default:
			c.Events = len(hist)
			rep.Events += len(hist)
			var ce *codec.ChainError
			if verr := codec.Verify(hist); verr == nil {
				c.OK = true
			} else if errors.As(verr, &ce) {
				c.Problem = ce
			} else {
				c.Error = verr.Error()
			}
		}
		if !c.OK {
			rep.Broken++
		}
		rep.Results = append(rep.Results, c)
		if progress != nil {
			progress(i+1, len(streams))
		}
	}
	return rep, nil
}

// listStreams returns the names of the streams of $all whose name starts
// with one of prefixes, sorted.
func listStreams(ctx context.Context, store eventstore.Store, prefixes []string) ([]string, error) {
	seen := map[string]bool{}
	filter := &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: prefixes}
	from := eventstore.AllStart()
	var last *eventstore.Position
	const page = 4096
	for {
		evs, err := store.ReadAll(ctx, eventstore.Forwards, from, page, filter)
		if err != nil {
			return nil, fmt.Errorf("read the log: %w", err)
		}
		if last != nil && len(evs) > 0 && evs[0].Position == *last {
			evs = evs[1:]
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if hasPrefix(e.StreamID, prefixes) {
				seen[e.StreamID] = true
			}
		}
		p := evs[len(evs)-1].Position
		last, from = &p, eventstore.AllPosition(p)
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out, nil
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func readStream(ctx context.Context, store eventstore.Store, stream string) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	from := eventstore.StreamStart()
	const page = 1024
	for {
		evs, err := store.ReadStream(ctx, stream, eventstore.Forwards, from, page)
		if err != nil {
			if errors.Is(err, eventstore.ErrStreamNotFound) && len(out) > 0 {
				break
			}
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
		out = append(out, evs...)
		if len(evs) < page {
			break
		}
		from = eventstore.StreamRevision(evs[len(evs)-1].Revision + 1)
	}
	return out, nil
}
