package domain

import (
	"errors"
	"testing"
)

type other struct{}

func (other) EventType() string { return "test.other" }

func TestRebuild(t *testing.T) {
	errEmpty, errBad := errors.New("empty"), errors.New("bad")
	var got []Event
	check := func(_ *[]Event, _ int, e Event) error {
		if _, ok := e.(other); ok {
			return errBad
		}
		return nil
	}
	apply := func(seen *[]Event, e Event) { *seen = append(*seen, e) }
	notFound := func() error { return errEmpty }

	if agg, err := Rebuild(nil, &got, check, apply, notFound); err != errEmpty || agg != nil {
		t.Errorf("empty history: %v, %v; want nil, the not-found error", agg, err)
	}
	agg, err := Rebuild([]Event{&evt{N: 1}, evt{N: 2}}, &got, check, apply, notFound)
	if err != nil || agg != &got || len(got) != 2 || got[0] != (evt{N: 1}) || got[1] != (evt{N: 2}) {
		t.Errorf("Rebuild = %v, %v, replayed %#v; want the aggregate, both events as values", agg, err, got)
	}
	got = nil
	if agg, err := Rebuild([]Event{evt{}, other{}, evt{}}, &got, check, apply, notFound); err != errBad || agg != nil || len(got) != 1 {
		t.Errorf("refused event: %v, %v, replayed %d; want nil, check's error, a stop after 1", agg, err, len(got))
	}
}

func TestKnownTo(t *testing.T) {
	known := KnownTo(SpecsOf(evt{}))
	if !known(evt{N: 3}) || !known(&evt{}) {
		t.Error("KnownTo refuses an event of a listed type")
	}
	if known(other{}) || known(nil) {
		t.Error("KnownTo accepts an event of another type, or nil")
	}
}
