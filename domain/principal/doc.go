// Package principal is the token aggregate: one stream per ledger-issued
// bearer token, "token-<tokenId>" (StreamPrefix + id), holding its issuance
// (the role and, for a partner role, the partner it acts for, a name, an
// optional expiry, the SHA-256 of its secret, who issued it) and, at most
// once, its revocation.
//
// The secret itself is never in an event: infra/auth makes it, shows it once
// and records only its hash. Issuing and revoking are events in the
// ledger's own streams so that they are audited like everything else and
// reach every replica reading the same store.
//
// New(id) is a token not issued yet; Issue starts its stream. Rebuild(id,
// history) replays a stored stream. Revoking a revoked token emits nothing.
// Commands take the ledger's now: issuing and revoking happen when the
// ledger records them, they are never backdated.
//
// Who may act: an admin, or the ledger's internal principal (role system:
// the bootstrap token and tokens handed in by the deployment). Auditors
// change nothing (auditor-read-only); every other role is refused
// (role-not-allowed). No token can be issued with role system: that role
// belongs to the internal principal alone.
package principal
