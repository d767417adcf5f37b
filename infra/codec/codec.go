package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/catalog"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// ContentType is the content type of every record the codec writes.
const ContentType = "application/json"

// ErrUnknownType is wrapped by the errors of Encode and Decode for an event
// type that is not in the codec's catalog.
var ErrUnknownType = errors.New("unknown event type")

// ErrSchemaVersion is wrapped by Decode's error for a payload whose schema
// version the catalog cannot read (newer than current, or no upcaster).
var ErrSchemaVersion = errors.New("unsupported schema version")

// Codec encodes and decodes events of one catalog. It is safe for concurrent
// use. Build one with New, or use the package-level functions, which use the
// ledger's catalog (domain/catalog).
type Codec struct {
	specs map[string]domain.EventSpec
	plans map[string]*payloadPlan // nil plan: encoding/json only
}

// New returns a codec for the given event specs. Every spec needs a type
// name, a version ≥ 1 and a New function returning a pointer; a spec whose
// Version is above 1 may have an Upcast function for older payloads.
func New(specs []domain.EventSpec) (*Codec, error) {
	m := make(map[string]domain.EventSpec, len(specs))
	plans := make(map[string]*payloadPlan, len(specs))
	for _, s := range specs {
		if s.Type == "" {
			return nil, errors.New("codec: event spec without a type name")
		}
		if s.Version < 1 {
			return nil, fmt.Errorf("codec: event type %s: version %d, want ≥ 1", s.Type, s.Version)
		}
		if s.New == nil {
			return nil, fmt.Errorf("codec: event type %s: no New function", s.Type)
		}
		if p := s.New(); p == nil || reflect.TypeOf(p).Kind() != reflect.Pointer {
			return nil, fmt.Errorf("codec: event type %s: New must return a pointer, got %T", s.Type, p)
		} else if got := p.EventType(); got != s.Type {
			return nil, fmt.Errorf("codec: event type %s: New returns a %T whose EventType is %q", s.Type, p, got)
		}
		if _, dup := m[s.Type]; dup {
			return nil, fmt.Errorf("codec: event type %s listed twice", s.Type)
		}
		m[s.Type] = s
		plans[s.Type] = compilePlan(reflect.TypeOf(s.New()).Elem(), 0)
	}
	return &Codec{specs: m, plans: plans}, nil
}

// MustNew is New that panics on error, for tests and package initialisation.
func MustNew(specs []domain.EventSpec) *Codec {
	c, err := New(specs)
	if err != nil {
		panic(err)
	}
	return c
}

var defaultCodec = sync.OnceValue(func() *Codec { return MustNew(catalog.All()) })

// Default returns the codec of the ledger's catalog (domain/catalog.All).
func Default() *Codec { return defaultCodec() }

// Encode encodes ev with Default(); see Codec.Encode.
func Encode(stream string, ev domain.Event, meta domain.Meta, prevHash string) (eventstore.EventData, domain.Meta, error) {
	return Default().Encode(stream, ev, meta, prevHash)
}

// EncodeChain encodes events with Default(); see Codec.EncodeChain.
func EncodeChain(stream, prevHash string, events []domain.Event, metas []domain.Meta) ([]eventstore.EventData, []domain.Meta, error) {
	return Default().EncodeChain(stream, prevHash, events, metas)
}

// Decode decodes ev with Default(); see Codec.Decode.
func Decode(ev eventstore.RecordedEvent) (domain.Recorded, error) {
	return Default().Decode(ev)
}

// SchemaVersion returns the current schema version of an event type, and
// whether the codec knows the type.
func (c *Codec) SchemaVersion(eventType string) (int, bool) {
	s, ok := c.specs[eventType]
	return s.Version, ok
}

// Encode turns one event into a record for stream, chained to prevHash (the
// hash of the stream's current last event, "" for a new stream). It sets in
// the returned Meta: SchemaVersion (the catalog's current version),
// PrevHash, Hash, EventID (a new random id if meta.EventID is zero) and
// normalises OccurredAt and RecordedAt to UTC. The record's ID is the event
// id. The event must be a value of a type in the catalog.
func (c *Codec) Encode(stream string, ev domain.Event, meta domain.Meta, prevHash string) (eventstore.EventData, domain.Meta, error) {
	if ev == nil {
		return eventstore.EventData{}, meta, errors.New("codec: encode: nil event")
	}
	typ := ev.EventType()
	spec, ok := c.specs[typ]
	if !ok {
		return eventstore.EventData{}, meta, fmt.Errorf("codec: encode %s: %w", typ, ErrUnknownType)
	}
	if stream == "" {
		return eventstore.EventData{}, meta, fmt.Errorf("codec: encode %s: empty stream name", typ)
	}
	if prevHash != "" && !isHash(prevHash) {
		return eventstore.EventData{}, meta, fmt.Errorf("codec: encode %s: previous hash %q is not 64 lowercase hex digits", typ, prevHash)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return eventstore.EventData{}, meta, fmt.Errorf("codec: encode %s payload: %w", typ, err)
	}
	if meta.EventID == uuid.Nil {
		meta.EventID = uuid.New()
	}
	meta.SchemaVersion = spec.Version
	meta.PrevHash = prevHash
	meta.Hash = ""
	meta.OccurredAt = meta.OccurredAt.UTC()
	meta.RecordedAt = meta.RecordedAt.UTC()
	m0, err := json.Marshal(meta)
	if err != nil {
		return eventstore.EventData{}, meta, fmt.Errorf("codec: encode %s metadata: %w", typ, err)
	}
	meta.Hash = ComputeHash(prevHash, stream, typ, spec.Version, data, m0)
	return eventstore.EventData{
		ID:          meta.EventID,
		Type:        typ,
		ContentType: ContentType,
		Data:        data,
		Metadata:    withHash(m0, meta.Hash),
	}, meta, nil
}

// EncodeChain encodes events[i] with metas[i] in order, each chained to the
// one before and the first to prevHash. It returns the records to append and
// the completed metadata.
func (c *Codec) EncodeChain(stream, prevHash string, events []domain.Event, metas []domain.Meta) ([]eventstore.EventData, []domain.Meta, error) {
	if len(events) != len(metas) {
		return nil, nil, fmt.Errorf("codec: encode chain: %d events but %d metadata", len(events), len(metas))
	}
	out := make([]eventstore.EventData, len(events))
	done := make([]domain.Meta, len(events))
	for i, ev := range events {
		d, m, err := c.Encode(stream, ev, metas[i], prevHash)
		if err != nil {
			return nil, nil, err
		}
		out[i], done[i], prevHash = d, m, m.Hash
	}
	return out, done, nil
}

// Decode turns a stored record into a domain.Recorded: metadata decoded,
// payload upcast to the catalog's current schema version and unmarshalled
// into the event's Go type, stored as a value (ticket.Opened, not
// *ticket.Opened). An unknown type returns an error wrapping ErrUnknownType.
func (c *Codec) Decode(ev eventstore.RecordedEvent) (domain.Recorded, error) {
	rec := domain.Recorded{
		Stream:   ev.StreamID,
		Revision: ev.Revision,
		Position: ev.Position.Commit,
		Type:     ev.Type,
	}
	spec, ok := c.specs[ev.Type]
	if !ok {
		return rec, &DecodeError{Stream: ev.StreamID, Revision: ev.Revision, Type: ev.Type, Err: ErrUnknownType}
	}
	if ev.ContentType != "" && ev.ContentType != ContentType {
		return rec, &DecodeError{Stream: ev.StreamID, Revision: ev.Revision, Type: ev.Type,
			Err: fmt.Errorf("content type %q, want %q", ev.ContentType, ContentType)}
	}
	if err := decodeMeta(ev.Metadata, &rec.Meta); err != nil {
		return rec, &DecodeError{Stream: ev.StreamID, Revision: ev.Revision, Type: ev.Type, Err: fmt.Errorf("metadata: %w", err)}
	}
	data := ev.Data
	v := rec.Meta.SchemaVersion
	if v == 0 {
		v = 1 // written before schema versions were recorded
	}
	if v != spec.Version {
		if v > spec.Version || spec.Upcast == nil {
			return rec, &DecodeError{Stream: ev.StreamID, Revision: ev.Revision, Type: ev.Type,
				Err: fmt.Errorf("%w: stored version %d, this release reads up to %d", ErrSchemaVersion, v, spec.Version)}
		}
		up, err := spec.Upcast(v, json.RawMessage(data))
		if err != nil {
			return rec, &DecodeError{Stream: ev.StreamID, Revision: ev.Revision, Type: ev.Type,
				Err: fmt.Errorf("upcast from version %d to %d: %w", v, spec.Version, err)}
		}
		data = up
	}
	p, err := decodePayload(c.plans[ev.Type], data, spec.New(), spec.New)
	if err != nil {
		return rec, &DecodeError{Stream: ev.StreamID, Revision: ev.Revision, Type: ev.Type, Err: fmt.Errorf("payload: %w", err)}
	}
	rec.Event = reflect.ValueOf(p).Elem().Interface().(domain.Event)
	return rec, nil
}

// DecodeError says which record could not be decoded and why.
type DecodeError struct {
	Stream   string
	Revision uint64
	Type     string
	Err      error
}

// Error describes the record and the cause.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("codec: decode %s@%d (%s): %v", e.Stream, e.Revision, e.Type, e.Err)
}

// Unwrap returns the cause (ErrUnknownType, ErrSchemaVersion, a JSON error…).
func (e *DecodeError) Unwrap() error { return e.Err }

// DecodeMeta decodes only the metadata of a record (for tools that need the
// hash chain or the actor without the payload).
func DecodeMeta(metadata []byte) (domain.Meta, error) {
	var m domain.Meta
	err := decodeMeta(metadata, &m)
	return m, err
}

// DecodeAll decodes a batch of records, in order, on up to workers
// goroutines (workers ≤ 1: on the caller's goroutine). A projection rebuild
// reading $all in batches can use it to spread decoding over every core. On
// error it returns the error of the earliest record that failed.
func (c *Codec) DecodeAll(recs []eventstore.RecordedEvent, workers int) ([]domain.Recorded, error) {
	out := make([]domain.Recorded, len(recs))
	if workers > len(recs)/64 {
		workers = len(recs) / 64 // not worth a goroutine for fewer
	}
	if workers <= 1 {
		if err := c.decodeInto(out, recs, 0, len(recs)); err != nil {
			return nil, err
		}
		return out, nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	chunk := (len(recs) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(recs))
		wg.Go(func() { errs[w] = c.decodeInto(out, recs, lo, hi) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeInto decodes recs[lo:hi] into out[lo:hi], in order, stopping at
// the first record that fails.
func (c *Codec) decodeInto(out []domain.Recorded, recs []eventstore.RecordedEvent, lo, hi int) error {
	for i := lo; i < hi; i++ {
		d, err := c.Decode(recs[i])
		if err != nil {
			return err
		}
		out[i] = d
	}
	return nil
}
