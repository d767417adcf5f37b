package app_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/subject"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/subjects"
)

var admin = domain.Actor{ID: "ops@vendor.example", Role: domain.RoleAdmin, Auth: domain.AuthToken}

// personalFixture is a fixture whose service seals contacts with a key store.
func personalFixture(t *testing.T) (*fixture, *subjects.FileStore) {
	t.Helper()
	f := setup(t)
	keys, err := subjects.OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.svc = f.service(t, f.store, app.Config{Subjects: keys})
	return f, keys
}

func openedContact(t *testing.T, recs []domain.Recorded) ticket.Contact {
	t.Helper()
	for _, r := range recs {
		if o, ok := r.Event.(ticket.Opened); ok {
			return o.Contact
		}
	}
	t.Fatal("no ticket.opened in the stream")
	return ticket.Contact{}
}

// The contact's name, e-mail and phone are stored sealed: the raw stream
// holds neither of them, Recorded opens them, and after Forget they read as
// erased while the stream's bytes, chain and all, are unchanged.
func TestContactIsSealedAndForgotten(t *testing.T) {
	f, keys := personalFixture(t)
	ctx := context.Background()
	req := openReq()
	req.Contact = ticket.Contact{Name: "Zoë Quill", Email: "Zoe.Quill@p1.example", Phone: "+46 70 123 45 67", Organisation: "p1"}
	res := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, req))

	raw, err := f.store.Store.ReadStream(ctx, res.Stream, eventstore.Forwards, eventstore.StreamStart(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Zoë", "Quill", "quill", "123 45 67"} {
		if bytes.Contains(raw[0].Data, []byte(secret)) || bytes.Contains(raw[0].Metadata, []byte(secret)) {
			t.Fatalf("the stored event holds %q in plaintext: %s", secret, raw[0].Data)
		}
	}
	recs, err := f.svc.Recorded(ctx, res.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if c := openedContact(t, recs); c.Name != "Zoë Quill" || c.Email != "Zoe.Quill@p1.example" || c.Phone != "+46 70 123 45 67" || c.Organisation != "p1" {
		t.Fatalf("Recorded contact = %+v", c)
	}
	id, ok, err := keys.Lookup("zoe.quill@p1.example")
	if err != nil || !ok {
		t.Fatalf("no subject for the contact: %v", err)
	}
	if !bytes.Contains(raw[0].Data, []byte(id)) {
		t.Fatalf("the payload does not name subject %s: %s", id, raw[0].Data)
	}

	// A second ticket by the same contact uses the same subject.
	req2 := openReq()
	req2.Contact = ticket.Contact{Name: "Zoë Quill", Email: "zoe.quill@p1.example", Organisation: "p1"}
	res2 := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, req2))

	er, err := f.svc.Forget(ctx, app.Command{Actor: admin}, "ZOE.QUILL@p1.example", "erasure request 2026-17")
	if err != nil {
		t.Fatal(err)
	}
	if er.SubjectID != id || len(er.Events) != 1 || er.Stream != subject.Stream(id) {
		t.Fatalf("Forget = %+v", er)
	}
	if e, ok := er.Events[0].Event.(subject.Erased); !ok || e.SubjectID != id || e.ErasedBy != admin.ID || e.Reason != "erasure request 2026-17" {
		t.Fatalf("erasure event %#v", er.Events[0].Event)
	}
	for _, tid := range []string{res.TicketID, res2.TicketID} {
		recs, err := f.svc.Recorded(ctx, tid)
		if err != nil {
			t.Fatal(err)
		}
		c := openedContact(t, recs)
		if c.Name != app.ErasedValue || c.Email != app.ErasedValue || c.Organisation != "p1" {
			t.Fatalf("after Forget the contact reads %+v", c)
		}
		if tid == res.TicketID && c.Phone != app.ErasedValue {
			t.Fatalf("after Forget the phone reads %q", c.Phone)
		}
	}
	after, err := f.store.Store.ReadStream(ctx, res.Stream, eventstore.Forwards, eventstore.StreamStart(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after[0].Data, raw[0].Data) || !bytes.Equal(after[0].Metadata, raw[0].Metadata) {
		t.Fatal("Forget changed the stored ticket event")
	}
	if err := codec.Verify(after); err != nil {
		t.Fatalf("the chain no longer verifies after Forget: %v", err)
	}
	// The erasure event names the subject only.
	erasure, err := f.store.Store.ReadStream(ctx, subject.Stream(id), eventstore.Forwards, eventstore.StreamStart(), 10)
	if err != nil || len(erasure) != 1 {
		t.Fatalf("erasure stream: %v, %d events", err, len(erasure))
	}
	if bytes.Contains(bytes.ToLower(erasure[0].Data), []byte("quill")) {
		t.Fatalf("the erasure event holds the e-mail: %s", erasure[0].Data)
	}

	// Forgetting again: a conflict, nothing appended; by id or e-mail.
	head, _ := f.store.Store.Head(ctx)
	if _, err := f.svc.Forget(ctx, app.Command{Actor: admin}, id, ""); domain.RuleOf(err) != domain.RuleSubjectErased {
		t.Fatalf("second Forget by id: %v, want %s", err, domain.RuleSubjectErased)
	}
	if _, err := f.svc.Forget(ctx, app.Command{Actor: admin}, "zoe.quill@p1.example", ""); domain.RuleOf(err) != domain.RuleSubjectNotFound {
		t.Fatalf("second Forget by e-mail: %v, want %s (the e-mail no longer leads anywhere)", err, domain.RuleSubjectNotFound)
	}
	if h, _ := f.store.Store.Head(ctx); h != head {
		t.Fatalf("a refused Forget appended: head %v → %v", head, h)
	}
}

// Unknown subjects, malformed ids and the wrong roles are refused with
// their rule, and nothing is appended.
func TestForgetRefusals(t *testing.T) {
	f, _ := personalFixture(t)
	ctx := context.Background()
	res := must(t)(f.svc.Open(ctx, app.Command{Actor: provider}, openReq()))
	head, _ := f.store.Store.Head(ctx)
	cases := []struct {
		who   string
		actor domain.Actor
		rule  domain.Rule
		kind  domain.Kind
	}{
		{"nobody@p1.example", admin, domain.RuleSubjectNotFound, domain.KindNotFound},
		{"sub-00000000000000000000000000000000", admin, domain.RuleSubjectNotFound, domain.KindNotFound},
		{"../../etc/passwd", admin, domain.RuleSubjectNotFound, domain.KindNotFound},
		{"", admin, domain.RuleRequiredField, domain.KindInvalid},
		{"alice@p1.example", auditor, domain.RuleAuditorReadOnly, domain.KindForbidden},
		{"alice@p1.example", vendor, domain.RuleRoleNotAllowed, domain.KindForbidden},
		{"alice@p1.example", provider, domain.RuleRoleNotAllowed, domain.KindForbidden},
	}
	for _, c := range cases {
		_, err := f.svc.Forget(ctx, app.Command{Actor: c.actor}, c.who, "")
		if domain.RuleOf(err) != c.rule || domain.KindOf(err) != c.kind {
			t.Errorf("Forget(%q) as %s: %v, want %s (%s)", c.who, c.actor.Role, err, c.rule, c.kind)
		}
	}
	if h, _ := f.store.Store.Head(ctx); h != head {
		t.Fatalf("a refused Forget appended: head %v → %v", head, h)
	}
	// The contact is intact.
	recs, err := f.svc.Recorded(ctx, res.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if c := openedContact(t, recs); c.Email != "alice@p1.example" {
		t.Fatalf("contact after refused Forgets: %+v", c)
	}
}

// Two services on one log, each with its own key store on one shared key
// directory (two replicas): both have the contact's key in memory after
// reading the ticket; once one forgets the contact, the other reads it as
// erased on its very next read, and a new ticket by the same e-mail there
// gets a new subject.
func TestForgetReachesTheOtherServiceAtOnce(t *testing.T) {
	f := setup(t)
	dir := t.TempDir()
	open := func() *subjects.FileStore {
		keys, err := subjects.OpenFileStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	a := f.service(t, f.store, app.Config{Subjects: open()})
	b := f.service(t, f.store, app.Config{Subjects: open()})
	ctx := context.Background()
	req := openReq()
	req.Contact = ticket.Contact{Name: "Zoë Quill", Email: "zoe.quill@p1.example", Organisation: "p1"}
	res := must(t)(a.Open(ctx, app.Command{Actor: provider}, req))
	read := func(svc *app.Service, tid string) ticket.Contact {
		t.Helper()
		recs, err := svc.Recorded(ctx, tid)
		if err != nil {
			t.Fatal(err)
		}
		return openedContact(t, recs)
	}
	for _, svc := range []*app.Service{a, b} {
		if c := read(svc, res.TicketID); c.Name != "Zoë Quill" {
			t.Fatalf("before Forget the contact reads %+v", c)
		}
	}
	res2 := must(t)(b.Open(ctx, app.Command{Actor: provider}, req)) // b's Subject path is cached too
	er, err := a.Forget(ctx, app.Command{Actor: admin}, "zoe.quill@p1.example", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tid := range []string{res.TicketID, res2.TicketID} {
		for name, svc := range map[string]*app.Service{"the forgetting service": a, "the other service": b} {
			if c := read(svc, tid); c.Name != app.ErasedValue || c.Email != app.ErasedValue {
				t.Fatalf("after Forget, %s reads %+v", name, c)
			}
		}
	}
	res3 := must(t)(b.Open(ctx, app.Command{Actor: provider}, req))
	if c := read(a, res3.TicketID); c.Email != "zoe.quill@p1.example" {
		t.Fatalf("a new ticket after the erasure reads %+v", c)
	}
	raw, err := f.store.Store.ReadStream(ctx, res3.Stream, eventstore.Forwards, eventstore.StreamStart(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw[0].Data, []byte(er.SubjectID)) {
		t.Fatalf("a ticket filed after the erasure is sealed for the erased subject %s", er.SubjectID)
	}
}
