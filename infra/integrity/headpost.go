package integrity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Sinks publishes every head to each of its sinks, in order.
type Sinks []HeadSink

// PublishHead implements HeadSink: every sink is tried; the errors are
// joined.
func (s Sinks) PublishHead(ctx context.Context, h SignedHead) error {
	var errs []error
	for _, k := range s {
		if err := k.PublishHead(ctx, h); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// HeadPosterOptions configure a HeadPoster. Zero values take the defaults.
type HeadPosterOptions struct {
	URL    string       // http or https; required
	Client *http.Client // default: a client with a 10 s timeout
	// MaxAttempts is how often one head is tried (default 5); Backoff the
	// wait before the first retry (default 500 ms), doubled after each
	// failure up to MaxBackoff (default 30 s).
	MaxAttempts         int
	Backoff, MaxBackoff time.Duration
	// Queue is how many heads wait at most (default 16); when full, the
	// oldest waiting head is dropped for the new one.
	Queue  int
	Logger *slog.Logger
	// OnFailure is called for every failed attempt, OnDrop for every head
	// given up on (attempts exhausted, superseded by a newer head while
	// retrying, or pushed out of a full queue), OnPosted for every head
	// delivered. For metrics; they must not block.
	OnFailure func(err error)
	OnDrop    func()
	OnPosted  func()
}

// HeadPoster publishes each signed tree head outside the log by POSTing
// its checkpoint (Content-Type text/plain; charset=utf-8) to a URL, e.g. a
// witness or an auditor's collector. It works off the sealer's path:
// PublishHead only queues the head, and one goroutine posts, retrying with
// exponential backoff. A head that cannot be delivered is logged and
// dropped; a later head covers everything it did (it proves the log only
// grew since), so the poster moves on to the newest head rather than fall
// behind. A 2xx answer is a delivery.
type HeadPoster struct {
	opts  HeadPosterOptions
	shown string // the URL for logs and errors, password hidden
	log   *slog.Logger
	mu    sync.Mutex
	queue []SignedHead
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// NewHeadPoster checks the options and starts the poster's goroutine.
// Close stops it.
func NewHeadPoster(opts HeadPosterOptions) (*HeadPoster, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--head-post-url %q: want an http:// or https:// URL with a host, e.g. https://witness.example/ticketledger/heads", opts.URL)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Queue <= 0 {
		opts.Queue = 16
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	p := &HeadPoster{opts: opts, shown: u.Redacted(), log: lg, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p, nil
}

// PublishHead implements HeadSink: it queues h and returns at once.
func (p *HeadPoster) PublishHead(_ context.Context, h SignedHead) error {
	p.mu.Lock()
	if len(p.queue) >= p.opts.Queue {
		p.queue = p.queue[1:]
		p.dropped(errors.New("the queue of heads to post is full"))
	}
	p.queue = append(p.queue, h)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// Close stops the poster once the queued heads are posted (each still
// retried) or ctx ends; heads not posted by then are dropped.
func (p *HeadPoster) Close(ctx context.Context) error {
	p.once.Do(func() { close(p.stop) })
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("post tree heads: %w (the heads not posted yet are dropped; the last one is in the head file)", ctx.Err())
	}
}

func (p *HeadPoster) dropped(why error) {
	p.log.Error("tree head not posted: dropped", "url", p.shown, "reason", why)
	if p.opts.OnDrop != nil {
		p.opts.OnDrop()
	}
}

// next takes the oldest queued head.
func (p *HeadPoster) next() (SignedHead, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return SignedHead{}, false
	}
	h := p.queue[0]
	p.queue = p.queue[1:]
	return h, true
}

func (p *HeadPoster) newer() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue) > 0
}

func (p *HeadPoster) run() {
	defer close(p.done)
	stopping := false
	for {
		h, ok := p.next()
		if !ok {
			if stopping {
				return
			}
			select {
			case <-p.wake:
			case <-p.stop:
				stopping = true
			}
			continue
		}
		p.deliver(h)
	}
}

// deliver posts one head until it is delivered, attempts run out, or a
// newer head waits.
func (p *HeadPoster) deliver(h SignedHead) {
	wait := p.opts.Backoff
	for attempt := 1; ; attempt++ {
		err := p.post(h)
		if err == nil {
			if p.opts.OnPosted != nil {
				p.opts.OnPosted()
			}
			return
		}
		p.log.Error("post tree head failed", "url", p.shown, "treeSize", h.Size, "attempt", attempt, "of", p.opts.MaxAttempts, "err", err)
		if p.opts.OnFailure != nil {
			p.opts.OnFailure(err)
		}
		switch {
		case attempt >= p.opts.MaxAttempts:
			p.dropped(fmt.Errorf("tree size %d: %d attempts failed, the last: %w", h.Size, attempt, err))
			return
		case p.newer():
			p.dropped(fmt.Errorf("tree size %d: a newer head supersedes it (last error: %w)", h.Size, err))
			return
		}
		select {
		case <-p.stop: // shutting down: keep trying, without waiting long
			time.Sleep(min(wait, p.opts.Backoff))
		default:
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-p.stop:
				t.Stop()
			}
		}
		wait = min(2*wait, p.opts.MaxBackoff)
	}
}

func (p *HeadPoster) post(h SignedHead) error {
	req, err := http.NewRequest(http.MethodPost, p.opts.URL, bytes.NewReader(h.Checkpoint))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := p.opts.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s: %s", p.shown, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}
