package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

var _ eventstore.Store = (*Store)(nil)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// FS is the filesystem the store lives on; nil means the operating
	// system's. Crash tests pass vfs.NewCrashableMem().
	FS vfs.FS
	// Logger receives the store's and Pebble's log lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock that stamps RecordedEvent.Created and decides $maxAge;
	// nil means time.Now.
	Now func() time.Time
	// CacheSize is Pebble's block cache size in bytes; 0 means 128 MiB.
	CacheSize int64
	// MaxGroupEvents and MaxGroupBytes bound one group commit; 0 means 4096
	// events and 8 MiB. An append larger than that is committed alone.
	MaxGroupEvents int
	MaxGroupBytes  int
	// GroupCommitWindow caps how long the appender holds a group open for
	// the appenders the last commit answered to come back, so that they
	// share the next fsync instead of splitting over two (see gather). A
	// lone appender never waits. 0 means 500 µs; negative disables it.
	GroupCommitWindow time.Duration
	// QueueLength bounds the appends waiting for the appender; 0 means 1024.
	// When it is full, Append waits (back pressure).
	QueueLength int
	// MaxCachedStreams bounds the appender's cache of stream heads; 0 means
	// 100,000.
	MaxCachedStreams int
	// MinFreeBytes is the free space kept in reserve on the data
	// directory's filesystem: before each group commit the appender checks
	// it and refuses the group (eventstore.ErrNoSpace) when less would be
	// left, so that Pebble never writes to a full disk. 0 means
	// DefaultMinFreeBytes; negative turns the check off.
	MinFreeBytes int64
	// FreeSpace returns the bytes available on the filesystem holding dir;
	// nil means statfs(2) on the operating system's filesystem, and no check
	// on another FS.
	FreeSpace func(dir string) (uint64, error)
	// ReopenBackoff and ReopenMaxBackoff pace the reopen after a failure
	// (see Faults in the package documentation): the first attempt waits
	// ReopenBackoff, each failed one doubles the wait up to
	// ReopenMaxBackoff. 0 means 100 ms and 10 s.
	ReopenBackoff    time.Duration
	ReopenMaxBackoff time.Duration
}

// Store is the embedded event store on Pebble. It is safe for concurrent use.
// See the package documentation for its layout and commit protocol.
type Store struct {
	dir string
	fs  vfs.FS
	// db is Pebble, nil while it is being reopened after a failure. The
	// appender goroutine replaces it under dbMu held exclusively; readers
	// hold dbMu shared (readLock) for as long as they use it.
	dbMu sync.RWMutex
	db   *pebble.DB
	lock io.Closer
	log  *slog.Logger
	now  func() time.Time
	opts Options

	// closeMu orders Close after every read and every enqueue in progress:
	// they hold it shared and check closed.
	closeMu sync.RWMutex
	closed  bool

	queue        chan *request
	stop         chan struct{} // closed by Close: the appender drains the queue and exits
	appenderDone chan struct{}
	closedCh     chan struct{} // closed when the store is closed (wakes subscribers)
	closeOnce    sync.Once
	closeErr     error

	// durable is the sequence number of the last event known to be synced
	// to the WAL: the only part of the log readers and subscribers see.
	durable  atomic.Uint64
	notifyMu sync.Mutex
	notifyCh chan struct{} // closed and replaced whenever durable advances

	failed   atomic.Pointer[error] // a commit failed: appends are refused until the reopen succeeds
	failures atomic.Uint64         // commits that failed since Open
	reopens  atomic.Uint64         // reopens that succeeded since Open

	faults    *faults                          // disk space and damage
	freeSpace func(dir string) (uint64, error) // nil: no space check

	ap   appender   // appender-goroutine state
	last lastEvents // the last events of recently appended streams
	tail logTail    // the most recent records of the log
}

// ErrLocked is returned (wrapped, with the directory named) by Open when
// another Store, in this process or another, owns the data directory.
var ErrLocked = errors.New("data directory is in use by another ticketledger store")

// Open opens (creating it if needed) the store in dir. Only one Store may own
// a directory at a time: a second Open, from this process or another, fails
// with an error wrapping ErrLocked.
func Open(dir string, opts Options) (*Store, error) {
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 128 << 20
	}
	if opts.MaxGroupEvents <= 0 {
		opts.MaxGroupEvents = 4096
	}
	if opts.MaxGroupBytes <= 0 {
		opts.MaxGroupBytes = 8 << 20
	}
	if opts.GroupCommitWindow == 0 {
		opts.GroupCommitWindow = 500 * time.Microsecond
	}
	if opts.QueueLength <= 0 {
		opts.QueueLength = 1024
	}
	if opts.MaxCachedStreams <= 0 {
		opts.MaxCachedStreams = 100_000
	}
	if opts.MinFreeBytes == 0 {
		opts.MinFreeBytes = DefaultMinFreeBytes
	}
	osFS := opts.FS == nil || opts.FS == vfs.Default
	freeSpace := opts.FreeSpace
	if freeSpace == nil && osFS {
		freeSpace = osFreeSpace
	}
	if opts.MinFreeBytes < 0 {
		freeSpace = nil
	}
	flt := &faults{dir: dir, fs: fs, log: logger}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pebblestore: create data directory %s: %w", dir, err)
	}
	lock, err := lockDir(fs, osFS, dir)
	if err != nil {
		return nil, err
	}

	if opts.ReopenBackoff <= 0 {
		opts.ReopenBackoff = 100 * time.Millisecond
	}
	if opts.ReopenMaxBackoff <= 0 {
		opts.ReopenMaxBackoff = 10 * time.Second
	}
	s := &Store{
		dir:          dir,
		fs:           fs,
		lock:         lock,
		log:          logger,
		now:          now,
		opts:         opts,
		queue:        make(chan *request, opts.QueueLength),
		stop:         make(chan struct{}),
		appenderDone: make(chan struct{}),
		closedCh:     make(chan struct{}),
		notifyCh:     make(chan struct{}),
		faults:       flt,
		freeSpace:    freeSpace,
	}
	db, last, lastCreated, err := s.openDB()
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.db = db
	s.durable.Store(last)
	s.ap.init(s, last+1)
	s.ap.nowNano = lastCreated
	go s.ap.run()
	logger.Info("event store opened", "dir", dir, "head", last)
	return s, nil
}

// openDB opens Pebble in the store's directory (first reading its newest
// WAL, see checkNewestWAL) and returns it with the last sequence number of
// the log and that event's commit time. Its errors name the directory;
// damage is a *DamageError.
func (s *Store) openDB() (*pebble.DB, uint64, int64, error) {
	opts, flt := &s.opts, s.faults
	cache := pebble.NewCache(opts.CacheSize)
	defer cache.Unref()
	popts := &pebble.Options{
		FS:     s.fs,
		Cache:  cache,
		Logger: pebbleLogger{s.log},
		EventListener: &pebble.EventListener{
			DataCorruption: flt.onCorruption,
			BackgroundError: func(err error) {
				s.log.Error("pebble background error", "component", "pebble", "err", flt.wrap(err))
			},
		},
		MemTableSize:       64 << 20,
		FormatMajorVersion: pebble.FormatNewest,
	}
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		popts.Levels[i].BlockSize = 32 << 10 // $all is read sequentially
	}
	if err := checkNewestWAL(s.fs, s.dir); err != nil {
		flt.log.Error("event store write-ahead log damaged", "err", err)
		return nil, 0, 0, err
	}
	fail := func(err error) error {
		if err = flt.wrap(err); errors.Is(err, eventstore.ErrDamaged) {
			return err
		}
		return fmt.Errorf("pebblestore: open %s: %w", s.dir, err)
	}
	db, err := openPebble(s.dir, popts)
	if err != nil {
		return nil, 0, 0, fail(err)
	}
	last, lastCreated, err := recoverLog(db)
	if err != nil {
		closePebble(db)
		return nil, 0, 0, fail(err)
	}
	return db, last, lastCreated, nil
}

// recoverLog checks the on-disk format and returns the last sequence number of
// the log and the commit time of that event. Everything Pebble recovered is
// durable: Open flushes the WAL it replays.
func recoverLog(db *pebble.DB) (uint64, int64, error) {
	v, closer, err := db.Get(formatKey)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		if err := db.Set(formatKey, formatValue, pebble.Sync); err != nil {
			return 0, 0, fmt.Errorf("write format marker: %w", err)
		}
	case err != nil:
		return 0, 0, fmt.Errorf("read format marker: %w", err)
	default:
		ok := bytes.Equal(v, formatValue)
		got := string(v)
		closer.Close()
		if !ok {
			return 0, 0, fmt.Errorf("unsupported data format %q (this build reads %q)", got, formatValue)
		}
	}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixLog}, UpperBound: []byte{prefixLog + 1}})
	if err != nil {
		return 0, 0, err
	}
	defer it.Close()
	if !it.Last() {
		return 0, 0, it.Error()
	}
	h, err := decodeHeader(it.Value())
	if err != nil {
		return 0, 0, fmt.Errorf("last event: %w", err)
	}
	return binary.BigEndian.Uint64(it.Key()[1:]), h.createdNano, nil
}

// Close stops the store: appends already accepted are committed, later calls
// return eventstore.ErrClosed, subscriptions end with ErrClosed. Appends that
// returned success are durable.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeMu.Lock()
		s.closed = true
		s.closeMu.Unlock()
		close(s.stop)
		<-s.appenderDone
		close(s.closedCh)
		var err error
		if s.db != nil { // nil: a reopen after a failure did not succeed
			err = closePebble(s.db)
		}
		if lerr := s.lock.Close(); err == nil {
			err = lerr
		}
		if err != nil {
			s.closeErr = fmt.Errorf("pebblestore: close %s: %w", s.dir, err)
		}
		s.log.Info("event store closed", "dir", s.dir)
	})
	return s.closeErr
}

// Head implements eventstore.Store: it returns the position of the last
// durable event of the global log, or the zero Position when the log is
// empty. Projections compare it with their checkpoint to measure lag.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Position{}, err
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return eventstore.Position{}, eventstore.ErrClosed
	}
	d := s.durable.Load()
	return eventstore.Position{Commit: d, Prepare: d}, nil
}

// Stats describes the store's state.
type Stats struct {
	Head        eventstore.Position // last durable event
	QueuedWrite int                 // appends waiting for the appender
	Groups      uint64              // group commits since Open
	Appends     uint64              // appends and deletes committed since Open
	Faults      FaultStats          // disk space, damage, failure
}

// Stats returns a snapshot of the store's counters.
func (s *Store) Stats() Stats {
	d := s.durable.Load()
	return Stats{
		Head:        eventstore.Position{Commit: d, Prepare: d},
		QueuedWrite: len(s.queue),
		Groups:      s.ap.groups.Load(),
		Appends:     s.ap.appends.Load(),
		Faults: FaultStats{
			NoSpace:        s.faults.noSpace.Load() != nil,
			RefusedNoSpace: s.faults.refused.Load(),
			DamagedFiles:   len(s.faults.damage()),
			Failed:         s.failed.Load() != nil,
			Failures:       s.failures.Load(),
			Reopens:        s.reopens.Load(),
		},
	}
}

// advance publishes a new durable position and wakes every waiter.
func (s *Store) advance(seq uint64) {
	s.durable.Store(seq)
	s.notifyMu.Lock()
	close(s.notifyCh)
	s.notifyCh = make(chan struct{})
	s.notifyMu.Unlock()
}

// changed returns a channel closed at the next advance of the durable
// position. Take it before reading the position to never miss a wake-up.
func (s *Store) changed() <-chan struct{} {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.notifyCh
}

// readLock holds the store open for a read, with Pebble open: release
// with readUnlock. While Pebble is being reopened after a failure it
// returns errReopening (subscriptions wait for the reopen instead).
func (s *Store) readLock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return eventstore.ErrClosed
	}
	s.dbMu.RLock()
	if s.db == nil {
		s.dbMu.RUnlock()
		s.closeMu.RUnlock()
		return errReopening
	}
	return nil
}

// readUnlock releases readLock.
func (s *Store) readUnlock() {
	s.dbMu.RUnlock()
	s.closeMu.RUnlock()
}

func unixNanoUTC(n int64) time.Time { return time.Unix(0, n).UTC() }

// pebbleLogger sends Pebble's log lines to slog.
type pebbleLogger struct{ l *slog.Logger }

// Infof logs Pebble's routine messages at debug level.
func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

// Errorf logs Pebble's errors.
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf panics with a fatalPanic, as Pebble expects it not to return. The
// store's own goroutines recover it and log it once, with what happens
// next (the appender marks the store failed and reopens Pebble, Open
// returns an error); Pebble calls it for a failed WAL or MANIFEST write,
// which the free-space check keeps from happening on a full disk. Should
// it reach the top of one of Pebble's own goroutines, the runtime prints
// the message.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Debug(msg, "component", "pebble", "fatal", true)
	panic(fatalPanic{msg: msg})
}

// openPebble is pebble.Open, with a fatal error during the open (a
// replayed WAL or MANIFEST that cannot be written) returned as an error.
func openPebble(dir string, popts *pebble.Options) (db *pebble.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatalPanic)
			if !ok {
				panic(r)
			}
			db, err = nil, errors.New(f.msg)
		}
	}()
	return pebble.Open(dir, popts)
}
