//go:build !unix

package pebblestore

import (
	"io"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// lockDir takes the exclusive lock on dir through the filesystem's Lock.
func lockDir(fs vfs.FS, _ bool, dir string) (io.Closer, error) {
	return lockFS(fs, dir)
}
