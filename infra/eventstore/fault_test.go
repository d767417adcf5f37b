package eventstore

import (
	"errors"
	"fmt"
	"testing"
)

func TestFault(t *testing.T) {
	for _, f := range []error{ErrNoSpace, ErrDamaged, ErrFailed} {
		if got := Fault(fmt.Errorf("append to a: %w", f)); got != f {
			t.Errorf("Fault(wrapped %v) = %v", f, got)
		}
	}
	for _, err := range []error{nil, ErrClosed, errors.New("disk full")} {
		if got := Fault(err); got != nil {
			t.Errorf("Fault(%v) = %v, want nil", err, got)
		}
	}
}
