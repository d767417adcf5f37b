package subjects

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// cacheKeys bounds the keys a FileStore keeps in memory (about 300 bytes
// each); past it, an arbitrary one is forgotten and read again when needed.
const cacheKeys = 1 << 14

// keyCache is a FileStore's memory of the keys it has read or made. An
// entry is used only after its key file is seen to exist (one stat, no
// open or read): the file is the truth, and whoever destroys a subject —
// this process or another sharing the directory — removes it.
type keyCache struct {
	mu    sync.RWMutex
	max   int
	byID  map[string]cachedKey
	byMAC map[string]string // e-mail index name → subject id
}

type cachedKey struct {
	key  []byte
	mac  string
	path string // the key file
}

// cacheState is what the cache knows of a subject.
type cacheState int

const (
	cacheMiss cacheState = iota // not cached: read the files
	cacheHit                    // cached, and its key file exists
	cacheGone                   // was cached, and its key file is gone: destroyed
)

func newKeyCache(max int) keyCache {
	return keyCache{max: max, byID: map[string]cachedKey{}, byMAC: map[string]string{}}
}

// key returns the cached key of subject id, if its key file still exists.
func (c *keyCache) key(id string) ([]byte, cacheState, error) {
	c.mu.RLock()
	e, ok := c.byID[id]
	c.mu.RUnlock()
	if !ok {
		return nil, cacheMiss, nil
	}
	return c.check(id, e)
}

// byMail returns the cached subject of the e-mail whose index name is mac
// and its key, if its key file still exists.
func (c *keyCache) byMail(mac string) (string, []byte, cacheState, error) {
	c.mu.RLock()
	id, ok := c.byMAC[mac]
	e, known := c.byID[id]
	c.mu.RUnlock()
	if !ok || !known {
		return "", nil, cacheMiss, nil
	}
	key, st, err := c.check(id, e)
	if st != cacheHit {
		return "", nil, cacheMiss, err // gone: the files say whether the e-mail has a new subject
	}
	return id, key, cacheHit, err
}

// check confirms that the key file of a cached subject still exists,
// forgetting the subject when it does not.
func (c *keyCache) check(id string, e cachedKey) ([]byte, cacheState, error) {
	_, err := os.Stat(e.path)
	switch {
	case err == nil:
		return bytes.Clone(e.key), cacheHit, nil // the caller's copy: the cache wipes its own when it forgets it
	case errors.Is(err, fs.ErrNotExist):
		c.drop(id)
		return nil, cacheGone, nil
	default:
		return nil, cacheMiss, fmt.Errorf("subject key store: %w", err)
	}
}

// put remembers the key of subject id, whose index name is mac and whose
// key file is path.
func (c *keyCache) put(id, mac, path string, key []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; !ok && len(c.byID) >= c.max {
		for old, e := range c.byID { // forget one, any one
			c.forgetLocked(old, e)
			break
		}
	}
	c.byID[id] = cachedKey{key: bytes.Clone(key), mac: mac, path: path}
	c.byMAC[mac] = id
}

// drop forgets subject id.
func (c *keyCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok {
		c.forgetLocked(id, e)
	}
}

func (c *keyCache) forgetLocked(id string, e cachedKey) {
	delete(c.byID, id)
	if c.byMAC[e.mac] == id {
		delete(c.byMAC, e.mac)
	}
	clear(e.key) // the cache's copy of a forgotten key does not linger in memory
}
