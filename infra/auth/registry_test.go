package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/infratest"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore/pebbletest"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// clock is a settable clock for tests.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)  { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) {
	c.ns.Add(int64(d))
}

var adminActor = domain.Actor{ID: "ops#t0", Role: domain.RoleAdmin, Auth: domain.AuthToken}

// newTokens returns a store, a clock at t0, a registry and the token
// service on them.
func newTokens(t *testing.T) (eventstore.Store, *clock, *Registry, *Tokens) {
	st := pebbletest.Open(t)
	clk := newClock(t0)
	reg := NewRegistry(clk.now)
	return st, clk, reg, NewTokens(st, reg, clk.now)
}

func TestIssueLookupRevoke(t *testing.T) {
	ctx := context.Background()
	st, clk, reg, toks := newTokens(t)

	iss, err := toks.Issue(ctx, adminActor, IssueRequest{Role: domain.RoleIndirectReseller, Partner: "resl", Name: "resl-ci", ExpiresAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(iss.Secret, SecretPrefix) || len(iss.Secret) != len(SecretPrefix)+43 {
		t.Fatalf("secret %q is not tl_ + 43 base64url characters", iss.Secret)
	}
	p, err := reg.Lookup(iss.Secret)
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{ID: "resl-ci#" + iss.TokenID, Role: domain.RoleIndirectReseller, Partner: "resl", Method: MethodToken,
		TokenID: iss.TokenID, Name: "resl-ci", ExpiresAt: t0.Add(time.Hour)}
	if p != want {
		t.Fatalf("principal\n got %+v\nwant %+v", p, want)
	}
	if a := p.Actor(); a != (domain.Actor{ID: want.ID, Role: want.Role, Partner: "resl", Auth: "token"}) || a.Validate() != nil {
		t.Fatalf("actor %+v: %v", a, a.Validate())
	}
	if iss.Info.Name != "resl-ci" || iss.Info.IssuedBy != adminActor.ID || !iss.Info.IssuedAt.Equal(t0) {
		t.Fatalf("info %+v", iss.Info)
	}

	// Only the hash is stored: the secret appears in no record.
	recs, err := st.ReadStream(ctx, principal.Stream(iss.TokenID), eventstore.Forwards, eventstore.StreamStart(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.Contains(string(r.Data)+string(r.Metadata), iss.Secret) || !strings.Contains(string(r.Data), HashSecret(iss.Secret)) {
			t.Fatalf("record holds the secret, or not its hash: %s", r.Data)
		}
	}

	if _, err := reg.Lookup("tl_" + strings.Repeat("A", 43)); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("unknown secret: %v", err)
	}
	clk.set(t0.Add(time.Hour))
	if _, err := reg.Lookup(iss.Secret); !errors.Is(err, ErrExpired) {
		t.Fatalf("at its expiry: %v", err)
	}
	clk.set(t0.Add(time.Minute))

	// Revocation takes effect before Revoke returns.
	if err := toks.Revoke(ctx, adminActor, iss.TokenID, "leaked"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Lookup(iss.Secret); !errors.Is(err, ErrRevoked) {
		t.Fatalf("after revoke: %v", err)
	}
	if err := toks.Revoke(ctx, adminActor, iss.TokenID, "again"); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if err := toks.Revoke(ctx, adminActor, "nosuchtoken", "x"); domain.RuleOf(err) != domain.RuleTokenNotFound {
		t.Fatalf("revoke unknown: %v", err)
	}
	recs, _ = st.ReadStream(ctx, principal.Stream(iss.TokenID), eventstore.Forwards, eventstore.StreamStart(), 10)
	if len(recs) != 2 {
		t.Fatalf("token stream has %d events, want issued + one revoked", len(recs))
	}
	if err := codec.Verify(recs); err != nil {
		t.Fatalf("token stream's hash chain: %v", err)
	}
	list := reg.Tokens()
	if len(list) != 1 || !list[0].Revoked || list[0].Reason != "leaked" {
		t.Fatalf("tokens list %+v", list)
	}

	// The domain's rules pass through.
	vendor := domain.Actor{ID: "eng", Role: domain.RoleVendorSupport, Auth: domain.AuthToken}
	if _, err := toks.Issue(ctx, vendor, IssueRequest{Role: domain.RoleAdmin}); domain.RuleOf(err) != domain.RuleRoleNotAllowed {
		t.Fatalf("vendor issuing: %v", err)
	}
	if _, err := toks.Issue(ctx, adminActor, IssueRequest{Role: domain.RoleSystem}); domain.KindOf(err) != domain.KindInvalid {
		t.Fatalf("system token: %v", err)
	}
}

// TestReplicaFollows: a second registry on the same store (another replica)
// learns of issuing and revoking through its subscription.
func TestReplicaFollows(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := pebbletest.Open(t)
	clk := newClock(t0)
	toks := NewTokens(st, NewRegistry(clk.now), clk.now)
	before, err := toks.Issue(ctx, adminActor, IssueRequest{Role: domain.RoleAuditor, Name: "aud"})
	if err != nil {
		t.Fatal(err)
	}
	// Unrelated events in $all are skipped.
	if _, err := st.Append(ctx, "ticket-x", eventstore.Any(), eventstore.EventData{ID: [16]byte{1}, Type: "ticket.note_added", Data: []byte(`{}`), Metadata: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}

	replica := NewRegistry(clk.now)
	if err := replica.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := replica.Lookup(before.Secret); err != nil {
		t.Fatalf("loaded token: %v", err)
	}
	if live, since := replica.Following(); live || !since.Equal(t0) {
		t.Fatalf("before Follow: live %v, down since %v; want down since the registry was made (%v)", live, since, t0)
	}
	caught := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- replica.Follow(ctx, st, func() { close(caught) }) }()
	<-caught
	if live, _ := replica.Following(); !live {
		t.Fatal("caught up, but Following says the subscription is down")
	}

	after, err := toks.Issue(ctx, adminActor, IssueRequest{Role: domain.RoleVendorSupport, Name: "eng"})
	if err != nil {
		t.Fatal(err)
	}
	infratest.WaitFor(t, "issued token reaches the replica", func() bool { _, err := replica.Lookup(after.Secret); return err == nil })
	if err := toks.Revoke(ctx, adminActor, before.TokenID, "left the company"); err != nil {
		t.Fatal(err)
	}
	infratest.WaitFor(t, "revocation reaches the replica", func() bool { _, err := replica.Lookup(before.Secret); return errors.Is(err, ErrRevoked) })
	clk.set(t0.Add(time.Minute))
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Follow: %v", err)
	}
	if live, since := replica.Following(); live || !since.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after Follow ended: live %v, down since %v; want down since %v", live, since, t0.Add(time.Minute))
	}

	// Loading again resumes where it stopped and changes nothing.
	if err := replica.Load(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if n := len(replica.Tokens()); n != 2 {
		t.Fatalf("replica knows %d tokens, want 2", n)
	}
}

// TestApplyOrderAndRepeats: a repeated or older event changes nothing, so
// Apply after an append and the subscription's delivery agree; a
// revocation seen before its issuance keeps the token unusable.
func TestApplyOrderAndRepeats(t *testing.T) {
	h := strings.Repeat("ab", 32)
	issued := domain.Recorded{Stream: "token-a", Revision: 0, Event: principal.TokenIssued{TokenID: "a", Role: "auditor", Hash: h}}
	revoked := domain.Recorded{Stream: "token-a", Revision: 1, Event: principal.TokenRevoked{TokenID: "a", Reason: "x"}}
	var key [32]byte
	for i := range key {
		key[i] = 0xab
	}

	r := NewRegistry(nil)
	r.Apply(issued)
	r.Apply(revoked)
	r.Apply(issued) // the subscription delivering it again
	if _, err := r.lookupHash(key); !errors.Is(err, ErrRevoked) {
		t.Fatalf("re-applied issuance undid a revocation: %v", err)
	}

	r = NewRegistry(nil)
	r.Apply(revoked)
	r.Apply(issued)
	if _, err := r.lookupHash(key); err == nil {
		t.Fatal("a token revoked before its issuance was seen authenticates")
	}
	r.Apply(domain.Recorded{Stream: "ticket-a", Event: principal.TokenIssued{TokenID: "b", Role: "admin", Hash: strings.Repeat("cd", 32)}})
	if r.HasAdmin() {
		t.Fatal("an event outside the token streams was applied")
	}
}

// TestLookupDoesNotAllocate: the hot path is one hash and one map access.
func TestLookupDoesNotAllocate(t *testing.T) {
	r := NewRegistry(nil)
	secret := NewSecret()
	r.Apply(domain.Recorded{Stream: "token-a", Event: principal.TokenIssued{TokenID: "a", Name: "n", Role: "auditor", Hash: HashSecret(secret)}})
	if _, err := r.Lookup(secret); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { r.Lookup(secret) }); n != 0 {
		t.Fatalf("Lookup allocates %.1f times", n)
	}
}

// TestConcurrentLookupAndRevoke runs under -race.
func TestConcurrentLookupAndRevoke(t *testing.T) {
	r := NewRegistry(nil)
	secrets := make([]string, 50)
	for i := range secrets {
		secrets[i] = NewSecret()
		id := newTokenID()
		r.Apply(domain.Recorded{Stream: principal.Stream(id), Event: principal.TokenIssued{TokenID: id, Role: "auditor", Hash: HashSecret(secrets[i])}})
	}
	ids := r.Tokens()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 2000; i++ {
				r.Lookup(secrets[i%len(secrets)])
			}
		})
	}
	wg.Go(func() {
		for i, ti := range ids {
			r.Apply(domain.Recorded{Stream: principal.Stream(ti.ID), Revision: 1, Event: principal.TokenRevoked{TokenID: ti.ID, Reason: "x"}})
			_ = r.Tokens()
			_ = r.HasAdmin()
			_ = i
		}
	})
	wg.Wait()
	for _, s := range secrets {
		if _, err := r.Lookup(s); !errors.Is(err, ErrRevoked) {
			t.Fatalf("after revoking all: %v", err)
		}
	}
}

func TestRegistryBasic(t *testing.T) {
	r := NewRegistry(nil)
	secret := NewSecret()
	r.Apply(domain.Recorded{Stream: "token-k1", Event: principal.TokenIssued{TokenID: "k1", Name: "replica", Role: "vendor_support", Hash: HashSecret(secret)}})
	for _, user := range []string{"k1", "replica"} {
		if p, err := r.AuthenticateBasic(user, secret); err != nil || p.TokenID != "k1" {
			t.Fatalf("user %s: %+v %v", user, p, err)
		}
	}
	if _, err := r.AuthenticateBasic("someone-else", secret); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("right secret, wrong user: %v", err)
	}
	if _, err := r.AuthenticateBasic("k1", secret+"x"); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("wrong secret: %v", err)
	}
}
