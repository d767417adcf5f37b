// Package webhook delivers the ledger's events to subscribers' HTTPS
// endpoints, following the Standard Webhooks specification
// (https://www.standardwebhooks.com): the webhook-id, webhook-timestamp
// and webhook-signature headers, "v1," + base64 HMAC-SHA256 over
// "<id>.<timestamp>.<body>" with a "whsec_" secret, and during a secret
// rotation's overlap both signatures.
//
// Service runs the subscription commands (domain/webhook) and answers the
// delivery log and the dead-letter list. Dispatcher delivers: off the
// command path, it reads $all from its checkpoint, at least once and in
// order per ticket and subscription, with retries (exponential backoff and
// jitter), parking a delivery that fails every attempt in the dead-letter
// list, where it holds back its ticket's later deliveries until an admin
// replays or skips it.
//
// One dispatcher delivers at a time, whatever the number of serve
// replicas on one store: a lease in the webhookdispatch stream, taken and
// renewed by appending a webhook.dispatch_mark with the expected revision
// (so two replicas cannot both take it), taken over once it has expired.
// Every mark also carries the checkpoint (the position up to which every
// delivery is settled), so a restart or a new holder resumes where the
// last one stopped. Marks are appended only for batches that delivered
// something and to renew the lease: events no subscription takes cost no
// append, and a quiet log lets the lease lapse. A holder that lost its lease finds out at its next
// append (a revision conflict) and stops.
//
// Events whose metadata says "imported": true (history imported from
// another desk) are never delivered.
//
// Secrets are derived from the ledger's webhook Key (HMAC-SHA-256 of the
// subscription id and the secret's generation) and never stored.
//
// Guard keeps deliveries to public addresses (SSRF): checked when
// subscribing and, in the dialer's Control hook, on the address each
// connection is made to, after DNS resolution; redirects are not followed.
package webhook
