package integrity

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testHead(t *testing.T, key *SigningKey, size uint64) SignedHead {
	t.Helper()
	h, err := SignHead(Head{Size: size, Root: make([]byte, 32), Time: tNow}, key)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestHeadPosterRetriesUntilDelivered: the checkpoint is posted as
// text/plain; two failed answers are retried (and counted) before the
// witness takes it; what it received verifies.
func TestHeadPosterRetriesUntilDelivered(t *testing.T) {
	key, _ := GenerateSigningKey()
	var calls atomic.Int32
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "witness busy", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.Header.Get("Content-Type")+"\n"+string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	var failures, posted, drops atomic.Int32
	p, err := NewHeadPoster(HeadPosterOptions{URL: srv.URL + "/heads", Backoff: time.Millisecond,
		OnFailure: func(error) { failures.Add(1) }, OnPosted: func() { posted.Add(1) }, OnDrop: func() { drops.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	h := testHead(t, key, 7)
	if err := p.PublishHead(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if failures.Load() != 2 || posted.Load() != 1 || drops.Load() != 0 || len(got) != 1 {
		t.Fatalf("failures %d, posted %d, dropped %d, received %q", failures.Load(), posted.Load(), drops.Load(), got)
	}
	head, body, _ := strings.Cut(got[0], "\n")
	if head != "POST text/plain; charset=utf-8" {
		t.Fatalf("request %q", head)
	}
	if v, err := ParseHead([]byte(body), "", TrustedKeys(key.Public())); err != nil || v.Size != 7 {
		t.Fatalf("the posted checkpoint: %v %+v", err, v)
	}
}

// TestHeadPosterNeverBlocks: while the witness hangs, publishing goes on
// returning at once; the heads that cannot wait are dropped (counted), and
// once the witness answers the newest head is delivered.
func TestHeadPosterNeverBlocks(t *testing.T) {
	key, _ := GenerateSigningKey()
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		b, _ := io.ReadAll(r.Body)
		lines := strings.Split(string(b), "\n")
		mu.Lock()
		sizes = append(sizes, lines[1])
		mu.Unlock()
	}))
	defer srv.Close()
	var drops atomic.Int32
	p, err := NewHeadPoster(HeadPosterOptions{URL: srv.URL, Queue: 2, OnDrop: func() { drops.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	for size := uint64(1); size <= 10; size++ {
		if err := p.PublishHead(context.Background(), testHead(t, key, size)); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) == 0 || sizes[len(sizes)-1] != "10" || int(drops.Load())+len(sizes) != 10 {
		t.Fatalf("delivered sizes %v, dropped %d", sizes, drops.Load())
	}
}

func TestHeadPosterGivesUpAndRejectsBadURLs(t *testing.T) {
	key, _ := GenerateSigningKey()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	var failures, drops atomic.Int32
	p, err := NewHeadPoster(HeadPosterOptions{URL: srv.URL, MaxAttempts: 3, Backoff: time.Millisecond,
		OnFailure: func(err error) {
			if !strings.Contains(err.Error(), "403") {
				t.Errorf("failure %v does not name the status", err)
			}
			failures.Add(1)
		}, OnDrop: func() { drops.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	p.PublishHead(context.Background(), testHead(t, key, 3))
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if failures.Load() != 3 || drops.Load() != 1 {
		t.Fatalf("failures %d, dropped %d", failures.Load(), drops.Load())
	}
	for _, u := range []string{"", "ftp://x/y", "witness.example/heads", "http://"} {
		if _, err := NewHeadPoster(HeadPosterOptions{URL: u}); err == nil || !strings.Contains(err.Error(), "--head-post-url") {
			t.Errorf("URL %q: %v", u, err)
		}
	}
}
