// Package domaintest holds checks shared by the tests of the domain
// packages. It is imported by tests only.
package domaintest

import (
	"testing"

	"github.com/ticketledger/ticketledger/domain"
)

// CheckSpecs fails t unless specs lists want event types, each once, each
// with a schema version of at least 1 and a New that makes a payload of that
// type; known, when not nil, must accept the value of every such payload
// (the aggregate's apply knows it).
func CheckSpecs(t testing.TB, specs []domain.EventSpec, want int, known func(domain.Event) bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.Type] || s.Version < 1 {
			t.Fatalf("spec %s duplicated or unversioned", s.Type)
		}
		seen[s.Type] = true
		e := s.New()
		if got := e.EventType(); got != s.Type {
			t.Fatalf("spec %s makes %s", s.Type, got)
		}
		if known != nil && !known(domain.Value(e)) {
			t.Fatalf("apply does not know %s", s.Type)
		}
	}
	if len(seen) != want {
		t.Fatalf("%d specs, want %d", len(seen), want)
	}
}

// Alien is an event no aggregate knows, for testing that rebuilding refuses
// one.
type Alien struct{}

// EventType names Alien's type.
func (Alien) EventType() string { return "alien" }
