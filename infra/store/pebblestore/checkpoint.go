package pebblestore

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Checkpoint writes a consistent copy of the store to dir, which must not
// exist: Pebble's checkpoint (sstables hard-linked when dir is on the same
// filesystem, copied otherwise; the WAL and manifest copied), safe while
// appends go on. The copy holds every append committed before the call and
// perhaps some committed during it, never half of one (a group commit is one
// batch). It returns the durable head when the checkpoint began, a lower
// bound of the copy's head: open the copy for its exact head.
func (s *Store) Checkpoint(dir string) (eventstore.Position, error) {
	if err := s.readLock(context.Background()); err != nil {
		return eventstore.Position{}, fmt.Errorf("pebblestore: checkpoint %s: %w", s.dir, err)
	}
	defer s.readUnlock()
	d := s.durable.Load()
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return eventstore.Position{}, fmt.Errorf("pebblestore: checkpoint %s into %s: %w", s.dir, dir, err)
	}
	return eventstore.Position{Commit: d, Prepare: d}, nil
}
