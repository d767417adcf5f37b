package integrity

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// KeyInfo is one key of the keyring. A key is valid for events after its
// key_added event and, once retired, only for events before its
// key_retired event, in log ($all) order.
type KeyInfo struct {
	ID        string
	PublicKey ed25519.PublicKey
	AddedAt   time.Time // recordedAt of its key_added event
	Retired   bool
	RetiredAt time.Time
	Reason    string
	// AddedPos and RetiredPos are the log positions of its key_added and
	// key_retired events; AddedRev and RetiredRev their revisions in the
	// keyring stream.
	AddedPos, RetiredPos eventstore.Position
	AddedRev, RetiredRev uint64
}

// RetiredRef names where the key was retired: "ledger-keys@3 (position
// C:9/P:9)".
func (k KeyInfo) RetiredRef() string {
	return fmt.Sprintf("%s@%d (position %s)", ledger.KeyringStream, k.RetiredRev, k.RetiredPos)
}

// ValidAt says whether the key may sign an event at log position p: it was
// added before p and not retired before p. The reason says why not.
func (k KeyInfo) ValidAt(p eventstore.Position) (ok bool, reason string) {
	switch {
	case p.Less(k.AddedPos):
		return false, fmt.Sprintf("forged: signed by key %s before it was added to the keyring at %s@%d (position %s)", k.ID, ledger.KeyringStream, k.AddedRev, k.AddedPos)
	case k.Retired && k.RetiredPos.Less(p):
		return false, fmt.Sprintf("forged: signed by key %s after it was retired at %s on %s", k.ID, k.RetiredRef(), k.RetiredAt.UTC().Format(time.RFC3339))
	}
	return true, ""
}

// Key returns the key of an id.
func (r *Keyring) Key(id string) (KeyInfo, bool) {
	if r == nil || r.keys == nil {
		return KeyInfo{}, false
	}
	k, ok := r.keys[id]
	if !ok {
		return KeyInfo{}, false
	}
	return *k, true
}

// Active returns the keys not retired, in the order they were added.
func (r *Keyring) Active() []KeyInfo {
	var out []KeyInfo
	for _, k := range r.Keys() {
		if !k.Retired {
			out = append(out, k)
		}
	}
	return out
}

// Keyring holds the ledger's public keys, as recorded in the keyring stream
// (ledger.KeyringStream). The zero value is an empty keyring. It implements
// codec.KeyLookup. Not safe for concurrent mutation.
type Keyring struct {
	keys  map[string]*KeyInfo
	order []string
}

var _ codec.KeyLookup = (*Keyring)(nil)

// PublicKey returns the public key of a key id.
func (r *Keyring) PublicKey(id string) (ed25519.PublicKey, bool) {
	if r == nil || r.keys == nil {
		return nil, false
	}
	k, ok := r.keys[id]
	if !ok {
		return nil, false
	}
	return k.PublicKey, true
}

// Keys returns the keys in the order they were added.
func (r *Keyring) Keys() []KeyInfo {
	out := make([]KeyInfo, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, *r.keys[id])
	}
	return out
}

// Len returns the number of keys.
func (r *Keyring) Len() int { return len(r.order) }

// Clone returns an independent copy.
func (r *Keyring) Clone() *Keyring {
	c := &Keyring{keys: map[string]*KeyInfo{}}
	for _, id := range r.order {
		k := *r.keys[id]
		c.keys[id] = &k
		c.order = append(c.order, id)
	}
	return c
}

// ErrKeyRetired is wrapped by the errors of EnsureKey and RotateKey for a
// key that was retired: it may sign nothing more.
var ErrKeyRetired = errors.New("signing key retired")

// activeIDs lists the ids of the keys not retired (for messages).
func activeIDs(r *Keyring) string {
	var ids []string
	for _, k := range r.Active() {
		ids = append(ids, k.ID)
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// ErrKeyring is wrapped by the errors of Apply for a keyring event that
// does not follow the keyring's rules.
var ErrKeyring = errors.New("keyring event rejected")

// Apply adds one event of the keyring stream, checking its rules: the
// record's hash matches its contents; the first event is a key_added
// signed by the key it adds (the trust anchor); every later event is signed
// by a key already in the keyring and not retired; a key is added once and
// retired once. On error the keyring is unchanged.
func (r *Keyring) Apply(rec eventstore.RecordedEvent) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s@%d: %s", ErrKeyring, rec.StreamID, rec.Revision, fmt.Sprintf(format, a...))
	}
	d, err := codec.Decode(rec)
	if err != nil {
		return fail("%v", err)
	}
	lookup := codec.KeyLookup(r)
	switch ev := d.Event.(type) {
	case ledger.KeyAdded:
		if ev.Algorithm != ledger.AlgorithmEd25519 {
			return fail("algorithm %q, want %q", ev.Algorithm, ledger.AlgorithmEd25519)
		}
		pub, err := base64.StdEncoding.DecodeString(ev.PublicKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return fail("public key is not %d bytes of standard base64", ed25519.PublicKeySize)
		}
		if id := KeyID(pub); id != ev.KeyID {
			return fail("key id %s does not match the public key (expected %s)", ev.KeyID, id)
		}
		if _, dup := r.keys[ev.KeyID]; dup {
			return fail("key %s added twice", ev.KeyID)
		}
		if r.Len() == 0 {
			lookup = singleKey{ev.KeyID, pub} // the anchor signs itself
		}
		if err := codec.VerifySignature(rec, lookup); err != nil {
			return fail("%v", err)
		}
		if err := r.signerActive(rec); err != nil {
			return fail("%v", err)
		}
		if r.keys == nil {
			r.keys = map[string]*KeyInfo{}
		}
		r.keys[ev.KeyID] = &KeyInfo{ID: ev.KeyID, PublicKey: pub, AddedAt: d.Meta.RecordedAt, Reason: ev.Reason,
			AddedPos: rec.Position, AddedRev: rec.Revision}
		r.order = append(r.order, ev.KeyID)
	case ledger.KeyRetired:
		if r.Len() == 0 {
			return fail("retirement before any key was added")
		}
		k, ok := r.keys[ev.KeyID]
		if !ok {
			return fail("retires unknown key %s", ev.KeyID)
		}
		if k.Retired {
			return fail("key %s retired twice (first at %s)", ev.KeyID, k.RetiredRef())
		}
		if err := codec.VerifySignature(rec, lookup); err != nil {
			return fail("%v", err)
		}
		if err := r.signerActive(rec); err != nil {
			return fail("%v", err)
		}
		k.Retired, k.RetiredAt, k.Reason = true, d.Meta.RecordedAt, ev.Reason
		k.RetiredPos, k.RetiredRev = rec.Position, rec.Revision
	default:
		return fail("event type %s does not belong in the keyring", rec.Type)
	}
	return nil
}

// signerActive fails when rec is signed by a key of the keyring that was
// retired before it (a retired key signs nothing more, keyring events
// included).
func (r *Keyring) signerActive(rec eventstore.RecordedEvent) error {
	_, v := codec.SplitSig(rec.Metadata)
	sig, err := codec.ParseSig(v)
	if err != nil {
		return nil // VerifySignature has judged it
	}
	if k, ok := r.keys[sig.KeyID]; ok && k.Retired {
		return fmt.Errorf("signed by key %s, retired at %s: a retired key signs nothing more", k.ID, k.RetiredRef())
	}
	return nil
}

// TrustedKeys returns a key lookup holding only the given public keys (for
// a key handed over out of band, e.g. --trusted-key).
func TrustedKeys(pubs ...ed25519.PublicKey) codec.KeyLookup {
	m := make(trustedKeys, len(pubs))
	for _, p := range pubs {
		m[KeyID(p)] = p
	}
	return m
}

type trustedKeys map[string]ed25519.PublicKey

func (t trustedKeys) PublicKey(id string) (ed25519.PublicKey, bool) { p, ok := t[id]; return p, ok }

type singleKey struct {
	id  string
	pub ed25519.PublicKey
}

func (s singleKey) PublicKey(id string) (ed25519.PublicKey, bool) { return s.pub, id == s.id }

// LoadKeyring reads and checks the keyring stream. A missing stream gives
// an empty keyring.
func LoadKeyring(ctx context.Context, store eventstore.Store) (*Keyring, error) {
	r := &Keyring{}
	recs, err := eventstore.ReadWholeStream(ctx, store, ledger.KeyringStream)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ledger.KeyringStream, err)
	}
	if err := codec.Verify(recs); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	for _, rec := range recs {
		if err := r.Apply(rec); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// EnsureKey makes sure key is in the keyring: on an empty keyring it
// records key as the trust anchor (signed by itself); when key is already
// there it does nothing; otherwise it fails (use RotateKey, which needs a
// key already in the keyring). It returns the keyring as it now is.
func EnsureKey(ctx context.Context, store eventstore.Store, key *SigningKey, now time.Time) (*Keyring, error) {
	r, err := LoadKeyring(ctx, store)
	if err != nil {
		return nil, err
	}
	if k, ok := r.Key(key.ID()); ok {
		if k.Retired {
			return nil, fmt.Errorf("%w: signing key %s was retired at %s on %s: every event it signed from now on would be forged; start with the key that replaced it (active: %s), the one `ticketledger keys rotate` wrote",
				ErrKeyRetired, key.ID(), k.RetiredRef(), k.RetiredAt.UTC().Format(time.RFC3339), activeIDs(r))
		}
		return r, nil
	}
	if r.Len() > 0 {
		return nil, fmt.Errorf("signing key %s is not in the keyring (keys: %v): add it with a key rotation signed by a key already there", key.ID(), r.order)
	}
	if _, err := appendSigned(ctx, store, ledger.KeyringStream, key, now, addedEvent(key, "first key")); err != nil {
		return nil, err
	}
	return LoadKeyring(ctx, store)
}

// RotateKey adds next to the keyring, signed by current (which must be in
// it), then retires current, signed by next. Events signed by current stay
// verifiable. Sign with next from now on.
func RotateKey(ctx context.Context, store eventstore.Store, current, next *SigningKey, reason string, now time.Time) (*Keyring, error) {
	r, err := LoadKeyring(ctx, store)
	if err != nil {
		return nil, err
	}
	k, ok := r.Key(current.ID())
	if !ok {
		return nil, fmt.Errorf("rotate keys: the current key %s is not in the keyring (keys: %v): give the key the ledger signs with now", current.ID(), r.sortedIDs())
	}
	if k.Retired {
		return nil, fmt.Errorf("%w: rotate keys: the current key %s was already retired at %s: give the key the ledger signs with now (active: %s)", ErrKeyRetired, current.ID(), k.RetiredRef(), activeIDs(r))
	}
	if _, ok := r.PublicKey(next.ID()); ok {
		return nil, fmt.Errorf("rotate keys: the new key %s is already in the keyring", next.ID())
	}
	if _, err := appendSigned(ctx, store, ledger.KeyringStream, current, now, addedEvent(next, reason)); err != nil {
		return nil, err
	}
	if _, err := appendSigned(ctx, store, ledger.KeyringStream, next, now, ledger.KeyRetired{KeyID: current.ID(), Reason: reason}); err != nil {
		return nil, err
	}
	return LoadKeyring(ctx, store)
}

func addedEvent(k *SigningKey, reason string) ledger.KeyAdded {
	return ledger.KeyAdded{KeyID: k.ID(), Algorithm: ledger.AlgorithmEd25519,
		PublicKey: base64.StdEncoding.EncodeToString(k.Public()), Reason: reason}
}

// SystemActor is the actor of the events the ledger records about itself.
var SystemActor = domain.Actor{ID: "ledger", Role: domain.RoleSystem}

// appendSigned appends events to stream, chained to its last event and
// signed by key.
func appendSigned(ctx context.Context, store eventstore.Store, stream string, key codec.Signer, now time.Time, events ...domain.Event) (eventstore.AppendResult, error) {
	last, err := eventstore.ReadLast(ctx, store, stream)
	expected, prev := eventstore.NoStream(), ""
	switch {
	case err != nil:
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	case last != nil:
		m, err := codec.DecodeMeta(last.Metadata)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: last event: %w", stream, err)
		}
		expected, prev = eventstore.Exact(last.Revision), m.Hash
	}
	metas := make([]domain.Meta, len(events))
	for i := range metas {
		metas[i] = domain.Meta{Actor: SystemActor, OccurredAt: now, RecordedAt: now}
	}
	data, _, err := codec.EncodeChainSigned(stream, prev, events, metas, key)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	res, err := store.Append(ctx, stream, expected, data...)
	if err != nil {
		return res, fmt.Errorf("append to %s: %w", stream, err)
	}
	return res, nil
}

// sortedIDs returns the key ids of r, sorted (for messages).
func (r *Keyring) sortedIDs() []string {
	ids := append([]string(nil), r.order...)
	sort.Strings(ids)
	return ids
}

// encodeSigned encodes one event for stream after prevHash, signed by key.
func encodeSigned(stream, prevHash string, ev domain.Event, key codec.Signer, now time.Time) (eventstore.EventData, error) {
	d, _, err := codec.Default().EncodeSigned(stream, ev, domain.Meta{Actor: SystemActor, OccurredAt: now, RecordedAt: now}, prevHash, key)
	return d, err
}
