package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHostileRequests: each class of bad input gets its status, its rule
// and the field it names, and nothing is appended.
func TestHostileRequests(t *testing.T) {
	e := newEnv(t)
	id := e.seed()
	notes := "/v1/tickets/" + id + "/notes"
	esc := "/v1/tickets/" + id + "/escalations"
	many := make([]string, MaxArrayItems+1)
	for i := range many {
		many[i] = fmt.Sprintf("%q", "c")
	}
	deep := strings.Repeat(`{"a":`, MaxJSONDepth+1) + "1" + strings.Repeat("}", MaxJSONDepth+1)
	cases := []struct {
		name        string
		path        string
		h           hdr
		body        string
		status      int
		rule, field string
	}{
		{"trailing data", notes, prov, `{"text":"x"}}`, 400, "malformed-request", "body"},
		{"trailing garbage", notes, prov, `{"text":"x"} ok`, 400, "malformed-request", "body"},
		{"duplicate key", notes, prov, `{"text":"x","text":"y"}`, 400, string(RuleDuplicateKey), "text"},
		{"nested duplicate key", "/v1/tickets", prov, `{"title":"t","contact":{"email":"a@p1.example","email":"b@p1.example"}}`, 400, string(RuleDuplicateKey), "contact.email"},
		{"invalid UTF-8", notes, prov, "{\"text\":\"caf\xe9\"}", 400, string(RuleInvalidUTF8), "text"},
		{"invalid UTF-8 in a key", notes, prov, "{\"t\xffxt\":\"x\"}", 400, string(RuleInvalidUTF8), "body"},
		{"terminal escape", notes, prov, `{"text":"\u001b[2Jgone"}`, 422, string(RuleControlCharacter), "text"},
		{"NUL", notes, prov, `{"text":"a\u0000b"}`, 422, string(RuleControlCharacter), "text"},
		{"C1 control", notes, prov, `{"text":"a\u0085b"}`, 422, string(RuleControlCharacter), "text"},
		{"array past its bound", esc, prov, `{"reason":"r","criteriaMet":[` + strings.Join(many, ",") + `]}`, 422, string(RuleTooLarge), "criteriaMet"},
		{"string past its bound", notes, prov, `{"text":"` + strings.Repeat("x", MaxStringBytes+1) + `"}`, 422, string(RuleTooLarge), "text"},
		{"deep JSON", notes, prov, deep, 422, string(RuleTooLarge), strings.TrimSuffix(strings.Repeat("a.", MaxJSONDepth), ".")},
		{"zero occurredAt", notes, prov, `{"text":"x","occurredAt":"0001-01-01T00:00:00Z"}`, 400, "malformed-request", "occurredAt"},
		{"occurredAt before 1970", notes, prov, `{"text":"x","occurredAt":"1969-12-31T23:59:59Z"}`, 400, "malformed-request", "occurredAt"},
		{"oversized body", notes, prov, `{"text":"` + strings.Repeat("x", 2<<20) + `"}`, 413, string(RuleBodyTooLarge), ""},
		{"wrong content type", notes, with(prov, "Content-Type", "application/xml"), `<text>x</text>`, 415, string(RuleUnsupportedMedia), "Content-Type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.head(t)
			r := e.raw("POST", tc.path, tc.h, tc.body)
			if r.code != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.code, tc.status, r.body)
			}
			p := r.problem(t)
			if p.Rule != tc.rule || (tc.field != "" && p.Field != tc.field) {
				t.Fatalf("rule %q field %q, want %q %q: %s", p.Rule, p.Field, tc.rule, tc.field, p.Detail)
			}
			if after := e.head(t); after != before {
				t.Fatalf("appended: head %v → %v", before, after)
			}
		})
	}

	t.Run("limit past its bound", func(t *testing.T) {
		p := e.must(400, e.do("GET", "/v1/tickets?limit=10001", auditorH, nil)).problem(t)
		if p.Field != "limit" || !strings.Contains(p.Detail, "10000") {
			t.Fatalf("problem %+v", p)
		}
	})

	// Same key, same request: the first result. Same key, another
	// request: 422, nothing appended.
	t.Run("idempotency key reused with another body", func(t *testing.T) {
		k := with(prov, HeaderIdempotencyKey, "note-1")
		var first, again CommandResult[json.RawMessage]
		e.must(200, e.do("POST", notes, k, `{"text":"hello"}`)).json(t, &first)
		e.must(200, e.do("POST", notes, k, `{ "text" : "hello" }`)).json(t, &again)
		if first.Replayed || !again.Replayed || again.Revision != first.Revision || again.Events[0].Meta.EventID != first.Events[0].Meta.EventID {
			t.Fatalf("a retry of the same request: %+v after %+v", again, first)
		}
		before := e.head(t)
		p := e.must(422, e.do("POST", notes, k, `{"text":"something else"}`)).problem(t)
		if p.Rule != "idempotency-key-reused" || p.Field != HeaderIdempotencyKey {
			t.Fatalf("problem %+v", p)
		}
		if after := e.head(t); after != before {
			t.Fatalf("appended: head %v → %v", before, after)
		}
		// Opening: the key names the ticket; another request under it is
		// refused too, and the first one still replays.
		ko := with(prov, HeaderIdempotencyKey, "open-1")
		e.must(201, e.do("POST", "/v1/tickets", ko, openBody()))
		other := openBody()
		other["severity"] = "C"
		if p := e.must(422, e.do("POST", "/v1/tickets", ko, other)).problem(t); p.Rule != "idempotency-key-reused" {
			t.Fatalf("problem %+v", p)
		}
		e.must(201, e.do("POST", "/v1/tickets", ko, openBody()))
	})

	// Concurrent conflicting commands with the same expected revision: one
	// wins, the others get 409 and append nothing.
	t.Run("concurrent conflicting commands", func(t *testing.T) {
		var ok, conflicts int
		var mu sync.Mutex
		var wg sync.WaitGroup
		rev := e.revision(t, id)
		before := e.head(t)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.raw("POST", notes, with(prov, HeaderIfMatch, fmt.Sprintf(`"%d"`, rev)), fmt.Sprintf(`{"text":"n%d"}`, i))
				mu.Lock()
				defer mu.Unlock()
				switch r.code {
				case http.StatusOK:
					ok++
				case http.StatusConflict:
					conflicts++
				default:
					t.Errorf("status %d: %s", r.code, r.body)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || conflicts != 7 {
			t.Fatalf("%d accepted, %d conflicts, want 1 and 7", ok, conflicts)
		}
		if after := e.head(t); after.Commit <= before.Commit {
			t.Fatalf("nothing appended")
		}
	})
}

// (or stalls) its body is cut off by the server's read timeout: the
// connection does not stay held, and nothing is appended.
func TestSlowBodyIsCutOff(t *testing.T) {
	e := newEnv(t)
	id := e.seed()
	srv := httptest.NewUnstartedServer(e.h)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// An authenticated partner who may add the note: the request gets as
	// far as reading the body, and the body stalls.
	secret := e.tokenFor(prov)
	before := e.head(t)
	fmt.Fprintf(conn, "POST /v1/tickets/%s/notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nAuthorization: Bearer %s\r\n\r\n{\"text\":", id, secret)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf) // an answer, or the connection closed
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server still holds a stalled request after 10 s")
	}
	t.Logf("answer to the stalled body: %q", strings.SplitN(string(buf[:n]), "\r\n", 2)[0])
	if n > 0 && !strings.Contains(string(buf[:n]), " 400 ") {
		t.Fatalf("a stalled body was answered with other than 400: %s", buf[:n])
	}
	if after := e.head(t); after != before {
		t.Fatalf("appended: head %v → %v", before, after)
	}
}
