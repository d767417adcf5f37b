// Package auth turns a request's credentials into an authenticated
// Principal, the only thing the ledger records as an event's actor
// (Principal.Actor: id, role, partner, and how it was authenticated).
//
// # Methods
//
// An Authenticator chains the configured methods:
//
//   - Ledger tokens (the embedded default). A token is a random 32-byte
//     secret, "tl_" + base64url, shown once when issued. The ledger stores
//     only its SHA-256, in a principal.token_issued event on the token's
//     stream "token-<tokenId>" (domain/principal). Tokens are presented as
//     "Authorization: Bearer <secret>", or as Basic credentials
//     (user = token id or name, password = secret), the form the
//     KurrentDB client's esdb://user:pass@host sends as gRPC metadata
//     (ParseBasic, Authenticator.AuthenticateBasic).
//   - OIDC: a bearer JWT that is not a ledger token is verified against the
//     issuer's JWKS (github.com/coreos/go-oidc/v3): signature, issuer,
//     audience, expiry. Configurable claims give the actor id (sub), the
//     role and, for the partner roles, the partner. A verified token is
//     cached until it expires (bounded).
//   - Proxy mode: X-Actor-Id, X-Actor-Role and X-Actor-Partner are taken
//     as the identity only when the TCP peer is a configured proxy address
//     (loopback by default). Identity headers from any other peer, or with
//     proxy mode off, are refused (401), never ignored, so a client that
//     believes it acts as someone learns at once that it does not.
//
// No request can act as role system: that is the ledger's own internal
// principal (Internal), used for the work it does by itself and for
// bootstrap. Tokens are never issued with it; OIDC and proxy identities
// claiming it are refused.
//
// # Why SHA-256, not a password hash
//
// Password hashes (bcrypt, scrypt, Argon2) are slow on purpose, to make
// guessing a low-entropy password from its hash expensive. A token secret
// has 256 bits of entropy: no guess succeeds however fast the hash, so a
// slow hash would only make every request slower. SHA-256 also makes the
// hash a map key: a look-up costs one hash and one map access, with no
// per-token comparison loop and so no timing difference between tokens.
//
// # How issuing and revocation propagate
//
// Issuing and revoking (Tokens) are events appended to the token's stream
// in the event store, so they are audited like everything else and live
// wherever the store does (the embedded store, or a KurrentDB cluster
// shared by several replicas). Every replica's Registry loads the token
// streams at start (Load) and then follows them (Follow, a filtered $all
// subscription), so a token issued or revoked on one replica is known to
// every replica as soon as its subscription delivers the event. On the
// replica that appended it, Tokens applies the event to the registry before
// returning (Registry.Apply), so a revocation takes effect there at once.
// Applying an event twice (once by Apply, once by the subscription) is
// harmless: the registry keeps the last stream revision applied per token.
//
// # Bootstrap and handed-in tokens
//
// Bootstrap issues, as the internal principal, an admin token when the
// store has no active one, and writes it to a file with mode 0600 (the
// data directory's admin.token). Deployments hand tokens in instead by
// environment variable or file (ProvidedFromEnv: TICKETLEDGER_ADMIN_TOKEN,
// TICKETLEDGER_METRICS_TOKEN, or their _FILE twins, e.g. a compose secret
// readable by the Prometheus container); Provision registers each as an
// issued event on first use, so it is audited like any other token. The
// metrics token is an auditor token with scope metrics
// (Principal.MetricsOnly): a read-only role, further limited to /metrics,
// so a leaked scrape configuration reads no ticket.
//
// # Failures
//
// Authenticate returns ErrNoCredentials for an anonymous request and a
// *Denied for a refused one: 401 for unknown, expired or revoked tokens,
// JWTs that do not verify, malformed headers and untrusted identity
// headers; 429 with a retry-after once a source address has failed too
// often (a token bucket per address, FailuresPerMinute and FailureBurst).
// A rate-limited source is refused before its credentials are checked, so
// guessing does not go on at full speed. Denials are logged with slog at
// most once per source and reason per interval (with the number
// suppressed), and counted through Config.OnDenied, which the metrics
// package can implement.
package auth
