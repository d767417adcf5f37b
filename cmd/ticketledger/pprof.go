package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
)

// checkLoopback accepts "" (off) or a host:port whose host is a loopback
// address or localhost: the profiler has no authentication, so it never
// listens where others can reach it.
func checkLoopback(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: give a loopback address such as 127.0.0.1:6060", addr)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address: the profiler has no authentication, so it listens on loopback only (e.g. 127.0.0.1:6060 or [::1]:6060); reach it from elsewhere through an SSH tunnel", addr)
}

// pprofHandler serves net/http/pprof under /debug/pprof/ on a mux of its
// own (never http.DefaultServeMux).
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
