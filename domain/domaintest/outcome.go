package domaintest

import (
	"reflect"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// Versioned is an aggregate that counts the events applied to it.
type Versioned interface{ Version() int }

// CheckOutcome checks what a command on agg (at version before) returned.
// With rule set it wants an error of that kind and rule, no events, and agg
// unchanged; otherwise no error, exactly the events then, and agg's version
// advanced by them.
func CheckOutcome(t testing.TB, agg Versioned, before int, got []domain.Event, err error, then []domain.Event, kind domain.Kind, rule domain.Rule) {
	t.Helper()
	if rule != "" {
		if err == nil {
			t.Fatalf("want error %s/%s, got events %#v", kind, rule, got)
		}
		if domain.KindOf(err) != kind || domain.RuleOf(err) != rule {
			t.Fatalf("want %s/%s, got %s/%s: %v", kind, rule, domain.KindOf(err), domain.RuleOf(err), err)
		}
		if got != nil || agg.Version() != before {
			t.Fatalf("a failed command emitted %#v", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if !reflect.DeepEqual(got, then) {
		t.Fatalf("events:\n got  %#v\n want %#v", got, then)
	}
	if agg.Version() != before+len(got) {
		t.Fatalf("version %d after %d events from %d", agg.Version(), len(got), before)
	}
}

// Command is the when of a given/when/then case: command (a method
// expression, such as (*partner.Partner).LinkCustomer) run on the aggregate by actor
// for something that happened at occurredAt, recorded at now, with its one
// argument.
func Command[T, A any](command func(agg T, actor domain.Actor, occurredAt, now time.Time, arg A) ([]domain.Event, error), actor domain.Actor, occurredAt, now time.Time, arg A) func(T) ([]domain.Event, error) {
	return func(agg T) ([]domain.Event, error) { return command(agg, actor, occurredAt, now, arg) }
}
