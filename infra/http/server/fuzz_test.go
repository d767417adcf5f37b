package server

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCommandDecoding: whatever body a client sends to a command route,
// decoding it into the route's body type answers a value or an error that
// names the problem, never a panic; what it accepts is one valid JSON value
// of valid UTF-8 with each key once.
func FuzzCommandDecoding(f *testing.F) {
	var bodies []reflect.Type
	for _, rt := range routes() {
		if rt.command {
			bodies = append(bodies, reflect.TypeOf(rt.body))
		}
	}
	for _, s := range []string{`{"text":"x"}`, `{"reason":"r","criteriaMet":["a","b"]}`, `{"contact":{"email":"a@b.example"}}`,
		`{"occurredAt":"2026-03-02T09:00:00Z"}`, `{"a":1}}`, `{"a":1,"a":2}`, "{\"t\":\"\xff\"}", `[`, ``} {
		f.Add(uint8(0), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		typ := bodies[int(which)%len(bodies)]
		v := reflect.New(typ).Interface()
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		err := decodeBody(req, v)
		if err != nil {
			var he *httpError
			if !asHTTPError(err, &he) || he.msg == "" {
				t.Fatalf("%s: an error without a problem: %v", typ, err)
			}
			return
		}
		if strings.TrimSpace(body) != "" && (!utf8.ValidString(body) || !json.Valid([]byte(body)) || checkJSON([]byte(body)) != nil) {
			t.Fatalf("%s accepted %q", typ, body)
		}
	})
}

func asHTTPError(err error, he **httpError) bool {
	e, ok := err.(*httpError)
	*he = e
	return ok
}
