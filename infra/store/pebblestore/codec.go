package pebblestore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Key prefixes. Persisted: never change or reuse them (see doc.go).
const (
	prefixLog    = 'l' // 'l' seq(8, big endian)                 → event record
	prefixStream = 's' // 's' uvarint(len) stream revision(8 BE) → seq(8 BE)
	prefixID     = 'i' // 'i' event id(16)                       → seq(8 BE)
	prefixMeta   = 'm' // 'm' name                               → store metadata
)

// formatKey holds the on-disk format of the store; formatValue is the
// current one.
var (
	formatKey   = []byte("mformat")
	formatValue = []byte("ticketledger-pebblestore/1")
)

// recordVersion is the first byte of every event record.
const recordVersion = 1

// Content type codes of an event record.
const (
	ctJSON   = 0 // "application/json"
	ctOctet  = 1 // "application/octet-stream"
	ctEmpty  = 2 // ""
	ctCustom = 3 // any other, stored after the type
)

const (
	contentTypeJSON  = "application/json"
	contentTypeOctet = "application/octet-stream"
)

func logKey(seq uint64) []byte {
	k := make([]byte, 9)
	putLogKey(k, seq)
	return k
}

func putLogKey(k []byte, seq uint64) {
	k[0] = prefixLog
	binary.BigEndian.PutUint64(k[1:], seq)
}

func streamPrefixLen(stream string) int { return 1 + uvarintLen(uint64(len(stream))) + len(stream) }

func appendStreamPrefix(k []byte, stream string) []byte {
	k = append(k, prefixStream)
	k = binary.AppendUvarint(k, uint64(len(stream)))
	return append(k, stream...)
}

func streamKey(stream string, rev uint64) []byte {
	k := appendStreamPrefix(make([]byte, 0, streamPrefixLen(stream)+8), stream)
	return binary.BigEndian.AppendUint64(k, rev)
}

// streamBounds returns iterator bounds covering every revision of stream.
func streamBounds(stream string) (lower, upper []byte) {
	p := appendStreamPrefix(make([]byte, 0, streamPrefixLen(stream)), stream)
	lower = binary.BigEndian.AppendUint64(append([]byte(nil), p...), 0)
	upper = append(append([]byte(nil), p...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	return lower, upper
}

func idKey(id uuid.UUID) []byte {
	k := make([]byte, 17)
	k[0] = prefixID
	copy(k[1:], id[:])
	return k
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// record is an event as encoded in the log:
//
//	version(1) ctcode(1) uvarint(revision) created-unix-nanos(8 BE) id(16)
//	uvarint(len) stream  uvarint(len) type  [uvarint(len) content-type]
//	uvarint(len) data  uvarint(len) metadata
type record struct {
	stream      string
	revision    uint64
	createdNano int64
	ev          *eventstore.EventData
}

func contentTypeCode(ct string) byte {
	switch ct {
	case contentTypeJSON:
		return ctJSON
	case contentTypeOctet:
		return ctOctet
	case "":
		return ctEmpty
	}
	return ctCustom
}

func (r *record) size() int {
	ev := r.ev
	n := 2 + uvarintLen(r.revision) + 8 + 16 +
		uvarintLen(uint64(len(r.stream))) + len(r.stream) +
		uvarintLen(uint64(len(ev.Type))) + len(ev.Type) +
		uvarintLen(uint64(len(ev.Data))) + len(ev.Data) +
		uvarintLen(uint64(len(ev.Metadata))) + len(ev.Metadata)
	if contentTypeCode(ev.ContentType) == ctCustom {
		n += uvarintLen(uint64(len(ev.ContentType))) + len(ev.ContentType)
	}
	return n
}

// encode writes the record into b, which must be exactly size() long.
func (r *record) encode(b []byte) {
	ev := r.ev
	ct := contentTypeCode(ev.ContentType)
	b[0] = recordVersion
	b[1] = ct
	i := 2
	i += binary.PutUvarint(b[i:], r.revision)
	binary.BigEndian.PutUint64(b[i:], uint64(r.createdNano))
	i += 8
	i += copy(b[i:], ev.ID[:])
	i += putBytes(b[i:], r.stream)
	i += putBytes(b[i:], ev.Type)
	if ct == ctCustom {
		i += putBytes(b[i:], ev.ContentType)
	}
	i += putBytes(b[i:], ev.Data)
	putBytes(b[i:], ev.Metadata)
}

func putBytes[T string | []byte](b []byte, s T) int {
	n := binary.PutUvarint(b, uint64(len(s)))
	return n + copy(b[n:], s)
}

var errCorrupt = errors.New("pebblestore: corrupt event record")

// header is the fixed part of a decoded record. Its byte slices alias the
// encoded value.
type header struct {
	ctCode      byte
	revision    uint64
	createdNano int64
	id          uuid.UUID
	stream      []byte
	typ         []byte
	rest        []byte // [content type] data metadata
}

func getBytes(b []byte) (v, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return nil, nil, errCorrupt
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

func decodeHeader(b []byte) (h header, err error) {
	if len(b) < 2 || b[0] != recordVersion {
		return h, fmt.Errorf("%w: unknown version", errCorrupt)
	}
	h.ctCode = b[1]
	rev, k := binary.Uvarint(b[2:])
	if k <= 0 || len(b) < 2+k+8+16 {
		return h, errCorrupt
	}
	h.revision = rev
	i := 2 + k
	h.createdNano = int64(binary.BigEndian.Uint64(b[i:]))
	i += 8
	copy(h.id[:], b[i:i+16])
	i += 16
	if h.stream, b, err = getBytes(b[i:]); err != nil {
		return h, err
	}
	if h.typ, b, err = getBytes(b); err != nil {
		return h, err
	}
	h.rest = b
	return h, nil
}

// body splits the rest of a record into content type, data and metadata.
func (h *header) body() (ct string, ctRaw, data, meta []byte, err error) {
	b := h.rest
	switch h.ctCode {
	case ctJSON:
		ct = contentTypeJSON
	case ctOctet:
		ct = contentTypeOctet
	case ctEmpty:
	case ctCustom:
		if ctRaw, b, err = getBytes(b); err != nil {
			return
		}
	default:
		err = fmt.Errorf("%w: unknown content type code %d", errCorrupt, h.ctCode)
		return
	}
	if data, b, err = getBytes(b); err != nil {
		return
	}
	meta, _, err = getBytes(b)
	return
}

// decoder turns records into RecordedEvents, sharing the strings that repeat
// from one event to the next (stream names, types) to save allocations.
//
// The data and metadata of the events it decodes are copied into chunks of
// decodeChunk bytes, shared by consecutive events (one allocation per chunk
// rather than one per event: a $all scan, a subscription's catch-up, is
// dominated by them). So an event kept after the others are dropped keeps
// its chunk alive, at most decodeChunk bytes; larger records get their own
// allocation.
type decoder struct {
	lastStream string
	types      [typeSlots]string // event types by a cheap hash; a miss replaces the slot
	chunk      []byte
}

const (
	decodeChunk = 64 << 10
	typeSlots   = 64
)

func (d *decoder) str(b []byte, last *string) string {
	if string(b) == *last { // no allocation for the comparison
		return *last
	}
	*last = string(b)
	return *last
}

// typ returns the event type as a string, allocated once per decoder for
// each type (event types are few; a collision only costs an allocation).
func (d *decoder) typ(b []byte) string {
	h := uint(len(b))
	if len(b) > 0 {
		h = h*31 + uint(b[len(b)-1])*7 + uint(b[len(b)/2])
	}
	slot := &d.types[h%typeSlots]
	if *slot == string(b) {
		return *slot
	}
	*slot = string(b)
	return *slot
}

// alloc returns n bytes for an event's data and metadata, carved out of
// chunks that grow with the read: the first is the first event's size, each
// next one twice the last, up to decodeChunk. A read of one event (the head
// of a stream) thus allocates what it returns, a long read 64 KiB at a time.
func (d *decoder) alloc(n int) []byte {
	if n > decodeChunk/8 {
		return make([]byte, n)
	}
	if cap(d.chunk)-len(d.chunk) < n {
		d.chunk = make([]byte, 0, min(decodeChunk, max(2*cap(d.chunk), n)))
	}
	i := len(d.chunk)
	d.chunk = d.chunk[:i+n]
	return d.chunk[i : i+n : i+n]
}

// decode fills ev from the record value at log position seq. The value is
// copied: ev does not alias it.
func (d *decoder) decode(seq uint64, value []byte, ev *eventstore.RecordedEvent) error {
	h, err := decodeHeader(value)
	if err != nil {
		return fmt.Errorf("decode event at position %d: %w", seq, err)
	}
	return d.decodeWith(seq, &h, ev)
}

func (d *decoder) decodeWith(seq uint64, h *header, ev *eventstore.RecordedEvent) error {
	ct, ctRaw, data, meta, err := h.body()
	if err != nil {
		return fmt.Errorf("decode event at position %d: %w", seq, err)
	}
	if ctRaw != nil {
		ct = string(ctRaw)
	}
	// One allocation (or a share of a chunk) holds data and metadata.
	var buf []byte
	if n := len(data) + len(meta); n > 0 {
		buf = d.alloc(n)
		copy(buf, data)
		copy(buf[len(data):], meta)
	}
	*ev = eventstore.RecordedEvent{
		StreamID:    d.str(h.stream, &d.lastStream),
		Revision:    h.revision,
		Position:    eventstore.Position{Commit: seq, Prepare: seq},
		ID:          h.id,
		Type:        d.typ(h.typ),
		ContentType: ct,
		Created:     unixNanoUTC(h.createdNano),
	}
	if len(data) > 0 {
		ev.Data = buf[:len(data):len(data)]
	}
	if len(meta) > 0 {
		ev.Metadata = buf[len(data):]
	}
	return nil
}
