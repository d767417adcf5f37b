//go:build !unix

package pebblestore

import "errors"

// osFreeSpace is not available here: the free-space check is off.
func osFreeSpace(string) (uint64, error) {
	return 0, errors.New("free space is not known on this platform")
}
