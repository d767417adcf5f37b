// Package tmpfstest gives tests a real small filesystem: a tmpfs they
// mount, and a ballast file that fills it.
package tmpfstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Mount mounts a tmpfs of size (as mount's size= option: "16m") on a new
// directory and unmounts it when the test ends, or skips the test when that
// is not possible (not root, no mount).
func Mount(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs (mount -t tmpfs -o size=16m tmpfs DIR)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs on %s: %v %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// Fill writes a file on dir's filesystem that leaves about left bytes free
// and returns its path: remove it to free the space.
func Fill(t testing.TB, dir string, left uint64) string {
	t.Helper()
	free := Free(t, dir)
	if free <= left {
		t.Fatalf("only %d bytes free on %s", free, dir)
	}
	path := filepath.Join(dir, "ballast")
	if err := os.WriteFile(path, make([]byte, free-left), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Free returns the bytes available on dir's filesystem.
func Free(t testing.TB, dir string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize)
}
