package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheckUnhealthy(t *testing.T) {
	clearEnv(t)
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"title":"Service Unavailable","status":503,"detail":"projections are catching up"}`))
	}))
	defer notReady.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	defer slow.Close()
	defer close(hang)
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"503 with a problem", []string{"--url", notReady.URL + "/readyz"}, 1, "answered 503: projections are catching up"},
		{"no answer in time", []string{"--url", slow.URL + "/readyz", "--timeout", "50ms"}, 1, "no answer within 50ms"},
		{"nothing listening", []string{"--url", goneURL + "/readyz"}, 1, "is serve listening on that address?"},
		{"not a URL", []string{"--url", "127.0.0.1:8080/readyz"}, 2, "want an absolute http:// or https:// URL"},
		{"zero timeout", []string{"--url", notReady.URL, "--timeout", "0s"}, 2, "want a positive duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"healthcheck"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tc.code, r.err)
			}
			if !strings.Contains(r.err, tc.want) {
				t.Fatalf("stderr %q does not mention %q", r.err, tc.want)
			}
		})
	}
}

func TestHealthcheckReadyLedger(t *testing.T) {
	e := newEnv(t)
	e.caughtUp()
	r := runCLI(t, "healthcheck", "--url", e.srv.URL+"/readyz")
	if r.code != 0 {
		t.Fatalf("healthcheck of a ready ledger: exit %d, stderr %q", r.code, r.err)
	}
	if !strings.Contains(r.out, "healthy: "+e.srv.URL+"/readyz") {
		t.Fatalf("stdout %q does not say healthy", r.out)
	}
}
