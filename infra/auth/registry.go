package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Errors of a credential check. They are wrapped in a *Denied by the
// Authenticator; tests and callers use errors.Is.
var (
	ErrUnknownToken = errors.New("unknown token")
	ErrExpired      = errors.New("token expired")
	ErrRevoked      = errors.New("token revoked")
)

// Registry maps token hashes to principals, kept up to date from the token
// streams ("token-<id>") of the event store: Load reads them, Follow
// subscribes to them, and Apply takes an event just appended on this
// replica at once. It is safe for concurrent use; Lookup is a map access
// under a read lock and does not allocate.
type Registry struct {
	now func() time.Time

	mu     sync.RWMutex
	byHash map[[sha256.Size]byte]*entry
	byID   map[string]*entry
	pos    eventstore.Position // last $all position applied from the store
	// live is true while Follow's subscription is caught up and running;
	// downSince is when it last was not (the registry's creation at first).
	live      bool
	downSince time.Time
}

type entry struct {
	p        Principal
	hash     [sha256.Size]byte
	hasHash  bool
	issued   time.Time
	issuedBy string
	revoked  bool
	reason   string
	revision uint64 // last stream revision applied
	applied  bool
}

// NewRegistry returns an empty registry. now is the clock expiry is
// checked against (nil: time.Now).
func NewRegistry(now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{now: now, byHash: map[[sha256.Size]byte]*entry{}, byID: map[string]*entry{}, downSince: now()}
}

// TokenFilter selects the token streams of $all.
func TokenFilter() *eventstore.Filter {
	return &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{principal.StreamPrefix}}
}

// Lookup returns the principal of a secret: ErrUnknownToken for a secret
// never issued, ErrRevoked or ErrExpired for one no longer valid.
func (r *Registry) Lookup(secret string) (Principal, error) {
	p, err := r.lookupHash(sum(secret))
	if err != nil {
		return Principal{}, err
	}
	return p, nil
}

// lookupHash is Lookup; on ErrRevoked and ErrExpired it returns the
// token's principal too, for the denial log.
func (r *Registry) lookupHash(h [sha256.Size]byte) (Principal, error) {
	now := r.now()
	r.mu.RLock()
	e := r.byHash[h]
	var p Principal
	var revoked bool
	if e != nil {
		p, revoked = e.p, e.revoked
	}
	r.mu.RUnlock()
	switch {
	case e == nil:
		return Principal{}, ErrUnknownToken
	case revoked:
		return p, ErrRevoked
	case !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt):
		return p, ErrExpired
	}
	return p, nil
}

// AuthenticateBasic checks Basic credentials, the form the KurrentDB client
// sends (esdb://user:pass@host): the password is a token secret and the
// user is that token's id or its name. A user that does not match the
// token is ErrUnknownToken, like a wrong secret.
func (r *Registry) AuthenticateBasic(user, pass string) (Principal, error) {
	p, err := r.basic(user, pass)
	if err != nil {
		return Principal{}, err
	}
	return p, nil
}

func (r *Registry) basic(user, pass string) (Principal, error) {
	p, err := r.lookupHash(sum(pass))
	if err != nil {
		return p, err
	}
	if subtle.ConstantTimeCompare([]byte(user), []byte(p.TokenID)) != 1 &&
		(p.Name == "" || subtle.ConstantTimeCompare([]byte(user), []byte(p.Name)) != 1) {
		return Principal{}, ErrUnknownToken
	}
	return p, nil
}

// Apply takes one decoded event. Token events update the registry (a
// revocation takes effect before Apply returns); other events are ignored.
// Applying an event again, or an older event of the same token, changes
// nothing, so Apply after an append and the subscription delivering the
// same event later agree.
func (r *Registry) Apply(rec domain.Recorded) {
	if !strings.HasPrefix(rec.Stream, principal.StreamPrefix) {
		return
	}
	id := strings.TrimPrefix(rec.Stream, principal.StreamPrefix)
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.byID[id]
	if e != nil && e.applied && rec.Revision <= e.revision {
		return
	}
	if e == nil {
		e = &entry{}
		r.byID[id] = e
	}
	e.revision, e.applied = rec.Revision, true
	switch ev := domain.Value(rec.Event).(type) {
	case principal.TokenIssued:
		h, err := hex.DecodeString(ev.Hash)
		if err != nil || len(h) != sha256.Size {
			return // the aggregate never writes one; fail closed
		}
		e.p = Principal{
			ID: tokenActorID(ev.Name, id), Role: domain.Role(ev.Role), Partner: ev.Partner, Method: MethodToken,
			TokenID: id, Name: ev.Name, Scope: ev.Scope, ExpiresAt: ev.ExpiresAt,
		}
		e.issued, e.issuedBy = rec.Meta.RecordedAt, ev.IssuedBy
		copy(e.hash[:], h)
		e.hasHash = true
		if !e.revoked {
			r.byHash[e.hash] = e
		}
	case principal.TokenRevoked:
		e.revoked, e.reason = true, ev.Reason
		if e.hasHash {
			// Kept in byHash so that a revoked secret says "revoked".
			r.byHash[e.hash] = e
		}
	}
}

// ApplyRecord decodes a stored record with the default codec and applies
// it; records of other streams are skipped without decoding.
func (r *Registry) ApplyRecord(ev eventstore.RecordedEvent) error {
	if !strings.HasPrefix(ev.StreamID, principal.StreamPrefix) {
		return nil
	}
	rec, err := codec.Decode(ev)
	if err != nil {
		return fmt.Errorf("token registry: %w", err)
	}
	r.Apply(rec)
	r.mu.Lock()
	if r.pos.Less(ev.Position) {
		r.pos = ev.Position
	}
	r.mu.Unlock()
	return nil
}

// Load reads every token event of the store (from where the registry
// stopped, the start the first time) and applies it. Call it before
// serving so the first request sees every token; then Follow.
func (r *Registry) Load(ctx context.Context, store eventstore.Store) error {
	const batch = 512
	for {
		r.mu.RLock()
		pos := r.pos
		r.mu.RUnlock()
		first := pos == (eventstore.Position{})
		from := eventstore.AllFrom(pos)
		recs, err := store.ReadAll(ctx, eventstore.Forwards, from, batch, TokenFilter())
		if err != nil {
			return fmt.Errorf("token registry: read tokens: %w", err)
		}
		n := 0
		for _, ev := range recs {
			if !first && ev.Position == pos {
				continue // forward reads include from
			}
			if err := r.ApplyRecord(ev); err != nil {
				return err
			}
			n++
		}
		if len(recs) < batch || n == 0 {
			return nil
		}
	}
}

// Follow subscribes to the token streams after the last event loaded and
// applies every new one (issued or revoked on any replica) until ctx ends
// or the subscription fails; caughtUp, if not nil, is called once when the
// registry has seen everything stored when Follow started. It returns the
// subscription's error (nil when ctx ended). Callers restart it after an
// error (ErrSubscriptionDropped): it resumes where it stopped.
func (r *Registry) Follow(ctx context.Context, store eventstore.Store, caughtUp func()) error {
	r.mu.RLock()
	pos := r.pos
	r.mu.RUnlock()
	from := eventstore.AllFrom(pos)
	sub, err := store.SubscribeAll(ctx, from, eventstore.SubscribeOptions{Filter: TokenFilter()})
	if err != nil {
		return fmt.Errorf("token registry: subscribe: %w", err)
	}
	defer sub.Close()
	defer r.setLive(false)
	for {
		m, err := sub.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("token registry: subscription: %w", err)
		}
		switch {
		case m.CaughtUp:
			r.setLive(true)
			if caughtUp != nil {
				caughtUp()
				caughtUp = nil
			}
		case m.Event != nil:
			if err := r.ApplyRecord(*m.Event); err != nil {
				return err
			}
		}
	}
}

func (r *Registry) setLive(live bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live && !live {
		r.downSince = r.now()
	}
	r.live = live
}

// Following reports whether Follow is caught up with the token streams and
// running (live), else since when it has not been: while it is down, a
// token revoked on another replica is not refused here.
func (r *Registry) Following() (live bool, downSince time.Time) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.live, r.downSince
}

// HasAdmin reports whether an admin token is active now (issued, not
// revoked, not expired).
func (r *Registry) HasAdmin() bool {
	now := r.now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, e := range r.byID {
		if e.hasHash && e.active(now) && e.p.Role == domain.RoleAdmin {
			return true
		}
	}
	return false
}

func (e *entry) active(now time.Time) bool {
	return !e.revoked && (e.p.ExpiresAt.IsZero() || now.Before(e.p.ExpiresAt))
}

// TokenInfo describes one token for listing (never its secret or hash).
type TokenInfo struct {
	ID        string
	Name      string
	Role      domain.Role
	Partner   string
	Scope     principal.Scope
	ExpiresAt time.Time // zero: never
	IssuedAt  time.Time
	IssuedBy  string
	Revoked   bool
	Reason    string // why it was revoked
	Expired   bool
}

// Tokens lists every token the registry knows, by issue time then id.
func (r *Registry) Tokens() []TokenInfo {
	now := r.now()
	r.mu.RLock()
	out := make([]TokenInfo, 0, len(r.byID))
	for id, e := range r.byID {
		if !e.hasHash {
			continue
		}
		out = append(out, TokenInfo{
			ID: id, Name: e.p.Name, Role: e.p.Role, Partner: e.p.Partner, Scope: e.p.Scope,
			ExpiresAt: e.p.ExpiresAt, IssuedAt: e.issued, IssuedBy: e.issuedBy, Revoked: e.revoked, Reason: e.reason,
			Expired: !e.p.ExpiresAt.IsZero() && !now.Before(e.p.ExpiresAt),
		})
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].IssuedAt.Equal(out[j].IssuedAt) {
			return out[i].IssuedAt.Before(out[j].IssuedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// known reports whether a hash is registered, and whether it is revoked.
func (r *Registry) known(h [sha256.Size]byte) (known, revoked bool, tokenID string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if e := r.byHash[h]; e != nil {
		return true, e.revoked, e.p.TokenID
	}
	return false, false, ""
}
