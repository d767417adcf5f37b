package eventstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// System names shared by every implementation of the port and by the
// KurrentDB wire server. They are KurrentDB's, so that a ledger served over the
// wire looks like a KurrentDB node to its tools.
const (
	// MetadataEventType is the type of the events of a metadata stream
	// ("$$"+stream), KurrentDB's "$metadata".
	MetadataEventType = "$metadata"

	// StreamDeletedEventType is the type of the tombstone record a hard
	// delete writes to the global log, KurrentDB's "$streamDeleted".
	StreamDeletedEventType = "$streamDeleted"

	// DeletedStreamRevision is KurrentDB's EventNumber.DeletedStream (the
	// largest int64). A tombstone record carries it as its revision, and a
	// soft delete sets "$tb" (truncate before) to it.
	DeletedStreamRevision uint64 = math.MaxInt64

	// MetastreamMaxCount is the $maxCount every metadata stream has (KurrentDB's
	// default): reading "$$stream" shows only its latest event.
	MetastreamMaxCount = 1
)

// Metadata keys honoured on reads (see doc.go). Other keys are kept untouched.
const (
	MetaKeyMaxAge         = "$maxAge"   // seconds
	MetaKeyMaxCount       = "$maxCount" // events
	MetaKeyTruncateBefore = "$tb"       // revision
)

// IsMetadataStream reports whether stream is a metadata stream ("$$"+x) and
// returns the stream x whose metadata it holds.
func IsMetadataStream(stream string) (original string, ok bool) {
	if strings.HasPrefix(stream, "$$") {
		return stream[2:], true
	}
	return "", false
}

// Matcher is a compiled Filter. The zero Matcher and a nil *Matcher select
// every event. A Matcher is immutable and safe for concurrent use.
type Matcher struct {
	on       FilterOn
	prefixes []string
	re       *regexp.Regexp
	active   bool
}

// Compile validates f and compiles it into a Matcher. A nil filter, or one
// with neither prefixes nor a regular expression, selects every event. With
// both, an event is selected when it has one of the prefixes or matches the
// expression. The expression is unanchored (like KurrentDB's), so write
// "^ticket-" to anchor it.
func (f *Filter) Compile() (*Matcher, error) {
	if f == nil || (len(f.Prefixes) == 0 && f.Regex == "") {
		return &Matcher{}, nil
	}
	if f.On != FilterStreamName && f.On != FilterEventType {
		return nil, fmt.Errorf("filter: unknown target %d (want FilterStreamName or FilterEventType)", f.On)
	}
	m := &Matcher{on: f.On, prefixes: append([]string(nil), f.Prefixes...), active: true}
	if f.Regex != "" {
		re, err := regexp.Compile(f.Regex)
		if err != nil {
			return nil, fmt.Errorf("filter: invalid regular expression %q (Go RE2 syntax): %w", f.Regex, err)
		}
		m.re = re
	}
	return m, nil
}

// Match reports whether f selects ev. It compiles f on every call; loops
// should Compile once and use Matcher.Match. An invalid filter selects
// nothing.
func (f *Filter) Match(ev *RecordedEvent) bool {
	m, err := f.Compile()
	if err != nil {
		return false
	}
	return m.Match(ev)
}

// Match reports whether the filter selects ev.
func (m *Matcher) Match(ev *RecordedEvent) bool {
	if m == nil || !m.active {
		return true
	}
	return m.MatchStrings(ev.StreamID, ev.Type)
}

// MatchStrings is Match for an event known only by its stream and type, for
// stores that can decide before decoding the whole event.
func (m *Matcher) MatchStrings(stream, eventType string) bool {
	return match(m, stream, eventType, func(name string) bool { return m.re.MatchString(name) })
}

// MatchBytes is MatchStrings for names held as bytes; it does not allocate.
func (m *Matcher) MatchBytes(stream, eventType []byte) bool {
	return match(m, stream, eventType, func(name []byte) bool { return m.re.Match(name) })
}

// match is MatchStrings and MatchBytes: the prefixes decide on the name the
// filter looks at, then, when none matches, the regular expression through
// re.
func match[S string | []byte](m *Matcher, stream, eventType S, re func(S) bool) bool {
	if m == nil || !m.active {
		return true
	}
	name := stream
	if m.on == FilterEventType {
		name = eventType
	}
	for _, p := range m.prefixes {
		if string(name[:min(len(p), len(name))]) == p {
			return true
		}
	}
	return m.re != nil && re(name)
}

// IsAll reports whether the matcher selects every event.
func (m *Matcher) IsAll() bool { return m == nil || !m.active }

// StreamMetadata is the part of a stream's metadata that decides which of its
// events reads return. The zero value is "no limits". It is parsed from the
// latest event of the metadata stream "$$"+stream.
type StreamMetadata struct {
	// MaxAge hides events recorded longer ago than this; 0: no limit.
	MaxAge time.Duration
	// MaxCount keeps only the newest MaxCount events visible; 0: no limit.
	MaxCount uint64
	// TruncateBefore hides events with a lower revision; 0: none hidden.
	// DeletedStreamRevision marks a soft-deleted stream.
	TruncateBefore uint64
}

// MetastreamMetadata is the fixed metadata of every metadata stream: only its
// latest event is visible (KurrentDB's default metastream $maxCount of 1).
func MetastreamMetadata() StreamMetadata { return StreamMetadata{MaxCount: MetastreamMaxCount} }

// ParseStreamMetadata reads "$maxAge" (seconds), "$maxCount" and "$tb" from a
// metadata event's JSON object. Like KurrentDB, it is all or nothing: data that
// is not a JSON object, or a known key whose value is not an integer that fits
// in an int64, yields the zero StreamMetadata (no limits) together with an
// error saying why; zero or negative values mean "not set". Other keys are
// ignored.
func ParseStreamMetadata(data []byte) (StreamMetadata, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		if err == nil {
			err = fmt.Errorf("not a JSON object")
		}
		return StreamMetadata{}, fmt.Errorf("stream metadata ignored: %w", err)
	}
	var md StreamMetadata
	for _, k := range []string{MetaKeyMaxAge, MetaKeyMaxCount, MetaKeyTruncateBefore} {
		raw, ok := obj[k]
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
		if err != nil {
			return StreamMetadata{}, fmt.Errorf("stream metadata ignored: %s must be an integer, got %s", k, raw)
		}
		if v <= 0 {
			continue
		}
		switch k {
		case MetaKeyMaxAge:
			if v > int64(math.MaxInt64/time.Second) {
				md.MaxAge = 0 // beyond any representable age: no limit
			} else {
				md.MaxAge = time.Duration(v) * time.Second
			}
		case MetaKeyMaxCount:
			md.MaxCount = uint64(v)
		case MetaKeyTruncateBefore:
			md.TruncateBefore = uint64(v)
		}
	}
	return md, nil
}

// IsSoftDeleted reports whether the metadata marks the stream soft-deleted
// ("$tb" set to DeletedStreamRevision).
func (m StreamMetadata) IsSoftDeleted() bool { return m.TruncateBefore >= DeletedStreamRevision }

// FirstVisibleRevision returns the lowest revision a read may return when the
// stream's last revision is lastRevision, from $maxCount and $tb.
func (m StreamMetadata) FirstVisibleRevision(lastRevision uint64) uint64 {
	first := m.TruncateBefore
	if m.MaxCount > 0 && lastRevision+1 > m.MaxCount {
		if byCount := lastRevision + 1 - m.MaxCount; byCount > first {
			first = byCount
		}
	}
	return first
}

// Visible reports whether a read at time now returns the event with the given
// revision and commit time, in a stream whose last revision is lastRevision.
// It does not look at soft deletion: a soft-deleted stream reads as not found
// as a whole (check IsSoftDeleted first).
func (m StreamMetadata) Visible(revision, lastRevision uint64, created, now time.Time) bool {
	if revision < m.FirstVisibleRevision(lastRevision) {
		return false
	}
	return m.MaxAge <= 0 || !created.Before(now.Add(-m.MaxAge))
}
