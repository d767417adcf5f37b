// Package codec turns domain events into event-store records and back: the
// payload as JSON, the metadata (domain.Meta) as camelCase JSON that reads
// well in KurrentDB's UI, the schema version of every payload, upcasting of
// older payload versions on read, and a per-stream SHA-256 hash chain that
// makes every stream tamper-evident.
//
// # Records
//
// An encoded event is an eventstore.EventData with
//
//	ID          = Meta.EventID
//	Type        = the event's persisted type name ("ticket.opened")
//	ContentType = "application/json"
//	Data        = the payload, encoding/json of the event value
//	Metadata    = the metadata, a JSON object whose last member is "hash"
//
// Meta.SchemaVersion is the payload's schema version, taken from the catalog
// (domain/catalog) when the event is written. On read, a payload whose
// version is older than the catalog's current version is passed through the
// spec's Upcast function before it is decoded; Recorded.Meta keeps the
// version as stored. A version newer than the catalog knows is an error (the
// event was written by a newer release), and so is an unknown type
// (ErrUnknownType).
//
// # Hash chain
//
// Every event of a stream carries two metadata fields: "prevHash", the hash
// of the previous event of the same stream ("" — and then omitted — for the
// stream's first event), and "hash", its own hash. The hash is computed as
// follows, and anybody holding the raw records can recompute it:
//
//  1. Take the metadata bytes M exactly as stored. If M ends with a
//     signature member `,"sig":"<S>"}` directly after the hash member (see
//     Signatures below; <S> holds no '"'), remove `,"sig":"<S>"` first. M
//     then ends with the member `,"hash":"<H>"}` where <H> is 64 lowercase
//     hexadecimal digits. Remove that suffix and append `}`; the result is
//     M0, the metadata without its hash. (The writer produces M0 first, then
//     inserts the hash member before the closing brace, then the sig member;
//     no other byte changes.) Unsigned events, including every event written
//     before signatures existed, have no sig member and hash as before.
//  2. Build the canonical input: the seven fields below, in this order,
//     each written as its length in bytes (4-byte unsigned big-endian)
//     followed by the bytes themselves.
//  3. hash = lowercase hex of SHA-256(canonical input).
//
// The seven fields of step 2:
//
//	(a) the domain tag "ticketledger.hashchain.v1" (HashTag)
//	(b) prevHash: the previous event's hash as 64 lowercase hex digits,
//	    or the empty string for the first event of the stream
//	(c) the stream name, e.g. "ticket-0b3f…"
//	(d) the event type, e.g. "ticket.opened"
//	(e) the schema version in decimal ASCII, e.g. "1"
//	(f) the payload bytes (Data) exactly as stored
//	(g) M0
//
// The stream's revision is deliberately not hashed: it is assigned by the
// store (a soft-deleted stream continues its numbering), and the chain
// already fixes the order, since every event names the hash of its
// predecessor. Verify checks besides that revisions are contiguous, that
// "prevHash" in the metadata equals the previous event's "hash", and that
// "eventId" in the metadata equals the record's id. Removing the last events
// of a stream cannot be detected from the stream alone: compare the last hash
// with one handed out earlier (the evidence export carries it).
//
// # Signatures
//
// An event the ledger appends is signed with Ed25519 by the ledger's key.
// The signature is the last member of the metadata, right after the hash:
//
//	M = M0 without its closing '}' + `,"hash":"<H>","sig":"<K>:<B>"}`
//
// where <K> is the key id — 16 lowercase hex digits, the first 8 bytes of
// SHA-256 of the 32-byte Ed25519 public key — and <B> is the 64-byte
// signature in standard base64 with padding (88 characters). The signed
// message is the ASCII bytes
//
//	"ticketledger.eventsig.v1" (SigTag) 0x0A <H>
//
// (89 bytes: the tag, a newline, the 64 hex digits of the hash). The hash
// covers the stream, type, schema version, payload and M0, so the signature
// covers them too; the sig member itself is outside the hash, so the chain
// of a stream is the same whether or not its events are signed.
// EncodeSigned and EncodeChainSigned write it; VerifySignature recomputes
// the hash and checks the signature against a keyring, returning a
// *SignatureError wrapping ErrUnsigned, ErrUnknownKey or ErrBadSignature.
// Signing costs about 22 µs and is done by the caller's goroutine.
//
// A worked example in Go is ComputeHash; a verifier in another language needs
// only SHA-256 and a JSON parser to read "prevHash", "hash" and
// "schemaVersion" out of M.
//
// # Speed
//
// Decode is on the hot path of projection rebuilds. It decodes metadata with
// a small hand-written scanner for the shape this package writes (falling
// back to encoding/json for anything else). Payloads go the same way: a
// scanner driven by a plan compiled in New from each event's Go type decodes
// the payload into spec.New(), and anything it does not handle exactly as
// encoding/json would (unknown keys, null, unusual escapes or numbers, a type
// the plan cannot express) is decoded by json.Unmarshal into a fresh value,
// so the result is always what encoding/json gives (payload.go says which
// inputs take which path). The pointer is dereferenced once with reflect.
// BenchmarkDecode measures it. DecodeAll decodes a batch on several
// goroutines, in order.
package codec
