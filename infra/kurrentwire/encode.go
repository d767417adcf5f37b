package kurrentwire

import (
	"encoding/binary"
	"strconv"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the "proto" codec wireCodec falls back to
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Reads and subscriptions send one ReadResp per event; building and
// marshalling generated messages for each was most of the server's cost.
// The server built by NewServer installs wireCodec, which encodes an
// eventMsg straight from the stored event into one buffer, with the
// same wire format as eventResp's message (a test checks they decode
// equal). Everything else goes through the standard proto codec.

// eventMsg is a ReadResp carrying one event, encoded by wireCodec.
type eventMsg struct {
	e        *eventstore.RecordedEvent
	asString bool // event id as a string rather than structured
}

// wireCodec is the "proto" codec plus the fast path for eventMsg.
type wireCodec struct{ proto encoding.CodecV2 }

func newWireCodec() wireCodec { return wireCodec{proto: encoding.GetCodecV2("proto")} }

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*eventMsg)
	if !ok {
		return c.proto.Marshal(v)
	}
	var ticks [24]byte
	enc := eventEncoding{e: m.e, asString: m.asString, created: appendTicks(ticks[:0], m.e)}
	// An exact-size allocation: cheaper than grpc's tiered pool, which
	// hands out (and clears) 4 KiB for a typical event.
	buf := enc.append(make([]byte, 0, enc.size()))
	return mem.BufferSlice{mem.SliceBuffer(buf)}, nil
}

func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }

func (c wireCodec) Name() string { return c.proto.Name() }

// Field numbers of streams.proto and shared.proto.
const (
	fReadRespEvent        = 1 // ReadResp.event
	fReadEventEvent       = 1 // ReadEvent.event
	fReadEventCommit      = 3 // ReadEvent.commit_position
	fRecID                = 1 // RecordedEvent.id
	fRecStream            = 2 // RecordedEvent.stream_identifier
	fRecRevision          = 3 // RecordedEvent.stream_revision
	fRecPrepare           = 4 // RecordedEvent.prepare_position
	fRecCommit            = 5 // RecordedEvent.commit_position
	fRecMetadata          = 6 // RecordedEvent.metadata (map<string,string>)
	fRecCustomMetadata    = 7 // RecordedEvent.custom_metadata
	fRecData              = 8 // RecordedEvent.data
	fUUIDStructured       = 1 // UUID.structured
	fUUIDString           = 2 // UUID.string
	fStructuredMost       = 1 // UUID.Structured.most_significant_bits
	fStructuredLeast      = 2 // UUID.Structured.least_significant_bits
	fStreamIdentifierName = 3 // StreamIdentifier.stream_name
	fMapKey               = 1
	fMapValue             = 2
)

func appendTicks(b []byte, e *eventstore.RecordedEvent) []byte {
	if e.Created.IsZero() {
		return append(b, '0')
	}
	t := e.Created
	return strconv.AppendInt(b, t.Unix()*10_000_000+int64(t.Nanosecond()/100), 10)
}

type eventEncoding struct {
	e        *eventstore.RecordedEvent
	asString bool
	created  []byte
}

func (x *eventEncoding) contentType() string {
	if x.e.ContentType == "" {
		return contentTypeBinary
	}
	return x.e.ContentType
}

func (x *eventEncoding) ids() (most, least uint64) {
	return binary.BigEndian.Uint64(x.e.ID[:8]), binary.BigEndian.Uint64(x.e.ID[8:])
}

func sizeTagBytes(n int) int { return 1 + protowire.SizeBytes(n) } // field numbers < 16

func sizeTagVarint(v uint64) int {
	if v == 0 {
		return 0 // proto3 omits zero scalars
	}
	return 1 + protowire.SizeVarint(v)
}

func sizeEntry(k, v int) int { return sizeTagBytes(k) + sizeTagBytes(v) }

func (x *eventEncoding) uuidSize() int {
	if x.asString {
		return sizeTagBytes(36)
	}
	most, least := x.ids()
	return sizeTagBytes(sizeTagVarint(most) + sizeTagVarint(least))
}

func (x *eventEncoding) recordSize() int {
	e := x.e
	n := sizeTagBytes(x.uuidSize())
	n += sizeTagBytes(sizeTagBytes(len(e.StreamID)))
	n += sizeTagVarint(e.Revision) + sizeTagVarint(e.Position.Prepare) + sizeTagVarint(e.Position.Commit)
	n += sizeTagBytes(sizeEntry(len(metaType), len(e.Type)))
	n += sizeTagBytes(sizeEntry(len(metaContentType), len(x.contentType())))
	n += sizeTagBytes(sizeEntry(len(metaCreated), len(x.created)))
	if len(e.Metadata) > 0 {
		n += sizeTagBytes(len(e.Metadata))
	}
	if len(e.Data) > 0 {
		n += sizeTagBytes(len(e.Data))
	}
	return n
}

// readEventSize includes the commit_position oneof, always present.
func (x *eventEncoding) readEventSize() int {
	return sizeTagBytes(x.recordSize()) + 1 + protowire.SizeVarint(x.e.Position.Commit)
}

func (x *eventEncoding) size() int { return sizeTagBytes(x.readEventSize()) }

func appendTagVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendTagLen(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

func appendEntry[V string | []byte](b []byte, k string, v V) []byte {
	b = appendTagLen(b, fRecMetadata, sizeEntry(len(k), len(v)))
	b = appendTagLen(b, fMapKey, len(k))
	b = append(b, k...)
	b = appendTagLen(b, fMapValue, len(v))
	return append(b, v...)
}

func (x *eventEncoding) append(b []byte) []byte {
	e := x.e
	b = appendTagLen(b, fReadRespEvent, x.readEventSize())
	b = appendTagLen(b, fReadEventEvent, x.recordSize())

	b = appendTagLen(b, fRecID, x.uuidSize())
	if x.asString {
		b = appendTagLen(b, fUUIDString, 36)
		b = append(b, e.ID.String()...)
	} else {
		most, least := x.ids()
		b = appendTagLen(b, fUUIDStructured, sizeTagVarint(most)+sizeTagVarint(least))
		b = appendTagVarint(b, fStructuredMost, most)
		b = appendTagVarint(b, fStructuredLeast, least)
	}
	b = appendTagLen(b, fRecStream, sizeTagBytes(len(e.StreamID)))
	b = appendTagLen(b, fStreamIdentifierName, len(e.StreamID))
	b = append(b, e.StreamID...)
	b = appendTagVarint(b, fRecRevision, e.Revision)
	b = appendTagVarint(b, fRecPrepare, e.Position.Prepare)
	b = appendTagVarint(b, fRecCommit, e.Position.Commit)
	b = appendEntry(b, metaType, e.Type)
	b = appendEntry(b, metaContentType, x.contentType())
	b = appendEntry(b, metaCreated, x.created)
	if len(e.Metadata) > 0 {
		b = appendTagLen(b, fRecCustomMetadata, len(e.Metadata))
		b = append(b, e.Metadata...)
	}
	if len(e.Data) > 0 {
		b = appendTagLen(b, fRecData, len(e.Data))
		b = append(b, e.Data...)
	}

	b = protowire.AppendTag(b, fReadEventCommit, protowire.VarintType)
	return protowire.AppendVarint(b, e.Position.Commit)
}
