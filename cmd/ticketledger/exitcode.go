package main

import (
	"errors"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/http/client"
)

// Exit codes (the package doc and the README list them).
const (
	exitOK              = 0
	exitInternal        = 1 // server or internal error
	exitUsage           = 2 // a command-line mistake
	exitInvalid         = 3 // invalid input, a rule about its content among them
	exitNotFound        = 4
	exitConflict        = 5 // stale revision or illegal transition
	exitRefused         = 6 // forbidden: a rule about who may act (role, tenancy, entitlement)
	exitUnreachable     = 7
	exitUnauthenticated = 8 // no token, a refused token (401) or too many failed attempts (429)
)

// exitClass is one exit code and the failures that end in it.
type exitClass struct {
	code int
	name string
	when string
}

// exitClasses is the one mapping of failures to exit codes, by the kind of
// the error (the HTTP status of the ledger's problem document) and not by
// its rule: a rule about the input's content (no-phone-channel) is invalid
// input like any other, a rule about who may act (auditor-read-only) is
// forbidden. The README's table is checked against it.
var exitClasses = []exitClass{
	{exitOK, "success", "the command did what it says"},
	{exitInternal, "internal", "a server or internal error (HTTP 5xx), a verification that failed, a local file that could not be written"},
	{exitUsage, "usage", "a command-line mistake: an unknown command or flag, a missing or extra argument, a bad flag value; nothing was sent"},
	{exitInvalid, "invalid input", "the ledger refused the input (HTTP 400, 422): malformed, or breaking a rule about its content (`no-phone-channel`, `required-field`, `escalation-needs-reason-and-criteria`, `invalid-cursor`), or an ambiguous ticket id prefix; fix the input and retry"},
	{exitNotFound, "not found", "HTTP 404: no such ticket, partner or token, or no ticket starts with the prefix given"},
	{exitConflict, "conflict", "HTTP 409, 412: a stale `--expected-revision`, a command that does not apply in the ticket's status (`invalid-transition`); read the ticket again"},
	{exitRefused, "forbidden", "HTTP 403: a rule forbids this actor doing it, by role, tenancy or entitlement (`auditor-read-only`, `role-not-allowed`, `not-own-ticket`, `dynamics-needs-asfp`); act as someone allowed to, or obtain the entitlement"},
	{exitUnreachable, "unreachable", "the server could not be reached (`--server`)"},
	{exitUnauthenticated, "not authenticated", "HTTP 401 (no token, a refused, expired or revoked one) or 429 (too many failed attempts)"},
}

// exitCode is the exit code for err, a failed call of the HTTP client
// (*client.Error, by the kind of its problem) or a domain error (by kind).
// Usage errors are recognised by runIO before.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		if ce.Unavailable {
			return exitUnreachable
		}
		if ce.Problem.Status == 401 || ce.Problem.Status == 429 {
			return exitUnauthenticated
		}
		return kindCode(ce.Kind())
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return kindCode(de.Kind)
	}
	return exitInternal
}

func kindCode(k domain.Kind) int {
	switch k {
	case domain.KindInvalid:
		return exitInvalid
	case domain.KindNotFound:
		return exitNotFound
	case domain.KindConflict:
		return exitConflict
	case domain.KindForbidden:
		return exitRefused
	}
	return exitInternal
}
