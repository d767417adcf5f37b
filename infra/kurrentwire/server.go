package kurrentwire

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// Defaults applied by NewServer to zero Options fields.
const (
	// DefaultServerVersion is the KurrentDB version reported to clients.
	DefaultServerVersion = "24.10.0"
	// DefaultKeepaliveMinTime is the shortest client ping interval tolerated.
	// The official clients ping every 10 s by default; gRPC's own default
	// (5 min) would make the server hang up on them with "too_many_pings".
	DefaultKeepaliveMinTime = time.Second
	// DefaultMaxRecvMsgSize matches the official client's 17 MiB message limit.
	DefaultMaxRecvMsgSize = 17 << 20
	// DefaultReadBatchSize is how many events a read or catch-up fetches
	// from the store at a time.
	DefaultReadBatchSize = 512
)

// Options configures a Server. The zero value is ready to use.
type Options struct {
	// ServerVersion is reported by ServerFeatures.GetSupportedMethods
	// ("major.minor.patch"). Default DefaultServerVersion.
	ServerVersion string
	// KeepaliveMinTime is the shortest interval between client keepalive
	// pings the server accepts, with or without active calls.
	// Default DefaultKeepaliveMinTime.
	KeepaliveMinTime time.Duration
	// MaxRecvMsgSize bounds one incoming gRPC message (one proposed event).
	// Default DefaultMaxRecvMsgSize.
	MaxRecvMsgSize int
	// ReadBatchSize is the page size of store reads behind a Read call.
	// Default DefaultReadBatchSize.
	ReadBatchSize int
	// GRPCOptions are appended to the options of the grpc.Server built by
	// NewServer, e.g. grpc.Creds for TLS.
	GRPCOptions []grpc.ServerOption
	// Logger receives unexpected store errors and refused calls.
	// Default: discard.
	Logger *slog.Logger
	// Access authenticates and authorizes every call (see Access). Nil:
	// no authentication, every caller reads and writes every stream — for
	// tests and private sockets only; serve always sets it.
	Access *Access
}

func (o Options) withDefaults() Options {
	if o.ServerVersion == "" {
		o.ServerVersion = DefaultServerVersion
	}
	o.KeepaliveMinTime = positiveOr(o.KeepaliveMinTime, DefaultKeepaliveMinTime)
	o.MaxRecvMsgSize = positiveOr(o.MaxRecvMsgSize, DefaultMaxRecvMsgSize)
	o.ReadBatchSize = positiveOr(o.ReadBatchSize, DefaultReadBatchSize)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// positiveOr returns v, or def when v is not positive (an unset option).
func positiveOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// ServerOptions returns the grpc.ServerOptions the official clients need
// (keepalive enforcement that permits their pings, server pings that detect
// vanished clients, message size), the interceptors of opts.Access, followed
// by opts.GRPCOptions. Use them when building your own grpc.Server for
// Server.Register.
func ServerOptions(opts Options) []grpc.ServerOption {
	opts = opts.withDefaults()
	so := []grpc.ServerOption{
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             opts.KeepaliveMinTime,
			PermitWithoutStream: true,
		}),
		// Ping idle clients too, so a subscription whose client vanished
		// (no FIN, e.g. a network partition) is freed within a minute
		// rather than gRPC's default two hours.
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 20 * time.Second}),
		grpc.MaxRecvMsgSize(opts.MaxRecvMsgSize),
	}
	if opts.Access != nil {
		so = append(so, opts.Access.interceptors(opts)...)
	}
	return append(so, opts.GRPCOptions...)
}

// Store is what the server needs from the store it serves: the event-store
// port, plus the operations KurrentDB clients may call that the ledger never
// does. infra/store/pebblestore and infra/store/kurrent implement it; the
// conformance suite for the added operations is eventstoretest.RunWire.
type Store interface {
	eventstore.Store

	// SubscribeStream is SubscribeAll restricted to one stream; from is a
	// revision (exclusive) or Start/End. Subscribing to a stream that does
	// not exist yet is allowed: its events come when it is written.
	SubscribeStream(ctx context.Context, stream string, from eventstore.StreamPos) (eventstore.Subscription, error)

	// Delete soft-deletes a stream: it reads as not found, and a later
	// append continues its revision numbering. A stream that does not
	// exist is a *eventstore.ConflictError.
	Delete(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error)

	// Tombstone hard-deletes a stream: it can never be read or written
	// again (eventstore.ErrStreamDeleted), nor can its metadata stream.
	Tombstone(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error)
}

// Server serves a Store over KurrentDB's gRPC protocol (the Streams and
// ServerFeatures services). It is safe for concurrent use.
type Server struct {
	store Store
	opts  Options
	grpc  *grpc.Server

	shutdown     chan struct{} // closed by Stop/GracefulStop: ends subscriptions
	shutdownOnce sync.Once
}

// NewServer returns a Server for store. It does not own store: closing the
// store after stopping the server is the caller's job.
func NewServer(store Store, opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		store:    store,
		opts:     opts,
		shutdown: make(chan struct{}),
	}
	so := append(ServerOptions(opts), grpc.ForceServerCodecV2(newWireCodec()))
	s.grpc = grpc.NewServer(so...)
	s.register(s.grpc, true)
	return s
}

// Register registers the Streams and ServerFeatures services on g, for
// callers that serve other services on the same grpc.Server. Build g with
// ServerOptions so the official clients' keepalive pings are accepted, and
// call s.GracefulStop before g.GracefulStop: live subscriptions never end
// on their own.
//
// Events are then marshalled with the standard proto codec; the server
// NewServer builds uses a faster encoder of its own.
func (s *Server) Register(g grpc.ServiceRegistrar) { s.register(g, false) }

func (s *Server) register(g grpc.ServiceRegistrar, fastEvents bool) {
	api.RegisterStreamsServer(g, &streamsService{s: s, fastEvents: fastEvents})
	serverfeatures.RegisterServerFeaturesServer(g, &featuresService{s: s})
}

// Serve accepts connections on lis until Stop or GracefulStop is called.
func (s *Server) Serve(lis net.Listener) error { return s.grpc.Serve(lis) }

// GracefulStop ends live subscriptions (the clients see them dropped with
// status Unavailable), stops accepting calls and waits for the running ones
// to finish.
func (s *Server) GracefulStop() {
	s.closeSubscriptions()
	s.grpc.GracefulStop()
}

// Stop ends all calls and closes all connections at once.
func (s *Server) Stop() {
	s.closeSubscriptions()
	s.grpc.Stop()
}

func (s *Server) closeSubscriptions() {
	s.shutdownOnce.Do(func() { close(s.shutdown) })
}
