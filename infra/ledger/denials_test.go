package ledger

import (
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/metrics"
)

// The API counts denied requests on the metrics it is given as Observer.
var _ server.DenialObserver = (*metrics.Metrics)(nil)
