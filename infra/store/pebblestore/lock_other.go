//go:build !unix

package pebblestore

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2/vfs"
)

const lockFileName = "ticketledger.lock"

// lockDir takes the exclusive lock on dir through the filesystem's Lock.
func lockDir(fs vfs.FS, _ bool, dir string) (io.Closer, error) {
	path := filepath.Join(dir, lockFileName)
	l, err := fs.Lock(path)
	if err != nil {
		return nil, lockedError(dir, path, err)
	}
	return l, nil
}

func lockedError(dir, path string, cause error) error {
	return fmt.Errorf("pebblestore: %w: %s (lock file %s: %v); one process owns a data directory at a time: "+
		"stop the other ticketledger, close the other Store, or give this one another data directory",
		ErrLocked, dir, path, cause)
}
