package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// TestAppendedEventsAreSigned: with Config.Signer, every event the service
// appends carries a valid signature by that key; without, none does.
func TestAppendedEventsAreSigned(t *testing.T) {
	f := setup(t)
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	svc := f.service(t, f.store, app.Config{Signer: key})
	ctx := context.Background()
	res := must(t)(svc.Open(ctx, app.Command{Actor: provider}, openReq()))

	recs, err := f.store.ReadStream(ctx, res.Stream, eventstore.Forwards, eventstore.StreamStart(), 100)
	if err != nil || len(recs) == 0 {
		t.Fatalf("read %s: %d %v", res.Stream, len(recs), err)
	}
	keys := integrity.TrustedKeys(key.Public())
	for _, rec := range recs {
		if err := codec.VerifySignature(rec, keys); err != nil {
			t.Fatalf("%s@%d: %v", rec.StreamID, rec.Revision, err)
		}
	}
	if err := codec.Verify(recs); err != nil {
		t.Fatalf("chain of signed events: %v", err)
	}
	// Another key does not verify them.
	other, _ := integrity.GenerateSigningKey()
	if err := codec.VerifySignature(recs[0], integrity.TrustedKeys(other.Public())); !errors.Is(err, codec.ErrUnknownKey) {
		t.Fatalf("verified with another key: %v", err)
	}
	// The fixture's service has no signer: its events are unsigned.
	p1, err := f.store.ReadStream(ctx, "partner-p1", eventstore.Forwards, eventstore.StreamStart(), 1)
	if err != nil || len(p1) != 1 {
		t.Fatalf("read partner-p1: %v", err)
	}
	if err := codec.VerifySignature(p1[0], keys); !errors.Is(err, codec.ErrUnsigned) {
		t.Fatalf("unsigned service: %v", err)
	}
}
