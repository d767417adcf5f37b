// Package webhook holds the rules of webhook subscriptions: who may
// subscribe what, to which kinds of notification, at which address, and the
// events that record subscriptions and their deliveries.
//
// A subscription is an aggregate with its own stream, "webhook-<id>"
// (StreamPrefix + id): Subscribed, then any of SecretRotated, Paused,
// Resumed, and at most one Deleted, after which nothing changes. Its
// deliveries are recorded in "webhookdelivery-<id>" (DeliveryStreamPrefix):
// Delivered, Parked, Held, ReplayRequested and Skipped, so the delivery log
// and the dead-letter list are the same on every replica and audited like
// every other change. The dispatcher's lease and checkpoint are
// DispatchMarks in DispatchStream.
//
// Who may act: a partner (indirect provider or reseller) subscribes for its
// own partner organisation only and manages only its own subscriptions; an
// admin (or the ledger's internal principal) subscribes ledger-wide (no
// partner) or for any partner, and manages every subscription and the
// dead-letter list. Vendor support and auditors manage none.
//
// The secret itself is never in an event: infra/webhook derives it from the
// ledger's webhook key, the subscription id and the secret's generation,
// and shows it once. The events record the generation and how long the
// previous one stays valid.
package webhook
