package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/kurrentwire"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// kurrentFlags configure the KurrentDB wire endpoint of serve.
type kurrentFlags struct {
	listen    string
	tlsCert   string
	tlsKey    string
	writable  bool
	tlsConfig *tls.Config
}

func (k *kurrentFlags) register(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&k.listen, "kurrent-listen", "", "also serve the embedded store over KurrentDB gRPC on this address, e.g. 127.0.0.1:2113 (credentials required; loopback only unless TLS is set)")
	f.StringVar(&k.tlsCert, "kurrent-tls-cert", "", "PEM certificate (chain) of the KurrentDB endpoint: serves it with TLS, required off loopback")
	f.StringVar(&k.tlsKey, "kurrent-tls-key", "", "PEM private key of --kurrent-tls-cert")
	f.BoolVar(&k.writable, "kurrent-writable", false, "accept appends, deletes and tombstones on the KurrentDB endpoint (default read-only; the ledger's own streams only from a replica token)")
}

// check refuses inconsistent flags and loads the TLS key pair.
func (k *kurrentFlags) check(c *cobra.Command) error {
	if k.listen == "" {
		if k.tlsCert != "" || k.tlsKey != "" || k.writable {
			return usagef(c, "--kurrent-tls-cert, --kurrent-tls-key and --kurrent-writable configure --kurrent-listen: add --kurrent-listen ADDR")
		}
		return nil
	}
	if (k.tlsCert == "") != (k.tlsKey == "") {
		return usagef(c, "--kurrent-tls-cert and --kurrent-tls-key go together: give both files")
	}
	if k.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(k.tlsCert, k.tlsKey)
		if err != nil {
			return usagef(c, "--kurrent-tls-cert %s / --kurrent-tls-key %s: %v (want PEM files of a certificate and its private key)", k.tlsCert, k.tlsKey, err)
		}
		k.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return nil
}

// start listens on --kurrent-listen and serves l's embedded store with
// the ledger's tokens as credentials. A non-loopback address without TLS is refused.
func (k *kurrentFlags) start(ctx context.Context, l *ledger.Ledger, log *slog.Logger) (*kurrentwire.Server, net.Listener, error) {
	lis, err := net.Listen("tcp", k.listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s for --kurrent-listen: %w (pick another address, e.g. 127.0.0.1:2114)", k.listen, err)
	}
	if ap, ok := lis.Addr().(*net.TCPAddr); k.tlsConfig == nil && (!ok || !ap.IP.IsLoopback()) {
		lis.Close()
		return nil, nil, fmt.Errorf("--kurrent-listen %s is not a loopback address: off loopback the KurrentDB endpoint needs TLS, add --kurrent-tls-cert FILE --kurrent-tls-key FILE (credentials are always required), or listen on 127.0.0.1", k.listen)
	}
	// The API's token registry, which serve keeps following the token
	// streams: an issue or a revocation counts on both endpoints at once.
	reg := l.Tokens.Registry()
	log = log.With("component", "kurrentwire")
	opts := kurrentwire.Options{
		Logger: log,
		Access: &kurrentwire.Access{
			Authenticate: kurrentwire.Basic(auth.New(auth.Config{Tokens: reg, Logger: log})),
			Writable:     k.writable,
		},
	}
	if k.tlsConfig != nil {
		opts.GRPCOptions = []grpc.ServerOption{grpc.Creds(credentials.NewTLS(k.tlsConfig))}
	}
	return kurrentwire.NewServer(l.Pebble, opts), lis, nil
}

// url is the connection string clients use.
func (k *kurrentFlags) url(addr string) string {
	if k.tlsConfig != nil {
		return "esdb://TOKEN_ID:SECRET@" + addr
	}
	return "esdb://TOKEN_ID:SECRET@" + addr + "?tls=false"
}
