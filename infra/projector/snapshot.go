package projector

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/ticketledger/ticketledger/infra/durable"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/projections"
)

// File layout (little endian):
//
//	header:  magic "TLSNAP01" | checkpoint commit u64 | prepare u64 | sections u32
//	section: name length u16 | name | payload length u64 | payload CRC-32C u32 | payload
//	trailer: CRC-32C u32 of header and every section header | magic "TLSNAPOK"
const (
	magic     = "TLSNAP01"
	endMagic  = "TLSNAPOK"
	secFixed  = 12 // payload length + crc
	maxSecs   = 1024
	maxName   = 256
	hdrLength = 8 + 8 + 8 + 4
)

var (
	castagnoli    = crc32.MakeTable(crc32.Castagnoli)
	errNoSnapshot = errors.New("no snapshot")
	// ErrCorruptSnapshot is returned (wrapped) when a snapshot file is torn
	// or damaged.
	ErrCorruptSnapshot = errors.New("corrupt snapshot file")
)

type countingCRC struct {
	w io.Writer
	h hash.Hash32
	n uint64
}

// Write writes p to the underlying writer, hashing and counting it.
func (c *countingCRC) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += uint64(n)
	return n, err
}

// writeSnapshot writes every projection and the checkpoint to path,
// atomically (temp file, fsync, rename, fsync of the directory).
func writeSnapshot(path string, ck eventstore.Position, projs []projections.Projection) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("projector: snapshot: %w", err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("projector: snapshot: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("projector: snapshot %s: %w", path, err)
		}
	}()
	meta := crc32.New(castagnoli) // over the header and section headers
	hdr := make([]byte, 0, hdrLength)
	hdr = append(hdr, magic...)
	hdr = binary.LittleEndian.AppendUint64(hdr, ck.Commit)
	hdr = binary.LittleEndian.AppendUint64(hdr, ck.Prepare)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(projs)))
	if _, err = f.Write(hdr); err != nil {
		return err
	}
	meta.Write(hdr)
	off := int64(len(hdr))
	for _, p := range projs {
		name := p.Name()
		sh := binary.LittleEndian.AppendUint16(nil, uint16(len(name)))
		sh = append(sh, name...)
		if _, err = f.WriteAt(append(sh, make([]byte, secFixed)...), off); err != nil {
			return err
		}
		payloadOff := off + int64(len(sh)) + secFixed
		if _, err = f.Seek(payloadOff, io.SeekStart); err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		cw := &countingCRC{w: bw, h: crc32.New(castagnoli)}
		if err = p.Snapshot(cw); err != nil {
			return fmt.Errorf("projection %s: %w", name, err)
		}
		if err = bw.Flush(); err != nil {
			return err
		}
		sh = binary.LittleEndian.AppendUint64(sh, cw.n)
		sh = binary.LittleEndian.AppendUint32(sh, cw.h.Sum32())
		if _, err = f.WriteAt(sh, off); err != nil {
			return err
		}
		meta.Write(sh)
		off = payloadOff + int64(cw.n)
	}
	tr := binary.LittleEndian.AppendUint32(nil, meta.Sum32())
	tr = append(tr, endMagic...)
	if _, err = f.WriteAt(tr, off); err != nil {
		return err
	}
	if err = f.Truncate(off + int64(len(tr))); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return durable.SyncDir(dir)
}

type section struct {
	name string
	off  int64
	n    uint64
	crc  uint32
}

// loadSnapshot checks the file's structure (header, section table,
// trailer), then restores the projections found in it, in parallel, checking
// each section's checksum as it is read. It returns the checkpoint and
// whether every projection was in the file (false: the missing ones were
// reset and need the log from the start). On an error the projections may be
// partly restored: the caller resets them all.
func loadSnapshot(path string, projs []projections.Projection) (eventstore.Position, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return eventstore.Position{}, false, errNoSnapshot
	}
	if err != nil {
		return eventstore.Position{}, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return eventstore.Position{}, false, err
	}
	size := st.Size()
	corrupt := func(format string, args ...any) (eventstore.Position, bool, error) {
		return eventstore.Position{}, false, fmt.Errorf("%w %s: %s", ErrCorruptSnapshot, path, fmt.Sprintf(format, args...))
	}
	hdr := make([]byte, hdrLength)
	if _, err := f.ReadAt(hdr, 0); err != nil || string(hdr[:8]) != magic {
		return corrupt("bad header")
	}
	meta := crc32.New(castagnoli)
	meta.Write(hdr)
	ck := eventstore.Position{Commit: binary.LittleEndian.Uint64(hdr[8:]), Prepare: binary.LittleEndian.Uint64(hdr[16:])}
	nsec := binary.LittleEndian.Uint32(hdr[24:])
	if nsec > maxSecs {
		return corrupt("%d sections", nsec)
	}
	off := int64(hdrLength)
	secs := make([]section, 0, nsec)
	for i := uint32(0); i < nsec; i++ {
		var l [2]byte
		if _, err := f.ReadAt(l[:], off); err != nil {
			return corrupt("section %d: %v", i, err)
		}
		nl := int(binary.LittleEndian.Uint16(l[:]))
		if nl > maxName {
			return corrupt("section %d: name of %d bytes", i, nl)
		}
		sh := make([]byte, 2+nl+secFixed)
		if _, err := f.ReadAt(sh, off); err != nil {
			return corrupt("section %d: %v", i, err)
		}
		meta.Write(sh)
		s := section{name: string(sh[2 : 2+nl]), off: off + int64(len(sh)),
			n: binary.LittleEndian.Uint64(sh[2+nl:]), crc: binary.LittleEndian.Uint32(sh[2+nl+8:])}
		if s.n > uint64(size) || s.off+int64(s.n) > size {
			return corrupt("section %s: %d bytes past the end of the file", s.name, s.n)
		}
		secs = append(secs, s)
		off = s.off + int64(s.n)
	}
	tr := make([]byte, 4+len(endMagic))
	if _, err := f.ReadAt(tr, off); err != nil || string(tr[4:]) != endMagic || binary.LittleEndian.Uint32(tr) != meta.Sum32() {
		return corrupt("bad trailer")
	}
	if off+int64(len(tr)) != size {
		return corrupt("%d trailing bytes", size-off-int64(len(tr)))
	}
	// Restore every section in parallel, one goroutine each, hashing the
	// bytes as they are read: a checksum mismatch fails the load after the
	// fact, and the caller resets every projection.
	all := true
	found := make([]int, len(projs))
	for i, p := range projs {
		found[i] = -1
		for j, s := range secs {
			if s.name == p.Name() {
				found[i] = j
			}
		}
		if found[i] < 0 {
			p.Reset()
			all = false
		}
	}
	errs := make([]error, len(projs))
	parallel(len(projs), func(i int) {
		if found[i] < 0 {
			return
		}
		s := secs[found[i]]
		h := crc32.New(castagnoli)
		sr := io.NewSectionReader(f, s.off, int64(s.n))
		err := projs[i].Restore(io.TeeReader(sr, h))
		if err == nil {
			_, err = io.Copy(h, sr) // bytes the projection left unread
		}
		switch {
		case err != nil:
			errs[i] = fmt.Errorf("projection %s: %w", s.name, err)
		case h.Sum32() != s.crc:
			errs[i] = fmt.Errorf("%w %s: section %s: checksum mismatch", ErrCorruptSnapshot, path, s.name)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return eventstore.Position{}, false, err
	}
	return ck, all, nil
}

func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}
