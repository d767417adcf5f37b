package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	dw "github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
	"github.com/ticketledger/ticketledger/infra/webhook"
)

var (
	admin   = domain.Actor{ID: "ops@vendor.example", Role: domain.RoleAdmin, Auth: domain.AuthToken}
	contoso = domain.Actor{ID: "alice@contoso.example", Role: domain.RoleIndirectProvider, Partner: "contoso", Auth: domain.AuthToken}
	fabrik  = domain.Actor{ID: "bob@fabrikam.example", Role: domain.RoleIndirectProvider, Partner: "fabrikam", Auth: domain.AuthToken}
	testKey = webhook.Key{1, 2, 3, 4, 5, 6, 7, 8}
)

func openStore(t testing.TB, dir string) eventstore.Store {
	t.Helper()
	st, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// newService is the webhook service on a fresh store, closed when t ends,
// with the test key and the local receiver allowed.
func newService(t testing.TB) (eventstore.Store, *webhook.Service) {
	t.Helper()
	st := openStore(t, t.TempDir())
	t.Cleanup(func() { st.Close() })
	return st, webhook.NewService(st, nil, testKey, webhook.Guard{Unsafe: true}, nil)
}

// tickets appends ticket events through the codec, like the service does.
type tickets struct {
	t     testing.TB
	st    eventstore.Store
	heads map[string]string
	revs  map[string]uint64
}

func newTickets(t testing.TB, st eventstore.Store) *tickets {
	return &tickets{t: t, st: st, heads: map[string]string{}, revs: map[string]uint64{}}
}

// open opens a ticket of partner and returns its id.
func (k *tickets) open(partner string) string {
	id := uuid.NewString()
	k.add(id, ticket.Opened{TicketID: id, PartnerID: partner, Title: "VMs down", Severity: domain.Severity("A"),
		Contact: ticket.Contact{Name: "Alice", Email: "alice@" + partner + ".example", Organisation: partner}})
	return id
}

func (k *tickets) add(id string, evs ...domain.Event) {
	k.t.Helper()
	stream := ticket.StreamPrefix + id
	for _, ev := range evs {
		now := time.Now().UTC()
		data, metas, err := codec.EncodeChain(stream, k.heads[id], []domain.Event{ev}, []domain.Meta{{Actor: contoso, OccurredAt: now, RecordedAt: now}})
		if err != nil {
			k.t.Fatal(err)
		}
		k.appendRaw(id, data[0])
		k.heads[id] = metas[0].Hash
	}
}

// appendRaw appends one record to ticket id's stream.
func (k *tickets) appendRaw(id string, d eventstore.EventData) {
	k.t.Helper()
	exp := eventstore.NoStream()
	if r, ok := k.revs[id]; ok {
		exp = eventstore.Exact(r)
	}
	res, err := k.st.Append(context.Background(), ticket.StreamPrefix+id, exp, d)
	if err != nil {
		k.t.Fatal(err)
	}
	k.revs[id] = res.NextRevision
}

// notice appends an SLA notice, as the deadline watcher records it.
func (k *tickets) notice(id, notice string) {
	k.add(id, ticket.SLANoticed{Notice: notice, NoticedAt: time.Now().UTC()})
}

// imported appends an escalation whose metadata marks it imported.
func (k *tickets) imported(id string) {
	data, _ := json.Marshal(ticket.Escalated{Level: 1, Reason: "imported", CriteriaMet: []string{"x"}})
	meta, _ := json.Marshal(map[string]any{"eventId": uuid.New(), "actor": contoso, "occurredAt": time.Now(), "recordedAt": time.Now(), "imported": true})
	k.appendRaw(id, eventstore.EventData{ID: uuid.New(), Type: ticket.TypeEscalated, ContentType: "application/json", Data: data, Metadata: meta})
}

func escalate(n int) ticket.Escalated {
	return ticket.Escalated{Level: n, Reason: "reason " + strconv.Itoa(n), CriteriaMet: []string{"production down"}}
}

// verify checks a delivery against the Standard Webhooks rules as the
// specification states them, written apart from the package's signer: the
// secret is "whsec_" + base64 of the key; each space-separated "v1,<sig>"
// is base64 HMAC-SHA256(key, id "." timestamp "." body); the timestamp is
// Unix seconds within five minutes of now.
func verify(secret string, h http.Header, body []byte) error {
	id, ts, sigs := h.Get("Webhook-Id"), h.Get("Webhook-Timestamp"), h.Get("Webhook-Signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing a webhook header: id %q timestamp %q signature %q", id, ts, sigs)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %v", ts, err)
	}
	if d := time.Since(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s is %s away", ts, d)
	}
	raw, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return fmt.Errorf("secret %q lacks whsec_", secret)
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, id+"."+ts+".")
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Split(sigs, " ") {
		v, b64, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if v == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no signature of %q matches", sigs)
}

// got is one delivery a receiver accepted.
type got struct {
	ID       string
	Sequence uint64
	Body     webhook.Body
	Sigs     int
}

// receiver is a local HTTP receiver that checks every signature against
// its secrets; answer decides each answer (nil: 204).
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	secrets []string
	got     []got
	bad     []string
	calls   map[string]int // attempts per webhook-id
	answer  func(id string, attempt int, b webhook.Body) int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, calls: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	secrets, answer := r.secrets, r.answer
	id := req.Header.Get("webhook-id")
	r.calls[id]++
	attempt := r.calls[id]
	r.mu.Unlock()
	var ok error = fmt.Errorf("no secret")
	for _, s := range secrets {
		if ok = verify(s, req.Header, body); ok == nil {
			break
		}
	}
	var b webhook.Body
	jerr := json.Unmarshal(body, &b)
	if ok != nil || jerr != nil {
		r.mu.Lock()
		r.bad = append(r.bad, fmt.Sprintf("%s: %v %v", id, ok, jerr))
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	code := http.StatusNoContent
	if answer != nil {
		code = answer(id, attempt, b)
	}
	if code >= 200 && code < 300 {
		seq, _ := strconv.ParseUint(req.Header.Get(webhook.SequenceHeader), 10, 64)
		r.mu.Lock()
		r.got = append(r.got, got{ID: id, Sequence: seq, Body: b, Sigs: len(strings.Fields(req.Header.Get("webhook-signature")))})
		r.mu.Unlock()
	}
	w.WriteHeader(code)
}

func (r *receiver) received() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]got(nil), r.got...)
}

func (r *receiver) setSecrets(s ...string) {
	r.mu.Lock()
	r.secrets = s
	r.mu.Unlock()
}

func (r *receiver) setAnswer(f func(id string, attempt int, b webhook.Body) int) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

// fastConfig is a dispatcher configuration for tests: short lease, poll,
// backoff and timeout, the local receiver allowed.
func fastConfig(st eventstore.Store, holder string) webhook.DispatcherConfig {
	return webhook.DispatcherConfig{Store: st, Key: testKey, Guard: webhook.Guard{Unsafe: true}, Holder: holder,
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		LeaseTTL: 2 * time.Second, Poll: 20 * time.Millisecond, Attempts: 3, Backoff: 10 * time.Millisecond,
		MaxBackoff: 40 * time.Millisecond, Timeout: 300 * time.Millisecond}
}

// start runs a dispatcher until the test ends or stop is called.
func start(t *testing.T, cfg webhook.DispatcherConfig) (d *webhook.Dispatcher, stop func()) {
	d = webhook.NewDispatcher(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return d, stop
}

func eventstoreStart() eventstore.StreamPos { return eventstore.StreamStart() }

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixture is a store, the subscription service on it, a receiver, and a
// subscription of actor to it whose secret the receiver checks.
type fixture struct {
	st  eventstore.Store
	svc *webhook.Service
	rcv *receiver
	sub webhook.WithSecret
}

func setup(t *testing.T, actor domain.Actor, types ...string) fixture {
	t.Helper()
	st, svc := newService(t)
	rcv := newReceiver(t)
	sub, err := svc.Create(context.Background(), actor, dw.Creation{URL: rcv.srv.URL + "/hook", Types: types}, "")
	if err != nil {
		t.Fatal(err)
	}
	rcv.setSecrets(sub.Secret)
	return fixture{st: st, svc: svc, rcv: rcv, sub: sub}
}
