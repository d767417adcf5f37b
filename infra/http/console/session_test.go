package console

import (
	"errors"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/auth"
)

// A session ends at its TTL, after the idle timeout, and never outlives
// its credential's expiry.
func TestSessionLifetime(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	ss := newSessions(8*time.Hour, time.Hour, func() time.Time { return now })

	s := ss.create("secret", auth.Principal{ID: "a", ExpiresAt: now.Add(30 * time.Minute)})
	if !s.expires.Equal(now.Add(30 * time.Minute)) {
		t.Fatalf("expires %v: the session outlives its token", s.expires)
	}
	long := ss.create("secret2", auth.Principal{ID: "b"})
	if !long.expires.Equal(now.Add(8 * time.Hour)) {
		t.Fatalf("expires %v, want the TTL", long.expires)
	}
	now = now.Add(29 * time.Minute)
	if _, err := ss.get(s.id); err != nil {
		t.Fatalf("before the token's expiry: %v", err)
	}
	if _, err := ss.get(long.id); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if _, err := ss.get(s.id); !errors.Is(err, errSessionEnded) {
		t.Fatalf("at the token's expiry: %v", err)
	}
	if _, err := ss.get(s.id); !errors.Is(err, errNoSession) {
		t.Fatalf("an ended session is dropped: %v", err)
	}
	// Idle: each request moves the idle deadline on.
	now = now.Add(58 * time.Minute)
	if _, err := ss.get(long.id); err != nil {
		t.Fatalf("within the idle timeout: %v", err)
	}
	now = now.Add(time.Hour)
	if _, err := ss.get(long.id); !errors.Is(err, errSessionEnded) {
		t.Fatalf("after an idle hour: %v", err)
	}
	if s.csrf == long.csrf || len(s.id) < 40 {
		t.Fatalf("session ids and CSRF tokens must be random and long: %q %q", s.id, s.csrf)
	}
}
