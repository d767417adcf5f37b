package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/catalog"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/domain/subject"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
	"github.com/ticketledger/ticketledger/infra/subjects"
	"github.com/ticketledger/ticketledger/infra/tools/demo"
	"github.com/ticketledger/ticketledger/projections"
)

var now = time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)

// ledger opens an application service over a fresh embedded store whose
// clock is now.
func ledger(t *testing.T) (*app.Service, eventstore.Store) {
	t.Helper()
	store, err := pebblestore.Open(t.TempDir(), pebblestore.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	keys, err := subjects.OpenFileStore(t.TempDir()) // the contacts' personal data is sealed, as in the ledger
	if err != nil {
		t.Fatal(err)
	}
	svc, err := app.New(app.Config{Store: store, Now: func() time.Time { return now }, Subjects: keys})
	if err != nil {
		t.Fatal(err)
	}
	return svc, store
}

// history reads the whole log back, decoded.
func history(t *testing.T, store eventstore.Store) []domain.Recorded {
	t.Helper()
	raw, err := store.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllStart(), 1<<30, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.Recorded
	for _, r := range raw {
		if eventstore.IsSystemStream(r.StreamID) {
			continue
		}
		rec, err := codec.Decode(r)
		if err != nil {
			t.Fatalf("decode %s #%d: %v", r.StreamID, r.Revision, err)
		}
		out = append(out, rec)
	}
	return out
}

func TestGenerate200TicketsIntoTheLedger(t *testing.T) {
	svc, store := ledger(t)
	var calls, lastDone, lastTotal int
	clock := func() time.Time { return now }
	tokens := auth.NewTokens(store, auth.NewRegistry(clock), clock)
	sum, err := demo.Generate(context.Background(), svc, demo.Options{Seed: 42, Tickets: 200, Now: now, Tokens: tokens}, func(done, total int) {
		calls++
		lastDone, lastTotal = done, total
	})
	if err != nil {
		t.Fatalf("a command was refused: %v", err)
	}
	if sum.Tickets+sum.Redirects != 200 || sum.Redirects == 0 {
		t.Fatalf("tickets %d + redirects %d, want 200 with some redirects", sum.Tickets, sum.Redirects)
	}
	if calls == 0 || lastDone != lastTotal {
		t.Errorf("progress: %d calls, last %d/%d", calls, lastDone, lastTotal)
	}

	// Every event type of the catalog, in the stored log — the token
	// streams' (domain/principal) included: the generator issues a token
	// for every person it acts as, and revokes a rotated one.
	recs := history(t, store)
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.Type]++
	}
	for _, s := range catalog.All() {
		// ledger.*: written by the integrity layer (keyring, seals);
		// webhook.*: by the webhook service and its dispatcher (infra/webhook
		// tests each); neither by the generator.
		if strings.HasPrefix(s.Type, "ledger.") || strings.HasPrefix(s.Type, "webhook.") {
			if seen[s.Type] != 0 {
				t.Errorf("the generator wrote %d %s events", seen[s.Type], s.Type)
			}
			continue
		}
		if seen[s.Type] == 0 {
			t.Errorf("no %s event in the generated history", s.Type)
		}
		if seen[s.Type] != sum.Events[s.Type] {
			t.Errorf("%s: summary counts %d, log holds %d", s.Type, sum.Events[s.Type], seen[s.Type])
		}
	}
	t.Logf("%d events: %v", len(recs), seen)

	// Every locale, language, product, severity, class, channel and route.
	want := map[string]bool{}
	for _, l := range []string{"sv-SE", "de-DE", "ja-JP", "en-GB", "en-US", "en", "sv", "de", "ja",
		"azure", "office365", "dynamics365", "ems", "billing", "A", "B", "C", "break_fix", "non_critical",
		"web", "email", "api", "customer", "own", "partner_center", "customer_portal", "azure_support_group",
		"azure_portal_direct", "admin_center_direct"} {
		want[l] = false
	}
	mark := func(ss ...string) {
		for _, s := range ss {
			if _, ok := want[s]; ok {
				want[s] = true
			}
		}
	}
	var late, occurredBeforeRecorded, tokenEvents int
	lastOccurred := map[string]time.Time{}
	for _, r := range recs {
		if strings.HasPrefix(r.Stream, principal.StreamPrefix) || strings.HasPrefix(r.Stream, subject.StreamPrefix) {
			// Tokens are issued now, and erasures done now, not
			// backdated: occurred = recorded.
			tokenEvents++
			if !r.Meta.OccurredAt.Equal(r.Meta.RecordedAt) {
				t.Errorf("%s %s: occurred %s, recorded %s", r.Stream, r.Type, r.Meta.OccurredAt, r.Meta.RecordedAt)
			}
			continue
		}
		if o, ok := r.Event.(ticket.Opened); ok {
			mark(o.Locale, o.Language, string(o.Product), string(o.Severity), string(o.Class), string(o.Channel), string(o.Context), string(o.Route))
		}
		if r.Meta.OccurredAt.Before(r.Meta.RecordedAt) {
			occurredBeforeRecorded++
		}
		if prev, ok := lastOccurred[r.Stream]; ok && r.Meta.OccurredAt.Before(prev) {
			late++ // entered after events that happened later
		}
		if r.Meta.OccurredAt.After(lastOccurred[r.Stream]) {
			lastOccurred[r.Stream] = r.Meta.OccurredAt
		}
		if r.Meta.OccurredAt.After(now) || r.Meta.OccurredAt.Before(now.Add(-demo.DefaultWindow-2*time.Hour)) {
			t.Errorf("%s %s occurred at %s, outside the window", r.Stream, r.Type, r.Meta.OccurredAt)
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("no ticket with %q", k)
		}
	}
	if late == 0 || occurredBeforeRecorded != len(recs)-tokenEvents {
		t.Errorf("late entries %d, backdated %d of %d", late, occurredBeforeRecorded, len(recs)-tokenEvents)
	}

	// SLA mix: about 5–10% of first responses breach.
	v := projections.NewTickets(projections.TicketsOptions{})
	for _, r := range recs {
		v.Apply(r)
	}
	var met, breached, open, atRisk, breachedOpen int
	v.EachSLA(func(x projections.SLAFacts) {
		switch {
		case x.Responded && x.Met:
			met++
		case x.Responded:
			breached++
		case x.Open && now.After(x.Deadline):
			breachedOpen++
		case x.Open && x.Deadline.Sub(now) <= x.Target/4:
			atRisk++
		}
		if x.Open {
			open++
		}
	})
	if atRisk == 0 || breachedOpen == 0 {
		t.Errorf("backlog at now: %d at risk, %d breached unanswered; want some of each", atRisk, breachedOpen)
	}
	rate := float64(breached) / float64(met+breached)
	t.Logf("first responses: %d met, %d breached (%.1f%%); %d open, %d at risk, %d breached unanswered", met, breached, 100*rate, open, atRisk, breachedOpen)
	if rate < 0.03 || rate > 0.15 {
		t.Errorf("breach rate %.1f%%, want about 5–10%%", 100*rate)
	}
	if open == 0 {
		t.Error("no ticket is open at the end of the window")
	}
}

func TestGenerateIsDeterministicAndIdempotent(t *testing.T) {
	run := func(svc *app.Service) demo.Summary {
		sum, err := demo.Generate(context.Background(), svc, demo.Options{Seed: 7, Tickets: 40, Now: now}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	svc1, store1 := ledger(t)
	svc2, store2 := ledger(t)
	s1, s2 := run(svc1), run(svc2)
	h1, h2 := history(t, store1), history(t, store2)
	if len(h1) != len(h2) || s1.Commands != s2.Commands {
		t.Fatalf("two runs differ: %d vs %d events, %d vs %d commands", len(h1), len(h2), s1.Commands, s2.Commands)
	}
	for i := range h1 {
		if !sameStream(h1[i].Stream, h2[i].Stream) || h1[i].Type != h2[i].Type || !h1[i].Meta.OccurredAt.Equal(h2[i].Meta.OccurredAt) {
			t.Fatalf("event %d differs: %s %s vs %s %s", i, h1[i].Stream, h1[i].Type, h2[i].Stream, h2[i].Type)
		}
	}
	// Again on the same ledger: everything is replayed, nothing appended.
	s3 := run(svc1)
	if s3.Replayed != s3.Commands {
		t.Errorf("rerun: %d of %d commands replayed", s3.Replayed, s3.Commands)
	}
	if n := len(history(t, store1)); n != len(h1) {
		t.Errorf("rerun appended %d events", n-len(h1))
	}
}

// sameStream: the same stream in two runs; an erasure stream is named by
// its subject's id, random by design (never derived from the e-mail), so
// two runs agree on its category only.
func sameStream(a, b string) bool {
	if strings.HasPrefix(a, subject.StreamPrefix) {
		return strings.HasPrefix(b, subject.StreamPrefix)
	}
	return a == b
}

func TestGenerateRefusesBadOptions(t *testing.T) {
	svc, _ := ledger(t)
	if _, err := demo.Generate(context.Background(), svc, demo.Options{}, nil); err == nil {
		t.Error("no Now accepted")
	}
	if _, err := demo.Generate(context.Background(), svc, demo.Options{Now: now, Window: 40 * 24 * time.Hour}, nil); err == nil {
		t.Error("a 40-day window accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := demo.Generate(ctx, svc, demo.Options{Now: now, Tickets: 5}, nil); err == nil {
		t.Error("a cancelled context ran to the end")
	}
}

// TestGenerateAnySeedAndWindow: no seed, size or window makes a command that
// the ledger refuses.
func TestGenerateAnySeedAndWindow(t *testing.T) {
	windows := []time.Duration{6 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, demo.MaxWindow}
	for seed := uint64(1); seed <= 16; seed++ {
		svc, _ := ledger(t)
		w := windows[seed%uint64(len(windows))]
		if _, err := demo.Generate(context.Background(), svc, demo.Options{Seed: seed * 1001, Tickets: 30 + int(seed)*5, Now: now, Window: w}, nil); err != nil {
			t.Fatalf("seed %d, window %s: %v", seed*1001, w, err)
		}
	}
}

// TestEveryHistoryHasABreachedSevA: whatever the seed and the clock, the
// history holds a Sev A request that breached its first-response deadline —
// the console's first find for a newcomer (README, The console).
func TestEveryHistoryHasABreachedSevA(t *testing.T) {
	for seed := range uint64(6) {
		at := now
		svc, store := ledger(t)
		if _, err := demo.Generate(context.Background(), svc, demo.Options{Seed: seed, Tickets: 20, Now: at}, nil); err != nil {
			t.Fatal(err)
		}
		v := projections.NewTickets(projections.TicketsOptions{})
		for _, r := range history(t, store) {
			v.Apply(r)
		}
		found := false
		v.EachSLA(func(x projections.SLAFacts) {
			if x.Severity == domain.SeverityA && (x.Responded && !x.Met || !x.Responded && x.Open && at.After(x.Deadline)) {
				found = true
			}
		})
		if !found {
			t.Errorf("seed %d, now %s: no breached Sev A ticket in the history", seed, at.Format(time.RFC3339))
		}
	}
}
