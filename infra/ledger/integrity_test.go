package ledger

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/infratest"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// TestSealerSealsAndCloseSealsLast: with a key, Open records it in the
// keyring and runs a sealer that seals while events arrive and publishes
// the head beside the data directory; Close makes a final seal over the
// events appended since; the log then verifies clean.
func TestSealerSealsAndCloseSealsLast(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(ctx, Config{DataDir: dir, NoSnapshots: true, SigningKey: key, SealInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if l.Sealer == nil || l.HeadFile != HeadFile(dir) {
		t.Fatalf("sealer %v, head file %q", l.Sealer, l.HeadFile)
	}
	if err := registerProvider(l, "p1"); err != nil {
		t.Fatal(err)
	}
	infratest.WaitFor(t, "a seal", func() bool {
		h, ok := l.Sealer.Head()
		return ok && h.Size >= 2 // key_added, partner registered
	})
	first, _ := l.Sealer.Head()
	published, err := os.ReadFile(l.HeadFile)
	if err != nil || !strings.Contains(string(published), "ticketledger") {
		t.Fatalf("published head: %q %v", published, err)
	}
	// Appended just before Close: only the final seal covers it.
	if err := registerProvider(l, "p2"); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l, err = Open(ctx, Config{DataDir: dir, NoSnapshots: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Sealer != nil {
		t.Fatal("a sealer without a key")
	}
	rep, err := integrity.VerifyLog(ctx, l.Raw, integrity.VerifyOptions{Against: first.Checkpoint})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Unsealed != 1 || rep.Seals < 2 || rep.Against == nil || !rep.Against.Consistent {
		t.Fatalf("after Close: ok %v, unsealed %d (want 1: the final seal itself), seals %d, problems %v", rep.OK(), rep.Unsealed, rep.Seals, rep.Problems)
	}
	final, err := integrity.ParseHead(mustRead(t, HeadFile(dir)), "", integrity.TrustedKeys(key.Public()))
	if err != nil || final.Size != rep.Events-1 {
		t.Fatalf("final published head: size %d of %d events, %v", final.Size, rep.Events, err)
	}
}

func TestSigningKeyRequired(t *testing.T) {
	_, err := Open(context.Background(), Config{DataDir: t.TempDir(), RequireKey: true})
	if !errors.Is(err, ErrNoSigningKey) || !strings.Contains(err.Error(), "openssl genpkey -algorithm ed25519") {
		t.Fatalf("no key: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "d")
	l, err := Open(context.Background(), Config{DataDir: dir, RequireKey: true, DemoKey: true, NoSnapshots: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Key == nil || l.KeySource != dir+".signing-key" {
		t.Fatalf("demo key from %q", l.KeySource)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealedAPI opens a ledger with a signing key and a fast sealer, serves its
// API (identity headers trusted from loopback), waits for the first seal,
// and returns a GET as a given role (with an Accept header when not ""); a
// path "POST /…" is a POST with an empty JSON body, "POST /… {…}" one with
// that body. mods change the ledger's configuration.
func sealedAPI(t *testing.T, mods ...func(*Config)) (*Ledger, *integrity.SigningKey, func(path, role, accept string) (int, string)) {
	t.Helper()
	key, _ := integrity.GenerateSigningKey()
	cfg := Config{DataDir: filepath.Join(t.TempDir(), "d"), NoSnapshots: true, SigningKey: key, SealInterval: 10 * time.Millisecond}
	for _, m := range mods {
		m(&cfg)
	}
	l, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	h, err := l.APIHandler(nil, Access{TrustProxy: auth.LoopbackPrefixes()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	get := func(path, role, accept string) (int, string) {
		method, body := "GET", io.Reader(nil)
		if p, ok := strings.CutPrefix(path, "POST "); ok {
			js := "{}"
			if q, b, ok := strings.Cut(p, " "); ok {
				p, js = q, b
			}
			method, path, body = "POST", p, strings.NewReader(js)
		}
		req, _ := http.NewRequest(method, srv.URL+path, body)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("X-Actor-Id", "someone@example")
		req.Header.Set("X-Actor-Role", role)
		if role == "indirect_provider" {
			req.Header.Set("X-Actor-Partner", "p1")
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, ok := l.Sealer.Head(); !ok; _, ok = l.Sealer.Head() {
		if time.Now().After(deadline) {
			t.Fatal("no seal")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return l, key, get
}

// TestAuditTreeHeadAndKeys: the sealer's latest head (JSON and the signed
// note) and the keyring, for auditors; a partner is refused.
func TestAuditTreeHeadAndKeys(t *testing.T) {
	_, key, get := sealedAPI(t)
	code, body := get("/v1/audit/tree-head", "auditor", "")
	var th struct {
		Size        uint64
		KeyID       string
		Fingerprint string
		Checkpoint  string
	}
	if err := json.Unmarshal([]byte(body), &th); code != 200 || err != nil || th.Size < 1 || th.KeyID != key.ID() || th.Fingerprint != integrity.Fingerprint(key.Public()) {
		t.Fatalf("tree head: %d %s", code, body)
	}
	if _, err := integrity.ParseHead([]byte(th.Checkpoint), "", integrity.TrustedKeys(key.Public())); err != nil {
		t.Fatalf("checkpoint does not verify: %v", err)
	}
	code, note := get("/v1/audit/tree-head", "admin", "text/plain")
	if _, err := integrity.ParseHead([]byte(note), "", integrity.TrustedKeys(key.Public())); code != 200 || err != nil {
		t.Fatalf("note: %d %v %s", code, err, note)
	}
	code, note = get("/v1/audit/tree-head?format=checkpoint", "auditor", "")
	if _, err := integrity.ParseHead([]byte(note), "", integrity.TrustedKeys(key.Public())); code != 200 || err != nil {
		t.Fatalf("format=checkpoint: %d %v %s", code, err, note)
	}
	if code, body := get("/v1/audit/tree-head?format=yaml", "auditor", ""); code != 400 || !strings.Contains(body, "format") {
		t.Fatalf("format=yaml: %d %s", code, body)
	}
	code, body = get("/v1/audit/keys", "auditor", "")
	if code != 200 || !strings.Contains(body, `"keyId":"`+key.ID()+`"`) || !strings.Contains(body, `"fingerprint":"SHA256:`) {
		t.Fatalf("keys: %d %s", code, body)
	}
	if code, body := get("/v1/audit/keys", "indirect_provider", ""); code != 403 {
		t.Fatalf("partner reads keys: %d %s", code, body)
	}
}

// TestTreeHeadSealerProblems: the tree head carries what the running
// sealer found: nothing on a clean log, then the unsigned event appended
// behind the ledger's back.
func TestTreeHeadSealerProblems(t *testing.T) {
	l, _, get := sealedAPI(t)
	var th server.TreeHeadView
	if code, body := get("/v1/audit/tree-head", "auditor", ""); code != 200 || json.Unmarshal([]byte(body), &th) != nil ||
		th.SealerProblems == nil || len(th.SealerProblems) != 0 {
		t.Fatalf("clean log: %d %s", code, body)
	}
	at := time.Now().UTC()
	data, _, err := codec.EncodeChain("ticket-forged", "", []domain.Event{ticket.NoteAdded{Text: "forged"}},
		[]domain.Meta{{Actor: domain.Actor{ID: "mallory", Role: domain.RoleVendorSupport}, OccurredAt: at, RecordedAt: at}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Raw.Append(context.Background(), "ticket-forged", eventstore.Any(), data...); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, body := get("/v1/audit/tree-head", "auditor", "")
		if strings.Contains(body, `"sealerProblems":["unsigned ticket-forged@0`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sealer's finding is not in the tree head: %s", body)
		}
	}
}

// TestAuditProofs: an inclusion proof of the log's first event and a
// consistency proof from size 1, both checked here with RFC 6962 hashing
// against the root of the signed tree head the API hands out.
func TestAuditProofs(t *testing.T) {
	ctx := context.Background()
	l, key, getAs := sealedAPI(t)
	get := func(path string, out any) int {
		code, body := getAs(path, "auditor", "")
		if out != nil && code == 200 {
			if err := json.Unmarshal([]byte(body), out); err != nil {
				t.Fatal(err)
			}
		}
		return code
	}
	first, err := l.Raw.ReadAll(ctx, eventstore.Forwards, eventstore.AllStart(), 1, nil)
	if err != nil || len(first) != 1 {
		t.Fatalf("first event: %v %d", err, len(first))
	}
	b64 := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var inc struct {
		LeafIndex, TreeSize uint64
		LeafHash, Root      string
		Hashes              []string
		Checkpoint          string
	}
	if code := get(fmt.Sprintf("/v1/audit/inclusion?position=%d", first[0].Position.Commit), &inc); code != 200 {
		t.Fatalf("inclusion: %d", code)
	}
	head, err := integrity.ParseHead([]byte(inc.Checkpoint), "", integrity.TrustedKeys(key.Public()))
	if err != nil || head.Size != inc.TreeSize {
		t.Fatalf("checkpoint %v (size %d, proof for %d)", err, head.Size, inc.TreeSize)
	}
	if !bytes.Equal(b64(inc.LeafHash), integrity.LeafHash(&first[0])) {
		t.Fatal("the proof's leaf hash is not the first event's")
	}
	path := make([][]byte, len(inc.Hashes))
	for i, s := range inc.Hashes {
		path[i] = b64(s)
	}
	if err := integrity.VerifyInclusion(inc.LeafIndex, inc.TreeSize, integrity.LeafHash(&first[0]), path, head.Root); err != nil {
		t.Fatalf("inclusion proof does not verify against the signed head: %v", err)
	}
	if len(path) > 0 {
		path[0][0] ^= 1
		if integrity.VerifyInclusion(inc.LeafIndex, inc.TreeSize, integrity.LeafHash(&first[0]), path, head.Root) == nil {
			t.Fatal("a changed proof still verifies")
		}
	}
	var cons struct {
		From, To         uint64
		Hashes           []string
		RootFrom, RootTo string
	}
	if code := get("/v1/audit/consistency?from=1", &cons); code != 200 || cons.To != head.Size {
		t.Fatalf("consistency: %d %+v", code, cons)
	}
	cp := make([][]byte, len(cons.Hashes))
	for i, s := range cons.Hashes {
		cp[i] = b64(s)
	}
	if err := integrity.VerifyConsistency(1, cons.To, cp, integrity.LeafHash(&first[0]), head.Root); err != nil {
		t.Fatalf("consistency proof from the one-leaf tree does not verify: %v", err)
	}
	if code := get(fmt.Sprintf("/v1/audit/consistency?from=1&to=%d", head.Size+1), nil); code != 400 {
		t.Fatalf("to beyond the signed head: %d, want 400", code)
	}
	if code := get("/v1/audit/inclusion?position=999999", nil); code != 404 {
		t.Fatalf("inclusion of no event: %d, want 404", code)
	}
}

// TestAuditRotateKey: an admin rotates the key through the API; the
// answer names the new key file (outside the data directory, 0600) and
// the retired key's position, the keyring lists both; an auditor may not
// rotate, and a ledger with nowhere to write the key refuses with a 409.
func TestAuditRotateKey(t *testing.T) {
	keyDir := t.TempDir()
	l, key, call := sealedAPI(t, func(c *Config) { c.NewKeyDir = keyDir })
	if code, body := call("POST /v1/audit/keys/rotate", "auditor", ""); code != 403 {
		t.Fatalf("auditor rotates: %d %s", code, body)
	}
	code, body := call("POST /v1/audit/keys/rotate", "admin", "")
	var rot struct {
		Old, New struct {
			KeyID           string
			Retired         bool
			RetiredPosition uint64
		}
		KeyFile, NextStart string
	}
	if err := json.Unmarshal([]byte(body), &rot); code != 200 || err != nil {
		t.Fatalf("rotate: %d %s", code, body)
	}
	if rot.Old.KeyID != key.ID() || !rot.Old.Retired || rot.Old.RetiredPosition == 0 || rot.New.KeyID != l.CurrentKey().ID() ||
		filepath.Dir(rot.KeyFile) != keyDir || !strings.Contains(rot.NextStart, "--signing-key "+rot.KeyFile) {
		t.Fatalf("rotation %s", body)
	}
	if fi, err := os.Stat(rot.KeyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi, err)
	}
	if k, err := integrity.LoadSigningKeyFile(rot.KeyFile); err != nil || k.ID() != rot.New.KeyID {
		t.Fatalf("the key file holds %v, %v", k, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for k, _ := l.Sealer.Keyring().Key(key.ID()); !k.Retired; k, _ = l.Sealer.Keyring().Key(key.ID()) {
		if time.Now().After(deadline) {
			t.Fatal("the sealer did not read the rotation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, body = call("/v1/audit/keys", "auditor", "")
	if code != 200 || !strings.Contains(body, `"retiredPosition":`) || !strings.Contains(body, `"keyId":"`+rot.New.KeyID+`"`) || !strings.Contains(body, `"algorithm":"ed25519"`) {
		t.Fatalf("keys after the rotation: %d %s", code, body)
	}

	_, _, plain := sealedAPI(t) // the key was handed in: no key directory
	if code, body := plain("POST /v1/audit/keys/rotate", "admin", ""); code != 409 || !strings.Contains(body, string(server.RuleKeyRotation)) {
		t.Fatalf("rotation without a key directory: %d %s", code, body)
	}
}

// TestHeadPostURL: every head the sealer makes, the final one included,
// is posted to the URL; a witness that fails now and then is retried, and
// the failures are counted in the registry.
func TestHeadPostURL(t *testing.T) {
	witness := infratest.NewReceiver(t, 1)
	key, _ := integrity.GenerateSigningKey()
	l, err := Open(context.Background(), Config{DataDir: filepath.Join(t.TempDir(), "d"), NoSnapshots: true, SigningKey: key,
		SealInterval: time.Hour, HeadPostURL: witness.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := registerProvider(l, "p1"); err != nil {
		t.Fatal(err)
	}
	reg := l.Registry
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	final, _ := l.Sealer.Head()
	posted := witness.Bodies()
	if len(posted) != 1 || !bytes.Equal(posted[0], final.Checkpoint) {
		t.Fatalf("posted %q, want the final head %q", posted, final.Checkpoint)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "ticketledger_head_post") {
			counts[mf.GetName()] = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if counts["ticketledger_head_post_failures_total"] != 1 || counts["ticketledger_head_posts_total"] != 1 || counts["ticketledger_head_posts_dropped_total"] != 0 {
		t.Fatalf("head post metrics %v", counts)
	}
}
