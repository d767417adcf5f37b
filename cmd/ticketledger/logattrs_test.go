package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogAttributesOnce(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(dedupAttrs(slog.NewTextHandler(&b, nil)))
	inner := log.With("component", "projector").With("component", "projector", "dir", "d")
	inner.Info("restored", "component", "projector", "tickets", 3)
	inner.Info("other value kept", "component", "pebble")
	inner.WithGroup("g").Info("grouped", "component", "projector")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("lines %q", lines)
	}
	for i, want := range []struct {
		line  string
		count int
	}{{"component=projector", 1}, {"component=", 2}, {"component=projector", 2}} { // the last: outside and in the group
		if n := strings.Count(lines[i], want.line); n != want.count {
			t.Errorf("line %d: %d × %q in %s", i, n, want.line, lines[i])
		}
	}
	for _, w := range []string{"dir=d", "tickets=3"} {
		if !strings.Contains(lines[0], w) {
			t.Errorf("lost %s: %s", w, lines[0])
		}
	}
	if !strings.Contains(lines[2], "g.component=projector") {
		t.Errorf("group: %s", lines[2])
	}
}
