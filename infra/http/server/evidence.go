package server

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/evidence"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// evidenceBundle serves GET /v1/tickets/{id}/evidence.zip: the ticket's
// evidence bundle (infra/evidence, docs/evidence-bundle.md). It waits up
// to sealWait for a signed tree head that covers the ticket's newest
// event; events still newer than the head are listed in the bundle as
// covered by their signatures only.
func (a *API) evidenceBundle(w http.ResponseWriter, r *http.Request, _ *query) error {
	id, _, err := a.ticketRead(r, false)
	if err != nil {
		return err
	}
	stream, id, recs, err := a.app.TicketRecords(r.Context(), id)
	if err != nil {
		return err
	}
	if a.integ == nil {
		return errNoIntegrity("this ledger runs no sealer (no signing key, or --no-seal): ask the ledger that seals the log for the bundle, or use GET /v1/tickets/{id}/evidence")
	}
	head, ok := a.awaitSeal(r.Context(), recs[len(recs)-1].Position)
	if !ok {
		return errNoIntegrity("no tree head signed yet: the first seal follows the first events; retry in a few seconds")
	}
	now := a.now().UTC()
	s, ok := a.tickets.SLA(id, now)
	if !ok {
		return errNoTicket()
	}
	b, err := evidence.Build(evidence.Source{TicketID: id, Stream: stream, Records: recs, Head: head, Tree: a.integ.Tree(),
		LeafIndex: a.integ.LeafIndex, Keyring: a.integ.Keyring(), Policies: a.policies, SLA: s, Now: now})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="evidence-`+id+`.zip"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}

// awaitSeal returns the latest signed head, waiting up to sealWait for one
// that covers the event at p; ok is false when there is no head at all.
func (a *API) awaitSeal(ctx context.Context, p eventstore.Position) (integrity.SignedHead, bool) {
	ctx, cancel := context.WithTimeout(ctx, a.sealWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		h, ok := a.integ.Head()
		if i, in := a.integ.LeafIndex(p); ok && in && i < h.Size {
			return h, true
		}
		select {
		case <-ctx.Done():
			return a.integ.Head()
		case <-tick.C:
		}
	}
}
