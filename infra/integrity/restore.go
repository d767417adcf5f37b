package integrity

import (
	"context"
	"time"

	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// RecordRestore appends ev to the restores stream (ledger.RestoresStream),
// chained to its last event and signed by key like every event the ledger
// appends, so that a log put back to a backup says so: verify checks its
// signature, the next seal covers it.
func RecordRestore(ctx context.Context, store eventstore.Store, key codec.Signer, ev ledger.Restored, now time.Time) (eventstore.AppendResult, error) {
	return appendSigned(ctx, store, ledger.RestoresStream, key, now, ev)
}
