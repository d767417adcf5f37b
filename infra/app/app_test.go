package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/app/apptest"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
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
