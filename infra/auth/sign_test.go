package auth

import (
	"context"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// TestTokensWithSignerSign: with the ledger's key, token events are signed
// like every other event, so the sealer and verify accept them.
func TestTokensWithSignerSign(t *testing.T) {
	ctx := context.Background()
	st, clk, reg, _ := newTokens(t)
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	toks := NewTokens(st, reg, clk.now).WithSigner(key)
	iss, err := toks.Issue(ctx, adminActor, IssueRequest{Role: domain.RoleAuditor, Name: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	if err := toks.Revoke(ctx, adminActor, iss.TokenID, "done"); err != nil {
		t.Fatal(err)
	}
	recs, err := st.ReadStream(ctx, principal.Stream(iss.TokenID), eventstore.Forwards, eventstore.StreamStart(), 10)
	if err != nil || len(recs) != 2 {
		t.Fatalf("token stream: %d events, %v", len(recs), err)
	}
	for _, rec := range recs {
		if err := codec.VerifySignature(rec, integrity.TrustedKeys(key.Public())); err != nil {
			t.Fatalf("%s@%d: %v", rec.StreamID, rec.Revision, err)
		}
	}
	if err := codec.Verify(recs); err != nil {
		t.Fatal(err)
	}
}
