// Package integrity makes the ledger's log tamper-evident beyond each
// stream's hash chain (infra/codec):
//
//   - Signing keys (SigningKey, Ed25519) and the keyring stream
//     (ledger.KeyringStream): the first key_added is the trust anchor and
//     signs itself; every later keyring event is signed by a key already
//     there and not retired. A key is valid for events after its key_added
//     and, once retired, only before its key_retired, by position in the
//     global log: a signature outside that range is forged.
//   - Key rotation: RotateKey records it; Sealer.Rotate seals with the old
//     key first; KeyHolder swaps the ledger's signer behind an append
//     barrier, so nothing signed by the old key is committed after its
//     retirement.
//   - The RFC 6962 Merkle tree over every event in $all order (Tree) and
//     signed tree heads (SignHead, ParseHead: C2SP checkpoints in the
//     signed-note format), appended as seals by the Sealer and published
//     outside the log (HeadSink: FileSink, HeadPoster, Sinks).
//   - VerifyLog: the whole log checked against its keyring and seals, each
//     problem located, optionally against a head held outside the log and a
//     pinned trust anchor.
package integrity
