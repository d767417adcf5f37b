package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// TestStoreFaults: a store refusing appends for a full disk answers 503
// store-full with Retry-After while reads go on and /readyz says degraded;
// a damaged file answers 500 store-damaged, a failed store 503
// store-failed; none leaks the store's own message.
func TestStoreFaults(t *testing.T) {
	var degraded error
	e := newEnv(t, func(c *Config) { c.Degraded = func() error { return degraded } })
	id := e.seed()
	e.catchUp()

	full := fmt.Errorf("append to ticket-x: %w: /srv/data has 1.0 MiB free", eventstore.ErrNoSpace)
	e.reads.appendErr.Store(&full)
	degraded = full
	r := e.must(503, e.do("POST", "/v1/tickets", prov, openBody()))
	p := r.problem(t)
	if p.Rule != string(RuleStoreFull) || p.Type != "urn:ticketledger:rule:store-full" || r.h.Get("Retry-After") != "30" ||
		!strings.Contains(p.Detail, "disk is full") || strings.Contains(p.Detail, "/srv/data") {
		t.Fatalf("append on a full disk: %+v, Retry-After %q", p, r.h.Get("Retry-After"))
	}
	e.must(200, e.do("GET", "/v1/tickets/"+id, prov, nil))
	var h Health
	e.must(200, e.do("GET", "/readyz", nil, nil)).json(t, &h)
	if h.Status != "degraded" || !strings.Contains(h.Detail, "1.0 MiB free") {
		t.Fatalf("readyz while full: %+v", h)
	}

	damaged := fmt.Errorf("read stream ticket-x: %w", errors.Join(eventstore.ErrDamaged, errors.New("/srv/data/000006.sst: checksum mismatch")))
	e.reads.appendErr.Store(&damaged)
	r = e.must(500, e.do("POST", "/v1/tickets", prov, openBody()))
	if p := r.problem(t); p.Rule != string(RuleStoreDamaged) || strings.Contains(p.Detail, "000006") || r.h.Get("Retry-After") != "" {
		t.Fatalf("append over a damaged file: %+v", p)
	}

	failed := fmt.Errorf("append: %w: restart", eventstore.ErrFailed)
	e.reads.appendErr.Store(&failed)
	r = e.must(503, e.do("POST", "/v1/tickets", prov, openBody()))
	if p := r.problem(t); p.Rule != string(RuleStoreFailed) || r.h.Get("Retry-After") != "60" {
		t.Fatalf("append on a failed store: %+v", p)
	}

	e.reads.appendErr.Store(nil)
	degraded = nil
	e.must(201, e.do("POST", "/v1/tickets", prov, openBody()))
	h = Health{}
	e.must(200, e.do("GET", "/readyz", nil, nil)).json(t, &h)
	if h.Status != "ready" || h.Detail != "" {
		t.Fatalf("readyz after the fault: %+v", h)
	}
}
