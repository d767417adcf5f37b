package server

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestQueriesWaitForMinPosition: a query with minPosition answers once the
// read models hold that position (read your own writes through any
// replica), and past the await timeout answers 503 not-caught-up with
// Retry-After rather than a stale view; a malformed one is a 400.
func TestQueriesWaitForMinPosition(t *testing.T) {
	var e *env
	e = newEnv(t, func(c *Config) {
		c.AwaitTimeout = 200 * time.Millisecond
		c.AwaitApplied = func(ctx context.Context, pos uint64) error {
			for e.tickets.Position() < pos {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(5 * time.Millisecond):
				}
			}
			return nil
		}
	})
	id := e.seed()
	head := e.head(t).Commit
	path := "/v1/tickets/" + id + "?minPosition="
	e.must(http.StatusOK, e.do("GET", path+strconv.FormatUint(head, 10), auditorH, nil))
	r := e.must(http.StatusServiceUnavailable, e.do("GET", path+strconv.FormatUint(head+1, 10), auditorH, nil))
	if p := r.problem(t); p.Rule != string(RuleNotCaughtUp) || p.Field != "minPosition" || r.h.Get("Retry-After") == "" {
		t.Fatalf("behind minPosition: %+v, Retry-After %q", p, r.h.Get("Retry-After"))
	}
	if p := e.must(http.StatusBadRequest, e.do("GET", "/v1/audit?minPosition=soon", auditorH, nil)).problem(t); p.Field != "minPosition" {
		t.Fatalf("malformed minPosition: %+v", p)
	}
}
