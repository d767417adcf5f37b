package webhook

import "time"

// Persisted event type names. Never rename, never reuse.
const (
	TypeSubscribed    = "webhook.subscribed"
	TypeSecretRotated = "webhook.secret_rotated"
	TypePaused        = "webhook.paused"
	TypeResumed       = "webhook.resumed"
	TypeDeleted       = "webhook.deleted"

	TypeDelivered       = "webhook.delivered"
	TypeParked          = "webhook.delivery_parked"
	TypeHeld            = "webhook.delivery_held"
	TypeReplayRequested = "webhook.replay_requested"
	TypeSkipped         = "webhook.delivery_skipped"

	TypeDispatchMark = "webhook.dispatch_mark"
)

// Streams.
const (
	// StreamPrefix is the category of subscription streams.
	StreamPrefix = "webhook-"
	// DeliveryStreamPrefix is the category of a subscription's delivery
	// records (the log and the dead-letter list).
	DeliveryStreamPrefix = "webhookdelivery-"
	// DispatchStream holds the dispatcher's lease and checkpoint.
	DispatchStream = "webhookdispatch"
)

// Stream returns the stream of subscription id.
func Stream(id string) string { return StreamPrefix + id }

// DeliveryStream returns the delivery stream of subscription id.
func DeliveryStream(id string) string { return DeliveryStreamPrefix + id }

// Subscribed: a subscription was created. Partner is empty for a
// ledger-wide subscription (admins only). The secret is generation 1.
type Subscribed struct {
	SubscriptionID string   `json:"subscriptionId"`
	Partner        string   `json:"partner,omitempty"`
	URL            string   `json:"url"`
	Types          []string `json:"types"`
	Description    string   `json:"description,omitempty"`
	CreatedBy      string   `json:"createdBy"`
}

// SecretRotated: the subscription signs with a new secret generation from
// now on; the previous one stays valid (deliveries carry both signatures)
// until PreviousValidUntil.
type SecretRotated struct {
	SubscriptionID     string    `json:"subscriptionId"`
	Generation         int       `json:"generation"`
	PreviousValidUntil time.Time `json:"previousValidUntil"`
	RotatedBy          string    `json:"rotatedBy"`
}

// Paused: no deliveries are made while paused; what happens meanwhile is
// not delivered later.
type Paused struct {
	SubscriptionID string `json:"subscriptionId"`
	Reason         string `json:"reason,omitempty"`
	PausedBy       string `json:"pausedBy"`
}

// Resumed: deliveries start again with the next event.
type Resumed struct {
	SubscriptionID string `json:"subscriptionId"`
	ResumedBy      string `json:"resumedBy"`
}

// Deleted: the subscription ends for good.
type Deleted struct {
	SubscriptionID string `json:"subscriptionId"`
	Reason         string `json:"reason,omitempty"`
	DeletedBy      string `json:"deletedBy"`
}

// Delivery identifies one delivery: one ledger event to one subscription.
// ID is the webhook-id header (the same on every attempt), Sequence the
// ticket's per-ticket sequence number (its stream revision + 1).
type Delivery struct {
	DeliveryID string `json:"deliveryId"`
	EventID    string `json:"eventId"`
	TicketID   string `json:"ticketId"`
	Sequence   uint64 `json:"sequence"`
	Type       string `json:"type"` // the subscription type, e.g. "ticket.escalated" or "sla.breached"
	Position   uint64 `json:"position"`
}

// Attempts sums up the attempts of a delivery.
type Attempts struct {
	Attempts   int       `json:"attempts"`
	Status     int       `json:"status,omitempty"` // the last HTTP status (0: none, e.g. a timeout)
	Error      string    `json:"error,omitempty"`  // the last failure
	LatencyMS  int64     `json:"latencyMs"`        // of the last attempt
	FinishedAt time.Time `json:"finishedAt"`
}

// Delivered: the receiver answered 2xx.
type Delivered struct {
	Delivery
	Attempts
}

// Parked: every attempt failed; the delivery is in the dead-letter list
// and holds back its ticket's later deliveries to this subscription. Body
// is the payload sent, kept for the replay.
type Parked struct {
	Delivery
	Attempts
	Body string `json:"body"`
}

// Held: a delivery queued behind a parked one of the same ticket, not
// attempted yet.
type Held struct {
	Delivery
	Body string `json:"body"`
}

// ReplayRequested: an admin asked for a parked delivery to be tried again.
type ReplayRequested struct {
	DeliveryID  string `json:"deliveryId"`
	TicketID    string `json:"ticketId"`
	RequestedBy string `json:"requestedBy"`
}

// Skipped: an admin gave up a parked delivery; the ticket's held ones go on.
type Skipped struct {
	DeliveryID string `json:"deliveryId"`
	TicketID   string `json:"ticketId"`
	SkippedBy  string `json:"skippedBy"`
}

// DispatchMark: the dispatcher Holder holds the lease until Until and has
// settled every delivery of the events up to Position (its checkpoint).
type DispatchMark struct {
	Holder   string    `json:"holder"`
	Until    time.Time `json:"until"`
	Position uint64    `json:"position"`
	Prepare  uint64    `json:"prepare"`
}

// EventType implementations: the persisted names above.
func (Subscribed) EventType() string      { return TypeSubscribed }
func (SecretRotated) EventType() string   { return TypeSecretRotated }
func (Paused) EventType() string          { return TypePaused }
func (Resumed) EventType() string         { return TypeResumed }
func (Deleted) EventType() string         { return TypeDeleted }
func (Delivered) EventType() string       { return TypeDelivered }
func (Parked) EventType() string          { return TypeParked }
func (Held) EventType() string            { return TypeHeld }
func (ReplayRequested) EventType() string { return TypeReplayRequested }
func (Skipped) EventType() string         { return TypeSkipped }
func (DispatchMark) EventType() string    { return TypeDispatchMark }
