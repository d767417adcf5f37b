package pebblestore

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// lockFileName is the lock file in the data directory, besides Pebble's own
// LOCK. On the OS filesystem of a unix system it holds the owner's process
// id, for the error message.
const lockFileName = "ticketledger.lock"

// lockFS takes the exclusive lock on dir through the filesystem's own Lock.
func lockFS(fs vfs.FS, dir string) (io.Closer, error) {
	path := filepath.Join(dir, lockFileName)
	l, err := fs.Lock(path)
	if err != nil {
		return nil, lockedError(dir, path, "", err)
	}
	return l, nil
}

// lockedError is ErrLocked for dir, naming the owning process when known.
func lockedError(dir, path, owner string, cause error) error {
	who := "another process or another Store in this process"
	if owner != "" {
		who = "process " + owner
		if owner == strconv.Itoa(os.Getpid()) {
			who = "another Store in this process"
		}
	}
	return fmt.Errorf("pebblestore: %w: %s is held by %s (lock file %s: %v); "+
		"one process owns a data directory at a time: stop the other ticketledger, close the other Store, "+
		"or give this one another data directory (in cluster setups use the KurrentDB store instead)",
		ErrLocked, dir, who, path, cause)
}
