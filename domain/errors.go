package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that the HTTP API and the CLI can map it once to
// a status code and an exit code.
type Kind uint8

// Error kinds. Never reorder: the numbers are not persisted, but the HTTP and
// CLI mappings are keyed on them.
const (
	KindInternal  Kind = iota // a bug or an unexpected failure
	KindInvalid               // bad input: a field is missing or malformed
	KindForbidden             // a rule of the domain forbids the command
	KindNotFound              // the ticket, partner or customer does not exist
	KindConflict              // the command clashes with the current state or a concurrent change
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindForbidden:
		return "forbidden"
	case KindNotFound:
		return "not_found"
	case KindConflict:
		return "conflict"
	}
	return "internal"
}

// Rule names a rule of the domain (domain.md) or a state-machine check. Rule
// strings are a public contract (API problem documents, CLI output, docs):
// never rename or reuse one.
type Rule string

// Error is a domain error: its kind, the rule broken, the field at fault (if
// any), and a message that says what was wrong and how to fix it.
type Error struct {
	Kind    Kind
	Rule    Rule
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Rule != "" {
		return fmt.Sprintf("%s [%s]", e.Message, e.Rule)
	}
	return e.Message
}

// Errorf returns an *Error of kind k for rule r about field.
func Errorf(k Kind, r Rule, field, format string, args ...any) *Error {
	return &Error{Kind: k, Rule: r, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of err: the kind of the first *Error in its chain,
// or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// RuleOf returns the Rule of the first *Error in err's chain, or "".
func RuleOf(err error) Rule {
	var e *Error
	if errors.As(err, &e) {
		return e.Rule
	}
	return ""
}
