package subjects

import "sync"

// Memo is a FileStore that keeps in memory the subjects and keys it has
// read or made and, unlike the FileStore's own cache, uses them without
// checking that their key files still exist, so that a writer sealing and
// revealing the contacts of many tickets touches each key file once. Use it
// only where one process owns the key store for its lifetime (offline
// generation, `demo --data`): a key another process destroys stays usable
// in a Memo. Destroy through the Memo forgets the key here too. Safe for
// concurrent use.
type Memo struct {
	fs *FileStore

	mu     sync.Mutex
	byMail map[string]memoSubject // normalised e-mail → subject
	keys   map[string][]byte      // subject id → key
}

type memoSubject struct {
	id  string
	key []byte
}

// NewMemo returns a Memo over fs.
func NewMemo(fs *FileStore) *Memo {
	return &Memo{fs: fs, byMail: map[string]memoSubject{}, keys: map[string][]byte{}}
}

// Subject is FileStore.Subject, remembered.
func (m *Memo) Subject(email string) (string, []byte, error) {
	n := NormalizeEmail(email)
	m.mu.Lock()
	s, ok := m.byMail[n]
	m.mu.Unlock()
	if ok {
		return s.id, s.key, nil
	}
	id, key, err := m.fs.Subject(email)
	if err != nil {
		return "", nil, err
	}
	m.mu.Lock()
	m.byMail[n], m.keys[id] = memoSubject{id: id, key: key}, key
	m.mu.Unlock()
	return id, key, nil
}

// Lookup is FileStore.Lookup, answered from memory when the subject is
// remembered.
func (m *Memo) Lookup(email string) (string, bool, error) {
	m.mu.Lock()
	s, ok := m.byMail[NormalizeEmail(email)]
	m.mu.Unlock()
	if ok {
		return s.id, true, nil
	}
	return m.fs.Lookup(email)
}

// Key is FileStore.Key, remembered.
func (m *Memo) Key(id string) ([]byte, bool, error) {
	m.mu.Lock()
	key, ok := m.keys[id]
	m.mu.Unlock()
	if ok {
		return key, true, nil
	}
	key, ok, err := m.fs.Key(id)
	if err != nil || !ok {
		return key, ok, err
	}
	m.mu.Lock()
	m.keys[id] = key
	m.mu.Unlock()
	return key, true, nil
}

// Destroy is FileStore.Destroy; the subject is forgotten here first.
func (m *Memo) Destroy(id string) error {
	m.mu.Lock()
	delete(m.keys, id)
	for mail, s := range m.byMail {
		if s.id == id {
			delete(m.byMail, mail)
		}
	}
	m.mu.Unlock()
	return m.fs.Destroy(id)
}
