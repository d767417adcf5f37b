// Package damagetest damages the files of a real data directory for the
// tests of what the store, the ledger and the CLI make of it.
package damagetest

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Newest returns the newest file of dir whose name ends in suffix (".sst",
// ".log"): Pebble numbers its files in order.
func Newest(t testing.TB, dir, suffix string) string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatalf("no %s file in %s", suffix, dir)
	}
	return names[len(names)-1]
}

// Flip inverts n bytes of file from off on; off < 0 counts from the middle
// of the file (-1: the middle itself).
func Flip(t testing.TB, file string, off int64, n int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0 {
		off = int64(len(b))/2 + off + 1
	}
	for i := range int64(n) {
		b[off+i] ^= 0xff
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
