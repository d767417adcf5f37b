package domain

import "testing"

type evt struct{ N int }

func (evt) EventType() string { return "test.evt" }

func TestValueAndTypeName(t *testing.T) {
	if got := Value(&evt{N: 7}); got != (evt{N: 7}) {
		t.Errorf("Value(&evt) = %#v, want the value", got)
	}
	if got := Value(evt{N: 1}); got != (evt{N: 1}) {
		t.Errorf("Value(evt) = %#v", got)
	}
	var nilPtr *evt
	if got := Value(nilPtr); got != Event(nilPtr) {
		t.Errorf("Value(nil pointer) = %#v, want it unchanged", got)
	}
	if Value(nil) != nil || TypeName(nil) != "<nil>" || TypeName(evt{}) != "domain.evt" {
		t.Error("nil handling or type name wrong")
	}
}

func TestSpecsOf(t *testing.T) {
	specs := SpecsOf(evt{})
	if len(specs) != 1 {
		t.Fatalf("SpecsOf(evt{}) = %d specs, want 1", len(specs))
	}
	s := specs[0]
	if s.Type != "test.evt" || s.Version != 1 || s.Upcast != nil {
		t.Errorf("spec = %+v, want type test.evt, version 1, no upcast", s)
	}
	p, ok := s.New().(*evt)
	if !ok || *p != (evt{}) {
		t.Fatalf("New() = %#v, want a pointer to a zero evt", s.New())
	}
	if q := s.New().(*evt); q == p {
		t.Error("New returns the same pointer twice, want a fresh value each call")
	}
}
