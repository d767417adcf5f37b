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
