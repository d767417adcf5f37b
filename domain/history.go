package domain

import "reflect"

// Rebuild replays an aggregate's history (its stream's events in order, as
// values or pointers) into agg, the empty aggregate its New returns. An
// empty history is the error notFound returns. Otherwise each event, as a
// value (Value), goes with its index to check, which says whether it may
// stand there, and then to apply; the first error check returns stops the
// rebuild. With an error, Rebuild returns the zero A.
func Rebuild[A any](history []Event, agg A, check func(agg A, i int, e Event) error, apply func(agg A, e Event), notFound func() error) (A, error) {
	var zero A
	if len(history) == 0 {
		return zero, notFound()
	}
	for i, e := range history {
		e = Value(e)
		if err := check(agg, i, e); err != nil {
			return zero, err
		}
		apply(agg, e)
	}
	return agg, nil
}

// KnownTo returns a test of whether an event (value or pointer) is of one
// of the Go types that specs make: the events a stream of those specs may
// hold.
func KnownTo(specs []EventSpec) func(Event) bool {
	types := make(map[reflect.Type]bool, len(specs))
	for _, s := range specs {
		types[reflect.TypeOf(Value(s.New()))] = true
	}
	return func(e Event) bool { return types[reflect.TypeOf(Value(e))] }
}
