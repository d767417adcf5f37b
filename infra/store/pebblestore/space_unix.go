//go:build unix

package pebblestore

import "syscall"

// osFreeSpace returns the bytes available to this process on the
// filesystem holding dir (statfs(2): blocks available to non-root users).
func osFreeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
