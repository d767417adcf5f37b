package slawatch_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/app/apptest"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/projector"
	"github.com/ticketledger/ticketledger/infra/slawatch"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/pebbletest"
	"github.com/ticketledger/ticketledger/projections"
)

var (
	t0       = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ledgerA  = domain.Actor{ID: "ticketledger", Role: domain.RoleSystem, Auth: domain.AuthInternal}
	provider = apptest.Provider
	vendor   = apptest.Vendor
)

// clock is the tests' injectable clock, shared by every replica.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.set(t); return c }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) at(d time.Duration)  { c.set(t0.Add(d)) }

// replica is one serve process: its own service (and stream cache), read
// model and watcher, on the shared store.
type replica struct {
	svc     *app.Service
	tickets *projections.Tickets
	w       *slawatch.Watcher
	noticed atomic.Int64
}

func newReplica(t *testing.T, st eventstore.Store, c *clock) *replica {
	t.Helper()
	svc, err := app.New(app.Config{Store: st, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{svc: svc, tickets: projections.NewTickets(projections.TicketsOptions{})}
	r.w, err = slawatch.New(slawatch.Options{Source: r.tickets, Service: svc, Actor: ledgerA, Now: c.now,
		Noticed: func(string) { r.noticed.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// feed brings the replica's read model up to the store's head, as its
// projector would.
func (r *replica) feed(t *testing.T, st eventstore.Store) {
	t.Helper()
	recs, err := st.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllStart(), 100000, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range recs {
		if strings.HasPrefix(ev.StreamID, "$") {
			continue
		}
		rec, err := codec.Decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		r.tickets.Apply(rec)
	}
}

type fixture struct {
	st    eventstore.Store
	clock *clock
	r     *replica
}

func setup(t *testing.T) *fixture {
	t.Helper()
	st := pebbletest.Open(t)
	f := &fixture{st: st, clock: newClock(t0)}
	f.r = newReplica(t, st, f.clock)
	apptest.Onboard(t, f.r.svc, ledgerA)
	return f
}

var must = apptest.Must

// open files an English request of severity s at the clock's now (or
// backdated to occurredAt): its deadline is s's target later, 24x7.
func (f *fixture) open(t *testing.T, s domain.Severity, occurredAt time.Time) app.Result {
	t.Helper()
	return must(t)(f.r.svc.Open(context.Background(), app.Command{Actor: provider, OccurredAt: occurredAt}, app.OpenTicket{OpenRequest: ticket.OpenRequest{
		Context: ticket.ContextCustomer, CustomerID: "c1", Product: ticket.ProductAzure, Severity: s,
		Title: "VMs down", Channel: ticket.ChannelWeb, Route: ticket.RoutePartnerCenter,
		Contact:  ticket.Contact{Name: "Alice", Email: "alice@p1.example", Organisation: "p1"},
		Language: "en", Locale: "en-US",
	}}))
}

func (f *fixture) act(t *testing.T, who domain.Actor, id string, a ticket.Action) {
	t.Helper()
	must(t)(f.r.svc.Act(context.Background(), app.Command{Actor: who}, id, a))
}

// notices returns the ticket's sla_noticed events as stored.
func (f *fixture) notices(t *testing.T, id string) []ticket.SLANoticed {
	t.Helper()
	recs, err := f.r.svc.Recorded(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []ticket.SLANoticed
	for _, r := range recs {
		if n, ok := r.Event.(ticket.SLANoticed); ok {
			if r.Meta.Actor != ledgerA || !r.Meta.RecordedAt.Equal(n.NoticedAt) || !r.Meta.OccurredAt.Equal(n.NoticedAt) ||
				r.Meta.PolicyVersion != n.Deadline.PolicyVersion || r.Meta.PolicyVersion == "" {
				t.Errorf("notice %s: meta %+v (want the system, recorded and occurred at noticedAt %v, the deadline's policy)", n.Notice, r.Meta, n.NoticedAt)
			}
			out = append(out, n)
		}
	}
	return out
}

func kinds(ns []ticket.SLANoticed) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Notice
	}
	return out
}

func poll(r *replica) time.Time { return r.w.Poll(context.Background()) }

// unseenThenSeen moves the clock to t0+at, past instants the watcher
// scheduled for before a change it has not seen yet, and polls: the domain
// must refuse those notices as stale (none recorded, even polled twice).
// Then the replica sees the change; it returns the next notice due.
func (f *fixture) unseenThenSeen(t *testing.T, id string, at time.Duration, what string) time.Time {
	t.Helper()
	f.clock.at(at)
	poll(f.r)
	poll(f.r)
	if ns := f.notices(t, id); len(ns) != 0 {
		t.Fatalf("stale notices on %s: %v", what, kinds(ns))
	}
	f.r.feed(t, f.st)
	return poll(f.r)
}

func TestNoticesAtRiskThenBreach(t *testing.T) {
	f := setup(t)
	res := f.open(t, domain.SeverityA, time.Time{}) // due t0+2h, at risk from t0+1h30 (a quarter of 2h left)
	f.r.feed(t, f.st)
	f.r.w.Start()
	if next := poll(f.r); !next.Equal(t0.Add(90 * time.Minute)) {
		t.Fatalf("next notice due %v, want the at-risk instant %v", next, t0.Add(90*time.Minute))
	}
	f.clock.at(89 * time.Minute)
	poll(f.r)
	if ns := f.notices(t, res.TicketID); len(ns) != 0 {
		t.Fatalf("notices before the at-risk instant: %v", kinds(ns))
	}
	f.clock.at(90*time.Minute + 200*time.Millisecond)
	poll(f.r)
	f.r.feed(t, f.st)
	next := poll(f.r)
	if !next.After(res.Deadline.At) || next.Sub(res.Deadline.At) > time.Millisecond {
		t.Fatalf("after the at-risk notice the next is due %v, want just after the deadline %v", next, res.Deadline.At)
	}
	f.clock.set(res.Deadline.At) // at the deadline itself nothing is breached yet
	poll(f.r)
	f.clock.add(700 * time.Millisecond)
	poll(f.r)
	ns := f.notices(t, res.TicketID)
	if len(ns) != 2 || ns[0].Notice != ticket.NoticeAtRisk || ns[1].Notice != ticket.NoticeBreached {
		t.Fatalf("notices %v, want at_risk then breached", kinds(ns))
	}
	if late := ns[1].NoticedAt.Sub(res.Deadline.At); late <= 0 || late > time.Second {
		t.Errorf("breach noticed %v after the deadline, want within the 1 s tolerance", late)
	}
	if !ns[1].Deadline.At.Equal(res.Deadline.At) || ns[1].Deadline.Clock != res.Deadline.Clock || ns[1].Deadline.PolicyVersion != res.Deadline.PolicyVersion {
		t.Errorf("breach notice names deadline %+v, want the ticket's %+v", ns[1].Deadline, *res.Deadline)
	}
	if got := f.r.noticed.Load(); got != 2 {
		t.Errorf("Noticed called %d times, want 2", got)
	}

	// The read model shows when the partner was told, and the history says it.
	f.r.feed(t, f.st)
	v, _ := f.r.tickets.Get(res.TicketID)
	if v.BreachNoticedAt == nil || !v.BreachNoticedAt.Equal(ns[1].NoticedAt) || v.AtRiskNoticedAt == nil || !v.AtRiskNoticedAt.Equal(ns[0].NoticedAt) {
		t.Errorf("ticket view: breachNoticedAt %v, atRiskNoticedAt %v; want %v, %v", v.BreachNoticedAt, v.AtRiskNoticedAt, ns[1].NoticedAt, ns[0].NoticedAt)
	}
	recs, _ := f.r.svc.Recorded(context.Background(), res.TicketID)
	h := projections.History(recs, nil)
	if last := h[len(h)-1]; !strings.HasPrefix(last.Summary, "breach noticed at "+ns[1].NoticedAt.Format(time.RFC3339Nano)) {
		t.Errorf("history: %q", last.Summary)
	}
	if f.r.w.Len() != 0 {
		t.Errorf("%d notices still scheduled after the breach notice", f.r.w.Len())
	}
	f.clock.add(time.Hour)
	poll(f.r)
	if ns := f.notices(t, res.TicketID); len(ns) != 2 {
		t.Errorf("notices after the breach: %v", kinds(ns))
	}
}

func TestMovedDeadlineLeavesNoStaleNotice(t *testing.T) {
	f := setup(t)
	res := f.open(t, domain.SeverityA, time.Time{}) // due t0+2h
	f.r.feed(t, f.st)
	f.r.w.Start()
	poll(f.r)

	// The severity drops to C (due t0+8h) and the watcher has not seen it
	// yet when the old at-risk and breach instants pass: the domain refuses
	// both as stale.
	f.clock.at(time.Hour)
	f.act(t, provider, res.TicketID, ticket.SeverityChange{To: domain.SeverityC, Reason: "a workaround holds"})
	// Once it sees the change it reschedules for the new deadline.
	if next := f.unseenThenSeen(t, res.TicketID, 2*time.Hour+time.Second, "the moved deadline"); !next.Equal(t0.Add(6 * time.Hour)) {
		t.Fatalf("next notice due %v, want the new at-risk instant %v", next, t0.Add(6*time.Hour))
	}
	f.clock.at(8*time.Hour + time.Second)
	poll(f.r)
	ns := f.notices(t, res.TicketID)
	if len(ns) != 1 || ns[0].Notice != ticket.NoticeBreached || !ns[0].Deadline.At.Equal(t0.Add(8*time.Hour)) || ns[0].Deadline.Severity != domain.SeverityC {
		t.Fatalf("notices %+v, want one breach of the severity C deadline (the at-risk instant passed unpolled)", ns)
	}
}

func TestRaisedSeverityReschedulesEarlier(t *testing.T) {
	f := setup(t)
	res := f.open(t, domain.SeverityC, time.Time{}) // due t0+8h
	f.r.feed(t, f.st)
	f.r.w.Start()
	if next := poll(f.r); !next.Equal(t0.Add(6 * time.Hour)) {
		t.Fatalf("next %v", next)
	}
	f.clock.at(30 * time.Minute)
	f.act(t, provider, res.TicketID, ticket.SeverityChange{To: domain.SeverityA, Reason: "production down"})
	f.r.feed(t, f.st)
	if next := poll(f.r); !next.Equal(t0.Add(90 * time.Minute)) {
		t.Fatalf("after raising to A the next notice is due %v, want %v", next, t0.Add(90*time.Minute))
	}
}

func TestResponseBeforeDeadlineNoBreach(t *testing.T) {
	f := setup(t)
	res := f.open(t, domain.SeverityA, time.Time{})
	f.r.feed(t, f.st)
	f.r.w.Start()
	poll(f.r)
	f.clock.at(time.Hour)
	f.act(t, vendor, res.TicketID, ticket.FirstResponse{Summary: "looking"})
	// Seen: nothing scheduled.
	if next := f.unseenThenSeen(t, res.TicketID, 2*time.Hour+time.Second, "an answered ticket"); !next.IsZero() || f.r.w.Len() != 0 {
		t.Fatalf("answered ticket still scheduled (next %v, %d timers)", next, f.r.w.Len())
	}
}

func TestTwoWatchersRecordOneNotice(t *testing.T) {
	f := setup(t)
	r2 := newReplica(t, f.st, f.clock)
	var ids []string
	for range 8 {
		ids = append(ids, f.open(t, domain.SeverityA, time.Time{}).TicketID)
	}
	for _, r := range []*replica{f.r, r2} {
		r.feed(t, f.st)
		r.w.Start()
		poll(r)
	}
	// Both fire every breach at the same moment.
	f.clock.at(2*time.Hour + time.Second)
	var wg sync.WaitGroup
	for _, r := range []*replica{f.r, r2} {
		wg.Go(func() { poll(r) })
	}
	wg.Wait()
	// And again, each before seeing the other's notices.
	poll(f.r)
	poll(r2)
	for _, id := range ids {
		if ns := f.notices(t, id); len(ns) != 1 || ns[0].Notice != ticket.NoticeBreached {
			t.Errorf("ticket %s: notices %v, want one breach", id, kinds(ns))
		}
	}
	if n1, n2 := f.r.noticed.Load(), r2.noticed.Load(); n1+n2 != int64(len(ids)) {
		t.Errorf("replicas counted %d + %d notices, want %d in all", n1, n2, len(ids))
	}
}

func TestRestartNoticesMissedDeadlines(t *testing.T) {
	f := setup(t)
	res := f.open(t, domain.SeverityA, time.Time{})
	closed := f.open(t, domain.SeverityA, time.Time{})
	f.clock.at(10 * time.Minute)
	f.act(t, vendor, closed.TicketID, ticket.Resolution{Text: "fixed"})
	f.act(t, provider, closed.TicketID, ticket.Closure{Reason: "confirmed"})

	// The ledger was down from before the at-risk instant to t0+5h; a new
	// process starts.
	f.clock.at(5 * time.Hour)
	r := newReplica(t, f.st, f.clock)
	r.feed(t, f.st)
	r.w.Start()
	poll(r)
	ns := f.notices(t, res.TicketID)
	if len(ns) != 1 || ns[0].Notice != ticket.NoticeBreached || !ns[0].NoticedAt.Equal(t0.Add(5*time.Hour)) {
		t.Fatalf("notices %+v, want one breach noticed at the startup time %v (not at the deadline)", ns, t0.Add(5*time.Hour))
	}
	if ns := f.notices(t, closed.TicketID); len(ns) != 0 {
		t.Errorf("closed ticket noticed: %v", kinds(ns))
	}
}

func TestHistoryIsNotNoticed(t *testing.T) {
	f := setup(t)
	f.clock.at(24 * time.Hour)
	old := f.open(t, domain.SeverityA, t0.Add(20*time.Hour))                  // recorded 2h after its deadline: history
	recent := f.open(t, domain.SeverityA, t0.Add(22*time.Hour-2*time.Minute)) // passed 2 min before it was recorded: still noticed
	live := f.open(t, domain.SeverityA, t0.Add(24*time.Hour-110*time.Minute)) // at risk already
	f.r.feed(t, f.st)
	f.r.w.Start()
	poll(f.r)
	if ns := f.notices(t, old.TicketID); len(ns) != 0 {
		t.Errorf("a deadline that passed long before it was recorded got notices: %v", kinds(ns))
	}
	if ns := f.notices(t, recent.TicketID); len(ns) != 1 || ns[0].Notice != ticket.NoticeBreached {
		t.Errorf("a deadline that just passed: notices %v, want one breach", kinds(ns))
	}
	if ns := f.notices(t, live.TicketID); len(ns) != 1 || ns[0].Notice != ticket.NoticeAtRisk {
		t.Errorf("a deadline at risk: notices %v, want at_risk", kinds(ns))
	}
}

// TestRunNoticesOnTime runs the watcher's own loop on a clock that moves
// with real time, fed by a real projector: the breach is recorded within
// the tolerance of the deadline passing.
func TestRunNoticesOnTime(t *testing.T) {
	f := setup(t)
	start := time.Now()
	var jump atomic.Int64
	now := func() time.Time { return t0.Add(time.Since(start) + time.Duration(jump.Load())) }
	svc, err := app.New(app.Config{Store: f.st, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	f.r.svc = svc
	res := f.open(t, domain.SeverityA, time.Time{})
	tickets := projections.NewTickets(projections.TicketsOptions{})
	run, err := projector.New(projector.Options{Store: f.st, Decode: codec.Decode, Projections: []projections.Projection{tickets}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	w, err := slawatch.New(slawatch.Options{Source: tickets, Service: svc, Actor: ledgerA, Now: now, Ready: run.Ready()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go run.Run(ctx)
	go w.Run(ctx)

	// Jump to 300 ms before the deadline.
	jump.Store(int64(res.Deadline.At.Sub(now()) - 300*time.Millisecond))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if v, _ := tickets.Get(res.TicketID); v.BreachNoticedAt != nil {
			late := v.BreachNoticedAt.Sub(res.Deadline.At)
			if late <= 0 || late > 1500*time.Millisecond {
				t.Fatalf("breach noticed %v after the deadline, want within 1.5 s", late)
			}
			t.Logf("breach noticed %v after the deadline", late)
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no breach noticed 5 s after the deadline")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
