package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// DamageReport is what Check found in a data directory.
type DamageReport struct {
	// Files are the damaged files Pebble named.
	Files []Damage
	// Unreadable are the parts of the key space Check could not read.
	Unreadable []Unreadable
	// Streams are the streams with events at unreadable log positions or
	// with unreadable stream index entries, sorted.
	Streams []string
	// Events is how many log records could be read; Head the highest log
	// position found.
	Events uint64
	Head   uint64
	// OpenErr is set when Pebble could not open the directory at all (a
	// damaged WAL or MANIFEST): nothing could be checked.
	OpenErr error
}

// OK reports whether nothing is damaged.
func (r DamageReport) OK() bool {
	return r.OpenErr == nil && len(r.Unreadable) == 0 && len(r.Files) == 0
}

// Unreadable is a range of the store that could not be read.
type Unreadable struct {
	// Part is "log", "stream index" or "event-id index".
	Part string
	// From and To describe the range's first and last key (for the log,
	// positions: FromPos..ToPos; ToPos 0 is the end of the log).
	From, To       string
	FromPos, ToPos uint64
	// Err is the read error.
	Err string
}

// String describes the range for people.
func (u Unreadable) String() string {
	if u.Part == "log" {
		if u.ToPos == 0 {
			return fmt.Sprintf("log positions %d to the end of the log", u.FromPos)
		}
		return fmt.Sprintf("log positions %d to %d", u.FromPos, u.ToPos)
	}
	if u.From == u.To {
		return u.Part + " at " + u.From
	}
	return fmt.Sprintf("%s from %s to %s", u.Part, u.From, u.To)
}

// Check reads every key of the store in dir (opened read-only: no server
// may own it) and the checksum of every block of every sstable (filters and
// indexes too, which reading the keys may not touch), and reports what it
// could not read. Past a damaged part of
// the log it goes on at the first readable position after it; past a
// damaged part of an index, after the damaged file's last key. The error is
// a failure to start (the directory is missing or in use), not damage.
func Check(ctx context.Context, dir string, logger *slog.Logger) (DamageReport, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var rep DamageReport
	if _, err := vfs.Default.Stat(dir); err != nil {
		return rep, fmt.Errorf("check %s: %w", dir, err)
	}
	lock, err := lockDir(vfs.Default, true, dir)
	if err != nil {
		return rep, err
	}
	defer lock.Close()
	flt := &faults{dir: dir, fs: vfs.Default, log: logger}
	popts := &pebble.Options{
		Logger:             pebbleLogger{logger},
		ReadOnly:           true,
		FormatMajorVersion: pebble.FormatNewest,
		EventListener:      &pebble.EventListener{DataCorruption: flt.onCorruption},
	}
	db, err := openPebble(dir, popts)
	if err == nil {
		if werr := checkNewestWAL(vfs.Default, dir); werr != nil {
			db.Close()
			db, err = nil, werr
		}
	}
	if err != nil {
		rep.OpenErr = flt.wrap(err)
		if !errors.Is(rep.OpenErr, eventstore.ErrDamaged) {
			rep.OpenErr = fmt.Errorf("the event store in %s cannot be opened: %w; restore the data directory from a backup", dir, err)
		}
		rep.Files = flt.damage()
		var de *DamageError
		if errors.As(rep.OpenErr, &de) && len(rep.Files) == 0 {
			rep.Files = []Damage{{File: de.File, Affected: "writes Pebble replays when it opens the store: it cannot be opened", Detail: shortDetail(de.Err)}}
		}
		return rep, nil
	}
	defer db.Close()
	c := &checker{db: db, flt: flt, rep: &rep, streams: map[string]bool{}}
	var bad [][2]uint64
	if bad, err = c.log(ctx); err != nil {
		return rep, err
	}
	if err := c.index(ctx, prefixStream, "stream index", bad); err != nil {
		return rep, err
	}
	if err := c.index(ctx, prefixID, "event-id index", nil); err != nil {
		return rep, err
	}
	if err := c.blocks(ctx, dir); err != nil {
		return rep, err
	}
	rep.Files = flt.damage()
	for s := range c.streams {
		rep.Streams = append(rep.Streams, s)
	}
	sort.Strings(rep.Streams)
	return rep, nil
}

type checker struct {
	db      *pebble.DB
	flt     *faults
	rep     *DamageReport
	streams map[string]bool
}

// seekLog returns the first log position at or after seq, whether there is
// one, and the error of the read.
func (c *checker) seekLog(seq uint64) (uint64, bool, error) {
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: logKey(seq), UpperBound: []byte{prefixLog + 1}})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.First() {
		return 0, false, it.Error()
	}
	return binary.BigEndian.Uint64(it.Key()[1:]), true, nil
}

// log reads the log from position 1 on and returns its unreadable ranges
// of positions. The log's positions are dense, so the end of a damaged
// range is the first position a seek reaches again (found by bisection).
func (c *checker) log(ctx context.Context) ([][2]uint64, error) {
	var bad [][2]uint64
	next := uint64(1)
	for {
		if err := ctx.Err(); err != nil {
			return bad, err
		}
		it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: logKey(next), UpperBound: []byte{prefixLog + 1}})
		if err != nil {
			return bad, err
		}
		for ok := it.First(); ok; ok = it.Next() {
			seq := binary.BigEndian.Uint64(it.Key()[1:])
			next = seq + 1
			c.rep.Events++
			c.rep.Head = max(c.rep.Head, seq)
		}
		rerr := it.Error()
		it.Close()
		if rerr == nil {
			return bad, nil
		}
		// next is unreadable: find the first readable position after it.
		lo, hi := next, next
		step := uint64(1)
		var found bool
		var at uint64
		for {
			at, found, err = c.seekLog(hi)
			if err == nil {
				break
			}
			lo = hi
			if hi > ^uint64(0)-step {
				break
			}
			hi += step
			step *= 2
		}
		if err != nil { // nothing readable after it up to the end of the key space
			found = false
		} else {
			for lo+1 < hi { // seekLog(lo) fails, seekLog(hi) reads
				mid := lo + (hi-lo)/2
				if a, f, e := c.seekLog(mid); e == nil {
					hi, at, found = mid, a, f
				} else {
					lo = mid
				}
			}
		}
		end := at - 1
		if !found {
			end = 0 // the damage reaches the end of the log
			bad = append(bad, [2]uint64{next, ^uint64(0)})
		} else {
			bad = append(bad, [2]uint64{next, end})
		}
		c.rep.Unreadable = append(c.rep.Unreadable, Unreadable{Part: "log", FromPos: next, ToPos: end, Err: shortDetail(c.flt.wrap(rerr))})
		if !found {
			return bad, nil
		}
		next = at
	}
}

// index reads the index with prefix p. Stream index entries pointing into
// a bad log range name an affected stream, as do unreadable entries.
func (c *checker) index(ctx context.Context, p byte, part string, bad [][2]uint64) error {
	lower := []byte{p}
	upper := []byte{p + 1}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
		if err != nil {
			return err
		}
		var last []byte
		for ok := it.First(); ok; ok = it.Next() {
			last = append(last[:0], it.Key()...)
			if p == prefixStream && len(bad) > 0 && len(it.Value()) == 8 {
				seq := binary.BigEndian.Uint64(it.Value())
				for _, r := range bad {
					if seq >= r[0] && seq <= r[1] {
						c.streams[streamOfKey(it.Key())] = true
					}
				}
			}
		}
		rerr := it.Error()
		it.Close()
		if rerr == nil {
			return nil
		}
		// Skip the damaged file: Pebble named its bounds.
		from := describeKey(lower)
		if last != nil {
			from = "after " + describeKey(last)
		}
		skip := c.skipPast(lower)
		to := "the end of the " + part
		if skip != nil && bytes.Compare(skip, upper) < 0 {
			to = describeKey(skip)
		}
		c.rep.Unreadable = append(c.rep.Unreadable, Unreadable{Part: part, From: from, To: to, Err: shortDetail(c.flt.wrap(rerr))})
		if p == prefixStream {
			if last != nil {
				c.streams[streamOfKey(last)] = true
			}
			if skip != nil && bytes.Compare(skip, upper) < 0 {
				c.streams[streamOfKey(skip)] = true
			}
		}
		if skip == nil || bytes.Compare(skip, upper) >= 0 || bytes.Compare(skip, lower) <= 0 {
			return nil
		}
		lower = append(skip[:len(skip):len(skip)], 0) // the key after the damaged file's last
	}
}

// skipPast returns the upper bound of the damaged file whose range holds
// key, or nil.
func (c *checker) skipPast(key []byte) []byte {
	var best []byte
	for _, d := range c.flt.bounds() {
		if bytes.Compare(d[1], key) >= 0 && (best == nil || bytes.Compare(d[1], best) < 0) {
			best = d[1]
		}
	}
	return best
}

// streamOfKey is the stream name of a stream index key.
func streamOfKey(k []byte) string {
	n, w := binary.Uvarint(k[1:])
	if w <= 0 || 1+w+int(n) > len(k) {
		return "?"
	}
	return string(k[1+w : 1+w+int(n)])
}

// blocks validates the checksum of every block of every sstable in dir; a
// damaged file not found by reading the keys is added to the report.
func (c *checker) blocks(ctx context.Context, dir string) error {
	seen := map[string]bool{}
	for _, d := range c.flt.damage() {
		seen[d.File] = true
	}
	bad, err := ValidateFiles(ctx, dir)
	for _, d := range bad {
		if seen[d.File] {
			continue
		}
		c.flt.mu.Lock()
		c.flt.damaged = append(c.flt.damaged, d)
		c.flt.mu.Unlock()
		c.rep.Unreadable = append(c.rep.Unreadable, Unreadable{Part: "sstable", From: d.File, To: d.File, Err: d.Detail})
	}
	return err
}

// ValidateFiles checks the checksum of every block of every sstable in dir,
// which no open store may own (a compaction could remove a file being
// read), and returns the damaged files. Reading every key (Check, or a
// verification of the log) reads only data blocks; this reads the filter,
// index and metadata blocks too.
func ValidateFiles(ctx context.Context, dir string) ([]Damage, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		return nil, err
	}
	var out []Damage
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if err := validateSST(ctx, name); err != nil {
			out = append(out, Damage{File: name, Affected: "filter, index or metadata blocks (the keys read back)", Detail: shortDetail(err)})
		}
	}
	return out, nil
}

// validateSST checks the checksums of the blocks of one sstable.
func validateSST(ctx context.Context, name string) (err error) {
	f, err := vfs.Default.Open(name)
	if err != nil {
		return err
	}
	readable, err := sstable.NewSimpleReadable(f)
	if err != nil {
		f.Close()
		return err
	}
	r, err := sstable.NewReader(ctx, readable, sstable.ReaderOptions{})
	if err != nil {
		readable.Close()
		return err
	}
	defer r.Close()
	return r.ValidateBlockChecksums()
}
