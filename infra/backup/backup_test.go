package backup

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestResolveInside: names relative to the backup directory and absolute
// paths inside it are accepted; .., other absolute paths, the directory
// itself and links leading out are refused as outside.
func TestResolveInside(t *testing.T) {
	base := t.TempDir()
	out := t.TempDir()
	if err := os.Symlink(out, filepath.Join(base, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(base, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(base)
	for to, want := range map[string]string{
		"nightly":                          filepath.Join(real, "nightly"),
		"sub/nightly":                      filepath.Join(real, "sub", "nightly"),
		"sub/../x":                         filepath.Join(real, "x"),
		filepath.Join(base, "abs"):         filepath.Join(real, "abs"),
		" spaced ":                         filepath.Join(real, "spaced"),
		filepath.Join(base, "new", "deep"): filepath.Join(real, "new", "deep"),
	} {
		got, err := ResolveInside(base, to)
		if err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", to, got, err, want)
		}
	}
	for _, to := range []string{"..", "../x", "sub/../../x", out, "/etc/passwd", ".", "out/x", "out"} {
		if got, err := ResolveInside(base, to); !errors.Is(err, ErrOutside) || !errors.Is(err, ErrRefused) {
			t.Errorf("%q: %q %v, want a refusal as outside", to, got, err)
		}
	}
	if _, err := ResolveInside("", "x"); !errors.Is(err, ErrRefused) || errors.Is(err, ErrOutside) {
		t.Errorf("no backup directory: %v", err)
	}
	if _, err := ResolveInside(base, "  "); !errors.Is(err, ErrRefused) {
		t.Errorf("empty name: %v", err)
	}
}
