package app_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/app/apptest"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
)

func TestOpenWritesMetadataAndDeadline(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	res, err := f.svc.Open(ctx, app.Command{Actor: provider, CorrelationID: "corr-1"}, openReq())
	if err != nil {
		t.Fatal(err)
	}
	if res.TicketID == "" || res.Stream != "ticket-"+res.TicketID || res.Revision != 0 || !res.HasRevision || res.Position == 0 {
		t.Fatalf("result %+v", res)
	}
	if res.Deadline == nil || !res.Deadline.At.Equal(now0.Add(2*time.Hour)) {
		t.Fatalf("deadline %+v, want 2h after opening", res.Deadline)
	}
	if len(res.Events) != 1 {
		t.Fatalf("%d events", len(res.Events))
	}
	m := res.Events[0].Meta
	if m.Actor != provider || m.OnBehalfOf != "c1" || m.CorrelationID != "corr-1" || m.CausationID != "corr-1" ||
		!m.OccurredAt.Equal(now0) || !m.RecordedAt.Equal(now0) || m.PolicyVersion != res.Deadline.PolicyVersion || m.PolicyVersion == "" ||
		m.SchemaVersion != 1 || m.PrevHash != "" || len(m.Hash) != 64 {
		t.Fatalf("meta %+v", m)
	}

	// What is stored decodes to the same thing, and the chain grows.
	f.now = now0.Add(30 * time.Minute)
	r2 := must(t)(f.svc.Act(ctx, app.Command{Actor: vendor, OccurredAt: now0.Add(20 * time.Minute)}, res.TicketID, ticket.FirstResponse{Summary: "looking"}))
	if r2.Revision != 1 || r2.Events[0].Meta.PrevHash != m.Hash || !r2.Events[0].Meta.OccurredAt.Equal(now0.Add(20*time.Minute)) ||
		!r2.Events[0].Meta.RecordedAt.Equal(f.now) || r2.Events[0].Meta.OnBehalfOf != "" {
		t.Fatalf("first response %+v", r2.Events[0].Meta)
	}
	tk, rev, err := f.svc.Ticket(ctx, res.TicketID)
	if err != nil || rev != 1 {
		t.Fatal(rev, err)
	}
	if _, met, ok := tk.FirstResponse(); !ok || !met {
		t.Fatal("first response not recorded as met")
	}
	if err := f.svc.VerifyTicket(ctx, res.TicketID); err != nil {
		t.Fatal(err)
	}
}

func TestIdempotentRetry(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	cmd := app.Command{Actor: provider, IdempotencyKey: "open-42"}
	first := must(t)(f.svc.Open(ctx, cmd, openReq()))
	again := must(t)(f.svc.Open(ctx, cmd, openReq()))
	if !again.Replayed || again.TicketID != first.TicketID || again.Revision != first.Revision || again.Position != first.Position ||
		again.Events[0].Meta.EventID != first.Events[0].Meta.EventID || again.Deadline == nil || !again.Deadline.At.Equal(first.Deadline.At) {
		t.Fatalf("retry\n%+v\nfirst\n%+v", again, first)
	}
	if _, rev, _ := f.svc.Ticket(ctx, first.TicketID); rev != 0 {
		t.Fatalf("retry appended: revision %d", rev)
	}

	// A retry after the state moved on returns the original result instead
	// of the refusal a fresh run would now get.
	id := first.TicketID
	must(t)(f.svc.Act(ctx, app.Command{Actor: vendor}, id, ticket.FirstResponse{Summary: "hi"}))
	resolve := app.Command{Actor: vendor, IdempotencyKey: "resolve-1"}
	r1 := must(t)(f.svc.Act(ctx, resolve, id, ticket.Resolution{Text: "fixed"}))
	must(t)(f.svc.Act(ctx, app.Command{Actor: provider}, id, ticket.Closure{Reason: "done"}))
	r2, err := f.svc.Act(ctx, resolve, id, ticket.Resolution{Text: "fixed"})
	if err != nil {
		t.Fatalf("retry after close: %v", err)
	}
	if !r2.Replayed || r2.Revision != r1.Revision || r2.Events[0].Meta.EventID != r1.Events[0].Meta.EventID {
		t.Fatalf("retry %+v, first %+v", r2, r1)
	}
	// Without the key the same command is refused.
	if _, err := f.svc.Act(ctx, app.Command{Actor: vendor}, id, ticket.Resolution{Text: "fixed"}); domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("resolve a closed ticket: %v", err)
	}
}

// An idempotency key is scoped to the principal (id, role, partner): the
// same key from another principal opens another ticket — a fresh command,
// never the first principal's result and never a conflict that reveals it.
func TestIdempotencyKeyScopedToPrincipal(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	must(t)(f.svc.RegisterPartner(ctx, app.Command{Actor: system}, "p2", partner.Registration{Name: "Partner Two", Role: domain.RoleIndirectProvider, Email: "support@p2.example"}))
	must(t)(f.svc.LinkCustomer(ctx, app.Command{Actor: system}, "p2", partner.Link{CustomerID: "c2", Name: "Northwind", Domain: "northwind.example"}))
	first := must(t)(f.svc.Open(ctx, app.Command{Actor: provider, IdempotencyKey: "k-1"}, openReq()))
	other := domain.Actor{ID: provider.ID, Role: domain.RoleIndirectProvider, Partner: "p2"} // same id, other partner
	req := openReq()
	req.CustomerID, req.Contact.Organisation = "c2", "p2"
	second := must(t)(f.svc.Open(ctx, app.Command{Actor: other, IdempotencyKey: "k-1"}, req))
	if second.Replayed || second.TicketID == first.TicketID || len(second.Events) != 1 ||
		second.Events[0].Meta.EventID == first.Events[0].Meta.EventID || second.Events[0].Meta.Actor != other {
		t.Fatalf("same key, other principal:\n%+v\nfirst\n%+v", second, first)
	}
	// On one stream too: a note with the key of another principal's note
	// is a fresh note.
	n1 := must(t)(f.svc.Act(ctx, app.Command{Actor: provider, IdempotencyKey: "note-1"}, first.TicketID, ticket.Note{Text: "one"}))
	n2 := must(t)(f.svc.Act(ctx, app.Command{Actor: vendor, IdempotencyKey: "note-1"}, first.TicketID, ticket.Note{Text: "two"}))
	if n2.Replayed || n2.Revision != n1.Revision+1 || n2.Events[0].Meta.EventID == n1.Events[0].Meta.EventID {
		t.Fatalf("note with another principal's key: %+v after %+v", n2, n1)
	}
}

func TestIdempotentRetryRacingOriginal(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	id := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, openReq())).TicketID
	cmd := app.Command{Actor: provider, IdempotencyKey: "note-1"}
	// The twin of the command lands between our read and our append, a
	// second later (so with other metadata).
	var twin app.Result
	f.store.beforeAppend = func(string) {
		f.now = now0.Add(time.Second)
		twin = must(t)(f.svc.Act(ctx, cmd, id, ticket.Note{Text: "hello"}))
	}
	res, err := f.svc.Act(ctx, cmd, id, ticket.Note{Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision != 1 || len(res.Events) != 1 || res.Events[0].Meta.Hash != twin.Events[0].Meta.Hash || !res.Replayed {
		t.Fatalf("result %+v, twin %+v", res, twin)
	}
	if _, rev, _ := f.svc.Ticket(ctx, id); rev != 1 {
		t.Fatalf("note appended twice: revision %d", rev)
	}
}

func TestConflicts(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	id := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, openReq())).TicketID
	must(t)(f.svc.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "one"}))

	stale := uint64(0)
	_, err := f.svc.Act(ctx, app.Command{Actor: provider, ExpectedRevision: &stale}, id, ticket.Note{Text: "two"})
	var ce *app.ConflictError
	if !errors.As(err, &ce) || !ce.HasCurrent || ce.Current != 1 || ce.Expected != 0 {
		t.Fatalf("stale expected revision: %v", err)
	}
	if domain.KindOf(err) != domain.KindConflict || domain.RuleOf(err) != app.RuleStaleRevision {
		t.Fatalf("kind %v rule %v", domain.KindOf(err), domain.RuleOf(err))
	}
	fresh := uint64(1)
	if r := must(t)(f.svc.Act(ctx, app.Command{Actor: provider, ExpectedRevision: &fresh}, id, ticket.Note{Text: "two"})); r.Revision != 2 {
		t.Fatalf("revision %d", r.Revision)
	}

	// A concurrent writer between read and append.
	f.store.beforeAppend = func(string) { must(t)(f.svc.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "sneaky"})) }
	_, err = f.svc.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "late"})
	if !errors.As(err, &ce) || ce.Current != 3 || ce.Expected != 2 {
		t.Fatalf("race: %v", err)
	}
}

func TestRefusalsCarryTheRule(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	id := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, openReq())).TicketID
	cases := []struct {
		name string
		run  func() (app.Result, error)
		kind domain.Kind
		rule domain.Rule
	}{
		{"auditor", func() (app.Result, error) {
			return f.svc.Act(ctx, app.Command{Actor: auditor}, id, ticket.Note{Text: "x"})
		}, domain.KindForbidden, domain.RuleAuditorReadOnly},
		{"phone", func() (app.Result, error) {
			r := openReq()
			r.Channel = ticket.ChannelPhone
			return f.svc.Open(ctx, app.Command{Actor: provider}, r)
		}, domain.KindInvalid, domain.RuleNoPhoneChannel},
		{"unknown ticket", func() (app.Result, error) {
			return f.svc.Act(ctx, app.Command{Actor: provider}, "0b3f6d4e-0000-4000-8000-000000000001", ticket.Note{Text: "x"})
		}, domain.KindNotFound, domain.RuleTicketNotFound},
		{"bad ticket id", func() (app.Result, error) {
			return f.svc.Act(ctx, app.Command{Actor: provider}, "nope", ticket.Note{Text: "x"})
		}, domain.KindInvalid, domain.RuleRequiredField},
		{"unregistered filer", func() (app.Result, error) {
			a := provider
			a.Partner = "p9"
			r := openReq()
			r.Contact.Organisation = "p9"
			return f.svc.Open(ctx, app.Command{Actor: a}, r)
		}, domain.KindNotFound, domain.RulePartnerNotFound},
		{"other customer on behalf", func() (app.Result, error) {
			return f.svc.Act(ctx, app.Command{Actor: provider, OnBehalfOf: "c2"}, id, ticket.Note{Text: "x"})
		}, domain.KindInvalid, domain.RuleRequiredField},
		{"ticket exists", func() (app.Result, error) {
			r := openReq()
			r.TicketID = id
			return f.svc.Open(ctx, app.Command{Actor: provider}, r)
		}, domain.KindConflict, domain.RuleTicketExists},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.run()
			if domain.KindOf(err) != tc.kind || domain.RuleOf(err) != tc.rule {
				t.Fatalf("err %v: kind %v rule %q, want %v %q", err, domain.KindOf(err), domain.RuleOf(err), tc.kind, tc.rule)
			}
		})
	}
	if _, rev, _ := f.svc.Ticket(ctx, id); rev != 0 {
		t.Fatalf("refusals appended: revision %d", rev)
	}
}

func TestResellerAzureAccess(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	req := apptest.OnboardReseller(t, f.svc)
	if _, err := f.svc.Open(ctx, app.Command{Actor: reseller}, req); domain.RuleOf(err) != domain.RuleResellerAzureNeedsGrant {
		t.Fatalf("without grant: %v", err)
	}
	g := must(t)(f.svc.GrantAzureAccess(ctx, app.Command{Actor: provider}, "r1", "c7"))
	if g.PartnerID != "r1" || g.Events[0].Meta.OnBehalfOf != "c7" {
		t.Fatalf("grant %+v", g)
	}
	res := must(t)(f.svc.Open(ctx, app.Command{Actor: reseller}, req))
	p, _, err := f.svc.Partner(ctx, "r1")
	if err != nil || !p.HasAzureAccess("c7") {
		t.Fatal("grant not visible", err)
	}
	must(t)(f.svc.RevokeAzureAccess(ctx, app.Command{Actor: provider}, "r1", "c7", "contract ended"))
	req.TicketID = ""
	if _, err := f.svc.Open(ctx, app.Command{Actor: reseller}, req); domain.RuleOf(err) != domain.RuleResellerAzureNeedsGrant {
		t.Fatalf("after revoke: %v", err)
	}
	// The provider files for its reseller's customer by naming the reseller.
	req.ResellerID = "r1"
	req.Contact = ticket.Contact{Name: "Alice", Email: "alice@p1.example", Organisation: "p1"}
	if _, err := f.svc.Open(ctx, app.Command{Actor: provider}, req); err != nil {
		t.Fatalf("provider for reseller's customer: %v", err)
	}
	_ = res
}

func TestChangeSeverityReturnsDeadline(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	r := openReq()
	r.Severity = domain.SeverityC
	id := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, r)).TicketID
	f.now = now0.Add(time.Hour)
	res := must(t)(f.svc.Act(ctx, app.Command{Actor: provider}, id, ticket.SeverityChange{To: domain.SeverityA, Reason: "production down now"}))
	if res.Deadline == nil || !res.Deadline.At.Equal(now0.Add(2*time.Hour)) || res.Events[0].Meta.PolicyVersion == "" {
		t.Fatalf("deadline %+v meta %+v", res.Deadline, res.Events[0].Meta)
	}
}

func TestEvidence(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	id := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, openReq())).TicketID
	last := must(t)(f.svc.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "a note"}))
	ev, err := f.svc.ExportEvidence(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Verified || ev.Problem != nil || len(ev.Events) != 2 || ev.LastHash != last.Events[0].Meta.Hash || ev.LastRev != 1 || ev.HashScheme != codec.HashTag {
		t.Fatalf("evidence %+v", ev)
	}
	f.store.tamper = func(evs []eventstore.RecordedEvent) {
		for i := range evs {
			if evs[i].Revision == 1 {
				evs[i].Data = []byte(`{"text":"another note"}`)
			}
		}
	}
	ev, err = f.svc.ExportEvidence(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Verified || ev.Problem == nil || ev.Problem.Revision != 1 {
		t.Fatalf("tampered evidence %+v", ev)
	}
	if err := f.svc.VerifyTicket(ctx, id); !errors.Is(err, codec.ErrChainBroken) {
		t.Fatalf("verify tampered: %v", err)
	}
	if _, err := f.svc.ExportEvidence(ctx, "0b3f6d4e-0000-4000-8000-000000000009"); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("unknown ticket: %v", err)
	}
}

func TestWritePathReadsTheHeadOnly(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	id := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, openReq())).TicketID
	stream := "ticket-" + id
	f.store.takeReads()

	// A command on a stream the service holds reads the stream's last event
	// (to check the cache), appends, and reads nothing after the append,
	// even with an idempotency key.
	var before []readCall
	f.store.beforeAppend = func(string) { before = f.store.takeReads() }
	r := must(t)(f.svc.Act(ctx, app.Command{Actor: provider, IdempotencyKey: "note-1"}, id, ticket.Note{Text: "one"}))
	if after := f.store.takeReads(); len(after) != 0 {
		t.Fatalf("reads after the append: %+v", after)
	}
	if len(before) != 1 || before[0].stream != stream || before[0].dir != eventstore.Backwards || !before[0].from.IsEnd() || before[0].count != 1 {
		t.Fatalf("reads before the append: %+v, want the last event of %s", before, stream)
	}
	if r.Revision != 1 || r.Replayed {
		t.Fatalf("result %+v", r)
	}

	// Open under an id made just now reads the filer's last event only: no
	// stream can have the id (the append still expects no stream).
	f.store.beforeAppend = func(string) { before = f.store.takeReads() }
	must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, openReq()))
	if len(before) != 1 || before[0].stream != "partner-p1" || before[0].count != 1 {
		t.Fatalf("reads of an open: %+v, want the last event of partner-p1", before)
	}
	if after := f.store.takeReads(); len(after) != 0 {
		t.Fatalf("reads after the open's append: %+v", after)
	}
	// Under an idempotency key the id is the key's, which a first run may
	// have used: the new ticket's stream is read, then the filer's.
	f.store.beforeAppend = func(string) { before = f.store.takeReads() }
	keyed := must(t)(f.svc.Open(ctx, app.Command{Actor: provider, IdempotencyKey: "open-1"}, openReq()))
	if len(before) != 2 || before[0].stream != "ticket-"+keyed.TicketID || before[0].count != 1 || before[1].stream != "partner-p1" {
		t.Fatalf("reads of an open under a key: %+v", before)
	}
	f.store.takeReads()

	// Another process reads the stream whole, each read sized to it.
	must(t)(f.svc.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "two"}))
	f.store.takeReads()
	other := f.service(t, f.store, app.Config{})
	if r := must(t)(other.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "three"})); r.Revision != 3 {
		t.Fatalf("revision %d, want 3", r.Revision)
	}
	reads := f.store.takeReads()
	if len(reads) != 2 || reads[0].count != 1 || reads[1].dir != eventstore.Forwards || reads[1].count != 2 || reads[1].got != 2 {
		t.Fatalf("reads of a stream of 3 events: %+v, want its last event, then the 2 before", reads)
	}
}

func TestCacheCatchesUpWithAnotherWriter(t *testing.T) {
	onBothStores(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a, b, id := f.twoProcesses(t)
		fromB := must(t)(b.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "from b"}))

		// a holds the ticket at revision 0; it reads on from there.
		r := must(t)(a.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "from a"}))
		if r.Revision != 2 || r.Events[0].Meta.PrevHash != fromB.Events[0].Meta.Hash {
			t.Fatalf("a after b: revision %d prev hash %q, want 2 and %q", r.Revision, r.Events[0].Meta.PrevHash, fromB.Events[0].Meta.Hash)
		}
		if recs, err := a.Recorded(ctx, id); err != nil || len(recs) != 3 || recs[1].Meta.Hash != fromB.Events[0].Meta.Hash {
			t.Fatalf("a's view: %d records, %v", len(recs), err)
		}

		// b writes between a's read and a's append: the store refuses a's
		// append, and a's next command sees b's event.
		var sneaky app.Result
		f.store.beforeAppend = func(string) {
			sneaky = must(t)(b.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "sneaky"}))
		}
		_, err := a.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "late"})
		var ce *app.ConflictError
		if !errors.As(err, &ce) || ce.Expected != 2 || ce.Current != 3 {
			t.Fatalf("race: %v", err)
		}
		r = must(t)(a.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "late"}))
		if r.Revision != 4 || r.Events[0].Meta.PrevHash != sneaky.Events[0].Meta.Hash {
			t.Fatalf("after the conflict: revision %d prev hash %q, want 4 and %q", r.Revision, r.Events[0].Meta.PrevHash, sneaky.Events[0].Meta.Hash)
		}

		// An expected revision is checked against the stream as it is, not
		// as cached.
		must(t)(b.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "b again"}))
		seen := uint64(4)
		_, err = a.Act(ctx, app.Command{Actor: provider, ExpectedRevision: &seen}, id, ticket.Note{Text: "x"})
		if !errors.As(err, &ce) || ce.Current != 5 {
			t.Fatalf("stale expected revision: %v", err)
		}
		if err := a.VerifyTicket(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, rev, err := b.Ticket(ctx, id); err != nil || rev != 5 {
			t.Fatalf("b's view: revision %d, %v", rev, err)
		}
	})
}

func TestPartnerFactsCountAtOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a, b := f.svc, f.service(t, f.store.Store, app.Config{})
	req := apptest.OnboardReseller(t, a)
	if _, err := a.Open(ctx, app.Command{Actor: reseller}, req); domain.RuleOf(err) != domain.RuleResellerAzureNeedsGrant {
		t.Fatalf("without grant: %v", err)
	}
	// Another process grants and revokes; a's next open counts each at once.
	must(t)(b.GrantAzureAccess(ctx, app.Command{Actor: provider}, "r1", "c7"))
	if _, err := a.Open(ctx, app.Command{Actor: reseller}, req); err != nil {
		t.Fatalf("after the grant: %v", err)
	}
	must(t)(b.RevokeAzureAccess(ctx, app.Command{Actor: provider}, "r1", "c7", "contract ended"))
	if _, err := a.Open(ctx, app.Command{Actor: reseller}, req); domain.RuleOf(err) != domain.RuleResellerAzureNeedsGrant {
		t.Fatalf("after the revocation: %v", err)
	}
	// So does a grant of a that lands between two opens of a.
	must(t)(a.GrantAzureAccess(ctx, app.Command{Actor: provider}, "r1", "c7"))
	if _, err := a.Open(ctx, app.Command{Actor: reseller}, req); err != nil {
		t.Fatalf("after the second grant: %v", err)
	}
	// A customer linked by another process to the provider counts too.
	must(t)(b.LinkCustomer(ctx, app.Command{Actor: provider}, "p1", partner.Link{CustomerID: "c9", Name: "Woodgrove", Domain: "woodgrove.example"}))
	req = openReq()
	req.CustomerID = "c9"
	if _, err := a.Open(ctx, app.Command{Actor: provider}, req); err != nil {
		t.Fatalf("for a customer linked by another process: %v", err)
	}
}

func TestIdempotentRetryRacingTwinInAnotherProcess(t *testing.T) {
	onBothStores(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a, b, id := f.twoProcesses(t)
		cmd := app.Command{Actor: provider, IdempotencyKey: "note-1"}
		// The twin runs in another process between a's read and a's append,
		// a second later: same event id, other metadata. The store
		// deduplicates a's append; a returns the twin's result.
		var twin app.Result
		f.store.beforeAppend = func(string) {
			f.now = now0.Add(time.Second)
			twin = must(t)(b.Act(ctx, cmd, id, ticket.Note{Text: "hello"}))
		}
		res, err := a.Act(ctx, cmd, id, ticket.Note{Text: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Replayed || res.Revision != 1 || len(res.Events) != 1 || res.Events[0].Meta.Hash != twin.Events[0].Meta.Hash ||
			!res.Events[0].Meta.RecordedAt.Equal(twin.Events[0].Meta.RecordedAt) || res.Position != twin.Position {
			t.Fatalf("result %+v, twin %+v", res, twin)
		}
		if _, rev, _ := a.Ticket(ctx, id); rev != 1 {
			t.Fatalf("note appended twice: revision %d", rev)
		}
		// a's view of the stream is the stored one.
		next := must(t)(a.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "after"}))
		if next.Revision != 2 || next.Events[0].Meta.PrevHash != twin.Events[0].Meta.Hash {
			t.Fatalf("after the twin: %+v", next.Events[0].Meta)
		}
		if err := a.VerifyTicket(ctx, id); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIdempotentRetryConflictFindsTwin(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a, b, id := f.twoProcesses(t)
	cmd := app.Command{Actor: provider, IdempotencyKey: "note-2"}
	// Between a's read and append, another note and then the twin land: a's
	// append conflicts (another event where a's was to go), and a finds the
	// twin further on.
	var twin app.Result
	f.store.beforeAppend = func(string) {
		must(t)(b.Act(ctx, app.Command{Actor: vendor}, id, ticket.Note{Text: "other"}))
		twin = must(t)(b.Act(ctx, cmd, id, ticket.Note{Text: "hello"}))
	}
	res, err := a.Act(ctx, cmd, id, ticket.Note{Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Replayed || res.Revision != 2 || twin.Revision != 2 || res.Events[0].Meta.Hash != twin.Events[0].Meta.Hash {
		t.Fatalf("result %+v, twin %+v", res, twin)
	}
	// Without a key the same race is a conflict.
	f.store.beforeAppend = func(string) { must(t)(b.Act(ctx, app.Command{Actor: vendor}, id, ticket.Note{Text: "other"})) }
	var ce *app.ConflictError
	if _, err := a.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: "hello"}); !errors.As(err, &ce) || ce.Expected != 2 || ce.Current != 3 {
		t.Fatalf("race without a key: %v", err)
	}
}

func TestDeletedStreamIsNotServedFromCache(t *testing.T) {
	// The ledger never deletes a stream, but a KurrentDB client of the
	// store (through infra/kurrentwire, or of the cluster) may.
	f := setup(t)
	st := f.store.Store.(*pebblestore.Store)
	ctx := context.Background()
	res := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, openReq()))
	must(t)(f.svc.Act(ctx, app.Command{Actor: provider}, res.TicketID, ticket.Note{Text: "one"}))
	if _, err := st.Delete(ctx, res.Stream, eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Act(ctx, app.Command{Actor: provider}, res.TicketID, ticket.Note{Text: "two"}); domain.RuleOf(err) != domain.RuleTicketNotFound {
		t.Fatalf("note on a deleted ticket: %v", err)
	}
	// The stream starts again, its numbering going on.
	again := openReq()
	again.TicketID = res.TicketID
	r := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, again))
	if recs, err := f.svc.Recorded(ctx, res.TicketID); err != nil || len(recs) != 1 || r.Revision != 2 || recs[0].Revision != 2 {
		t.Fatalf("reopened stream: revision %d, %d records, %v", r.Revision, len(recs), err)
	}
	if _, err := st.Tombstone(ctx, res.Stream, eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Ticket(ctx, res.TicketID); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("tombstoned ticket: %v", err)
	}
}

func TestConcurrentCommands(t *testing.T) {
	for _, events := range []int{-1, 3, 0} {
		t.Run(fmt.Sprintf("cache=%d", events), func(t *testing.T) {
			f := setup(t)
			ctx := context.Background()
			svc := f.service(t, f.store, app.Config{CacheEvents: events})
			id := must(t)(svc.Open(ctx, app.Command{Actor: provider}, openReq())).TicketID
			const workers, notes = 6, 8
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Go(func() {
					for n := 0; n < notes; {
						_, err := svc.Act(ctx, app.Command{Actor: provider}, id, ticket.Note{Text: fmt.Sprintf("note %d/%d", w, n)})
						var ce *app.ConflictError
						if errors.As(err, &ce) {
							continue
						}
						if err != nil {
							errs <- err
							return
						}
						n++
						if _, err := svc.Open(ctx, app.Command{Actor: provider}, openReq()); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			recs, err := svc.Recorded(ctx, id)
			if err != nil || len(recs) != 1+workers*notes {
				t.Fatalf("%d records, %v; want %d", len(recs), err, 1+workers*notes)
			}
			for i, r := range recs {
				if r.Revision != uint64(i) {
					t.Fatalf("record %d has revision %d", i, r.Revision)
				}
			}
			if err := svc.VerifyTicket(ctx, id); err != nil {
				t.Fatal(err)
			}
		})
	}
}
