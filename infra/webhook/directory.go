package webhook

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// entry is one subscription as folded from its stream, with the position
// of its creation (it receives events after it only).
type entry struct {
	sub   *webhook.Subscription
	since uint64
	rev   uint64 // the last revision applied
}

// directory folds the subscription streams ("webhook-" + id) read from
// $all, forwards from where it last stopped.
type directory struct {
	mu   sync.RWMutex
	subs map[string]*entry
	pos  eventstore.Position
}

func newDirectory() *directory { return &directory{subs: map[string]*entry{}} }

var subscriptionFilter = &eventstore.Filter{On: eventstore.FilterStreamName, Prefixes: []string{webhook.StreamPrefix}}

// catchUp reads the subscription events after the last one applied, up to
// and including position upTo (0: the end of the log).
func (d *directory) catchUp(ctx context.Context, store eventstore.Store, upTo uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		from := eventstore.AllFrom(d.pos)
		raw, err := store.ReadAll(ctx, eventstore.Forwards, from, 512, subscriptionFilter)
		if err != nil {
			return fmt.Errorf("webhook subscriptions: %w", err)
		}
		n := 0
		for _, r := range raw {
			if r.Position == d.pos {
				continue // ReadAll includes from
			}
			if upTo != 0 && r.Position.Commit > upTo {
				return nil
			}
			n++
			if err := d.applyLocked(r); err != nil {
				return err
			}
		}
		if n == 0 {
			return nil
		}
	}
}

// apply folds one subscription event (one already applied is ignored).
func (d *directory) apply(r eventstore.RecordedEvent) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.applyLocked(r)
}

func (d *directory) applyLocked(r eventstore.RecordedEvent) error {
	if d.pos.Less(r.Position) {
		d.pos = r.Position
	}
	id, ok := strings.CutPrefix(r.StreamID, webhook.StreamPrefix)
	if !ok {
		return nil
	}
	rec, err := codec.Decode(r)
	if err != nil {
		return fmt.Errorf("webhook subscription %s: %w", id, err)
	}
	e := d.subs[id]
	if e == nil {
		if r.Revision != 0 {
			return nil // its start is not in view
		}
		e = &entry{sub: webhook.New(id), since: r.Position.Commit}
		d.subs[id] = e
	} else if r.Revision <= e.rev {
		return nil
	}
	e.sub.Apply(rec.Event)
	e.rev = r.Revision
	return nil
}

// get returns a copy of subscription id's entry.
func (d *directory) get(id string) (entry, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	e, ok := d.subs[id]
	if !ok {
		return entry{}, false
	}
	c := *e.sub
	return entry{sub: &c, since: e.since, rev: e.rev}, true
}

// all returns copies of every subscription's entry, by id.
func (d *directory) all() []entry {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]entry, 0, len(d.subs))
	for _, e := range d.subs {
		c := *e.sub
		out = append(out, entry{sub: &c, since: e.since, rev: e.rev})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].sub.ID() < out[j].sub.ID() })
	return out
}
