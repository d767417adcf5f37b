package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a time in a request body: an RFC 3339 string (or null /
// absent: the zero time). A malformed time is a 400 naming the field.
type Timestamp struct{ time.Time }

var timeType = reflect.TypeFor[time.Time]()

// notAnInstant marks, as the Type of a json.UnmarshalTypeError, a time
// that parses but is no real instant of the ledger's life (before 1970,
// such as 0001-01-01T00:00:00Z, Go's zero time).
type notAnInstant struct{}

var instantType = reflect.TypeFor[notAnInstant]()

// UnmarshalJSON parses an RFC 3339 time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: "non-string " + string(b), Type: timeType}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: strconv.Quote(s), Type: timeType}
	}
	if v.Year() < 1970 {
		return &json.UnmarshalTypeError{Value: strconv.Quote(s), Type: instantType}
	}
	t.Time = v
	return nil
}

// MarshalJSON writes the time in RFC 3339 (null when zero).
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Time)
}

// decodeBody decodes the JSON request body into v strictly: one JSON value,
// valid UTF-8, each key once, within the bounds (checkJSON), no unknown
// fields, right types. Every failure is a 400 or 422 naming the field (or a
// 413 when the body is over the limit).
func decodeBody(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &httpError{status: http.StatusUnsupportedMediaType, rule: RuleUnsupportedMedia, field: "Content-Type",
				msg: fmt.Sprintf("content type %q is not JSON: send application/json", ct)}
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return mbe
		}
		return badRequest("body", "the request body could not be read: %v", err)
	}
	return decodeJSON(body, v)
}

// decodeJSON is decodeBody's check and decoding of the body's bytes.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil // an empty body is an empty object: the domain names what is missing
	}
	if err := checkJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("body", "the request body holds more than one JSON value: send exactly one object")
	}
	return nil
}

// jsonError turns an encoding/json error into a 400 naming the field.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return badRequest("body", "the request body is not valid JSON (at byte %d): %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := jsonPath(typ.Field)
		switch typ.Type {
		case timeType:
			return badRequest(field, "%s: %s is not a time: use RFC 3339, e.g. 2026-03-02T09:30:00Z", field, typ.Value)
		case instantType:
			return badRequest(field, "%s: %s is not a real instant: send when it happened (RFC 3339), or leave it out for now", field, typ.Value)
		}
		return badRequest(field, "%s: a JSON %s cannot be a %s", field, typ.Value, jsonKind(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return badRequest("body", "the request body ends before the JSON value does")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f, _ = strconv.Unquote(f)
		if f == "ticketId" {
			return badRequest(f, "the ledger assigns ticket ids: drop ticketId, and send an Idempotency-Key to make a retry open the same ticket")
		}
		return badRequest(f, "unknown field %q: check the spelling against /openapi.json", f)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe
	}
	return badRequest("body", "the request body could not be decoded: %v", err)
}

// jsonPath drops the Go names of embedded structs (CommandBase) from an
// encoding/json field path: JSON names in this API are camelCase.
func jsonPath(p string) string {
	var out []string
	for _, seg := range strings.Split(p, ".") {
		if seg != "" && (seg[0] < 'A' || seg[0] > 'Z') {
			out = append(out, seg)
		}
	}
	if len(out) == 0 {
		return "body"
	}
	return strings.Join(out, ".")
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return t.String()
}

// query reads the query parameters of a request strictly: only the
// parameters a route declares are allowed, each at most once unless it is a
// list.
type query struct {
	v   url.Values
	err error
}

func newQuery(r *http.Request, allowed []param) (*query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("query", "the query string is malformed: %v", err)
	}
	for name, vals := range v {
		var p *param
		for i := range allowed {
			if allowed[i].Name == name {
				p = &allowed[i]
			}
		}
		if p == nil {
			names := make([]string, len(allowed))
			for i, a := range allowed {
				names[i] = a.Name
			}
			return nil, badRequest(name, "unknown query parameter %q: this route takes %s", name, strings.Join(names, ", "))
		}
		if len(vals) > 1 && !p.List {
			return nil, badRequest(name, "query parameter %q is given %d times: give it once", name, len(vals))
		}
	}
	return &query{v: v}, nil
}

// fail records err as the query's problem unless it already has one.
func (q *query) fail(err error) {
	if q.err == nil {
		q.err = err
	}
}

func (q *query) str(name string) string { return strings.TrimSpace(q.v.Get(name)) }

// list returns a list parameter, given repeated or comma-separated.
func (q *query) list(name string) []string {
	var out []string
	for _, v := range q.v[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// queryValue reads parameter name with parse: def when it is absent (or the
// query already has a problem); a value parse refuses is a 400 saying that
// it is not want.
func queryValue[T any](q *query, name string, def T, want string, parse func(string) (T, error)) T {
	s := q.str(name)
	if s == "" || q.err != nil {
		return def
	}
	v, err := parse(s)
	if err != nil {
		q.err = badRequest(name, "query parameter %s=%q is not %s", name, s, want)
	}
	return v
}

var errNegative = errors.New("negative")

func (q *query) time(name string) time.Time {
	return queryValue(q, name, time.Time{}, "a time: use RFC 3339, e.g. 2026-03-02T09:30:00Z",
		func(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) })
}

func (q *query) duration(name string, def time.Duration) time.Duration {
	return queryValue(q, name, def, "a duration: seconds (e.g. 3600) or 30m, 2h, 1h30m", func(s string) (time.Duration, error) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n <= math.MaxInt64/int64(time.Second) {
			return time.Duration(n) * time.Second, nil // plain seconds, as the API writes durations
		}
		d, err := time.ParseDuration(s)
		if err == nil && d < 0 {
			err = errNegative
		}
		return d, err
	})
}

func (q *query) int(name string) int {
	return queryValue(q, name, 0, "a non-negative integer", func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err == nil && n < 0 {
			err = errNegative
		}
		return n, err
	})
}

func (q *query) bool(name string) bool {
	return queryValue(q, name, false, "true or false", strconv.ParseBool)
}

func (q *query) oneOf(name string, allowed ...string) string {
	s := q.str(name)
	if s == "" || q.err != nil {
		return s
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	q.err = badRequest(name, "query parameter %s=%q is not one of %s", name, s, strings.Join(allowed, ", "))
	return s
}
