package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Evidence is the full raw stream of a ticket, as stored, with the result of
// verifying its hash chain: what the ledger hands to the other side of a
// dispute. Data and Metadata are the exact stored bytes (base64 in JSON);
// anyone can recompute the chain from them as infra/codec documents.
type Evidence struct {
	Stream     string    `json:"stream"`
	TicketID   string    `json:"ticketId"`
	ExportedAt time.Time `json:"exportedAt"`
	// HashScheme names the hash-chain scheme (codec.HashTag).
	HashScheme string `json:"hashScheme"`
	// Verified is true when the whole chain verifies; Problem says where
	// it breaks otherwise.
	Verified bool           `json:"verified"`
	Problem  *ChainProblem  `json:"problem,omitempty"`
	LastRev  uint64         `json:"lastRevision"`
	LastHash string         `json:"lastHash"`
	Events   []EvidenceItem `json:"events"`
}

// ChainProblem is the first broken link of a hash chain.
type ChainProblem struct {
	Revision uint64 `json:"revision"`
	Problem  string `json:"problem"`
	Expected string `json:"expected,omitempty"`
	Found    string `json:"found,omitempty"`
}

// EvidenceItem is one stored record.
type EvidenceItem struct {
	Revision uint64 `json:"revision"`
	Position uint64 `json:"position"`
	eventstore.RecordInfo
	// Data and Metadata are the stored bytes, exactly; verify these.
	Data     []byte `json:"data"`
	Metadata []byte `json:"metadata"`
	// Payload and Meta are the same bytes as JSON, for reading (absent if
	// they are not valid JSON).
	Payload json.RawMessage `json:"payload,omitempty"`
	Meta    json.RawMessage `json:"meta,omitempty"`
}

// ExportEvidence reads a ticket's whole stream without decoding it and
// verifies its hash chain (codec.Verify). A broken chain is reported in the
// Evidence, not as an error; a ticket that does not exist is a KindNotFound
// error.
func (s *Service) ExportEvidence(ctx context.Context, ticketID string) (Evidence, error) {
	stream, id, raw, err := s.TicketRecords(ctx, ticketID)
	if err != nil {
		return Evidence{}, err
	}
	ev := Evidence{Stream: stream, TicketID: id, ExportedAt: s.now().UTC(), HashScheme: codec.HashTag, Verified: true,
		Events: make([]EvidenceItem, len(raw))}
	for i, r := range raw {
		item := EvidenceItem{Revision: r.Revision, Position: r.Position.Commit,
			RecordInfo: eventstore.RecordInfo{ID: r.ID, Type: r.Type, ContentType: r.ContentType, Created: r.Created}, Data: r.Data, Metadata: r.Metadata}
		if json.Valid(r.Data) {
			item.Payload = r.Data
		}
		if json.Valid(r.Metadata) {
			item.Meta = r.Metadata
		}
		ev.Events[i] = item
	}
	last := raw[len(raw)-1]
	ev.LastRev = last.Revision
	if m, err := codec.DecodeMeta(last.Metadata); err == nil {
		ev.LastHash = m.Hash
	}
	if err := codec.Verify(raw); err != nil {
		var ce *codec.ChainError
		if !errors.As(err, &ce) {
			return Evidence{}, fmt.Errorf("export evidence of ticket %s: %w", id, err)
		}
		ev.Verified = false
		ev.Problem = &ChainProblem{Revision: ce.Revision, Problem: ce.Problem, Expected: ce.Expected, Found: ce.Found}
	}
	return ev, nil
}

// TicketRecords reads a ticket's whole stream as stored, without decoding
// it: the stream name, the canonical ticket id and the records. A ticket
// that does not exist is a KindNotFound error.
func (s *Service) TicketRecords(ctx context.Context, ticketID string) (stream, id string, recs []eventstore.RecordedEvent, err error) {
	stream, id, err = TicketStream(ticketID)
	if err != nil {
		return "", "", nil, err
	}
	recs, err = s.readTail(ctx, stream, 0)
	if err != nil {
		return "", "", nil, fmt.Errorf("read the stream of ticket %s: %w", id, err)
	}
	if len(recs) == 0 {
		return "", "", nil, domain.Errorf(domain.KindNotFound, domain.RuleTicketNotFound, "ticketId", "ticket %q does not exist: check the ticket id", id)
	}
	return stream, id, recs, nil
}

// VerifyTicket verifies the hash chain of a ticket's stream: nil, or a
// *codec.ChainError naming the first broken link.
func (s *Service) VerifyTicket(ctx context.Context, ticketID string) error {
	_, _, raw, err := s.TicketRecords(ctx, ticketID)
	if err != nil {
		return err
	}
	return codec.Verify(raw)
}
