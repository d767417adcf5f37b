package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	dw "github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/infratest"
	"github.com/ticketledger/ticketledger/infra/webhook"
)

// The test vector of the Standard Webhooks specification's libraries.
func TestSignatureSpecVector(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	key, _ := strings.CutPrefix(secret, "whsec_")
	raw := mustB64(t, key)
	got := webhook.Signature([][]byte{raw}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
	if s := webhook.FormatSecret(raw); s != secret {
		t.Errorf("FormatSecret = %s, want %s", s, secret)
	}
}

func TestDeliveriesSignedTenantScopedInOrder(t *testing.T) {
	ctx := context.Background()
	f := setup(t, contoso, ticket.TypeOpened, ticket.TypeEscalated, dw.TypeSLABreached)
	st, svc, rcv, sub := f.st, f.svc, f.rcv, f.sub
	if !strings.HasPrefix(sub.Secret, "whsec_") || sub.Partner != "contoso" {
		t.Fatalf("created %+v", sub)
	}

	tk := newTickets(t, st)
	mine := tk.open("contoso")
	theirs := tk.open("fabrikam")
	tk.add(mine, escalate(1))
	tk.add(theirs, escalate(1))
	tk.add(mine, ticket.NoteAdded{Text: "not subscribed"})
	tk.notice(mine, "at_risk") // not subscribed: only breaches
	tk.notice(mine, "breached")
	tk.imported(mine) // history from another desk: never delivered
	tk.add(mine, escalate(2))

	start(t, fastConfig(st, "a"))
	infratest.WaitFor(t, "4 deliveries", func() bool { return len(rcv.received()) >= 4 })
	time.Sleep(200 * time.Millisecond) // anything more would be wrong
	got := rcv.received()
	if len(rcv.bad) > 0 {
		t.Fatalf("signatures that did not verify: %v", rcv.bad)
	}
	var types []string
	var seqs []uint64
	for _, g := range got {
		if g.Body.Data.TicketID != mine {
			t.Errorf("delivered %s of ticket %s, another partner's", g.Body.Type, g.Body.Data.TicketID)
		}
		if g.Sequence != g.Body.Data.Sequence {
			t.Errorf("sequence header %d, body %d", g.Sequence, g.Body.Data.Sequence)
		}
		types, seqs = append(types, g.Body.Type), append(seqs, g.Sequence)
	}
	if want := []string{ticket.TypeOpened, ticket.TypeEscalated, dw.TypeSLABreached, ticket.TypeEscalated}; !slices.Equal(types, want) {
		t.Errorf("types %v, want %v", types, want)
	}
	if want := []uint64{1, 2, 5, 7}; !slices.Equal(seqs, want) {
		t.Errorf("sequences %v, want %v (the ticket's revisions + 1)", seqs, want)
	}
	if strings.Contains(string(got[0].Body.Data.Payload), "alice@") {
		t.Errorf("the opening's payload carries the contact: %s", got[0].Body.Data.Payload)
	}
	log, err := svc.Deliveries(ctx, contoso, sub.ID, 0)
	if err != nil || len(log) != 4 || log[0].Status != webhook.StatusDelivered || log[0].Attempts != 1 || log[0].HTTPStatus != http.StatusNoContent {
		t.Errorf("delivery log %+v %v", log, err)
	}
}

func TestRetryParkHoldReplaySkip(t *testing.T) {
	ctx := context.Background()
	f := setup(t, admin, ticket.TypeOpened, ticket.TypeEscalated)
	st, svc, rcv, sub := f.st, f.svc, f.rcv, f.sub
	var mu sync.Mutex
	down := "" // the ticket whose deliveries after its opening time out
	setDown := func(tk string) { mu.Lock(); down = tk; mu.Unlock() }
	rcv.setAnswer(func(id string, attempt int, b webhook.Body) int {
		mu.Lock()
		isDown := down != "" && down == b.Data.TicketID
		mu.Unlock()
		switch {
		case b.Data.Sequence == 1 && attempt < 3:
			return http.StatusServiceUnavailable // fails twice, then recovers
		case isDown && b.Data.Sequence >= 2:
			time.Sleep(500 * time.Millisecond) // longer than the attempt timeout
			return http.StatusGatewayTimeout
		}
		return http.StatusOK
	})
	tk := newTickets(t, st)
	a := tk.open("contoso")
	setDown(a)
	tk.add(a, escalate(1)) // sequence 2: times out every attempt, parked
	tk.add(a, escalate(2)) // sequence 3: held behind it
	b := tk.open("fabrikam")
	d, _ := start(t, fastConfig(st, "a"))

	infratest.WaitFor(t, "the other ticket's delivery", func() bool {
		return slices.ContainsFunc(rcv.received(), func(g got) bool { return g.Body.Data.TicketID == b })
	})
	var dead []webhook.DeliveryView
	infratest.WaitFor(t, "a parked delivery", func() bool {
		dead, _ = svc.DeadLetters(ctx, admin, sub.ID)
		return len(dead) == 1
	})
	if dead[0].TicketID != a || dead[0].Sequence != 2 || dead[0].Attempts != 3 || dead[0].Error == "" {
		t.Fatalf("dead letter %+v", dead[0])
	}
	var log []webhook.DeliveryView
	infratest.WaitFor(t, "the held delivery", func() bool {
		log, _ = svc.Deliveries(ctx, admin, sub.ID, 0)
		return slices.ContainsFunc(log, func(v webhook.DeliveryView) bool { return v.Status == webhook.StatusHeld })
	})
	if i := slices.IndexFunc(log, func(v webhook.DeliveryView) bool { return v.Sequence == 1 && v.TicketID == a }); i < 0 || log[i].Attempts != 3 || log[i].Status != webhook.StatusDelivered {
		t.Errorf("the first delivery, answered 503 twice, is not logged as delivered on attempt 3: %+v", log)
	}
	if i := slices.IndexFunc(log, func(v webhook.DeliveryView) bool { return v.Sequence == 3 }); i < 0 || log[i].Status != webhook.StatusHeld {
		t.Errorf("the later delivery of the parked ticket is not held: %+v", log)
	}
	if s := d.Stats(); s.Parked != 1 || s.Held != 1 || s.FailedAttempts < 5 || !s.Leader {
		t.Errorf("stats %+v", s)
	}
	// Later events of the parked ticket wait too; other tickets do not.
	tk.add(a, escalate(3))
	tk.add(b, escalate(1))
	infratest.WaitFor(t, "the other ticket's escalation", func() bool {
		return slices.ContainsFunc(rcv.received(), func(g got) bool { return g.Body.Data.TicketID == b && g.Sequence == 2 })
	})
	for _, g := range rcv.received() {
		if g.Body.Data.TicketID == a && g.Sequence > 1 {
			t.Fatalf("ticket %s's delivery %d went out while %d is parked", a, g.Sequence, 2)
		}
	}

	if _, err := svc.Replay(ctx, contoso, sub.ID, dead[0].DeliveryID); domain.KindOf(err) != domain.KindForbidden {
		t.Errorf("a partner replays: %v", err)
	}
	if _, err := svc.Skip(ctx, admin, sub.ID, "nope"); !isRule(err, domain.RuleDeliveryNotParked) {
		t.Errorf("skip of an unknown delivery: %v", err)
	}
	setDown("")
	if _, err := svc.Replay(ctx, admin, sub.ID, dead[0].DeliveryID); err != nil {
		t.Fatal(err)
	}
	infratest.WaitFor(t, "the parked and held deliveries", func() bool {
		n := 0
		for _, g := range rcv.received() {
			if g.Body.Data.TicketID == a {
				n++
			}
		}
		return n == 4
	})
	var seqs []uint64
	for _, g := range rcv.received() {
		if g.Body.Data.TicketID == a {
			seqs = append(seqs, g.Sequence)
		}
	}
	if !slices.Equal(seqs, []uint64{1, 2, 3, 4}) {
		t.Errorf("ticket %s delivered as %v, want in order 1 2 3 4", a, seqs)
	}
	if dead, _ := svc.DeadLetters(ctx, admin, sub.ID); len(dead) != 0 {
		t.Errorf("dead letters after the replay: %+v", dead)
	}

	// Park again, and skip: the held one goes on.
	c := tk.open("contoso")
	setDown(c)
	tk.add(c, escalate(1))
	tk.add(c, escalate(2))
	infratest.WaitFor(t, "a second parked delivery", func() bool {
		dead, _ = svc.DeadLetters(ctx, admin, sub.ID)
		return len(dead) == 1
	})
	setDown("")
	if _, err := svc.Skip(ctx, admin, sub.ID, dead[0].DeliveryID); err != nil {
		t.Fatal(err)
	}
	infratest.WaitFor(t, "the delivery held behind the skipped one", func() bool {
		return slices.ContainsFunc(rcv.received(), func(g got) bool { return g.Body.Data.TicketID == c && g.Sequence == 3 })
	})
	for _, g := range rcv.received() {
		if g.Body.Data.TicketID == c && g.Sequence == 2 {
			t.Error("the skipped delivery was delivered")
		}
	}
}

func isRule(err error, r domain.Rule) bool {
	var de *domain.Error
	return errors.As(err, &de) && de.Rule == r
}

// fakeDNS resolves names from a table.
type fakeDNS map[string]string

func (f fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, errors.New("no such host")
}

func TestSSRFRefusals(t *testing.T) {
	ctx := context.Background()
	g := webhook.Guard{Resolver: fakeDNS{"rebind.example": "127.0.0.1", "hooks.example": "93.184.215.14"}}
	for _, u := range []string{"https://127.0.0.1/hook", "https://10.2.3.4/hook", "https://169.254.169.254/latest/meta-data",
		"https://rebind.example/hook", "https://[::1]/", "http://hooks.example/hook", "https://nowhere.example/"} {
		if _, err := g.Check(ctx, u); !isRule(err, domain.RuleWebhookURLRefused) {
			t.Errorf("Check(%s) = %v, want webhook-url-refused", u, err)
		}
	}
	if _, err := g.Check(ctx, "https://hooks.example/hook"); err != nil {
		t.Errorf("a public host is refused: %v", err)
	}

	// At delivery the connected address is checked, whatever the URL said
	// when subscribing: a name that now resolves to loopback, or a literal.
	rcv := newReceiver(t)
	port := rcv.srv.URL[strings.LastIndex(rcv.srv.URL, ":")+1:]
	c := g.Client(time.Second)
	for _, u := range []string{"http://rebind.example:" + port + "/", rcv.srv.URL} {
		_, err := c.Post(u, "application/json", strings.NewReader("{}"))
		if !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Errorf("POST %s: %v, want the address refused", u, err)
		}
	}
	if n := len(rcv.received()) + len(rcv.bad); n != 0 {
		t.Errorf("the receiver got %d requests", n)
	}

	// Redirects are not followed.
	redir := newReceiver(t)
	redir.srv.Config.Handler = http.RedirectHandler(rcv.srv.URL, http.StatusFound)
	resp, err := webhook.Guard{Unsafe: true}.Client(time.Second).Post(redir.srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Errorf("a redirect: %v %v, want the 302 itself", resp, err)
	}

	// A subscription made under the test-only setting, delivered by a
	// dispatcher without it: refused at the dial, and parked.
	st, svc := newService(t)
	sub, err := svc.Create(ctx, admin, dw.Creation{URL: rcv.srv.URL, Types: []string{ticket.TypeOpened}}, "")
	if err != nil {
		t.Fatal(err)
	}
	newTickets(t, st).open("contoso")
	cfg := fastConfig(st, "safe")
	cfg.Guard = webhook.Guard{}
	start(t, cfg)
	infratest.WaitFor(t, "the refused delivery parked", func() bool {
		dead, _ := svc.DeadLetters(ctx, admin, sub.ID)
		return len(dead) == 1 && strings.Contains(dead[0].Error, "refused")
	})
	if n := len(rcv.received()) + len(rcv.bad); n != 0 {
		t.Errorf("the receiver got %d requests", n)
	}
}

func TestSubscriptionTenancy(t *testing.T) {
	st, svc := newService(t)
	ctx := context.Background()
	mine, err := svc.Create(ctx, contoso, dw.Creation{URL: "http://127.0.0.1:1/a", Types: []string{ticket.TypeOpened}}, "")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := svc.Create(ctx, fabrik, dw.Creation{URL: "http://127.0.0.1:1/b", Types: []string{ticket.TypeOpened}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, contoso, dw.Creation{Partner: "fabrikam", URL: "http://127.0.0.1:1/c", Types: []string{ticket.TypeOpened}}, ""); !isRule(err, domain.RuleNotOwnPartner) {
		t.Errorf("subscribing to another partner's tickets: %v", err)
	}
	list, err := svc.List(ctx, contoso, false)
	if err != nil || len(list) != 1 || list[0].ID != mine.ID {
		t.Errorf("contoso lists %+v %v", list, err)
	}
	for name, f := range map[string]func() error{
		"get":         func() error { _, err := svc.Get(ctx, contoso, theirs.ID); return err },
		"rotate":      func() error { _, err := svc.RotateSecret(ctx, contoso, theirs.ID, 0); return err },
		"delete":      func() error { _, err := svc.Delete(ctx, contoso, theirs.ID, ""); return err },
		"deliveries":  func() error { _, err := svc.Deliveries(ctx, contoso, theirs.ID, 0); return err },
		"deadLetters": func() error { _, err := svc.DeadLetters(ctx, contoso, theirs.ID); return err },
	} {
		if err := f(); !isRule(err, domain.RuleSubscriptionNotFound) {
			t.Errorf("%s of another partner's subscription: %v, want subscription-not-found", name, err)
		}
	}
	if list, _ := svc.List(ctx, admin, false); len(list) != 2 {
		t.Errorf("the admin lists %d subscriptions", len(list))
	}
	if _, err := svc.List(ctx, domain.Actor{ID: "x", Role: domain.RoleAuditor}, false); domain.KindOf(err) != domain.KindForbidden {
		t.Errorf("an auditor lists subscriptions: %v", err)
	}
	// The audit trail: the subscription's own stream.
	if _, err := svc.Delete(ctx, contoso, mine.ID, "moved"); err != nil {
		t.Fatal(err)
	}
	recs, err := st.ReadStream(ctx, dw.Stream(mine.ID), 0, eventstoreStart(), 10)
	if err != nil || len(recs) != 2 || recs[0].Type != dw.TypeSubscribed || recs[1].Type != dw.TypeDeleted {
		t.Errorf("the subscription's stream: %v %v", recs, err)
	}
}

func TestRotationSignsWithBothSecrets(t *testing.T) {
	ctx := context.Background()
	f := setup(t, contoso, ticket.TypeOpened)
	st, svc, rcv, sub := f.st, f.svc, f.rcv, f.sub
	rot, err := svc.RotateSecret(ctx, contoso, sub.ID, time.Hour)
	if err != nil || rot.Secret == sub.Secret || rot.SecretGeneration != 2 {
		t.Fatalf("rotation: %+v %v", rot, err)
	}
	tk := newTickets(t, st)
	tk.open("contoso")
	start(t, fastConfig(st, "a"))
	for _, secret := range []string{sub.Secret, rot.Secret} {
		rcv.setSecrets(secret) // a receiver that knows only one of them
		n := len(rcv.received())
		tk.open("contoso")
		infratest.WaitFor(t, "a delivery verified with one secret", func() bool { return len(rcv.received()) > n })
	}
	if len(rcv.bad) > 0 {
		t.Errorf("refused: %v", rcv.bad)
	}
	for _, g := range rcv.received() {
		if g.Sigs != 2 {
			t.Errorf("a delivery in the overlap carries %d signatures, want 2", g.Sigs)
		}
	}
}

func TestTwoDispatchersDeliverOnceAndHandOver(t *testing.T) {
	f := setup(t, admin, ticket.TypeOpened, ticket.TypeEscalated)
	st, rcv := f.st, f.rcv
	a, stopA := start(t, fastConfig(st, "replica-a"))
	b, stopB := start(t, fastConfig(st, "replica-b"))
	tk := newTickets(t, st)
	var ids []string
	for range 10 {
		id := tk.open("contoso")
		tk.add(id, escalate(1))
		ids = append(ids, id)
	}
	infratest.WaitFor(t, "20 deliveries", func() bool { return len(rcv.received()) >= 20 })
	// Stop whichever holds the lease: the other takes over.
	first, stopFirst, other := a, stopA, b
	if b.Stats().Leader {
		first, stopFirst, other = b, stopB, a
	}
	if first.Stats().Leader == other.Stats().Leader {
		t.Fatalf("leaders: %v %v", a.Stats().Leader, b.Stats().Leader)
	}
	stopFirst()
	for _, id := range ids {
		tk.add(id, escalate(2))
	}
	infratest.WaitFor(t, "30 deliveries", func() bool { return len(rcv.received()) >= 30 })
	time.Sleep(300 * time.Millisecond)
	seen := map[string]int{}
	for _, g := range rcv.received() {
		seen[g.ID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s received %d times", id, n)
		}
	}
	if len(seen) != 30 {
		t.Errorf("%d distinct deliveries, want 30", len(seen))
	}
	if !other.Stats().Leader || other.Stats().Delivered == 0 {
		t.Errorf("the remaining dispatcher did not take over: %+v", other.Stats())
	}
}

func TestRestartResumesFromCheckpoint(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	ctx := context.Background()
	svc := webhook.NewService(st, nil, testKey, webhook.Guard{Unsafe: true}, nil)
	rcv := newReceiver(t)
	sub, err := svc.Create(ctx, admin, dw.Creation{URL: rcv.srv.URL, Types: []string{ticket.TypeOpened}}, "")
	if err != nil {
		t.Fatal(err)
	}
	rcv.setSecrets(sub.Secret)
	tk := newTickets(t, st)
	for range 3 {
		tk.open("contoso")
	}
	_, stop := start(t, fastConfig(st, "before"))
	infratest.WaitFor(t, "3 deliveries", func() bool { return len(rcv.received()) == 3 })
	stop()
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	tk.st = st
	for range 2 {
		tk.open("contoso")
	}
	start(t, fastConfig(st, "after"))
	infratest.WaitFor(t, "5 deliveries", func() bool { return len(rcv.received()) >= 5 })
	time.Sleep(300 * time.Millisecond)
	if n := len(rcv.received()); n != 5 {
		t.Errorf("%d deliveries after the restart, want 5 (no event delivered twice)", n)
	}
}

// TestCreateIdempotencyKey: a create retried under its Idempotency-Key
// answers the first subscription and secret again and subscribes nothing
// twice; the same key with another request is refused; another principal's
// use of the same key is its own subscription.
func TestCreateIdempotencyKey(t *testing.T) {
	_, svc := newService(t)
	ctx := context.Background()
	in := dw.Creation{URL: "http://127.0.0.1:1/a", Types: []string{ticket.TypeOpened}}
	first, err := svc.Create(ctx, contoso, in, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := svc.Create(ctx, contoso, in, "key-1")
	if err != nil || again.ID != first.ID || again.Secret != first.Secret {
		t.Fatalf("retry: %s %v, want %s with the first secret", again.ID, err, first.ID)
	}
	other := in
	other.URL = "http://127.0.0.1:1/b"
	if _, err := svc.Create(ctx, contoso, other, "key-1"); !isRule(err, app.RuleIdempotencyKeyReused) {
		t.Errorf("the key with another request: %v, want %s", err, app.RuleIdempotencyKeyReused)
	}
	second, err := svc.Create(ctx, contoso, in, "key-2")
	if err != nil || second.ID == first.ID {
		t.Errorf("a new key: %s %v, want a new subscription", second.ID, err)
	}
	theirs, err := svc.Create(ctx, fabrik, in, "key-1")
	if err != nil || theirs.ID == first.ID {
		t.Errorf("another principal's key-1: %s %v, want its own subscription", theirs.ID, err)
	}
	if list, err := svc.List(ctx, contoso, false); err != nil || len(list) != 2 {
		t.Errorf("contoso has %d subscriptions (%v), want 2 (key-1 once, key-2)", len(list), err)
	}
}
