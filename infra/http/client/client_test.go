package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
)

func TestProblemsMapToKinds(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   domain.Kind
		want   string
	}{
		{422, `{"type":"about:blank","title":"Unprocessable","status":422,"detail":"phone support is not offered","rule":"no-phone-channel","field":"channel"}`, domain.KindInvalid, "phone support is not offered [rule no-phone-channel] (field channel)"},
		{403, `{"status":403,"detail":"Dynamics 365 needs ASfP","rule":"dynamics-needs-asfp"}`, domain.KindForbidden, "[rule dynamics-needs-asfp]"},
		{404, `{"status":404,"detail":"no ticket 42"}`, domain.KindNotFound, "no ticket 42"},
		{409, `{"status":409,"detail":"stale","currentRevision":7}`, domain.KindConflict, "--expected-revision 7"},
		{500, `oops`, domain.KindInternal, "oops"},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(c.status)
			w.Write([]byte(c.body))
		}))
		err := New(srv.URL).Post(context.Background(), "/v1/x", map[string]string{"a": "b"}, nil)
		srv.Close()
		var ce *Error
		if !errors.As(err, &ce) || ce.Unavailable || ce.Kind() != c.kind {
			t.Errorf("status %d: error %#v, want a problem of kind %v", c.status, err, c.kind)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("status %d: error %v, want it to contain %q", c.status, err, c.want)
		}
	}
}

func TestHeadersAndDecode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Actor-Id") != "alice" || r.Header.Get("X-Actor-Role") != "indirect_provider" ||
			r.Header.Get("X-Actor-Partner") != "p1" || r.Header.Get("Idempotency-Key") != "k1" || r.Header.Get("If-Match") != `"3"` {
			http.Error(w, "missing headers", 400)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c := New(srv.URL)
	c.Actor = domain.Actor{ID: "alice", Role: domain.RoleIndirectProvider, Partner: "p1"}
	c.IdempotencyKey, c.IfMatch = "k1", "3"
	var out struct{ OK bool }
	if err := c.Post(context.Background(), "/v1/x", struct{}{}, &out); err != nil || !out.OK {
		t.Fatalf("Post = %v, %+v", err, out)
	}
}

func TestUnreachable(t *testing.T) {
	err := New("http://127.0.0.1:1").Get(context.Background(), "/v1/tickets", nil, nil)
	var ce *Error
	if !errors.As(err, &ce) || !ce.Unavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if !strings.Contains(err.Error(), "ticketledger serve") {
		t.Errorf("error does not say what to do: %v", err)
	}
}

// TestStaleRevisionSaysItOnce: the rule and the way to retry appear once,
// though the server's detail ends with the rule too.
func TestStaleRevisionSaysItOnce(t *testing.T) {
	rev := uint64(1)
	e := &Error{Problem: Problem{Status: 409, Rule: "stale-revision", Field: "If-Match", CurrentRevision: &rev,
		Detail: "ticket-x changed since you read it: you expected revision 0 but it is at revision 1; read it again and retry against the current revision [stale-revision]"}}
	msg := e.Error()
	for s, n := range map[string]int{"stale-revision": 1, "--expected-revision 1": 1, "retry": 2, "If-Match": 0} {
		if got := strings.Count(msg, s); got != n {
			t.Errorf("%q %d times, want %d: %s", s, got, n, msg)
		}
	}
	// Without a current revision the field is named.
	e = &Error{Problem: Problem{Status: 422, Rule: "required-field", Field: "locale", Detail: "locale is empty"}}
	if got := e.Error(); got != "locale is empty [rule required-field] (field locale)" {
		t.Errorf("invalid: %s", got)
	}
}
