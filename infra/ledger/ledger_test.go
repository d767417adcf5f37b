package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"esdb://admin:changeit@db:2113?tls=true": "esdb://admin:***@db:2113?tls=true",
		"esdb://db:2113?tls=false":               "esdb://db:2113?tls=false",
		"esdb+discover://user@db:2113":           "esdb+discover://user@db:2113",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadPolicies(t *testing.T) {
	dir := t.TempDir()
	cal := writeFile(t, dir, "c.json", `{"id":"acme-SE","base":"sv-SE"}`)
	pol := writeFile(t, dir, "p.json", `[{"version":"w1","base":"2026-01","breakFix":{"A":"1h"}},{"version":"w2","base":"w1"}]`)
	ps, err := LoadPolicies(cal, []string{pol})
	if err != nil {
		t.Fatal(err)
	}
	if v := ps.Current().Version(); !strings.HasPrefix(v, "2026-01+calendars-") {
		t.Fatalf("current %q", v)
	}
	if _, err := ps.Current().Calendar("acme-SE"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"w1", "w2", "2026-01"} {
		if _, err := ps.Get(v); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	if _, err := LoadPolicies(filepath.Join(dir, "missing.json"), nil); err == nil {
		t.Fatal("missing calendars file: no error")
	}
}

func TestOpenLockedAndVerify(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(context.Background(), Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Open(context.Background(), Config{DataDir: dir}); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "hint:") {
		t.Fatalf("second open: %v", err)
	}
	rep, err := Verify(context.Background(), l.Raw, nil)
	if err != nil || rep.Streams != 0 {
		t.Fatalf("verify empty: %+v %v", rep, err)
	}
	if _, err := Open(context.Background(), Config{StoreURL: "http://x"}); err == nil || !strings.Contains(err.Error(), "esdb://") {
		t.Fatalf("bad store url: %v", err)
	}
}
