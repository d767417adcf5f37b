package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/ticketledger/ticketledger/infra/http/server"
)

// apiError is a problem document the API answered with.
type apiError struct{ Problem server.Problem }

func (e *apiError) Error() string {
	return fmt.Sprintf("API %d %s: %s", e.Problem.Status, e.Problem.Rule, e.Problem.Detail)
}

// recorder is an in-process http.ResponseWriter for API calls.
type recorder struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }
func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
}
func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.body.Write(b)
}

// call runs one API request in process as the session's principal (its
// credential as the bearer token, from the browser's address), with the
// extra headers hdr, and decodes the JSON answer into out; a problem
// answer is an *apiError.
func (c *Console) call(r *http.Request, s *session, method, path string, q url.Values, hdr http.Header, body, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("console: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	u := path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(r.Context(), method, u, rd)
	if err != nil {
		return fmt.Errorf("console: %s %s: %w", method, path, err)
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+s.credential)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	c.api.ServeHTTP(rec, req)
	if rec.status >= 400 {
		var p server.Problem
		if err := json.Unmarshal(rec.body.Bytes(), &p); err != nil || p.Status == 0 {
			p = server.Problem{Status: rec.status, Title: http.StatusText(rec.status), Detail: rec.body.String()}
		}
		return &apiError{Problem: p}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("console: decode %s %s: %w", method, path, err)
	}
	return nil
}

// get is call for a query.
func (c *Console) get(r *http.Request, s *session, path string, q url.Values, out any) error {
	return c.call(r, s, http.MethodGet, path, q, nil, nil, out)
}
