package integrity

import (
	"context"
	"fmt"
	"sync"

	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// KeyHolder is the ledger's current signing key, swappable while the ledger
// runs (a key rotation). It signs as the current key (codec.Signer), and
// Guard wraps the store the ledger appends through so that a rotation is a
// barrier: no event signed by the old key is committed after the rotation
// recorded the old key's retirement. Safe for concurrent use.
type KeyHolder struct {
	mu  sync.RWMutex // appends through Guard hold it shared; Rotate exclusively
	key *SigningKey
}

var _ codec.Signer = (*KeyHolder)(nil)

// NewKeyHolder holds key.
func NewKeyHolder(key *SigningKey) *KeyHolder { return &KeyHolder{key: key} }

// Current returns the current key.
func (h *KeyHolder) Current() *SigningKey {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.key
}

// KeyID implements codec.Signer: the current key's id.
func (h *KeyHolder) KeyID() string { return h.Current().ID() }

// Sign implements codec.Signer with the current key. KeyID and Sign may
// straddle a rotation: Guard re-signs such a record as it is appended.
func (h *KeyHolder) Sign(msg []byte) []byte { return h.Current().Sign(msg) }

// Rotate runs record (which appends the rotation to the log, e.g.
// RotateKey, and returns the new key) while no append through Guard is in
// flight, and makes its key current. On error the key stays.
func (h *KeyHolder) Rotate(record func(current *SigningKey) (*SigningKey, error)) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	next, err := record(h.key)
	if err != nil {
		return err
	}
	h.key = next
	return nil
}

// Guard returns store with Append holding the rotation barrier: a record
// signed by a key other than the current one (encoded just before a
// rotation) is re-signed with the current key before it is appended.
func (h *KeyHolder) Guard(store eventstore.Store) eventstore.Store {
	return &guardedStore{Store: store, h: h}
}

type guardedStore struct {
	eventstore.Store
	h *KeyHolder
}

func (g *guardedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	g.h.mu.RLock()
	defer g.h.mu.RUnlock()
	key := g.h.key
	var copied bool
	for i := range events {
		_, v := codec.SplitSig(events[i].Metadata)
		if v == "" || (len(v) > codec.KeyIDLen && v[:codec.KeyIDLen] == key.ID()) {
			continue // unsigned (not ours to sign) or signed by the current key
		}
		m, err := codec.Resign(events[i].Metadata, key)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
		}
		if !copied {
			events, copied = append([]eventstore.EventData(nil), events...), true
		}
		events[i].Metadata = m
	}
	return g.Store.Append(ctx, stream, expected, events...)
}
