package subjects_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ticketledger/ticketledger/infra/subjects"
)

// openStore opens a key store in dir.
func openStore(t *testing.T, dir string) *subjects.FileStore {
	t.Helper()
	st, err := subjects.OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sharedStores opens two key stores on one directory (two processes
// sharing it) and makes the subject of email in the first. It returns the
// directory, the two stores, and the subject's id and key.
func sharedStores(t *testing.T, email string) (dir string, here, other *subjects.FileStore, id string, key []byte) {
	t.Helper()
	dir = t.TempDir()
	here, other = openStore(t, dir), openStore(t, dir)
	id, key, err := here.Subject(email)
	if err != nil {
		t.Fatal(err)
	}
	return dir, here, other, id, key
}

func TestSealUnseal(t *testing.T) {
	id, key, err := openStore(t, t.TempDir()).Subject("  Zoe.Quill@Example.org ")
	if err != nil {
		t.Fatal(err)
	}
	if !subjects.ValidID(id) {
		t.Fatalf("subject id %q has not the documented shape", id)
	}
	sealed, err := subjects.Seal(key, id, "contact.email", "zoe.quill@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !subjects.IsSealed(sealed) || bytes.Contains([]byte(sealed), []byte("zoe")) {
		t.Fatalf("sealed value %q", sealed)
	}
	if got, ok := subjects.SubjectOf(sealed); !ok || got != id {
		t.Fatalf("SubjectOf = %q, %v; want %q", got, ok, id)
	}
	if pt, err := subjects.Unseal(key, "contact.email", sealed); err != nil || pt != "zoe.quill@example.org" {
		t.Fatalf("Unseal = %q, %v", pt, err)
	}
	// Bound to its field: a name moved into the e-mail field does not open.
	if _, err := subjects.Unseal(key, "contact.name", sealed); err == nil {
		t.Fatal("a value sealed for contact.email opened as contact.name")
	}
	// Altered ciphertext does not open.
	b := []byte(sealed)
	b[len(b)-3] ^= 1
	if b[len(b)-3] == '-' || b[len(b)-3] == '_' {
		b[len(b)-3] = 'A'
	}
	if _, err := subjects.Unseal(key, "contact.email", string(b)); err == nil {
		t.Fatal("an altered value opened")
	}
	if _, err := subjects.Unseal(key, "contact.email", "plain"); !errors.Is(err, subjects.ErrNotSealed) {
		t.Fatalf("Unseal of plaintext: %v", err)
	}
	if s, err := subjects.Seal(key, id, "contact.phone", ""); err != nil || s != "" {
		t.Fatalf("empty values stay empty: %q, %v", s, err)
	}
}

func TestFileStoreSubjectsAndDestroy(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	id, key, err := st.Subject("zoe.quill@example.org")
	if err != nil {
		t.Fatal(err)
	}
	// The same e-mail, written differently, is the same subject; reopening
	// the store finds it.
	st2 := openStore(t, dir)
	id2, key2, err := st2.Subject("ZOE.QUILL@example.org")
	if err != nil || id2 != id || !bytes.Equal(key, key2) {
		t.Fatalf("second Subject = %q, %v; want %q and the same key", id2, err, id)
	}
	other, _, err := st.Subject("someone@example.org")
	if err != nil || other == id {
		t.Fatalf("another e-mail got %q (%v)", other, err)
	}
	if got, ok, err := st.Lookup("zoe.quill@example.org"); err != nil || !ok || got != id {
		t.Fatalf("Lookup = %q, %v, %v", got, ok, err)
	}
	// No file of the store holds the e-mail.
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	if len(files) != 4 {
		t.Fatalf("store files %v: want a key and an index entry for each of the two subjects", files)
	}
	for _, p := range append(files, filepath.Join(dir, "index.secret")) {
		if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("zoe")) || bytes.Contains([]byte(p), []byte("zoe")) {
			t.Errorf("%s holds the e-mail", p)
		}
	}

	if err := st.Destroy(id); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st2.Key(id); ok || err != nil {
		t.Fatalf("key of a destroyed subject: ok=%v err=%v", ok, err)
	}
	if _, ok, _ := st2.Lookup("zoe.quill@example.org"); ok {
		t.Fatal("the e-mail still leads to the destroyed subject")
	}
	if _, ok, _ := st.Key(other); !ok {
		t.Fatal("destroying one subject destroyed another")
	}
	if err := st.Destroy(id); !errors.Is(err, subjects.ErrUnknown) {
		t.Fatalf("second Destroy: %v, want ErrUnknown", err)
	}
	if err := st.Destroy("../index.secret"); !errors.Is(err, subjects.ErrUnknown) {
		t.Fatalf("Destroy of a path: %v, want ErrUnknown", err)
	}
	// Filing again after the erasure makes a new subject with a new key.
	id3, key3, err := st.Subject("zoe.quill@example.org")
	if err != nil || id3 == id || bytes.Equal(key3, key) {
		t.Fatalf("after Destroy, Subject = %q (%v): want a new subject and key", id3, err)
	}
}

// Concurrent first requests naming the same contact make one subject.
func TestFileStoreSubjectConcurrent(t *testing.T) {
	st := openStore(t, t.TempDir())
	ids := make(chan string, 16)
	for range cap(ids) {
		go func() {
			id, _, err := st.Subject("zoe.quill@example.org")
			if err != nil {
				t.Error(err)
			}
			ids <- id
		}()
	}
	first := <-ids
	for range cap(ids) - 1 {
		if id := <-ids; id != first {
			t.Fatalf("two subjects for one e-mail: %s and %s", first, id)
		}
	}
}

// A Memo answers as its FileStore does, reads each key once, and forgets a
// subject it destroys (here and in the store).
func TestMemo(t *testing.T) {
	fs := openStore(t, t.TempDir())
	m := subjects.NewMemo(fs)
	id, key, err := m.Subject("Ana@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	if id2, key2, err := fs.Subject("ana@example.com"); err != nil || id2 != id || !bytes.Equal(key2, key) {
		t.Fatalf("the store holds %s %x (%v), the memo made %s %x", id2, key2, err, id, key)
	}
	if got, ok, err := m.Lookup(" ana@example.com"); err != nil || !ok || got != id {
		t.Fatalf("Lookup: %s %t %v", got, ok, err)
	}
	if got, ok, err := m.Key(id); err != nil || !ok || !bytes.Equal(got, key) {
		t.Fatalf("Key: %x %t %v", got, ok, err)
	}
	other, _, err := fs.Subject("bo@example.com") // made behind the memo's back
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := m.Key(other); err != nil || !ok {
		t.Fatalf("Key of a subject the memo has not seen: %t %v", ok, err)
	}
	if err := m.Destroy(id); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := m.Key(id); ok {
		t.Fatal("the memo still gives the key of a destroyed subject")
	}
	if _, ok, _ := m.Lookup("ana@example.com"); ok {
		t.Fatal("the memo still finds a destroyed subject")
	}
	if _, ok, _ := fs.Key(id); ok {
		t.Fatal("the store still holds the key of a subject destroyed through the memo")
	}
	if err := m.Destroy(id); !errors.Is(err, subjects.ErrUnknown) {
		t.Fatalf("destroy twice: %v, want ErrUnknown", err)
	}
}

// A FileStore keeps the keys it has read in memory — a key file changed
// behind its back does not matter to it — but a subject destroyed by
// another process sharing the directory (another store on it) is unusable
// at its next use: Key, Subject and Lookup all see it gone, and the e-mail
// gets a new subject.
func TestCachedKeyDoesNotOutliveItsErasureElsewhere(t *testing.T) {
	dir, here, other, id, key := sharedStores(t, "zoe.quill@example.org")
	keep := bytes.Clone(key)
	// Cached: a key file that no longer parses is not read again.
	path := filepath.Join(dir, "keys", id)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := here.Key(id); err != nil || !ok || !bytes.Equal(got, keep) {
		t.Fatalf("cached Key = %x %t %v, want the key it made", got, ok, err)
	}
	if got, got2, err := here.Subject("Zoe.Quill@example.org"); err != nil || got != id || !bytes.Equal(got2, keep) {
		t.Fatalf("cached Subject = %s %x %v", got, got2, err)
	}
	if _, _, err := other.Key(id); err == nil {
		t.Fatal("a fresh store read the malformed key file without complaint")
	}
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := other.Destroy(id); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := here.Key(id); err != nil || ok || got != nil {
		t.Fatalf("after another store destroyed it, Key = %x %t %v", got, ok, err)
	}
	if _, ok, err := here.Lookup("zoe.quill@example.org"); err != nil || ok {
		t.Fatalf("after another store destroyed it, Lookup = %t %v", ok, err)
	}
	id2, key2, err := here.Subject("zoe.quill@example.org")
	if err != nil || id2 == id || bytes.Equal(key2, keep) {
		t.Fatalf("after another store destroyed it, Subject = %s (%v): want a new subject and key", id2, err)
	}
	if !bytes.Equal(key, keep) {
		t.Fatal("forgetting a cached key wiped the copy a caller holds")
	}
	// And the other way round, with the Subject path cached: destroyed here,
	// gone for the other store, which had cached it too.
	if got, _, err := other.Subject("zoe.quill@example.org"); err != nil || got != id2 {
		t.Fatalf("the other store finds %s (%v), want %s", got, err, id2)
	}
	if err := here.Destroy(id2); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := other.Key(id2); err != nil || ok {
		t.Fatalf("destroyed here, Key on the other store = %t %v", ok, err)
	}
	if _, ok, err := here.Key(id2); err != nil || ok {
		t.Fatalf("destroyed here, Key here = %t %v", ok, err)
	}
}

// Concurrent uses of a cached subject and its destruction elsewhere: once
// Destroy has returned, no use sees the key.
func TestCachedKeyDestroyedDuringUse(t *testing.T) {
	_, here, other, id, _ := sharedStores(t, "bo@example.org")
	destroyed := make(chan struct{})
	done := make(chan error)
	for range 4 {
		go func() {
			for {
				select {
				case <-destroyed:
					_, ok, err := here.Key(id)
					if err == nil && ok {
						err = errors.New("key usable after Destroy returned")
					}
					done <- err
					return
				default:
					if _, _, err := here.Key(id); err != nil {
						done <- err
						return
					}
				}
			}
		}()
	}
	if err := other.Destroy(id); err != nil {
		t.Fatal(err)
	}
	close(destroyed)
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkSealContact is what sealing a known contact costs: the subject
// and its key (cached), and the three values sealed.
func BenchmarkSealContact(b *testing.B) {
	st, err := subjects.OpenFileStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := st.Subject("alex@bench.example"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		id, key, err := st.Subject("alex@bench.example")
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range [][2]string{{"contact.name", "Alex Doe"}, {"contact.email", "alex@bench.example"}, {"contact.phone", "+44 20 7946 0018"}} {
			if _, err := subjects.Seal(key, id, f[0], f[1]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRevealContact is what opening a sealed contact costs: the
// subject's key (cached) and the three values opened.
func BenchmarkRevealContact(b *testing.B) {
	st, err := subjects.OpenFileStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	id, key, err := st.Subject("alex@bench.example")
	if err != nil {
		b.Fatal(err)
	}
	var sealed [3][2]string
	for i, f := range [][2]string{{"contact.name", "Alex Doe"}, {"contact.email", "alex@bench.example"}, {"contact.phone", "+44 20 7946 0018"}} {
		s, err := subjects.Seal(key, id, f[0], f[1])
		if err != nil {
			b.Fatal(err)
		}
		sealed[i] = [2]string{f[0], s}
	}
	b.ReportAllocs()
	for b.Loop() {
		sid, _ := subjects.SubjectOf(sealed[1][1])
		key, ok, err := st.Key(sid)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		for _, f := range sealed {
			if _, err := subjects.Unseal(key, f[0], f[1]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
