package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ticketledger/ticketledger/infra/durable"
	"github.com/ticketledger/ticketledger/infra/subjects"
)

// lockFile is the embedded store's lock file, never copied.
const lockFile = "ticketledger.lock"

// Empty reports whether dir is missing or an empty directory.
func Empty(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", dir, err)
	}
	return len(entries) == 0, nil
}

// IsDataDir reports whether dir holds an embedded store: its lock file or
// a Pebble manifest.
func IsDataDir(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, lockFile)); err == nil {
		return true
	}
	m, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
	return len(m) > 0
}

// Stage copies the backup in from into a new directory beside data
// (data+".restoring", replaced if a failed restore left it), without the
// manifest, and returns it with the names of carry it carried over. The
// backup's subject key store is copied only when its manifest says it was
// backed up (withKeys): one that appeared later (a verify opening the
// backup makes an empty one) is not the ledger's. carry names files or
// directories of data (relative) copied in when the backup has none: the
// replaced ledger's subject key store, so its erasures stay erased, and its
// bootstrap token file. progress, when not nil, is told the bytes copied so
// far of the total.
func Stage(from, data string, withKeys bool, carry []string, progress func(done, total int64)) (string, []string, error) {
	staging := filepath.Clean(data) + ".restoring"
	if err := os.RemoveAll(staging); err != nil {
		return "", nil, fmt.Errorf("remove %s, left by a restore that failed: %w", staging, err)
	}
	skip := func(rel string) bool {
		return rel == ManifestFile || rel == lockFile || (!withKeys && rel == subjects.DirName)
	}
	total := treeSize(from) - treeSize(filepath.Join(from, ManifestFile)) - treeSize(filepath.Join(from, lockFile))
	if !withKeys {
		total -= treeSize(filepath.Join(from, subjects.DirName))
	}
	var done int64
	report := func(n int64) {
		done += n
		if progress != nil {
			progress(done, total)
		}
	}
	if err := os.MkdirAll(filepath.Dir(staging), 0o755); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", filepath.Dir(staging), err)
	}
	if _, err := copyTree(from, staging, skip, report); err != nil {
		os.RemoveAll(staging)
		return "", nil, fmt.Errorf("copy the backup %s: %w", from, err)
	}
	var carried []string
	for _, name := range carry {
		src, dst := filepath.Join(data, name), filepath.Join(staging, name)
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		info, err := os.Stat(src)
		if err != nil {
			continue
		}
		if info.IsDir() {
			_, err = copyTree(src, dst, nil, nil)
		} else {
			_, err = copyFile(src, dst, nil)
		}
		if err != nil {
			os.RemoveAll(staging)
			return "", nil, fmt.Errorf("carry %s over: %w", src, err)
		}
		carried = append(carried, name)
	}
	return staging, carried, nil
}

// Swap puts staging in place of data. What data held is moved aside to
// data+".before-restore-<time>" (returned; "" when data was missing or
// empty), and so is the head file beside it (headFile, when it exists: the
// second name returned), so nothing is deleted.
func Swap(staging, data, headFile string, now time.Time) (aside, asideHead string, err error) {
	suffix := ".before-restore-" + now.UTC().Format("20060102T150405Z")
	empty, err := Empty(data)
	if err != nil {
		return "", "", err
	}
	if !empty {
		aside = filepath.Clean(data) + suffix
		if err := os.Rename(data, aside); err != nil {
			return "", "", fmt.Errorf("move %s aside: %w", data, err)
		}
	} else if err := os.Remove(data); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("remove the empty %s: %w", data, err)
	}
	if headFile != "" {
		if _, err := os.Stat(headFile); err == nil {
			asideHead = headFile + suffix
			if err := os.Rename(headFile, asideHead); err != nil {
				return aside, "", fmt.Errorf("move the head file %s aside: %w", headFile, err)
			}
		}
	}
	if err := os.Rename(staging, data); err != nil {
		return aside, asideHead, fmt.Errorf("move the restored data into %s: %w (the previous data is in %s)", data, err, aside)
	}
	return aside, asideHead, durable.SyncDir(filepath.Dir(filepath.Clean(data)))
}
