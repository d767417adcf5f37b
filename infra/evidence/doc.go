// Package evidence builds, reads and verifies evidence bundles: one zip file
// that holds a ticket's events exactly as stored (payload and metadata
// bytes, with their signatures), an RFC 6962 inclusion proof of each event
// against one signed tree head (a C2SP checkpoint), the public keys, the
// SLA policy and calendar definitions the ticket's deadlines name, and the
// verdicts the ledger recorded. Verify checks a bundle with nothing but its
// contents (and, when given, a trusted key or a trusted tree head held
// outside it), and says in plain words what it proves.
//
// The format is specified byte for byte in docs/evidence-bundle.md; a second,
// independent verifier in Python (tools/verify-bundle.py) follows that
// document, not this code.
//
// Events newer than the latest seal: Build is given the head the sealer
// has signed; the server waits briefly for a head that covers the ticket's
// newest event, and any events it still does not cover are listed in the
// manifest ("unsealedRevisions") and verified by signature only. They must
// be the newest events of the stream; with a trusted key or head they must
// be signed by the trusted key.
package evidence
