package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/http/client"
	"github.com/ticketledger/ticketledger/infra/http/server"
)

// startReplicas starts two serve processes on one log, the second through
// the first's KurrentDB endpoint (both with the flags extra), and returns
// their API addresses once both are ready.
func startReplicas(t *testing.T, extra ...string) (baseA, baseB string) {
	t.Helper()
	dir := t.TempDir()
	creds := issueTokens(t, dir)
	baseA, _, logs := startServe(t, append([]string{"--data", dir, "--kurrent-listen", "127.0.0.1:0", "--kurrent-writable"}, extra...)...)
	waitReady(t, baseA)
	baseB, _, _ = startServe(t, append([]string{"--store", kurrentEndpoint(t, logs, creds["replica"]), "--snapshots", t.TempDir(), "--no-seal"}, extra...)...)
	waitReady(t, baseB)
	return baseA, baseB
}

// TestTwoReplicasUnderConcurrentCommands: two serve processes on one log
// (the second through the first's KurrentDB endpoint) take concurrent
// commands on one ticket, each command sent to both replicas under one
// Idempotency-Key: every command is appended exactly once, whichever
// replica runs it, stale decisions are refused by the store's expected
// revision (and retried), and both replicas' read models converge on the
// same ticket.
func TestTwoReplicasUnderConcurrentCommands(t *testing.T) {
	baseA, baseB := startReplicas(t)
	ctx := context.Background()
	a := tokenClient(baseA, testAdminSecret).Target()
	onboardP1(t, a)
	open := annOpen(t, a, "VMs unreachable")

	// The agent's one token, issued on A, known to B from the log.
	var iss server.IssuedToken
	admin := tokenClient(baseA, testAdminSecret)
	if err := admin.Post(ctx, "/v1/tokens", server.IssueTokenBody{Role: string(ann.Role), Partner: ann.Partner, Name: ann.ID}, &iss); err != nil {
		t.Fatal(err)
	}
	ca, cb := tokenClient(baseA, iss.Secret), tokenClient(baseB, iss.Secret)
	note := func(c *client.Client, key string) (client.CommandResult, error) {
		path, body, err := server.ActionRequest(open.TicketID, ticket.Note{Text: "note " + key}, server.CommandBase{})
		if err != nil {
			return client.CommandResult{}, err
		}
		var res client.CommandResult
		return res, c.PostAs(ctx, client.Call{IdempotencyKey: key}, path, body, &res)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		var ce *client.Error
		if err := cb.Get(ctx, "/v1/tickets/"+open.TicketID, nil, nil); !errors.As(err, &ce) || ce.Problem.Status != 401 {
			break // B knows the token
		}
		if time.Now().After(deadline) {
			t.Fatal("replica B never learnt the token issued on A")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// 24 notes, each sent to both replicas at once under its key; a
	// refused stale decision (409) is retried, as a client would.
	const notes = 24
	var wg sync.WaitGroup
	var mu sync.Mutex
	appended := map[string]int{} // key → commands that appended (not replayed)
	var last uint64
	send := func(c *client.Client, key string) {
		defer wg.Done()
		for {
			res, err := note(c, key)
			var ce *client.Error
			if errors.As(err, &ce) && ce.Problem.Status == 409 {
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", key, err)
				return
			}
			mu.Lock()
			if !res.Replayed {
				appended[key]++
			}
			last = max(last, res.Position)
			mu.Unlock()
			return
		}
	}
	for i := range notes {
		key := fmt.Sprintf("note-%02d", i)
		wg.Add(2)
		go send(ca, key)
		go send(cb, key)
	}
	wg.Wait()
	for i := range notes {
		if key := fmt.Sprintf("note-%02d", i); appended[key] != 1 {
			t.Errorf("%s appended %d times, want once", key, appended[key])
		}
	}

	// Both replicas, read at the position of the last note (minPosition:
	// each waits for its read models to get there), hold the same ticket:
	// the opening and one event per note.
	for _, c := range []*client.Client{ca, cb} {
		if res, err := note(c, "note-00"); err != nil || !res.Replayed {
			t.Fatalf("a retry after the race: %+v, %v", res, err)
		}
	}
	type view struct {
		Notes    int    `json:"notes"`
		Revision uint64 `json:"revision"`
	}
	var views []view
	for _, base := range []string{baseA, baseB} {
		code, body := get(t, fmt.Sprintf("%s/v1/tickets/%s?minPosition=%d", base, open.TicketID, last))
		var got struct {
			Ticket view `json:"ticket"`
		}
		if code != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("%s: %d %s", base, code, body)
		}
		views = append(views, got.Ticket)
	}
	if views[0].Notes != notes || views[0].Revision != notes || views[1].Notes != views[0].Notes || views[1].Revision != views[0].Revision {
		t.Fatalf("the replicas disagree or miss notes: A %d notes at revision %d, B %d at %d; want %d",
			views[0].Notes, views[0].Revision, views[1].Notes, views[1].Revision, notes)
	}
}

// TestRevocationReachesTheOtherReplica: a token issued and then revoked
// through replica A is accepted and then refused by replica B, which
// learns both from the log (its registry follows the token streams), within
// a bound: B refuses the token well within a second of A's answer.
func TestRevocationReachesTheOtherReplica(t *testing.T) {
	baseA, baseB := startReplicas(t)
	ctx := context.Background()
	admin := tokenClient(baseA, testAdminSecret)
	var iss server.IssuedToken
	if err := admin.Post(ctx, "/v1/tokens", server.IssueTokenBody{Role: string(domain.RoleAuditor), Name: "audrey@audit.example"}, &iss); err != nil {
		t.Fatal(err)
	}
	onB := tokenClient(baseB, iss.Secret)
	status := func() int {
		var ce *client.Error
		if err := onB.Get(ctx, "/v1/tickets", nil, nil); errors.As(err, &ce) {
			return ce.Problem.Status
		} else if err != nil {
			t.Fatal(err)
		}
		return 200
	}
	waitStatus := func(want int, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		for status() != want {
			if time.Since(start) > within {
				t.Fatalf("replica B still does not answer %d %v after the change on A", want, within)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}
	waitStatus(200, 10*time.Second) // B learns the issued token

	var rev server.RevokedToken
	if err := admin.Post(ctx, "/v1/tokens/"+iss.TokenID+"/revocation", server.RevokeTokenBody{Reason: "left the audit firm"}, &rev); err != nil || !rev.Revoked {
		t.Fatalf("revoke on A: %+v, %v", rev, err)
	}
	onA := tokenClient(baseA, iss.Secret)
	var ce *client.Error
	if err := onA.Get(ctx, "/v1/tickets", nil, nil); !errors.As(err, &ce) || ce.Problem.Status != 401 {
		t.Fatalf("A accepts the token it revoked: %v", err)
	}
	took := waitStatus(401, time.Second)
	t.Logf("replica B refused the revoked token %v after A's answer", took)
}

// TestForgetReachesTheOtherReplicaAtOnce: two replicas on one log sharing
// one subject key store, both having read (and so cached the key of) a
// contact. Once an admin's forget on A has answered, B reads the contact
// as erased on its very next read: a key one replica holds in memory does
// not outlive its erasure by another.
func TestForgetReachesTheOtherReplicaAtOnce(t *testing.T) {
	keys := t.TempDir()
	baseA, baseB := startReplicas(t, "--subject-keys", keys)
	ctx := context.Background()
	onA := client.New(baseA)
	onA.Token = testAdminSecret
	a := onA.Target()
	onboardP1(t, a)
	agent := domain.Actor{ID: "ann@p1.example", Role: domain.RoleIndirectProvider, Partner: "p1"}
	open, err := a.Open(ctx, app.Command{Actor: agent, OnBehalfOf: "c1"}, annOpens("VMs unreachable"))
	if err != nil {
		t.Fatal(err)
	}
	var iss server.IssuedToken
	if err := onA.Post(ctx, "/v1/tokens", server.IssueTokenBody{Role: string(domain.RoleAuditor), Name: "audrey@audit.example"}, &iss); err != nil {
		t.Fatal(err)
	}
	email := func(base string) (string, error) {
		c := client.New(base)
		c.Token = iss.Secret
		var h contactHistory
		if err := c.Get(ctx, "/v1/tickets/"+open.TicketID+"/history", nil, &h); err != nil {
			return "", err
		}
		if len(h.Entries) == 0 {
			return "", errors.New("no history entries")
		}
		return h.Entries[0].Payload.Contact["email"], nil
	}
	for _, base := range []string{baseA, baseB} {
		var got string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if got, err = email(base); err == nil || time.Now().After(deadline) {
				break // B learns the token and the ticket from the log
			}
		}
		if err != nil || got != "ann@p1.example" {
			t.Fatalf("before forget %s reads the contact's e-mail as %q (%v)", base, got, err)
		}
	}
	if _, err := a.Forget(ctx, app.Command{Actor: domain.Actor{ID: "dpo", Role: domain.RoleAdmin}}, "ann@p1.example", "erasure request"); err != nil {
		t.Fatal(err)
	}
	for name, base := range map[string]string{"A": baseA, "B": baseB} {
		if got, err := email(base); err != nil || got != app.ErasedValue {
			t.Fatalf("right after forget on A, replica %s reads the e-mail as %q (%v), want %s", name, got, err, app.ErasedValue)
		}
	}
}
