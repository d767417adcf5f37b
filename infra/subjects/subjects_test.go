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
