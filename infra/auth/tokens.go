package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Tokens issues and revokes ledger tokens: it runs the token aggregate's
// commands, appends their events to the token's stream and applies them to
// the registry at once (so a revocation takes effect before Revoke
// returns, on this replica; other replicas follow their subscription).
type Tokens struct {
	store  eventstore.Store
	reg    *Registry
	now    func() time.Time
	signer codec.Signer
}

// NewTokens returns the token service on store, keeping reg up to date.
// now is the ledger's clock (nil: time.Now).
func NewTokens(store eventstore.Store, reg *Registry, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{store: store, reg: reg, now: now}
}

// WithSigner makes the service sign every event it appends with s (the
// ledger's key), like every other event of the ledger, and returns it.
// Without a signer token events are unsigned, and the sealer and verify
// report them as forged.
func (t *Tokens) WithSigner(s codec.Signer) *Tokens {
	t.signer = s
	return t
}

// Registry returns the registry the service keeps up to date.
func (t *Tokens) Registry() *Registry { return t.reg }

// IssueRequest is what to issue. Secret is empty for a new random secret;
// a deployment handing in its own secret sets it (see Provision).
type IssueRequest struct {
	Role      domain.Role
	Partner   string
	Name      string
	Scope     principal.Scope
	ExpiresAt time.Time
	Secret    string
}

// Issued is a token just issued. Secret is shown once: the ledger keeps
// only its hash.
type Issued struct {
	TokenID string
	Secret  string
	Info    TokenInfo
}

// Issue issues a token as actor (an admin, or Internal().Actor()). The
// domain's errors (role-not-allowed, required-field…) pass through.
func (t *Tokens) Issue(ctx context.Context, actor domain.Actor, req IssueRequest) (Issued, error) {
	secret := req.Secret
	if secret == "" {
		secret = NewSecret()
	}
	id := newTokenID()
	now := t.now().UTC()
	events, err := principal.New(id).Issue(actor, now, principal.Issuance{
		Role: req.Role, Partner: req.Partner, Name: req.Name, Scope: req.Scope, ExpiresAt: req.ExpiresAt, Hash: HashSecret(secret),
	})
	if err != nil {
		return Issued{}, fmt.Errorf("issue token: %w", err)
	}
	if err := t.append(ctx, id, actor, now, "", eventstore.NoStream(), 0, events); err != nil {
		return Issued{}, fmt.Errorf("issue token %s: %w", id, err)
	}
	info := TokenInfo{ID: id}
	for _, ti := range t.reg.Tokens() {
		if ti.ID == id {
			info = ti
		}
	}
	return Issued{TokenID: id, Secret: secret, Info: info}, nil
}

// Revoke revokes a token as actor: from the moment Revoke returns, the
// token no longer authenticates on this replica. Revoking a revoked token
// does nothing; an unknown id is token-not-found.
func (t *Tokens) Revoke(ctx context.Context, actor domain.Actor, tokenID, reason string) error {
	if err := principal.ValidateID(tokenID); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	stream := principal.Stream(tokenID)
	recs, err := t.store.ReadStream(ctx, stream, eventstore.Forwards, eventstore.StreamStart(), 1<<20)
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return fmt.Errorf("revoke token %s: read: %w", tokenID, err)
	}
	history := make([]domain.Event, 0, len(recs))
	prevHash := ""
	for _, r := range recs {
		d, err := codec.Decode(r)
		if err != nil {
			return fmt.Errorf("revoke token %s: %w", tokenID, err)
		}
		history = append(history, d.Event)
		prevHash = d.Meta.Hash
	}
	tok := principal.New(tokenID)
	if len(history) > 0 {
		if tok, err = principal.Rebuild(tokenID, history); err != nil {
			return fmt.Errorf("revoke token %s: %w", tokenID, err)
		}
	}
	now := t.now().UTC()
	events, err := tok.Revoke(actor, now, reason)
	if err != nil || len(events) == 0 {
		if err != nil {
			return fmt.Errorf("revoke token %s: %w", tokenID, err)
		}
		return nil
	}
	last := recs[len(recs)-1].Revision
	if err := t.append(ctx, tokenID, actor, now, prevHash, eventstore.Exact(last), last+1, events); err != nil {
		return fmt.Errorf("revoke token %s: %w", tokenID, err)
	}
	return nil
}

// append encodes events as actor, appends them and applies them to the
// registry. first is the revision of the first event.
func (t *Tokens) append(ctx context.Context, id string, actor domain.Actor, now time.Time, prevHash string, expected eventstore.ExpectedRevision, first uint64, events []domain.Event) error {
	stream := principal.Stream(id)
	metas := make([]domain.Meta, len(events))
	corr := uuid.NewString()
	for i := range metas {
		metas[i] = domain.Meta{Actor: actor, CorrelationID: corr, OccurredAt: now, RecordedAt: now}
	}
	data, done, err := codec.EncodeChainSigned(stream, prevHash, events, metas, t.signer)
	if err != nil {
		return err
	}
	res, err := t.store.Append(ctx, stream, expected, data...)
	if err != nil {
		return err
	}
	for i, ev := range events {
		rec := domain.Recorded{Stream: stream, Revision: first + uint64(i), Type: ev.EventType(), Meta: done[i], Event: ev}
		if i == len(events)-1 {
			rec.Position = res.Position.Commit
		}
		t.reg.Apply(rec)
	}
	return nil
}
