package projections

import (
	"io"

	"github.com/ticketledger/ticketledger/domain"
)

// Projection is a read model folded from the event stream. The projector
// (infra/projector) feeds it every event of $all in order.
type Projection interface {
	// Name identifies the projection in snapshots and metrics; it never
	// changes once released.
	Name() string
	// Apply folds one event. Events at or below Position are ignored, so
	// applying the same event twice never double-counts. It never fails:
	// events it does not understand are counted in Stats().Unknown.
	Apply(rec domain.Recorded)
	// Position is the global-log position of the last event applied (0:
	// none).
	Position() uint64
	// Snapshot writes the state and its position, consistent with each
	// other, to w.
	Snapshot(w io.Writer) error
	// Restore replaces the state with one written by Snapshot.
	Restore(r io.Reader) error
	// Reset empties the state (position 0), for a rebuild from zero.
	Reset()
	// Stats returns the projection's counters.
	Stats() Stats
}

// Stats are the counters of a projection, plain numbers for metrics.
type Stats struct {
	// Applied counts events folded into the state.
	Applied uint64 `json:"applied"`
	// Duplicates counts events ignored because their position was at or
	// below the last applied one.
	Duplicates uint64 `json:"duplicates"`
	// Unknown counts events skipped because their type or payload is not
	// known to this projection.
	Unknown uint64 `json:"unknown"`
	// Orphans counts ticket events whose ticket was never opened in this
	// projection (e.g. a truncated stream).
	Orphans uint64 `json:"orphans"`
	// Position is the last applied global-log position.
	Position uint64 `json:"position"`
}
