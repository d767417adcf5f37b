package kurrentwire

import (
	"context"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
)

// featuresService implements KurrentDB's ServerFeatures service, which the
// official clients call once per connection to learn what the node offers.
type featuresService struct {
	serverfeatures.UnimplementedServerFeaturesServer
	s *Server
}

// Service names as KurrentDB reports them (lower case).
const (
	streamsServiceName  = "event_store.client.streams.streams"
	featuresServiceName = "event_store.client.server_features.serverfeatures"
)

// GetSupportedMethods lists the methods this server implements. BatchAppend,
// persistent subscriptions, projections, users, operations and gossip are
// absent, so clients do not try them.
func (f *featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: f.s.opts.ServerVersion,
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: streamsServiceName, MethodName: "read", Features: []string{"position", "events"}},
			{ServiceName: streamsServiceName, MethodName: "append"},
			{ServiceName: streamsServiceName, MethodName: "delete"},
			{ServiceName: streamsServiceName, MethodName: "tombstone"},
			{ServiceName: featuresServiceName, MethodName: "getsupportedmethods"},
		},
	}, nil
}
