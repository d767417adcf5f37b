package main

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"", "127.0.0.1:6060", "[::1]:6060", "localhost:6060", "127.0.0.2:0"} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{":6060", "0.0.0.0:6060", "192.168.1.4:6060", "[::]:6060", "example.com:6060", "6060"} {
		if err := checkLoopback(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestServePprofRefusesNonLoopback(t *testing.T) {
	clearEnv(t)
	r := runCLI(t, "serve", "--data", t.TempDir(), "--pprof", "0.0.0.0:6060")
	if r.code != 2 || !strings.Contains(r.err, "not a loopback address") {
		t.Fatalf("serve --pprof 0.0.0.0:6060: %+v", r)
	}
}

func TestPprofHandler(t *testing.T) {
	srv := httptest.NewServer(pprofHandler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp, err = srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("the profiler's mux serves only /debug/pprof/: /metrics answered %d", resp.StatusCode)
	}
}
