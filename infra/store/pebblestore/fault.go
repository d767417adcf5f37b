package pebblestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	pebblerecord "github.com/cockroachdb/pebble/v2/record"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// DefaultMinFreeBytes is the free space the store keeps in reserve by
// default (Options.MinFreeBytes): below it, appends are refused so that
// Pebble never meets a full disk while writing its WAL, a flush or its
// MANIFEST (which it treats as fatal).
const DefaultMinFreeBytes = 64 << 20

// Damage is a damaged file of the store, as Pebble reported it.
type Damage struct {
	// File is the file's path.
	File string
	// Affected says which part of the data the file holds: log positions,
	// streams, the event-id index (decoded from Pebble's key bounds).
	Affected string
	// Detail is Pebble's description of the damage.
	Detail string
}

// FaultStats counts the store's faults since Open (Stats.Faults): a
// failure is a fatal Pebble error, and the store reopens Pebble after it.
type FaultStats = eventstore.FaultStats

// faults is the store's fault state, shared by the appender, the readers
// and Pebble's event listener (which may call it before Open returns).
type faults struct {
	dir string
	fs  vfs.FS // to find a damaged WAL; nil: not looked for
	log *slog.Logger

	noSpace atomic.Pointer[error] // set while appends are refused for space
	refused atomic.Uint64

	mu      sync.Mutex
	damaged []Damage
	bnds    [][2][]byte // the key bounds of each damaged file
	last    string      // the file of the most recent damage report
}

// onCorruption is Pebble's EventListener.DataCorruption: it records the file
// and logs it once. Pebble's default handler calls Logger.Fatalf.
func (f *faults) onCorruption(info pebble.DataCorruptionInfo) {
	d := Damage{File: info.Path, Affected: describeBounds(info.Bounds.Start, info.Bounds.End.Key), Detail: shortDetail(info.Details)}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = d.File
	for _, o := range f.damaged {
		if o.File == d.File {
			return
		}
	}
	f.damaged = append(f.damaged, d)
	f.bnds = append(f.bnds, [2][]byte{bytes.Clone(info.Bounds.Start), bytes.Clone(info.Bounds.End.Key)})
	f.log.Error("event store file damaged: reads of the data it holds fail; restore the data directory from a backup",
		"file", d.File, "affected", d.Affected, "detail", d.Detail,
		"hint", "ticketledger verify --data "+f.dir+" lists the affected streams and positions (with the server stopped)")
}

// damage returns the damaged files found so far.
func (f *faults) damage() []Damage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Damage(nil), f.damaged...)
}

// bounds returns the key bounds of the damaged files.
func (f *faults) bounds() [][2][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][2][]byte(nil), f.bnds...)
}

// wrap turns a Pebble corruption error into a *DamageError (recording the
// damage if the event listener has not); any other error is returned as is.
func (f *faults) wrap(err error) error {
	if err == nil || !pebble.IsCorruptionError(err) {
		return err
	}
	var de *DamageError
	if errors.As(err, &de) {
		return err
	}
	f.mu.Lock()
	file := f.last
	f.mu.Unlock()
	if file == "" {
		file = fileOf(err)
	}
	if file == "" && strings.Contains(err.Error(), "replaying WAL") && f.fs != nil {
		if wal, where := damagedWAL(f.fs, f.dir); wal != "" {
			return &DamageError{Dir: f.dir, File: wal, Err: fmt.Errorf("write-ahead log damaged: %s", where)}
		}
	}
	return &DamageError{Dir: f.dir, File: file, Err: err}
}

// DamageError is a read or an Open that met a damaged file. It matches
// eventstore.ErrDamaged (errors.Is).
type DamageError struct {
	Dir  string // the data directory
	File string // the damaged file ("" when Pebble did not name it)
	Err  error  // Pebble's error
}

// Error names the file, what is wrong and what to do.
func (e *DamageError) Error() string {
	file := e.File
	if file == "" {
		file = "a file"
	}
	return fmt.Sprintf("the event store in %s is damaged: %s: %s; restore the data directory from a backup, "+
		"and run `ticketledger verify --data %s` (with the server stopped) to see which streams and positions are affected",
		e.Dir, file, shortDetail(e.Err), e.Dir)
}

// Unwrap returns eventstore.ErrDamaged and Pebble's error.
func (e *DamageError) Unwrap() []error { return []error{eventstore.ErrDamaged, e.Err} }

// shortDetail is the first line of a Pebble error without its path prefix
// and redaction marks: "block 138217/15438: crc32c checksum mismatch …".
func shortDetail(err error) string {
	if err == nil {
		return "damaged"
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	msg = strings.NewReplacer("‹", "", "›", "").Replace(msg)
	msg = strings.TrimPrefix(msg, "pebble: ")
	return msg
}

// fileOf finds the file number Pebble names in err ("pebble: file 000006:").
func fileOf(err error) string {
	msg := err.Error()
	i := strings.Index(msg, "file ")
	if i < 0 {
		return ""
	}
	num, _, ok := strings.Cut(msg[i+5:], ":")
	if !ok || num == "" || strings.ContainsAny(num, " /") {
		return ""
	}
	return num
}

// describeBounds says what lies between two keys of the layout: log
// positions, stream index entries or the event-id index.
func describeBounds(start, end []byte) string {
	a, b := describeKey(start), describeKey(end)
	if len(start) > 0 && len(end) > 0 && start[0] == prefixLog && end[0] == prefixLog && len(start) == 9 && len(end) == 9 {
		return fmt.Sprintf("log positions %d to %d", binary.BigEndian.Uint64(start[1:]), binary.BigEndian.Uint64(end[1:]))
	}
	if a == b {
		return a
	}
	return "from " + a + " to " + b
}

// describeKey names a key of the layout for people.
func describeKey(k []byte) string {
	if len(k) == 0 {
		return "the start"
	}
	switch k[0] {
	case prefixLog:
		if len(k) == 9 {
			return fmt.Sprintf("log position %d", binary.BigEndian.Uint64(k[1:]))
		}
		return "the log"
	case prefixStream:
		n, w := binary.Uvarint(k[1:])
		if w > 0 && 1+w+int(n) <= len(k) {
			name := string(k[1+w : 1+w+int(n)])
			if rest := k[1+w+int(n):]; len(rest) == 8 {
				return fmt.Sprintf("stream %s revision %d", name, binary.BigEndian.Uint64(rest))
			}
			return "stream " + name
		}
		return "the stream index"
	case prefixID:
		return "the event-id index"
	}
	return "the store's metadata"
}

// checkSpace decides whether the appender may commit a group of about n
// bytes: it refuses (an error wrapping eventstore.ErrNoSpace) when the
// filesystem would keep less than MinFreeBytes, and logs each change of
// state once.
func (s *Store) checkSpace(n int) error {
	if s.freeSpace == nil {
		return nil
	}
	avail, err := s.freeSpace(s.dir)
	if err != nil {
		return nil // unknown: let Pebble try
	}
	min := uint64(s.opts.MinFreeBytes)
	if avail >= min+uint64(n) {
		if s.faults.noSpace.Swap(nil) != nil {
			s.log.Info("disk space available again: appends accepted", "dir", s.dir, "free_bytes", avail, "min_free_bytes", min)
		}
		return nil
	}
	s.faults.refused.Add(1)
	if p := s.faults.noSpace.Load(); p != nil {
		return *p
	}
	has, keep := bytesText(avail), bytesText(min)
	if has == keep {
		has, keep = fmt.Sprintf("%d bytes", avail), fmt.Sprintf("%d bytes", min)
	}
	err = fmt.Errorf("%w: %s has %s free and appends must leave %s in reserve (--min-free-bytes), so they are refused "+
		"and reads go on; free space or grow the volume, and appends resume by themselves",
		eventstore.ErrNoSpace, s.dir, has, keep)
	s.faults.noSpace.Store(&err)
	s.log.Error("disk nearly full: appends refused until space is freed", "dir", s.dir, "free_bytes", avail, "min_free_bytes", min)
	return err
}

// bytesText prints n in MiB with one decimal, or in bytes when small.
func bytesText(n uint64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// Fault returns what is wrong with the store now (nil: nothing): the disk
// is full (eventstore.ErrNoSpace), files are damaged (ErrDamaged) or the
// store failed (ErrFailed). Reads of undamaged data go on in every case.
func (s *Store) Fault() error {
	var errs []error
	if p := s.failed.Load(); p != nil {
		errs = append(errs, *p)
	}
	if p := s.faults.noSpace.Load(); p != nil {
		errs = append(errs, *p)
	}
	for _, d := range s.faults.damage() {
		errs = append(errs, &DamageError{Dir: s.dir, File: d.File, Err: errors.New(d.Detail + " (" + d.Affected + ")")})
	}
	return errors.Join(errs...)
}

// Damaged returns the damaged files found since Open.
func (s *Store) Damaged() []Damage { return s.faults.damage() }

// fatalPanic is what pebbleLogger.Fatalf panics with, so that the store's
// own goroutines can tell Pebble's fatal errors from other panics.
type fatalPanic struct{ msg string }

// Error is the message of Pebble's Fatalf.
func (f fatalPanic) Error() string { return f.msg }

// failedError is the error of a store whose Pebble reported a fatal error
// (msg): appends are refused until the appender has reopened it.
func failedError(dir, msg string) error {
	hint := "it retries by itself"
	if strings.Contains(msg, "no space left") {
		hint = "free disk space and it reopens by itself (raise --min-free-bytes to keep more in reserve)"
	}
	return fmt.Errorf("%w: %s: %s: appends are refused while the store reopens itself; %s", eventstore.ErrFailed, filepath.Clean(dir), msg, hint)
}

// damagedWAL finds the write-ahead log in dir that Pebble could not
// replay (its error does not name it): the first whose records fail to
// read with anything but a torn tail. It returns the file and where.
func damagedWAL(fs vfs.FS, dir string) (string, string) {
	names, err := fs.List(dir)
	if err != nil {
		return "", ""
	}
	sort.Strings(names)
	for _, n := range names {
		num, ok := strings.CutSuffix(n, ".log")
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			continue
		}
		path := fs.PathJoin(dir, n)
		f, err := fs.Open(path)
		if err != nil {
			continue
		}
		// pebblerecord.NewReader takes Pebble's internal file number type: set one
		// through a public field of that type.
		var info pebble.WALCreateInfo
		reflect.ValueOf(&info.FileNum).Elem().SetUint(v)
		r := pebblerecord.NewReader(f, info.FileNum)
		for {
			rec, err := r.Next()
			if err == nil {
				_, err = io.Copy(io.Discard, rec)
			}
			if err == nil {
				continue
			}
			if errors.Is(err, pebblerecord.ErrInvalidChunk) || errors.Is(err, pebblerecord.ErrZeroedChunk) {
				f.Close()
				return path, fmt.Sprintf("record at offset %d: %v", r.Offset(), err)
			}
			break // io.EOF, or a torn tail: normal
		}
		f.Close()
	}
	return "", ""
}

// checkNewestWAL reads the newest write-ahead log in dir chunk by chunk
// before Pebble replays it. Pebble stops its replay of the newest WAL at
// the first bad chunk and takes what follows for a torn tail: right after
// a crash in the middle of a write, silently wrong when the bad chunk is
// damage with acknowledged records after it. A valid chunk of the same log
// after the bad one tells the two apart (a record starting there was
// written after the bad one was synced); the result is a *DamageError.
func checkNewestWAL(fs vfs.FS, dir string) error {
	names, err := fs.List(dir)
	if err != nil {
		return nil // Pebble reports it
	}
	var newest string
	var num uint64
	for _, n := range names {
		s, ok := strings.CutSuffix(n, ".log")
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(s, 10, 32); err == nil && v >= num {
			newest, num = n, v
		}
	}
	if newest == "" {
		return nil
	}
	path := fs.PathJoin(dir, newest)
	f, err := fs.Open(path)
	if err != nil {
		return nil
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil
	}
	if off, ok := walDamage(data, uint32(num)); ok {
		return &DamageError{Dir: dir, File: path, Err: fmt.Errorf("write-ahead log damaged: invalid record at offset %d with valid records after it (not a torn tail: acknowledged writes would be lost)", off)}
	}
	return nil
}

// walBlock is the WAL's block size: chunks never straddle a block.
const walBlock = 32 << 10

// walDamage walks the WAL data of log num chunk by chunk and returns the
// offset of the first invalid chunk, if a valid chunk of the same log
// follows it with the start of a record.
func walDamage(data []byte, num uint32) (int, bool) {
	valid := func(p int) (int, bool) {
		if p+11 > len(data) {
			return 0, false
		}
		hdr := 0
		switch t := data[p+6]; {
		case t >= 5 && t <= 8: // recyclable chunks
			hdr = 11
		case t >= 9 && t <= 12: // chunks with a sync offset
			hdr = 19
		default:
			return 0, false
		}
		if binary.LittleEndian.Uint32(data[p+7:]) != num {
			return 0, false
		}
		end := p + hdr + int(binary.LittleEndian.Uint16(data[p+4:]))
		if end > len(data) || p/walBlock != (end-1)/walBlock {
			return 0, false
		}
		return end - p, crcValue(data[p+6:end]) == binary.LittleEndian.Uint32(data[p:])
	}
	p := 0
	for p < len(data) {
		if n, ok := valid(p); ok {
			p += n
			continue
		}
		if rem := walBlock - p%walBlock; rem < 19 && p+rem <= len(data) && allZero(data[p:p+rem]) {
			p += rem // the writer pads a block's tail too short for a header
			continue
		}
		break
	}
	// A record that starts after p was written after the bad chunk's write
	// had been synced: the store writes one synced batch at a time (see
	// the commit protocol), so the bad chunk was durable, acknowledged, and
	// is damaged. Middle and last chunks alone may be the rest of the one
	// write a crash interrupted, persisted out of order.
	for q := p + 1; q+11 <= len(data); q++ {
		if _, ok := valid(q); ok {
			if t := data[q+6]; t == 5 || t == 6 || t == 9 || t == 10 {
				return p, true
			}
		}
	}
	return 0, false
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crcValue is the masked CRC-32C of Pebble's record format.
func crcValue(b []byte) uint32 {
	c := crc32.Update(0, castagnoli, b)
	return (c>>15 | c<<17) + 0xa282ead8
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
