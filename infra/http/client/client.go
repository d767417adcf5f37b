// Package client is the ledger's HTTP API client used by the CLI: it sends
// JSON requests with the actor headers and turns RFC 9457 problem documents
// and transport failures into typed *Error values (Kind says which domain
// error kind a problem's status stands for; Unavailable, that the server
// could not be reached).
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// Client talks to one ledger server.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	HTTP    *http.Client
	// Token is the bearer token sent as "Authorization: Bearer <Token>"
	// (a ledger token or an OIDC JWT).
	Token string
	// Actor, when set, is sent as the X-Actor-* identity headers: only a
	// ledger in proxy mode honours them, and only from a trusted proxy
	// address; any other ledger refuses them (401).
	Actor      domain.Actor
	OnBehalfOf string
	// IdempotencyKey, when set, is sent with every command so that a retry
	// of the same CLI invocation appends nothing twice.
	IdempotencyKey string
	// IfMatch, when set, is sent as the expected revision of a command.
	IfMatch string
	// MinPosition, when set, is sent with every query (minPosition): the
	// server answers once its read models hold that global-log position,
	// so a read through any replica sees a write another one took.
	MinPosition uint64
}

// New returns a client for baseURL with a sane timeout.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Problem is an RFC 9457 problem document as the server sends it.
type Problem struct {
	Type            string  `json:"type"`
	Title           string  `json:"title"`
	Status          int     `json:"status"`
	Detail          string  `json:"detail"`
	Rule            string  `json:"rule,omitempty"`
	Field           string  `json:"field,omitempty"`
	CurrentRevision *uint64 `json:"currentRevision,omitempty"`
}

// Error is a failed call: a problem from the server, or a transport failure
// (Unavailable) when the server could not be reached.
type Error struct {
	Problem     Problem
	Unavailable bool
	Err         error
}

// Error says what failed and, for an unreachable server, what to check.
func (e *Error) Error() string {
	if e.Unavailable {
		return fmt.Sprintf("cannot reach the ledger: %v (is `ticketledger serve` running? set --server or TICKETLEDGER_SERVER)", e.Err)
	}
	p := e.Problem
	msg := p.Message()
	if p.Rule != "" {
		msg += " [rule " + p.Rule + "]"
	}
	return msg + p.Hints()
}

// Message is what went wrong: the detail, else the title, without the
// rule the detail may end with ("… [stale-revision]"): Error and the CLI
// name the rule once themselves.
func (p Problem) Message() string {
	m := p.Detail
	if m == "" {
		m = p.Title
	}
	if p.Rule != "" {
		m = strings.TrimSuffix(m, " ["+p.Rule+"]")
	}
	return m
}

// Hints names the field at fault or, for a stale revision (whose detail
// already says what happened and to read again), the flag that retries
// against the current revision; empty when there are none.
func (p Problem) Hints() string {
	if p.CurrentRevision != nil {
		return fmt.Sprintf(" (to retry: --expected-revision %d)", *p.CurrentRevision)
	}
	if p.Field != "" {
		return " (field " + p.Field + ")"
	}
	return ""
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Kind maps the HTTP status back to the domain's error kind.
func (e *Error) Kind() domain.Kind {
	switch s := e.Problem.Status; {
	case e.Unavailable:
		return domain.KindInternal
	case s == http.StatusNotFound:
		return domain.KindNotFound
	case s == http.StatusConflict || s == http.StatusPreconditionFailed:
		return domain.KindConflict
	case s == http.StatusForbidden:
		return domain.KindForbidden
	case s >= 400 && s < 500:
		return domain.KindInvalid
	}
	return domain.KindInternal
}

// Get sends a GET with query parameters and decodes the JSON answer into out.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return c.do(ctx, http.MethodGet, path, nil, nil, out)
}

// Post sends a command (JSON body) and decodes the JSON answer into out.
func (c *Client) Post(ctx context.Context, path string, body, out any) error {
	return c.do(ctx, http.MethodPost, path, nil, body, out)
}

// Call holds the per-call headers of PostAs, which replace the Client's
// (Actor, OnBehalfOf, IdempotencyKey, IfMatch) for that call only.
type Call struct {
	Token          string // "": the Client's Token
	Actor          domain.Actor
	OnBehalfOf     string
	IdempotencyKey string
	IfMatch        string
	CorrelationID  string
}

// PostAs sends a command with the headers of call instead of the Client's.
func (c *Client) PostAs(ctx context.Context, call Call, path string, body, out any) error {
	return c.do(ctx, http.MethodPost, path, &call, body, out)
}

// Raw sends a GET and returns the body unparsed (for /metrics, evidence).
func (c *Client) Raw(ctx context.Context, path string) ([]byte, error) {
	var b rawBody
	err := c.do(ctx, http.MethodGet, path, nil, nil, &b)
	return b, err
}

type rawBody []byte

// stream is a request body sent as it is read, with its media type.
type stream struct {
	r           io.Reader
	contentType string
}

// Import sends an import file (JSON lines, read from body as it is sent)
// to POST /v1/admin/import and decodes the run's summary into out. Only
// ctx bounds it: an import takes as long as its file.
func (c *Client) Import(ctx context.Context, body io.Reader, out any) error {
	cc := *c
	hc := *c.HTTP
	hc.Timeout = 0
	cc.HTTP = &hc
	return cc.do(ctx, http.MethodPost, "/v1/admin/import", &Call{Actor: c.Actor}, stream{r: body, contentType: "application/x-ndjson"}, out)
}

// Lines, as the out of Post, asks for a streamed answer (Accept:
// application/x-ndjson) and is called with each line of it as it comes.
// An error it returns ends the call with that error.
type Lines func(line []byte) error

func (c *Client) do(ctx context.Context, method, path string, call *Call, body, out any) error {
	if call == nil {
		call = &Call{Actor: c.Actor, OnBehalfOf: c.OnBehalfOf, IdempotencyKey: c.IdempotencyKey, IfMatch: c.IfMatch}
	}
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case stream:
		rd, contentType = b.r, b.contentType
	default:
		js, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(js)
	}
	if method == http.MethodGet && c.MinPosition > 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "minPosition=" + strconv.FormatUint(c.MinPosition, 10)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	lines, streamed := out.(Lines)
	if streamed {
		req.Header.Set("Accept", "application/x-ndjson, application/json")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if tok := call.Token; tok != "" || c.Token != "" {
		if tok == "" {
			tok = c.Token
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if call.Actor.ID != "" || call.Actor.Role != "" {
		req.Header.Set("X-Actor-Id", call.Actor.ID)
		req.Header.Set("X-Actor-Role", string(call.Actor.Role))
		if call.Actor.Partner != "" {
			req.Header.Set("X-Actor-Partner", call.Actor.Partner)
		}
	}
	if call.OnBehalfOf != "" {
		req.Header.Set("X-On-Behalf-Of", call.OnBehalfOf)
	}
	if call.CorrelationID != "" {
		req.Header.Set("X-Correlation-Id", call.CorrelationID)
	}
	if method != http.MethodGet {
		if call.IdempotencyKey != "" {
			req.Header.Set("Idempotency-Key", call.IdempotencyKey)
		}
		if call.IfMatch != "" {
			req.Header.Set("If-Match", `"`+strings.Trim(call.IfMatch, `"`)+`"`)
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return &Error{Unavailable: true, Err: err}
	}
	defer resp.Body.Close()
	if streamed && resp.StatusCode < 400 {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			if err := lines(sc.Bytes()); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return &Error{Unavailable: true, Err: fmt.Errorf("read answer: %w", err)}
		}
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return &Error{Unavailable: true, Err: fmt.Errorf("read answer: %w", err)}
	}
	if resp.StatusCode >= 400 {
		e := &Error{Problem: Problem{Status: resp.StatusCode, Title: resp.Status}}
		if json.Unmarshal(data, &e.Problem) != nil || e.Problem.Status == 0 {
			e.Problem.Status = resp.StatusCode
			e.Problem.Detail = strings.TrimSpace(string(data))
		}
		return e
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *rawBody:
		*o = data
		return nil
	default:
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
		}
	}
	return nil
}
