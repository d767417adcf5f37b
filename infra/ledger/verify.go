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
// store (the checks of codec.Verify) in one pass over $all, a codec.Chain
// per stream, reporting progress (events read so far, of an estimate of
// the log's size) after each page. A broken chain is a result, not an
// error; the error is a failure to read the store.
func Verify(ctx context.Context, store eventstore.Store, progress func(done, total int)) (VerifyReport, error) {
	type stream struct {
		chain  *codec.Chain
		events int
		err    error
	}
	streams := map[string]*stream{}
	total := 0
	if h, err := store.Head(ctx); err == nil {
		total = int(h.Commit)
	}
	var rep VerifyReport
	filter := &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: VerifyPrefixes}
	from := eventstore.AllStart()
	var last *eventstore.Position
	const page = 4096
	for {
		evs, err := store.ReadAll(ctx, eventstore.Forwards, from, page, filter)
		if err != nil {
			return rep, fmt.Errorf("read the log: %w", err)
		}
		if last != nil && len(evs) > 0 && evs[0].Position == *last {
			evs = evs[1:]
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			e := &evs[i]
			if !hasPrefix(e.StreamID, VerifyPrefixes) {
				continue
			}
			s := streams[e.StreamID]
			if s == nil {
				s = &stream{chain: codec.NewChain("")}
				streams[e.StreamID] = s
			}
			s.events++
			rep.Events++
			if s.err == nil {
				s.err = s.chain.Next(e)
			}
		}
		p := evs[len(evs)-1].Position
		last, from = &p, eventstore.AllPosition(p)
		if progress != nil {
			progress(rep.Events, max(total, rep.Events))
		}
	}
	names := make([]string, 0, len(streams))
	for n := range streams {
		names = append(names, n)
	}
	sort.Strings(names)
	rep.Streams, rep.Results = len(names), make([]StreamCheck, 0, len(names))
	for _, n := range names {
		s := streams[n]
		c := StreamCheck{Stream: n, Events: s.events, OK: s.err == nil}
		var ce *codec.ChainError
		switch {
		case s.err == nil:
		case errors.As(s.err, &ce):
			c.Problem = ce
		default:
			c.Error = s.err.Error()
		}
		if !c.OK {
			rep.Broken++
		}
		rep.Results = append(rep.Results, c)
	}
	return rep, nil
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
