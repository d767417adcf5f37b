package pebblestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// errReopening is what a read meets while Pebble is closed between a failure
// and its reopen. Subscriptions wait for the reopen instead.
var errReopening = fmt.Errorf("%w: the event store is being reopened after a failure: retry in a moment", eventstore.ErrFailed)

// closeTimeout bounds the Close of a Pebble whose commit pipeline failed:
// should it hang, the reopen goes on trying (and fails on Pebble's lock
// until the process restarts) instead of hanging the appender.
const closeTimeout = 30 * time.Second

// closePebble closes db, turning a panic (Pebble may panic after a fatal
// error) or a hang into an error.
func closePebble(db *pebble.DB) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("pebble panicked while closing: %v", r)
			}
		}()
		done <- db.Close()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(closeTimeout):
		return fmt.Errorf("pebble did not close within %s", closeTimeout)
	}
}

// recoverFailure is the appender after a failed commit: it reopens Pebble
// from disk, with backoff while that fails, answering the appends queued
// meanwhile with the failure. It returns false if the store is closed
// first. On success the store accepts appends again from the log's last
// position on (see reopen).
func (a *appender) recoverFailure() bool {
	s := a.s
	start := time.Now()
	wait := s.opts.ReopenBackoff
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for attempt := 1; ; attempt++ {
		if !a.refuseUntil(timer.C, nil) {
			return false
		}
		err := a.reopen(attempt)
		if errors.Is(err, errStopped) {
			return false
		}
		if err == nil {
			s.log.Info("event store reopened after a failure: appends accepted again",
				"dir", s.dir, "head", s.durable.Load(), "attempts", attempt, "after", time.Since(start).Round(time.Millisecond))
			return true
		}
		var lost *lostError
		if errors.As(err, &lost) {
			// Retrying cannot bring acknowledged events back: stay failed.
			s.failed.Store(&err)
			s.log.Error("event store reopened without events it had acknowledged: appends stay refused", "dir", s.dir, "err", err)
			a.refuseUntil(nil, nil)
			return false
		}
		msg := failedError(s.dir, fmt.Sprintf("reopen attempt %d failed: %v", attempt, err))
		s.failed.Store(&msg)
		s.log.Debug("event store reopen failed; retrying", "dir", s.dir, "attempt", attempt, "err", err, "retry_in", wait)
		wait = min(2*wait, s.opts.ReopenMaxBackoff)
		timer.Reset(wait)
	}
}

// refuseUntil answers every queued append with the store's failure until
// timer fires or opened delivers (nil channels never do; what opened
// delivers goes to a.opened). It returns false when the store is closed
// first.
func (a *appender) refuseUntil(timer <-chan time.Time, opened <-chan openResult) bool {
	s := a.s
	for {
		select {
		case r := <-s.queue:
			r.err = fmt.Errorf("%s %s: %w", r.op, r.stream, *s.failed.Load())
			r.done <- struct{}{}
		case <-timer:
			return true
		case res := <-opened:
			a.opened = res
			return true
		case <-s.stop:
			return false
		}
	}
}

// openResult is what Store.openDB returned.
type openResult struct {
	db          *pebble.DB
	last        uint64
	lastCreated int64
	err         error
}

// errStopped is a reopen cut short by Close.
var errStopped = errors.New("store closed during the reopen")

// reopen closes the failed Pebble, opens it again from disk and checks the
// log against what was acknowledged: every event up to the durable position
// must be there, and the events after it (the failed group, if its WAL
// write reached the disk) must be whole. Then the appender starts afresh
// from the log's last position, with an empty head cache, and the durable
// position moves to it, which wakes the subscriptions.
//
// While the disk has less free space than the store keeps in reserve, it
// does not start (Pebble's open writes): the failed Pebble stays open for
// reads. Pebble's open waits for its flush of the replayed WAL, which it
// retries while the disk is full, so it runs on its own goroutine while
// the appender goes on refusing appends; should Close come first, that
// goroutine closes what it opens.
func (a *appender) reopen(attempt int) error {
	s := a.s
	if s.freeSpace != nil {
		if avail, err := s.freeSpace(s.dir); err == nil && avail < uint64(s.opts.MinFreeBytes) {
			return fmt.Errorf("waiting for disk space: %s has %s free, less than the %s kept in reserve (--min-free-bytes)",
				s.dir, bytesText(avail), bytesText(uint64(s.opts.MinFreeBytes)))
		}
	}
	s.dbMu.Lock()
	old := s.db
	s.db = nil
	s.dbMu.Unlock()
	if old != nil {
		if err := closePebble(old); err != nil {
			s.log.Debug("closing the failed Pebble", "dir", s.dir, "err", err)
		}
	}
	msg := failedError(s.dir, fmt.Sprintf("reopening Pebble (attempt %d): waiting for it to open (on a full disk, until space is freed)", attempt))
	s.failed.Store(&msg)
	ch := make(chan openResult, 1)
	go func() {
		var r openResult
		r.db, r.last, r.lastCreated, r.err = s.openDB()
		ch <- r
	}()
	if !a.refuseUntil(nil, ch) {
		go func() {
			if r := <-ch; r.db != nil {
				closePebble(r.db)
			}
		}()
		return errStopped
	}
	r := a.opened
	a.opened = openResult{}
	if r.err != nil {
		return r.err
	}
	acked := s.durable.Load()
	if err := checkTail(r.db, acked, r.last); err != nil {
		s.dbMu.Lock()
		s.db = r.db // for reads of what is there
		s.dbMu.Unlock()
		return &lostError{dir: s.dir, err: err}
	}
	s.dbMu.Lock()
	s.db = r.db
	s.dbMu.Unlock()
	a.restart(r.last, r.lastCreated)
	s.reopens.Add(1) // counted before the failure clears: whoever sees it cleared sees the reopen
	s.failed.Store(nil)
	s.advance(r.last)
	return nil
}

// restart makes the appender write from sequence number last+1 on, on the
// reopened Pebble, with nothing cached.
func (a *appender) restart(last uint64, lastCreated int64) {
	a.nextSeq = last + 1
	clear(a.heads)
	clear(a.pending)
	a.s.last.reset()
	a.s.tail.reset()
	a.batch = a.s.db.NewBatch()
	a.nowNano = max(a.nowNano, lastCreated)
}

// checkTail checks a reopened log whose last sequence number is last against
// the durable position acked: the acknowledged event at acked is there, and
// every event after it is whole (its record decodes and its stream index
// entry points at it), without gaps.
func checkTail(db *pebble.DB, acked, last uint64) error {
	if last < acked {
		return fmt.Errorf("the log ends at position %d, but position %d was acknowledged", last, acked)
	}
	first := max(acked, 1)
	if last == 0 {
		return nil
	}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: logKey(first), UpperBound: logKey(last + 1)})
	if err != nil {
		return err
	}
	defer it.Close()
	want := first
	for ok := it.First(); ok; ok = it.Next() {
		seq := binary.BigEndian.Uint64(it.Key()[1:])
		if seq != want {
			return fmt.Errorf("position %d is missing from the log", want)
		}
		h, err := decodeHeader(it.Value())
		if err != nil {
			return fmt.Errorf("position %d: %w", seq, err)
		}
		v, closer, err := db.Get(streamKey(string(h.stream), h.revision))
		if err != nil {
			return fmt.Errorf("position %d (%s revision %d) has no stream index entry: %w", seq, h.stream, h.revision, err)
		}
		ok := binary.BigEndian.Uint64(v) == seq
		closer.Close()
		if !ok {
			return fmt.Errorf("the stream index entry of %s revision %d does not point at position %d", h.stream, h.revision, seq)
		}
		want++
	}
	if err := it.Error(); err != nil {
		return err
	}
	if want != last+1 {
		return fmt.Errorf("position %d is missing from the log", want)
	}
	return nil
}

// lostError is a reopen that found the log without events the store had
// acknowledged, or with half of a group.
type lostError struct {
	dir string
	err error
}

func (e *lostError) Error() string {
	return fmt.Sprintf("%s: after reopening: %v; restore the data directory from a backup "+
		"(ticketledger verify --data %s shows what is there)", e.dir, e.err, e.dir)
}

// Unwrap returns eventstore.ErrFailed and the cause.
func (e *lostError) Unwrap() []error { return []error{eventstore.ErrFailed, e.err} }
