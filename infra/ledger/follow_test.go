package ledger

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadyNeedsTheTokenFollower: while FollowTokens runs, a replica whose
// token subscription has been down for more than TokenFollowGrace is not
// ready (it could miss a revocation made through another replica); caught
// up, it is.
func TestReadyNeedsTheTokenFollower(t *testing.T) {
	var ns atomic.Int64
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ns.Store(t0.UnixNano())
	now := func() time.Time { return time.Unix(0, ns.Load()).UTC() }
	ctx, cancel := context.WithCancel(context.Background())
	l, err := Open(ctx, Config{DataDir: t.TempDir(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	go func() { l.Runner.Run(ctx); close(ran) }()
	defer func() { cancel(); <-ran; l.Close() }()
	<-l.Runner.Ready()
	if err := l.Ready(ctx); err != nil {
		t.Fatalf("without a token follower: %v", err)
	}

	// The follower is on but has not caught up (as if the store were
	// unreachable from the start).
	l.followsTokens.Store(true)
	ns.Store(t0.Add(TokenFollowGrace - time.Second).UnixNano())
	if err := l.Ready(ctx); err != nil {
		t.Fatalf("within the grace: %v", err)
	}
	ns.Store(t0.Add(TokenFollowGrace + time.Second).UnixNano())
	if err := l.Ready(ctx); err == nil || !strings.Contains(err.Error(), "token revocations") {
		t.Fatalf("down past the grace: Ready = %v, want a token-follower error", err)
	}

	go l.FollowTokens(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for l.Ready(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("following, still not ready: %v", l.Ready(ctx))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
