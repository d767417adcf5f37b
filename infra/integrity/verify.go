package integrity

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// VerifyOptions configure VerifyLog. The zero value verifies the whole log
// with the default origin, signatures only where no seal vouches.
type VerifyOptions struct {
	Origin string // checkpoint origin; DefaultOrigin if empty
	// AllSignatures rechecks every event's signature, sealed or not.
	AllSignatures bool
	// Against is a checkpoint held outside the log (an auditor's pinned
	// head): the log must be an extension of it. AgainstKeys verifies its
	// signature (nil: the log's own keyring).
	Against     []byte
	AgainstKeys codec.KeyLookup
	// Anchors, if set, are the keys the verifier trusts as the keyring's
	// first key (the trust anchor, which signs itself in the log): key ids
	// or "SHA256:" fingerprints (Fingerprint), held outside the log. Any
	// other anchor is a problem: the whole log may have been replaced under
	// another key.
	Anchors []string
	// Progress, if set, is called after each batch with the events checked
	// so far.
	Progress func(events uint64)
	// BatchSize is the $all page size; 4096 if 0. Workers hash in parallel;
	// GOMAXPROCS if 0.
	BatchSize uint64
	Workers   int
}

// Report is the outcome of VerifyLog.
type Report struct {
	Events  uint64 // leaves: every event of $all
	Streams int
	// Seals counts the seal events met; SealedSize is the tree size of the
	// last valid seal, before which every event is vouched for by it.
	Seals      int
	SealedSize uint64
	Unsealed   uint64 // Events - SealedSize: covered by signatures only
	LastSeal   *SignedHead
	// Root is the root over all Events (not signed: what the log hashes to
	// now).
	Root              []byte
	SignaturesChecked uint64
	Keys              []KeyInfo
	Against           *AgainstResult
	Problems          []Problem
	Elapsed           time.Duration
}

// OK reports whether verification found nothing wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// AgainstResult is the outcome of checking the log against a held head.
type AgainstResult struct {
	Head SignedHead
	// Consistent: the log's first Head.Size events hash to the head's root,
	// and Proof (a consistency proof from Head.Size to Report.Events,
	// verified) shows the log only grew.
	Consistent bool
	Proof      [][]byte
}

// VerifyLog reads the whole global log and checks it: every stream's hash
// chain (revision order, prevHash links, hashes recomputed), the keyring's
// rules, every seal (its signed checkpoint, its chain to the previous seal,
// and the tree's root at its size), and the signature of every event no
// valid seal covers (every event with AllSignatures). Each problem is
// located (stream, revision, leaf index, position, the covering seal). With
// Against, it also proves the log is an extension of that head. It returns
// an error only when the log cannot be read; what it finds is in the
// Report.
func VerifyLog(ctx context.Context, store eventstore.Store, opts VerifyOptions) (*Report, error) {
	start := time.Now()
	batch := opts.BatchSize
	if batch == 0 {
		batch = 4096
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	w := newWalker(opts.Origin)
	w.allSigs = opts.AllSignatures
	last, err := store.ReadStream(ctx, ledger.SealsStream, eventstore.Backwards, eventstore.StreamEnd(), 1)
	if err == nil && len(last) == 1 {
		w.sigFrom = claimedSize(last[0])
	}
	// The keys the log's keyring holds, to verify signatures with on the
	// workers; the walker's own keyring, built in log order, decides.
	keys, err := LoadKeyring(ctx, store)
	if err != nil {
		keys = nil // a broken keyring: every signature is checked in order
	}
	signs := func(idx uint64, stream string) bool {
		return (w.allSigs || idx >= w.sigFrom) && !eventstore.IsSystemStream(stream) &&
			stream != ledger.KeyringStream && stream != ledger.SealsStream
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for b := range checkedBatches(ctx, store, batch, workers, keys, signs) {
		if b.err != nil {
			return nil, b.err
		}
		for i := range b.recs {
			w.add(&b.recs[i], &b.pres[i])
		}
		b.release()
		if opts.Progress != nil {
			opts.Progress(w.tree.Size())
		}
	}
	if err := ctx.Err(); err != nil { // the reader stopped early: not the whole log
		return nil, fmt.Errorf("verify: %w", err)
	}
	// Leaves a seal claimed to cover but no valid seal does: check their
	// signatures now.
	if good := w.lastGoodSize(); !opts.AllSignatures && good < w.sigFrom {
		if err := w.recheck(ctx, store, good, min(w.sigFrom, w.tree.Size())); err != nil {
			return nil, err
		}
	}
	w.coverage()
	r := &Report{Events: w.tree.Size(), Streams: len(w.streams), Seals: len(w.seals), SealedSize: w.lastGoodSize(),
		Root: w.tree.Root(), SignaturesChecked: w.sigChecked, Keys: w.keyring.Keys()}
	r.Unsealed = r.Events - r.SealedSize
	if w.lastGood >= 0 {
		h := w.seals[w.lastGood].head
		r.LastSeal = &h
	}
	if opts.Against != nil {
		r.Against = w.against(opts)
	}
	if len(opts.Anchors) > 0 {
		w.anchor(opts.Anchors)
	}
	r.Problems = w.problems
	r.Elapsed = time.Since(start)
	return r, nil
}

// recheck verifies the signatures of leaves [lo, hi).
func (w *walker) recheck(ctx context.Context, store eventstore.Store, lo, hi uint64) error {
	for i := lo; i < hi; {
		page, err := store.ReadAll(ctx, eventstore.Forwards, eventstore.AllPosition(w.pos[i]), min(hi-i, 4096), nil)
		if err != nil {
			return fmt.Errorf("verify: re-read leaves from %d: %w", i, err)
		}
		if len(page) == 0 {
			return fmt.Errorf("verify: leaves from %d vanished while verifying", i)
		}
		for j := range page {
			rec := &page[j]
			if eventstore.IsSystemStream(rec.StreamID) || rec.StreamID == ledger.KeyringStream || rec.StreamID == ledger.SealsStream {
				i++
				continue
			}
			var p pre
			precompute(rec, &p)
			if p.err == nil && p.chained {
				at := func(kind ProblemKind, detail, expected, found string) Problem {
					return Problem{Kind: kind, Index: i, HasIndex: true, Position: rec.Position, Stream: rec.StreamID,
						Revision: rec.Revision, EventID: rec.ID.String(), Detail: detail, Expected: expected, Found: found}
				}
				w.checkSig(rec, &p, p.intact, at)
			}
			i++
		}
	}
	return nil
}

// checkedBatch is a page of $all with what precompute found of each
// record, for the walker to take in order.
type checkedBatch struct {
	recs []eventstore.RecordedEvent
	pres []pre
	err  error
	free chan []pre
}

// release hands the batch's pre buffer back for a later page.
func (b checkedBatch) release() {
	select {
	case b.free <- b.pres:
	default:
	}
}

// checkedBatches reads $all forwards in pages of batch records on one
// goroutine and precomputes each page on workers goroutines (precomputeAll)
// while the caller walks the pages before it: the three overlap. The
// channel ends after the last page, or after a batch carrying the error
// that stopped reading; cancel ctx to stop early.
func checkedBatches(ctx context.Context, store eventstore.Store, batch uint64, workers int, keys *Keyring, signs func(uint64, string) bool) <-chan checkedBatch {
	const depth = 1 // pages ready ahead of the next stage
	pages := make(chan checkedBatch, depth)
	out := make(chan checkedBatch, depth)
	free := make(chan []pre, 2*depth+2)
	send := func(ch chan<- checkedBatch, b checkedBatch) bool {
		select {
		case ch <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() { // reader
		defer close(pages)
		from := eventstore.AllStart()
		var lastPos eventstore.Position
		read := false
		for {
			count := batch
			if read {
				count++ // from is the last record read: one more
			}
			page, err := store.ReadAll(ctx, eventstore.Forwards, from, count, nil)
			if err != nil {
				send(pages, checkedBatch{err: fmt.Errorf("verify: read $all after %s: %w", lastPos, err)})
				return
			}
			if len(page) > 0 && read && page[0].Position == lastPos {
				page = page[1:]
			}
			if len(page) == 0 {
				return
			}
			read, lastPos = true, page[len(page)-1].Position
			from = eventstore.AllPosition(lastPos)
			if !send(pages, checkedBatch{recs: page, free: free}) {
				return
			}
		}
	}()
	go func() { // precompute
		defer close(out)
		var base uint64
		for b := range pages {
			if b.err == nil {
				var ps []pre
				select {
				case ps = <-free:
				default:
				}
				if cap(ps) < len(b.recs) {
					ps = make([]pre, len(b.recs))
				}
				b.pres = ps[:len(b.recs)]
				precomputeAll(b.recs, b.pres, workers, keys, signs, base)
				base += uint64(len(b.recs))
			}
			if !send(out, b) {
				return
			}
		}
	}()
	return out
}

func (w *walker) against(opts VerifyOptions) *AgainstResult {
	keys := opts.AgainstKeys
	if keys == nil {
		keys = w.keyring
	}
	h, err := ParseHead(opts.Against, w.origin, keys)
	if err != nil {
		w.problem(Problem{Kind: ProblemAgainstHead, Detail: "the head held outside the log does not verify: " + err.Error()})
		return &AgainstResult{}
	}
	res := &AgainstResult{Head: h}
	n := w.tree.Size()
	if n < h.Size {
		w.problem(Problem{Kind: ProblemLogShorter, HasIndex: true, RangeFrom: n, Index: h.Size,
			Detail:   fmt.Sprintf("the head held outside the log (signed %s by key %s) covers %d events, the log has %d: its tail was cut, seals included", h.Time.Format(time.RFC3339), h.KeyID, h.Size, n),
			Expected: fmt.Sprint(h.Size), Found: fmt.Sprint(n)})
		return res
	}
	root, _ := w.tree.RootAt(h.Size)
	if !bytes.Equal(root, h.Root) {
		w.problem(Problem{Kind: ProblemAgainstHead, HasIndex: true, Index: h.Size,
			Detail:   fmt.Sprintf("the log's first %d events are not those of the head held outside the log: history was rewritten", h.Size),
			Expected: h.RootBase64(), Found: base64.StdEncoding.EncodeToString(root)})
		return res
	}
	p, err := w.tree.ConsistencyProof(h.Size, n)
	if err == nil && h.Size > 0 {
		err = VerifyConsistency(h.Size, n, p, h.Root, w.tree.Root())
	}
	if err != nil {
		w.problem(Problem{Kind: ProblemAgainstHead, Detail: "consistency proof: " + err.Error()})
		return res
	}
	res.Consistent, res.Proof = true, p
	return res
}

// anchor checks the keyring's first key against the trusted ones.
func (w *walker) anchor(trusted []string) {
	keys := w.keyring.Keys()
	if len(keys) == 0 {
		w.problem(Problem{Kind: ProblemAnchor, Detail: "the log has no keyring, so nothing in it is signed by a trusted key"})
		return
	}
	k := keys[0]
	fp := Fingerprint(k.PublicKey)
	for _, t := range trusted {
		if t == k.ID || strings.EqualFold(t, fp) {
			return
		}
	}
	w.problem(Problem{Kind: ProblemAnchor, Stream: ledger.KeyringStream, Revision: k.AddedRev,
		Detail:   fmt.Sprintf("the keyring's first key %s (%s) is none of the trusted keys: the whole log may have been replaced under another key", k.ID, fp),
		Expected: strings.Join(trusted, " or "), Found: fp})
}
