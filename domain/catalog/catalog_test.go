package catalog

import (
	"reflect"
	"regexp"
	"testing"
)

// Every persisted type name is namespaced, listed once, and matches the
// EventType of the payload its spec makes; New returns a pointer the codec
// can decode into.
func TestCatalogIsConsistent(t *testing.T) {
	name := regexp.MustCompile(`^(ticket|partner|principal|ledger|subject|webhook)\.[a-z_]+$`)
	seen := map[string]bool{}
	for _, s := range All() {
		if !name.MatchString(s.Type) {
			t.Errorf("type %q is not a namespaced lower_snake name", s.Type)
		}
		if seen[s.Type] {
			t.Errorf("type %q listed twice", s.Type)
		}
		seen[s.Type] = true
		if s.Version < 1 {
			t.Errorf("%s: schema version %d", s.Type, s.Version)
		}
		ev := s.New()
		if ev.EventType() != s.Type {
			t.Errorf("spec %q makes a payload whose EventType is %q", s.Type, ev.EventType())
		}
		if reflect.TypeOf(ev).Kind() != reflect.Pointer {
			t.Errorf("%s: New returns %T, want a pointer", s.Type, ev)
		}
	}
	if by := ByType(); len(by) != len(seen) || len(by) < 20 {
		t.Errorf("ByType has %d types, All %d", len(by), len(seen))
	}
}
