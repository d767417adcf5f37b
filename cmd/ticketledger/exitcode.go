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
	exitInvalid         = 3
	exitNotFound        = 4
	exitConflict        = 5 // stale revision or illegal transition
	exitRefused         = 6 // forbidden by a domain rule
	exitUnreachable     = 7
	exitUnauthenticated = 8 // no token, a refused token (401) or too many failed attempts (429)
)

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
