package pebblestore

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// lastIndexEntry returns the last revision of stream whose event has a
// sequence number ≤ maxSeq, and that sequence number.
func lastIndexEntry(db *pebble.DB, stream string, maxSeq uint64) (rev, seq uint64, ok bool, err error) {
	it, err := db.NewIter(probing)
	if err != nil {
		return 0, 0, false, err
	}
	defer it.Close()
	return lastIndexEntryIn(it, stream, maxSeq)
}

// lastIndexEntryIn is lastIndexEntry on it, an iterator of the store's
// keys opened with probing, that it bounds to the stream's index (a read
// reuses one iterator for every lookup it makes: creating one costs more
// than the lookup).
func lastIndexEntryIn(it *pebble.Iterator, stream string, maxSeq uint64) (rev, seq uint64, ok bool, err error) {
	lower, upper := streamBounds(stream)
	it.SetBounds(lower, upper)
	if neverWritten(it, stream) {
		return 0, 0, false, it.Error()
	}
	for valid := it.Last(); valid; valid = it.Prev() {
		seq = binary.BigEndian.Uint64(it.Value())
		if seq <= maxSeq {
			k := it.Key()
			return binary.BigEndian.Uint64(k[len(k)-8:]), seq, true, nil
		}
	}
	return 0, 0, false, it.Error()
}

// probing opens the iterators that look streams up: point lookups
// (SeekPrefixGE) consult the bloom filters of every level, the last one
// included, which Pebble skips by default.
var probing = &pebble.IterOptions{UseL6Filters: true}

// neverWritten reports whether stream has no index entry at all: none at
// revision 0, where every stream starts, and no tombstone (a stream can be
// tombstoned before its first event). Index entries are never deleted, so
// this answers for every durable position. It takes two point lookups on
// it (bounded to the stream's index), which bloom filters mostly answer
// without reading a block, where finding a range's last entry reads a
// block on every level; most lookups are of streams that do not exist (a
// metadata stream, a ticket being opened).
func neverWritten(it *pebble.Iterator, stream string) bool {
	for _, rev := range [2]uint64{0, eventstore.DeletedStreamRevision} {
		if it.SeekPrefixGE(streamKey(stream, rev)) {
			return false
		}
	}
	return it.Error() == nil
}

// readRecordData returns a copy of the data of the event at seq and whether
// its content type is JSON.
func readRecordData(db *pebble.DB, seq uint64) ([]byte, bool, error) {
	v, closer, err := db.Get(logKey(seq))
	if err != nil {
		return nil, false, fmt.Errorf("read event at position %d: %w", seq, err)
	}
	defer closer.Close()
	h, err := decodeHeader(v)
	if err != nil {
		return nil, false, err
	}
	ct, ctRaw, data, _, err := h.body()
	if err != nil {
		return nil, false, err
	}
	if ctRaw != nil {
		ct = string(ctRaw)
	}
	return append([]byte(nil), data...), isJSONContentType(ct), nil
}

// streamView is what a read of one stream needs: its last revision and the
// metadata that decides which events are visible, as of a durable position.
type streamView struct {
	last uint64
	md   eventstore.StreamMetadata
}

// view resolves stream as of durable position maxSeq: ErrStreamDeleted if it
// (or, for a metadata stream, its stream) is tombstoned, ErrStreamNotFound if
// it has no event or is soft-deleted.
func (s *Store) view(stream string, maxSeq uint64) (streamView, error) {
	it, err := s.db.NewIter(probing)
	if err != nil {
		return streamView{}, err
	}
	defer it.Close()
	return s.viewIn(it, stream, maxSeq)
}

// viewIn is view making its index lookups on it (see lastIndexEntryIn).
func (s *Store) viewIn(it *pebble.Iterator, stream string, maxSeq uint64) (streamView, error) {
	base, isMeta := eventstore.IsMetadataStream(stream)
	if !isMeta {
		base = stream
	}
	rev, _, ok, err := lastIndexEntryIn(it, base, maxSeq)
	if err != nil {
		return streamView{}, err
	}
	if ok && rev == eventstore.DeletedStreamRevision {
		return streamView{}, eventstore.ErrStreamDeleted
	}
	if isMeta {
		mrev, _, mok, err := lastIndexEntryIn(it, stream, maxSeq)
		if err != nil {
			return streamView{}, err
		}
		if !mok {
			return streamView{}, eventstore.ErrStreamNotFound
		}
		return streamView{last: mrev, md: eventstore.MetastreamMetadata()}, nil
	}
	if !ok {
		return streamView{}, eventstore.ErrStreamNotFound
	}
	v := streamView{last: rev}
	_, mseq, mok, err := lastIndexEntryIn(it, eventstore.MetadataStream(stream), maxSeq)
	if err != nil {
		return streamView{}, err
	}
	if mok {
		raw, isJSON, err := readRecordData(s.db, mseq)
		if err != nil {
			return streamView{}, err
		}
		if isJSON {
			v.md, _ = eventstore.ParseStreamMetadata(raw)
		}
	}
	if v.md.IsSoftDeleted() {
		return streamView{}, eventstore.ErrStreamNotFound
	}
	return v, nil
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from eventstore.StreamPos, count uint64) ([]eventstore.RecordedEvent, error) {
	if err := s.readLock(ctx); err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	defer s.readUnlock()
	maxSeq := s.durable.Load()
	if dir == eventstore.Backwards && from.IsEnd() && count == 1 {
		if ev, ok := s.last.get(stream, maxSeq); ok {
			return []eventstore.RecordedEvent{ev}, nil
		}
	}
	evs, err := s.readStream(ctx, stream, dir, from, count, maxSeq, true)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, s.faults.wrap(err))
	}
	return evs, nil
}

// readStream reads stream as of durable position maxSeq. With honour false,
// metadata ($maxCount, $tb, $maxAge, soft delete) is ignored.
func (s *Store) readStream(ctx context.Context, stream string, dir eventstore.Direction, from eventstore.StreamPos, count, maxSeq uint64, honour bool) ([]eventstore.RecordedEvent, error) {
	// One iterator serves the view's lookups and then the read.
	it, err := s.db.NewIter(probing)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	v, err := s.viewIn(it, stream, maxSeq)
	if err != nil {
		return nil, err
	}
	if count == 0 {
		return []eventstore.RecordedEvent{}, nil
	}
	first := uint64(0)
	if honour {
		first = v.md.FirstVisibleRevision(v.last)
	}
	var start uint64
	switch {
	case from.IsStart():
		start = 0
	case from.IsEnd():
		start = v.last
		if dir == eventstore.Forwards {
			return []eventstore.RecordedEvent{}, nil
		}
	default:
		start, _ = from.Revision()
	}
	out := make([]eventstore.RecordedEvent, 0, min(count, 256))
	lower, upper := streamBounds(stream)
	it.SetBounds(lower, upper)
	// Each event is found by a point lookup: the log's levels hold disjoint
	// ranges of positions, and a seek would read a block on each of them.
	logIt, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixLog}, UpperBound: logKey(maxSeq + 1), UseL6Filters: true})
	if err != nil {
		return nil, err
	}
	defer logIt.Close()
	var dec decoder
	now := s.now()
	key := make([]byte, 0, len(lower))
	var valid bool
	if dir == eventstore.Forwards {
		if start < first {
			start = first
		}
		if start > v.last {
			return out, nil
		}
		valid = it.SeekGE(binary.BigEndian.AppendUint64(appendStreamPrefix(key, stream), start))
	} else {
		if start > v.last {
			start = v.last
		}
		if start < first {
			return out, nil
		}
		valid = it.SeekLT(binary.BigEndian.AppendUint64(appendStreamPrefix(key, stream), start+1))
	}
	for n := 0; valid && uint64(len(out)) < count; n++ {
		if n&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		k := it.Key()
		rev := binary.BigEndian.Uint64(k[len(k)-8:])
		seq := binary.BigEndian.Uint64(it.Value())
		if rev < first {
			break // backwards into the truncated part
		}
		if rev > v.last || seq > maxSeq {
			// Newer than the view (not durable yet, or the tombstone).
			if dir == eventstore.Forwards {
				break
			}
			valid = it.Prev()
			continue
		}
		if !logIt.SeekPrefixGE(logKey(seq)) || binary.BigEndian.Uint64(logIt.Key()[1:]) != seq {
			if err := logIt.Error(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("stream index of %s points at missing position %d", stream, seq)
		}
		h, err := decodeHeader(logIt.Value())
		if err != nil {
			return nil, err
		}
		if !honour || v.md.MaxAge <= 0 || v.md.Visible(rev, v.last, unixNanoUTC(h.createdNano), now) {
			out = append(out, eventstore.RecordedEvent{})
			if err := dec.decodeWith(seq, &h, &out[len(out)-1]); err != nil {
				return nil, err
			}
		}
		if dir == eventstore.Forwards {
			valid = it.Next()
		} else {
			valid = it.Prev()
		}
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, dir eventstore.Direction, from eventstore.AllPos, count uint64, filter *eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	m, err := filter.Compile()
	if err != nil {
		return nil, fmt.Errorf("read $all: %w", err)
	}
	if err := s.readLock(ctx); err != nil {
		return nil, fmt.Errorf("read $all: %w", err)
	}
	defer s.readUnlock()
	maxSeq := s.durable.Load()
	var out []eventstore.RecordedEvent
	if dir == eventstore.Forwards {
		start := uint64(1)
		switch {
		case from.IsEnd():
			return []eventstore.RecordedEvent{}, nil
		case !from.IsStart():
			p, _ := from.Position()
			start = max(p.Commit, 1)
		}
		out, _, _, err = s.scanLog(ctx, start, maxSeq, count, m, 0, nil)
	} else {
		end := maxSeq // inclusive
		switch {
		case from.IsStart():
			return []eventstore.RecordedEvent{}, nil
		case !from.IsEnd():
			p, _ := from.Position()
			if p.Commit == 0 {
				return []eventstore.RecordedEvent{}, nil
			}
			end = min(end, p.Commit-1)
		}
		out, err = s.scanLogBackwards(ctx, end, count, m)
	}
	if err != nil {
		return nil, fmt.Errorf("read $all: %w", s.faults.wrap(err))
	}
	return out, nil
}

// scanLog reads the log forwards from sequence number start to end
// (inclusive), appending to out the events m selects, until count events are
// selected, or, when scanLimit > 0, scanLimit events are scanned. It returns
// the events and the last sequence number scanned (start-1 if none) and how
// many were scanned.
func (s *Store) scanLog(ctx context.Context, start, end, count uint64, m *eventstore.Matcher, scanLimit uint64, out []eventstore.RecordedEvent) ([]eventstore.RecordedEvent, uint64, uint64, error) {
	last := start - 1
	if start > end || count == 0 {
		if out == nil {
			out = []eventstore.RecordedEvent{}
		}
		return out, last, 0, nil
	}
	if evs, last, scanned, ok := s.tail.scan(start, end, count, m, scanLimit, out); ok {
		return evs, last, scanned, nil
	}
	if out == nil {
		// Sized to what the range can hold: a subscription's catch-up
		// after one group commit reads a few events, not a page.
		n := min(count, end-start+1, 1024)
		if scanLimit > 0 {
			n = min(n, scanLimit)
		}
		out = make([]eventstore.RecordedEvent, 0, n)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: logKey(start), UpperBound: logKey(end + 1)})
	if err != nil {
		return nil, last, 0, err
	}
	defer it.Close()
	var dec decoder
	var scanned uint64
	all := m.IsAll()
	for valid := it.First(); valid; valid = it.Next() {
		if scanned&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, last, scanned, err
			}
		}
		seq := binary.BigEndian.Uint64(it.Key()[1:])
		h, err := decodeHeader(it.Value())
		if err != nil {
			return nil, last, scanned, fmt.Errorf("position %d: %w", seq, err)
		}
		scanned++
		last = seq
		if all || m.MatchBytes(h.stream, h.typ) {
			out = append(out, eventstore.RecordedEvent{})
			if err := dec.decodeWith(seq, &h, &out[len(out)-1]); err != nil {
				return nil, last, scanned, err
			}
			if uint64(len(out)) >= count {
				break
			}
		}
		if scanLimit > 0 && scanned >= scanLimit {
			break
		}
	}
	if err := it.Error(); err != nil {
		return nil, last, scanned, err
	}
	return out, last, scanned, nil
}

func (s *Store) scanLogBackwards(ctx context.Context, end, count uint64, m *eventstore.Matcher) ([]eventstore.RecordedEvent, error) {
	out := make([]eventstore.RecordedEvent, 0, min(count, 1024))
	if end == 0 || count == 0 {
		return out, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: logKey(1), UpperBound: logKey(end + 1)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var dec decoder
	all := m.IsAll()
	n := 0
	for valid := it.Last(); valid; valid = it.Prev() {
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		seq := binary.BigEndian.Uint64(it.Key()[1:])
		h, err := decodeHeader(it.Value())
		if err != nil {
			return nil, fmt.Errorf("position %d: %w", seq, err)
		}
		if all || m.MatchBytes(h.stream, h.typ) {
			out = append(out, eventstore.RecordedEvent{})
			if err := dec.decodeWith(seq, &h, &out[len(out)-1]); err != nil {
				return nil, err
			}
			if uint64(len(out)) >= count {
				break
			}
		}
	}
	return out, it.Error()
}
