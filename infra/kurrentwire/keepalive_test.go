package kurrentwire_test

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"

	"github.com/ticketledger/ticketledger/infra/kurrentwire"
)

// pingUntilGoAway opens a bare HTTP/2 connection (no calls in flight, like
// an idle client), pings n times, interval apart, and reports the GOAWAY
// debug data the server sent, if any.
func pingUntilGoAway(addr string, n int, interval time.Duration) (string, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		return "", err
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		return "", err
	}
	goaway := make(chan string, 1)
	settings := make(chan struct{}, 4)
	go func() {
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			switch f := f.(type) {
			case *http2.GoAwayFrame:
				goaway <- string(f.DebugData()) + " " + f.ErrCode.String()
				return
			case *http2.SettingsFrame:
				if !f.IsAck() {
					settings <- struct{}{}
				}
			}
		}
	}()
	select {
	case <-settings:
		if err := fr.WriteSettingsAck(); err != nil {
			return "", err
		}
	case <-time.After(5 * time.Second):
		return "", errors.New("no SETTINGS from server")
	}
	for i := range n {
		if i > 0 {
			select {
			case g := <-goaway:
				return g, nil
			case <-time.After(interval):
			}
		}
		if err := fr.WritePing(false, [8]byte{byte(i)}); err != nil {
			break // the server hung up
		}
	}
	select {
	case g := <-goaway:
		return g, nil
	case <-time.After(500 * time.Millisecond):
		return "", nil
	}
}

// Trap (fast check): pings more frequent than gRPC's default enforcement
// allows, on a connection without calls, must not get GOAWAY
// "too_many_pings". The control server with gRPC defaults proves the test
// would catch it: gRPC counts a strike for every ping after the first that
// comes too early, and hangs up on the third, so four pings are enough.
func TestKeepalivePolicyPermitsClientPings(t *testing.T) {
	const pings, every = 4, 1100 * time.Millisecond // > DefaultKeepaliveMinTime

	control := grpc.NewServer()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = control.Serve(lis) }()
	defer control.Stop()

	addr, _ := startServer(t, newStore(t), kurrentwire.Options{})

	type result struct {
		who, goaway string
		err         error
	}
	results := make(chan result, 2)
	for who, a := range map[string]string{"wire": addr, "control": lis.Addr().String()} {
		go func() {
			g, err := pingUntilGoAway(a, pings, every)
			results <- result{who, g, err}
		}()
	}
	for range 2 {
		r := <-results
		switch {
		case r.err != nil:
			t.Errorf("%s: %v", r.who, r.err)
		case r.who == "wire" && r.goaway != "":
			t.Errorf("wire server sent GOAWAY %q to a client pinging every %v", r.goaway, every)
		case r.who == "control" && r.goaway == "":
			t.Errorf("control server with gRPC defaults tolerated the pings: the test proves nothing")
		}
	}
}
