package integrity

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
)

var tNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// fixture is a real data directory written by the ledger: a keyring, three
// ticket streams, a seal in the middle and a final seal at Close; the
// heads the sealer published are in a file outside the directory.
type fixture struct {
	dir      string
	key      *SigningKey
	headFile string
	heads    []SignedHead
}

func openStore(t testing.TB, dir string) *pebblestore.Store {
	t.Helper()
	st, err := pebblestore.Open(dir, pebblestore.Options{Now: func() time.Time { return tNow }})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// keyedStore opens a store in dir whose keyring holds the tests' fixed
// signing key, and returns the store and the key.
func keyedStore(t testing.TB, dir string) (*pebblestore.Store, *SigningKey) {
	t.Helper()
	key, err := ParseSigningKey([]byte("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, dir)
	if _, err := EnsureKey(context.Background(), st, key, tNow); err != nil {
		st.Close()
		t.Fatal(err)
	}
	return st, key
}

func noteEv(s string) ticket.NoteAdded { return ticket.NoteAdded{Text: s} }

func waitCaughtUp(t testing.TB, s *Sealer, st eventstore.Store) {
	t.Helper()
	last, err := st.ReadAll(context.Background(), eventstore.Backwards, eventstore.AllEnd(), 1, nil)
	if err != nil || len(last) != 1 {
		t.Fatalf("read last: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if _, ok := s.LeafIndex(last[0].Position); ok {
			return
		}
	}
	t.Fatal("sealer did not catch up")
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	base := t.TempDir()
	f := &fixture{dir: filepath.Join(base, "data"), headFile: filepath.Join(base, "head.txt")}
	st, key := keyedStore(t, f.dir)
	defer st.Close()
	f.key = key
	s := NewSealer(st, f.key, SealerOptions{Interval: time.Hour, Sink: FileSink{Path: f.headFile}, Now: func() time.Time { return tNow }})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		for _, id := range []string{"a", "b", "c"} {
			if _, err := appendSigned(ctx, st, "ticket-"+id, f.key, tNow, noteEv(fmt.Sprintf("note %s%d", id, i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitCaughtUp(t, s, st)
	h, err := s.Seal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.heads = append(f.heads, h)
	for _, id := range []string{"a", "a", "b"} {
		if _, err := appendSigned(ctx, st, "ticket-"+id, f.key, tNow, noteEv("late "+id)); err != nil {
			t.Fatal(err)
		}
	}
	waitCaughtUp(t, s, st)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	h2, _ := s.Head()
	f.heads = append(f.heads, h2)
	if len(s.Problems()) != 0 {
		t.Fatalf("sealer problems on an honest log: %v", s.Problems())
	}
	return f
}

// verify opens the data directory and verifies it.
func (f *fixture) verify(t testing.TB, opts VerifyOptions) *Report {
	t.Helper()
	st := openStore(t, f.dir)
	defer st.Close()
	r, err := VerifyLog(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rawRecord is a pebblestore log record (layout in pebblestore/codec.go):
// version ctcode uvarint(revision) created(8) id(16) stream type data metadata.
type rawRecord struct {
	seq         uint64
	ct          byte
	rev         uint64
	created     []byte
	id          uuid.UUID
	stream, typ string
	data, meta  []byte
}

func decodeRaw(seq uint64, b []byte) rawRecord {
	r := rawRecord{seq: seq, ct: b[1]}
	rev, k := binary.Uvarint(b[2:])
	r.rev = rev
	i := 2 + k
	r.created = bytes.Clone(b[i : i+8])
	copy(r.id[:], b[i+8:i+24])
	rest := b[i+24:]
	get := func() []byte {
		n, k := binary.Uvarint(rest)
		v := bytes.Clone(rest[k : k+int(n)])
		rest = rest[k+int(n):]
		return v
	}
	r.stream, r.typ = string(get()), string(get())
	if r.ct != 0 {
		panic("test records are JSON")
	}
	r.data, r.meta = get(), get()
	return r
}

func (r rawRecord) encode() []byte {
	b := []byte{1, r.ct}
	b = binary.AppendUvarint(b, r.rev)
	b = append(b, r.created...)
	b = append(b, r.id[:]...)
	for _, f := range [][]byte{[]byte(r.stream), []byte(r.typ), r.data, r.meta} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func logKey(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte{'l'}, seq) }

// raw edits the closed data directory with Pebble directly: edit gets every
// log record and the database.
func (f *fixture) raw(t testing.TB, edit func(db *pebble.DB, log []rawRecord)) {
	t.Helper()
	db, err := pebble.Open(f.dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{'l'}, UpperBound: []byte{'m'}})
	if err != nil {
		t.Fatal(err)
	}
	var log []rawRecord
	for ok := it.First(); ok; ok = it.Next() {
		log = append(log, decodeRaw(binary.BigEndian.Uint64(it.Key()[1:]), it.Value()))
	}
	it.Close()
	edit(db, log)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func find(t testing.TB, log []rawRecord, stream string, rev uint64) rawRecord {
	t.Helper()
	for _, r := range log {
		if r.stream == stream && r.rev == rev {
			return r
		}
	}
	t.Fatalf("no %s@%d in the log", stream, rev)
	return rawRecord{}
}

func put(t testing.TB, db *pebble.DB, r rawRecord) {
	t.Helper()
	if err := db.Set(logKey(r.seq), r.encode(), pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

func del(t testing.TB, db *pebble.DB, seq uint64) {
	t.Helper()
	if err := db.Delete(logKey(seq), pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

// want asserts that the report has a problem of kind whose rendering
// contains every one of parts.
func want(t testing.TB, r *Report, kind ProblemKind, parts ...string) Problem {
	t.Helper()
	for _, p := range r.Problems {
		s := p.String()
		ok := p.Kind == kind
		for _, part := range parts {
			ok = ok && strings.Contains(s, part)
		}
		if ok {
			t.Logf("detected: %s", s)
			return p
		}
	}
	t.Fatalf("no %s problem mentioning %q; problems:\n%s", kind, parts, dump(r))
	return Problem{}
}

func dump(r *Report) string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)              {}
func (quietLogger) Errorf(string, ...any)             {}
func (quietLogger) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
