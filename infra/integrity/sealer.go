package integrity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// SealerOptions configure a Sealer. Zero values take the defaults.
type SealerOptions struct {
	Origin   string        // checkpoint origin; DefaultOrigin if empty
	Interval time.Duration // how often to seal when events arrived; 1 s if 0
	Sink     HeadSink      // optional: every head is also published here
	Now      func() time.Time
	Logger   *slog.Logger
	// OnProblem, if set, is called (on the sealer's goroutine, with its lock
	// held: it must not call the sealer) for every
	// problem the sealer finds: a forged or altered event before it seals
	// it, a seal or tree mismatch met while catching up.
	OnProblem func(Problem)
}

// Sealer follows the global log, checks every new event's hash, chain link
// and signature before the tree covers it, extends the ledger's Merkle tree
// and appends a signed tree head (a ledger.sealed event in
// ledger.SealsStream) every Interval while events arrive, and a final one at
// Close. Events that fail the checks are reported (OnProblem, the log at
// ERROR) and listed in the next seal's Flagged field: never sealed over
// silently. Its own seal events are leaves too, but do not count as traffic.
//
// It serves the tree to readers while it runs: Head, Tree, LeafIndex.
type Sealer struct {
	store eventstore.Store
	key   *SigningKey
	opts  SealerOptions
	log   *slog.Logger

	mu      sync.Mutex // guards w, head, pending, flagged
	w       *walker
	head    SignedHead
	hasHead bool
	pending int                          // leaves since the last seal, not counting seals
	flagged []string                     // problems to record in the next seal
	own     map[eventstore.Position]bool // positions of the seals with flagged events it made

	cancel context.CancelFunc
	done   chan struct{}
	runErr error
	last   eventstore.Position

	// ownRev is the revision of the last seal this sealer appended (valid
	// when ownSealed; guarded by mu): an older seal met later in the log is
	// not the head.
	ownRev    uint64
	ownSealed bool
}

// NewSealer returns a sealer over store that signs heads and seal events
// with key. The key must be in the keyring (EnsureKey) before Start.
func NewSealer(store eventstore.Store, key *SigningKey, opts SealerOptions) *Sealer {
	if opts.Origin == "" {
		opts.Origin = DefaultOrigin
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &Sealer{store: store, key: key, opts: opts, log: lg, w: newWalker(opts.Origin), own: map[eventstore.Position]bool{}}
	s.w.report = s.onProblem
	// What this process signed itself verifies by construction: only
	// events appended by others cost an Ed25519 verification.
	s.w.made = func(keyID, hash string, sig []byte) bool {
		k := s.key
		return k != nil && k.ID() == keyID && k.Made(hash, sig)
	}
	return s
}

func (s *Sealer) onProblem(p Problem) {
	if p.Kind == ProblemFlaggedBySeal && s.own[p.Position] {
		return // the sealer reported it before it sealed
	}
	s.log.Error("integrity problem", "problem", p.String())
	if p.HasIndex && p.Kind != ProblemTreeMismatch && p.Index >= s.w.lastGoodSize() {
		s.flagged = append(s.flagged, fmt.Sprintf("leaf %d %s@%d %s: %s: %s", p.Index, p.Stream, p.Revision, p.EventID, p.Kind, p.Detail))
	}
	if s.opts.OnProblem != nil {
		s.opts.OnProblem(p)
	}
}

// Start catches up with the log (events the last seal covers are checked
// by the tree only; later ones by signature too) and then follows it in
// the background until Close or ctx ends.
func (s *Sealer) Start(ctx context.Context) error {
	last, err := eventstore.ReadLast(ctx, s.store, ledger.SealsStream)
	switch {
	case err != nil:
		return fmt.Errorf("sealer: read the last seal: %w", err)
	case last != nil:
		s.w.sigFrom = claimedSize(*last)
	}
	sub, err := s.store.SubscribeAll(ctx, eventstore.AllStart(), eventstore.SubscribeOptions{})
	if err != nil {
		return fmt.Errorf("sealer: subscribe to $all: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s.cancel, s.done = cancel, make(chan struct{})
	msgs := make(chan *eventstore.RecordedEvent, 1024)
	go func() { // reader
		defer close(msgs)
		for {
			m, err := sub.Next()
			if err != nil {
				if ctx.Err() == nil {
					s.mu.Lock()
					s.runErr = fmt.Errorf("sealer: subscription: %w", err)
					s.mu.Unlock()
					s.log.Error("sealer subscription ended", "err", err)
				}
				return
			}
			if m.Event != nil {
				select {
				case msgs <- m.Event:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go func() {
		defer close(s.done)
		defer sub.Close()
		tick := time.NewTicker(s.opts.Interval)
		defer tick.Stop()
		var fault error // the store fault the last seal failed on: logged once
		for {
			select {
			case ev, ok := <-msgs:
				if !ok {
					return
				}
				s.add(ev)
			case <-tick.C:
				// Not cancelled by Close: an append given up on may still be
				// committed, after Close's final seal has read the seals
				// stream's head, which then conflicts with it. Close waits
				// for this seal instead (at most sealTimeout).
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sealTimeout)
				_, err := s.sealIfPending(sctx)
				switch f := eventstore.Fault(err); {
				case err == nil:
					if fault != nil {
						s.log.Info("sealing again: the event store accepts appends")
					}
					fault = nil
				case f != nil && f == fault:
					s.log.Debug("seal failed", "err", err) // the store says so too, once
				default:
					fault = f
					s.log.Error("seal failed", "err", err)
				}
				cancel()
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

func claimedSize(rec eventstore.RecordedEvent) uint64 {
	if d, err := decodeSeal(rec); err == nil {
		return uint64(max(d.TreeSize, 0))
	}
	return 0
}

func (s *Sealer) add(ev *eventstore.RecordedEvent) {
	var p pre
	precompute(ev, &p)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addLocked(ev, &p)
}

// addLocked adds one event, unless the sealer has read it already (Rotate
// and Close read the log directly while the subscription may still deliver
// the same events).
func (s *Sealer) addLocked(ev *eventstore.RecordedEvent, p *pre) {
	if s.w.tree.Size() > 0 && !s.last.Less(ev.Position) {
		return
	}
	idx := s.w.tree.Size()
	s.w.add(ev, p)
	s.last = ev.Position
	if ev.StreamID == ledger.SealsStream {
		// A seal met in the log is the head unless this sealer has
		// appended a later one since (its reader lags behind its seals).
		if n := len(s.w.seals); n > 0 && s.w.seals[n-1].ok && (!s.ownSealed || s.w.seals[n-1].rev >= s.ownRev) {
			s.head, s.hasHead = s.w.seals[n-1].head, true
		}
		return
	}
	if idx >= s.w.sigFrom { // what the last seal covers needs no new seal
		s.pending++
	}
}

// Seal appends a seal over every event the sealer has read, whether or not
// any arrived since the last one, and publishes the head.
func (s *Sealer) Seal(ctx context.Context) (SignedHead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sealLocked(ctx)
}

func (s *Sealer) sealIfPending(ctx context.Context) (SignedHead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == 0 {
		return s.head, nil
	}
	return s.sealLocked(ctx)
}

func (s *Sealer) sealLocked(ctx context.Context) (SignedHead, error) {
	size := s.w.tree.Size()
	root, err := s.w.tree.RootAt(size)
	if err != nil {
		return SignedHead{}, err
	}
	h, err := SignHead(Head{Origin: s.opts.Origin, Size: size, Root: root, Time: s.opts.Now()}, s.key)
	if err != nil {
		return SignedHead{}, err
	}
	ev := ledger.Sealed{TreeSize: int64(size), RootHash: h.RootBase64(), KeyID: h.KeyID, SealedAt: h.Time,
		Checkpoint: string(h.Checkpoint), Flagged: s.flagged}
	if s.hasHead {
		ev.PreviousSize, ev.PreviousRoot = int64(s.head.Size), s.head.RootBase64()
	}
	res, err := appendSigned(ctx, s.store, ledger.SealsStream, s.key, h.Time, ev)
	if err != nil {
		return SignedHead{}, fmt.Errorf("seal tree size %d: %w", size, err)
	}
	if len(ev.Flagged) > 0 {
		s.own[res.Position] = true
	}
	s.head, s.hasHead, s.pending, s.flagged = h, true, 0, nil
	s.ownRev, s.ownSealed = res.NextRevision, true
	s.log.Info("sealed", "treeSize", size, "root", h.RootBase64(), "keyId", h.KeyID)
	if s.opts.Sink != nil {
		if err := s.opts.Sink.PublishHead(ctx, h); err != nil {
			s.log.Error("publish tree head", "err", err)
			return h, err
		}
	}
	return h, nil
}

// sealTimeout bounds one periodic seal.
const sealTimeout = 10 * time.Second

// Close stops following the log, reads the events appended until now that
// it has not seen yet, and appends a final seal if events arrived since the
// last one. Call it before closing the store.
func (s *Sealer) Close(ctx context.Context) error {
	if s.cancel == nil {
		return errors.New("sealer: not started")
	}
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUpLocked(ctx); err != nil {
		return fmt.Errorf("sealer: final catch-up: %w", err)
	}
	if s.pending > 0 {
		if _, err := s.sealLocked(ctx); err != nil {
			return err
		}
	}
	return s.runErr
}

// catchUpLocked reads the log directly from the last event the sealer has
// read up to its end.
func (s *Sealer) catchUpLocked(ctx context.Context) error {
	from := eventstore.AllStart()
	if s.w.tree.Size() > 0 {
		from = eventstore.AllPosition(s.last)
	}
	for {
		page, err := s.store.ReadAll(ctx, eventstore.Forwards, from, 1024, nil)
		if err != nil {
			return err
		}
		size := s.w.tree.Size()
		for i := range page {
			var p pre
			precompute(&page[i], &p)
			s.addLocked(&page[i], &p)
		}
		if s.w.tree.Size() == size {
			return nil
		}
		from = eventstore.AllPosition(s.last)
	}
}

// Rotate seals every event appended until now with the current key, then
// records the rotation in the keyring (RotateKey: next added, signed by the
// current key; the current key retired, signed by next, at that log
// position) and signs seals with next from then on. Run it inside
// KeyHolder.Rotate, so that no event signed by the old key is appended
// after its retirement. Everything the old key signed is then under a seal
// it made: a stolen old key can neither add to that history unnoticed nor
// sign anything after it.
func (s *Sealer) Rotate(ctx context.Context, next *SigningKey, reason string) (*Keyring, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel == nil {
		return nil, errors.New("sealer: not started")
	}
	if err := s.catchUpLocked(ctx); err != nil {
		return nil, fmt.Errorf("rotate keys: read the log: %w", err)
	}
	if s.pending > 0 {
		if _, err := s.sealLocked(ctx); err != nil {
			return nil, fmt.Errorf("rotate keys: seal before the rotation: %w", err)
		}
	}
	kr, err := RotateKey(ctx, s.store, s.key, next, reason, s.opts.Now())
	if err != nil {
		return nil, err
	}
	s.key = next
	return kr, nil
}

// Head returns the latest signed head (ok false before the first seal).
func (s *Sealer) Head() (SignedHead, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head, s.hasHead
}

// Tree returns the tree (safe to read concurrently: proofs for any size up
// to Tree().Size()).
func (s *Sealer) Tree() *Tree { return s.w.tree }

// Keyring returns a copy of the keyring as the sealer has read it.
func (s *Sealer) Keyring() *Keyring {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.keyring.Clone()
}

// LeafIndex returns the leaf index of the event at a global position.
func (s *Sealer) LeafIndex(p eventstore.Position) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.w.pos), func(i int) bool { return !s.w.pos[i].Less(p) })
	if i < len(s.w.pos) && s.w.pos[i] == p {
		return uint64(i), true
	}
	return 0, false
}

// Problems returns the problems found so far.
func (s *Sealer) Problems() []Problem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Problem(nil), s.w.problems...)
}
