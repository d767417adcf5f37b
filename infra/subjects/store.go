package subjects

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ticketledger/ticketledger/infra/durable"
)

// DirName is the key store's directory name inside a data directory.
const DirName = "subject-keys"

const (
	secretFile = "index.secret"
	keysDir    = "keys"
	indexDir   = "index"
	idPrefix   = "sub-"
)

// ErrUnknown is returned (wrapped) by Destroy for a subject the store does
// not hold.
var ErrUnknown = errors.New("unknown subject")

// FileStore is the key store on a directory (see the package documentation).
// It keeps the keys it has read or made in memory, and before each use of
// one confirms that its key file still exists, so a subject destroyed by
// any process sharing the directory is unusable here at once. It is safe
// for concurrent use within a process.
type FileStore struct {
	dir    string
	secret []byte
	mu     sync.Mutex // serialises Subject's find-or-create and Destroy
	cache  keyCache
}

// OpenFileStore opens the key store in dir, creating it (mode 0700) and its
// index secret if missing.
func OpenFileStore(dir string) (*FileStore, error) {
	for _, d := range []string{dir, filepath.Join(dir, keysDir), filepath.Join(dir, indexDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("subject key store %s: %w (give a writable directory)", dir, err)
		}
	}
	s := &FileStore{dir: dir, cache: newKeyCache(cacheKeys)}
	path := filepath.Join(dir, secretFile)
	secret, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		if err := writeFile(dir, secretFile, []byte(hex.EncodeToString(secret)+"\n")); err != nil {
			return nil, fmt.Errorf("subject key store %s: %w", dir, err)
		}
	case err != nil:
		return nil, fmt.Errorf("subject key store %s: %w", dir, err)
	default:
		if secret, err = hex.DecodeString(strings.TrimSpace(string(secret))); err != nil || len(secret) != 32 {
			return nil, fmt.Errorf("subject key store %s: %s is not 64 hex digits: restore it from the key store's backup", dir, path)
		}
	}
	s.secret = secret
	return s, nil
}

// Dir returns the store's directory.
func (s *FileStore) Dir() string { return s.dir }

// NormalizeEmail is the identity of a subject: the e-mail trimmed and
// lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidID reports whether id has the shape of a subject id.
func ValidID(id string) bool {
	h, ok := strings.CutPrefix(id, idPrefix)
	if !ok || len(h) != 32 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

func (s *FileStore) mac(email string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(m.Sum(nil))
}

// Lookup returns the id of the subject of a contact e-mail, if the store
// holds one. It reads the e-mail's index entry, whatever is cached.
func (s *FileStore) Lookup(email string) (string, bool, error) {
	id, _, ok, err := s.find(s.mac(email))
	return id, ok, err
}

// find returns the subject whose index entry is mac and its key, if the
// store holds them.
func (s *FileStore) find(mac string) (id string, key []byte, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(s.dir, indexDir, mac))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("subject key store: %w", err)
	}
	id = strings.TrimSpace(string(b))
	if key, ok, err = s.Key(id); err != nil || !ok {
		return "", nil, false, err // an index entry left by an interrupted Destroy
	}
	return id, key, true, nil
}

// Key returns the key of subject id, if the store holds it: from memory
// when it is cached and its key file still exists.
func (s *FileStore) Key(id string) ([]byte, bool, error) {
	if !ValidID(id) {
		return nil, false, nil
	}
	switch key, st, err := s.cache.key(id); {
	case err != nil:
		return nil, false, err
	case st == cacheHit:
		return key, true, nil
	case st == cacheGone:
		return nil, false, nil
	}
	key, mac, ok, err := s.read(id)
	if ok {
		s.cache.put(id, mac, filepath.Join(s.dir, keysDir, id), key)
	}
	return key, ok, err
}

func (s *FileStore) read(id string) (key []byte, mac string, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(s.dir, keysDir, id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("subject key store: %w", err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return nil, "", false, fmt.Errorf("subject key store: %s is malformed: restore it from the key store's backup", filepath.Join(s.dir, keysDir, id))
	}
	if key, err = hex.DecodeString(lines[0]); err != nil || len(key) != KeySize {
		return nil, "", false, fmt.Errorf("subject key store: the key in %s is malformed: restore it from the key store's backup", filepath.Join(s.dir, keysDir, id))
	}
	return key, lines[1], true, nil
}

// Subject returns the subject of a contact e-mail and its key, creating
// both (a random id and key, durably written) the first time.
func (s *FileStore) Subject(email string) (string, []byte, error) {
	if NormalizeEmail(email) == "" {
		return "", nil, errors.New("subject key store: no e-mail to key a subject by")
	}
	mac := s.mac(email)
	if id, key, st, err := s.cache.byMail(mac); err != nil || st == cacheHit {
		return id, key, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, key, ok, err := s.find(mac); err != nil || ok {
		return id, key, err
	}
	raw := make([]byte, 16+KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	id, key := idPrefix+hex.EncodeToString(raw[:16]), raw[16:]
	if err := writeFile(filepath.Join(s.dir, keysDir), id, []byte(hex.EncodeToString(key)+"\n"+mac+"\n")); err != nil {
		return "", nil, fmt.Errorf("subject key store: %w", err)
	}
	if err := writeFile(filepath.Join(s.dir, indexDir), mac, []byte(id+"\n")); err != nil {
		return "", nil, fmt.Errorf("subject key store: %w", err)
	}
	s.cache.put(id, mac, filepath.Join(s.dir, keysDir, id), key)
	return id, key, nil
}

// Destroy removes the key of subject id and its e-mail index entry, for
// good. A subject the store does not hold is ErrUnknown.
func (s *FileStore) Destroy(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ValidID(id) {
		return fmt.Errorf("%w %q", ErrUnknown, id)
	}
	s.cache.drop(id) // unusable here before the file goes (a use racing this one finds the file gone)
	_, mac, ok, err := s.read(id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknown, id)
	}
	if err := os.Remove(filepath.Join(s.dir, keysDir, id)); err != nil {
		return fmt.Errorf("subject key store: %w", err)
	}
	if err := os.Remove(filepath.Join(s.dir, indexDir, mac)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("subject key store: %w", err)
	}
	return errors.Join(durable.SyncDir(filepath.Join(s.dir, keysDir)), durable.SyncDir(filepath.Join(s.dir, indexDir)))
}

func writeFile(dir, name string, data []byte) error {
	return durable.WriteFile(filepath.Join(dir, name), data, 0o600)
}
