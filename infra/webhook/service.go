package webhook

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Service runs the subscription commands and answers the subscription,
// delivery-log and dead-letter queries. It reads the store, so every
// replica answers alike.
type Service struct {
	j     journal
	key   Key
	guard Guard
	dir   *directory
}

// NewService returns the subscription service on store; signer signs what
// it appends (nil: unsigned), key derives the secrets, guard checks the
// targets, now is the ledger's clock (nil: time.Now).
func NewService(store eventstore.Store, signer codec.Signer, key Key, guard Guard, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{j: journal{store: store, signer: signer, now: now}, key: key, guard: guard, dir: newDirectory()}
}

// View is a subscription as the API shows it (never its secret).
type View struct {
	ID                 string     `json:"id"`
	Partner            string     `json:"partner,omitempty"` // empty: ledger-wide
	URL                string     `json:"url"`
	Types              []string   `json:"types"`
	Description        string     `json:"description,omitempty"`
	Status             string     `json:"status"` // active, paused or deleted
	SecretGeneration   int        `json:"secretGeneration"`
	PreviousValidUntil *time.Time `json:"previousSecretValidUntil,omitempty"`
	CreatedBy          string     `json:"createdBy"`
	Revision           uint64     `json:"revision"`
}

// WithSecret is a subscription with its current secret: the answer of
// Create and RotateSecret, the only time the secret is shown.
type WithSecret struct {
	View
	Secret string `json:"secret"`
}

func viewOf(e entry) View {
	s := e.sub
	if s == nil {
		return View{}
	}
	v := View{ID: s.ID(), Partner: s.Partner(), URL: s.Details().URL, Types: s.Details().Types, Description: s.Details().Description,
		Status: "active", SecretGeneration: s.Generation(), CreatedBy: s.Details().CreatedBy, Revision: e.rev}
	switch {
	case s.Deleted():
		v.Status = "deleted"
	case s.Paused():
		v.Status = "paused"
	}
	if t := s.PreviousValidUntil(); !t.IsZero() {
		v.PreviousValidUntil = &t
	}
	return v
}

// Create creates a subscription as actor; the answer holds its secret.
func (s *Service) Create(ctx context.Context, actor domain.Actor, in webhook.Creation, idempotencyKey string) (WithSecret, error) {
	u, err := s.guard.Check(ctx, in.URL)
	if err != nil {
		return WithSecret{}, err
	}
	in.URL, in.AllowInsecure = u, s.guard.Unsafe
	id := newID()
	if idempotencyKey != "" {
		id = keyedID(actor, idempotencyKey)
	}
	evs, err := webhook.New(id).Create(actor, in)
	if err != nil {
		return WithSecret{}, fmt.Errorf("create webhook subscription: %w", err)
	}
	if idempotencyKey != "" {
		if e, err := s.entry(ctx, id); err == nil {
			return s.replayCreate(e, evs)
		}
	}
	if _, _, err := s.j.append(ctx, webhook.Stream(id), tail{}, actor, evs...); err != nil {
		if e, gerr := s.entry(ctx, id); idempotencyKey != "" && gerr == nil {
			return s.replayCreate(e, evs) // the same key's create won a race
		}
		return WithSecret{}, fmt.Errorf("create webhook subscription %s: %w", id, err)
	}
	e, err := s.entry(ctx, id)
	if err != nil {
		return WithSecret{}, err
	}
	return s.created(e), nil
}

// created is the answer to a create: the subscription and its first secret.
func (s *Service) created(e entry) WithSecret {
	return WithSecret{View: viewOf(e), Secret: FormatSecret(s.key.Secret(e.sub.ID(), 1))}
}

// replayCreate answers a create under an Idempotency-Key already used: the
// first answer again when the request is the same, else
// app.RuleIdempotencyKeyReused (same key, same request, or an error).
func (s *Service) replayCreate(e entry, evs []domain.Event) (WithSecret, error) {
	if len(evs) == 1 && reflect.DeepEqual(domain.Value(evs[0]), e.sub.Details()) {
		return s.created(e), nil
	}
	return WithSecret{}, domain.Errorf(domain.KindInvalid, app.RuleIdempotencyKeyReused, "Idempotency-Key",
		"this Idempotency-Key already created subscription %s with another request: send a new key for a new subscription, or the same request to get the first answer again", e.sub.ID())
}

// keyedID is the subscription id a create under an Idempotency-Key gets:
// derived from the principal and the key, so a retry names the same
// subscription (and another principal's key never does).
func keyedID(actor domain.Actor, key string) string {
	h := sha256.Sum256([]byte("ticketledger webhook create\x00" + actor.Partner + "\x00" + actor.ID + "\x00" + key))
	return "wh_" + hex.EncodeToString(h[:8])
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "wh_" + hex.EncodeToString(b[:])
}

// entry returns subscription id as stored now.
func (s *Service) entry(ctx context.Context, id string) (entry, error) {
	if err := s.dir.catchUp(ctx, s.j.store, 0); err != nil {
		return entry{}, err
	}
	e, ok := s.dir.get(id)
	if !ok {
		return entry{}, domain.Errorf(domain.KindNotFound, domain.RuleSubscriptionNotFound, "subscriptionId",
			"no such webhook subscription %q: check the id (webhooks list)", id)
	}
	return e, nil
}

// managed returns subscription id if actor may manage it (another
// partner's is answered as one that does not exist).
func (s *Service) managed(ctx context.Context, actor domain.Actor, id string) (entry, error) {
	e, err := s.entry(ctx, id)
	if err == nil {
		err = e.sub.Manage(actor)
	}
	return e, err
}

// Get returns one subscription.
func (s *Service) Get(ctx context.Context, actor domain.Actor, id string) (View, error) {
	e, err := s.managed(ctx, actor, id)
	return viewOf(e), err
}

// List returns the subscriptions actor manages: a partner its own, an
// admin all; deleted ones only with deleted.
func (s *Service) List(ctx context.Context, actor domain.Actor, deleted bool) ([]View, error) {
	if err := s.dir.catchUp(ctx, s.j.store, 0); err != nil {
		return nil, err
	}
	if err := webhook.New("").Manage(actor); err != nil && !isNotFound(err) {
		return nil, err // the role manages none
	}
	out := []View{}
	for _, e := range s.dir.all() {
		if e.sub.Manage(actor) == nil && (deleted || !e.sub.Deleted()) {
			out = append(out, viewOf(e))
		}
	}
	return out, nil
}

func isNotFound(err error) bool { return domain.KindOf(err) == domain.KindNotFound }

// change runs a subscription command and returns the subscription after it.
func (s *Service) change(ctx context.Context, actor domain.Actor, id string, cmd func(*webhook.Subscription) ([]domain.Event, error)) (entry, error) {
	for try := 0; ; try++ {
		e, err := s.managed(ctx, actor, id)
		if err != nil {
			return entry{}, err
		}
		evs, err := cmd(e.sub)
		if err != nil || len(evs) == 0 {
			return e, err
		}
		t, _, err := s.j.last(ctx, webhook.Stream(id))
		if err != nil {
			return entry{}, err
		}
		if t.rev != e.rev {
			continue // the directory is behind the stream: read again
		}
		_, _, err = s.j.append(ctx, webhook.Stream(id), t, actor, evs...)
		if eventstore.IsConflict(err) && try < 5 {
			continue
		}
		if err != nil {
			return entry{}, fmt.Errorf("webhook subscription %s: %w", id, err)
		}
		return s.entry(ctx, id)
	}
}

// RotateSecret starts a new secret; the previous one stays valid for
// overlap (0: webhook.DefaultOverlap). The answer holds the new secret.
func (s *Service) RotateSecret(ctx context.Context, actor domain.Actor, id string, overlap time.Duration) (WithSecret, error) {
	e, err := s.change(ctx, actor, id, func(sub *webhook.Subscription) ([]domain.Event, error) {
		return sub.RotateSecret(actor, s.j.now(), overlap)
	})
	if err != nil {
		return WithSecret{}, err
	}
	return WithSecret{View: viewOf(e), Secret: FormatSecret(s.key.Secret(id, e.sub.Generation()))}, nil
}

// Pause, Resume and Delete change a subscription's state.
func (s *Service) Pause(ctx context.Context, actor domain.Actor, id, reason string) (View, error) {
	e, err := s.change(ctx, actor, id, func(sub *webhook.Subscription) ([]domain.Event, error) { return sub.Pause(actor, reason) })
	return viewOf(e), err
}

// Resume starts deliveries again.
func (s *Service) Resume(ctx context.Context, actor domain.Actor, id string) (View, error) {
	e, err := s.change(ctx, actor, id, func(sub *webhook.Subscription) ([]domain.Event, error) { return sub.Resume(actor) })
	return viewOf(e), err
}

// Delete ends a subscription.
func (s *Service) Delete(ctx context.Context, actor domain.Actor, id, reason string) (View, error) {
	e, err := s.change(ctx, actor, id, func(sub *webhook.Subscription) ([]domain.Event, error) { return sub.Delete(actor, reason) })
	return viewOf(e), err
}

// ledger folds subscription id's delivery stream.
func (s *Service) ledger(ctx context.Context, id string) (*ledgerOf, error) {
	recs, _, err := s.j.read(ctx, webhook.DeliveryStream(id))
	if err != nil {
		return nil, err
	}
	l := newLedger()
	for _, r := range recs {
		l.fold(r)
	}
	return l, nil
}

// Deliveries returns the delivery log of a subscription, the latest first
// (at most limit; 0: 100).
func (s *Service) Deliveries(ctx context.Context, actor domain.Actor, id string, limit int) ([]DeliveryView, error) {
	if _, err := s.managed(ctx, actor, id); err != nil {
		return nil, err
	}
	l, err := s.ledger(ctx, id)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	return l.log(limit), nil
}

// DeadLetters returns the parked deliveries of a subscription, oldest
// first: each holds back its ticket's later deliveries.
func (s *Service) DeadLetters(ctx context.Context, actor domain.Actor, id string) ([]DeliveryView, error) {
	if _, err := s.managed(ctx, actor, id); err != nil {
		return nil, err
	}
	l, err := s.ledger(ctx, id)
	if err != nil {
		return nil, err
	}
	return l.parked(), nil
}

// Replay asks the dispatcher to try a parked delivery again (admin only);
// Skip gives it up, releasing its ticket's held deliveries.
func (s *Service) Replay(ctx context.Context, actor domain.Actor, id, deliveryID string) (DeliveryView, error) {
	return s.resolve(ctx, actor, id, deliveryID, func(v DeliveryView) domain.Event {
		return webhook.ReplayRequested{DeliveryID: v.DeliveryID, TicketID: v.TicketID, RequestedBy: actor.ID}
	}, StatusReplayRequested)
}

// Skip gives a parked delivery up (admin only).
func (s *Service) Skip(ctx context.Context, actor domain.Actor, id, deliveryID string) (DeliveryView, error) {
	return s.resolve(ctx, actor, id, deliveryID, func(v DeliveryView) domain.Event {
		return webhook.Skipped{DeliveryID: v.DeliveryID, TicketID: v.TicketID, SkippedBy: actor.ID}
	}, StatusSkipped)
}

func (s *Service) resolve(ctx context.Context, actor domain.Actor, id, deliveryID string, ev func(DeliveryView) domain.Event, status string) (DeliveryView, error) {
	if err := actor.Validate(); err != nil {
		return DeliveryView{}, err
	}
	if !actor.Role.Operates() {
		return DeliveryView{}, domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor.role",
			"%s may not replay or skip deliveries: an admin works the dead-letter list", actor.Role.Indefinite())
	}
	if _, err := s.entry(ctx, id); err != nil {
		return DeliveryView{}, err
	}
	for try := 0; ; try++ {
		recs, t, err := s.j.read(ctx, webhook.DeliveryStream(id))
		if err != nil {
			return DeliveryView{}, err
		}
		l := newLedger()
		for _, r := range recs {
			l.fold(r)
		}
		v := l.byID[deliveryID]
		if v == nil || v.Status != StatusParked {
			st := "unknown"
			if v != nil {
				st = v.Status
			}
			return DeliveryView{}, domain.Errorf(domain.KindConflict, domain.RuleDeliveryNotParked, "deliveryId",
				"delivery %q of subscription %s is %s, not parked: pick one from `ticketledger webhooks dead-letters %s`", deliveryID, id, st, id)
		}
		_, _, err = s.j.append(ctx, webhook.DeliveryStream(id), t, actor, ev(*v))
		if eventstore.IsConflict(err) && try < 5 {
			continue
		}
		if err != nil {
			return DeliveryView{}, err
		}
		v.Status = status
		return *v, nil
	}
}
