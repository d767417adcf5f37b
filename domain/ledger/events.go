// Package ledger holds the events the ledger records about itself: the
// public keys that sign its events (the keyring stream) and the signed tree
// heads that seal the global log (the seals stream), and the restores of a
// backup over a ledger that had moved on (the restores stream).
// infra/integrity writes and checks them.
package ledger

import (
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// Persisted event type names. Never rename, never reuse.
const (
	TypeKeyAdded   = "ledger.key_added"
	TypeKeyRetired = "ledger.key_retired"
	TypeSealed     = "ledger.sealed"
	TypeRestored   = "ledger.restored"
)

// Streams of the ledger's own events.
const (
	KeyringStream  = "ledger-keys"
	SealsStream    = "ledger-seals"
	RestoresStream = "ledger-restores"
)

// AlgorithmEd25519 is the only signing algorithm.
const AlgorithmEd25519 = "ed25519"

// KeyAdded: a public key joined the keyring; events signed by it verify
// from now on. The first key_added of the keyring is signed by its own key
// (the trust anchor, pinned by fingerprint); every later one is signed by a
// key already in the keyring, so a key cannot be added without one.
type KeyAdded struct {
	KeyID     string `json:"keyId"`     // 16 hex digits: first 8 bytes of SHA-256(public key)
	Algorithm string `json:"algorithm"` // "ed25519"
	PublicKey string `json:"publicKey"` // 32 bytes, standard base64
	Reason    string `json:"reason,omitempty"`
}

// KeyRetired: the ledger stopped signing with a key, at this event's
// position in the global log. It stays in the keyring so history signed by
// it before that position still verifies; a signature by it after that
// position (an event, a seal, a keyring event) is forged. A rotation is a
// key_added of the new key signed by the old one, then this event signed by
// the new one.
type KeyRetired struct {
	KeyID  string `json:"keyId"`
	Reason string `json:"reason,omitempty"`
}

// Sealed: a signed tree head over the first TreeSize events of the global
// log. Checkpoint is the head as a C2SP checkpoint in the signed-note
// format, signed by KeyID; PreviousSize and PreviousRoot repeat the head of
// the previous seal (0 and "" for the first), chaining the seals. Flagged
// lists, one line each, the covered events whose hash or signature did not
// verify when the sealer met them ("leaf <index> <stream>@<revision>
// <eventId>: <problem>"): recorded, never sealed over silently.
type Sealed struct {
	TreeSize     int64     `json:"treeSize"`
	RootHash     string    `json:"rootHash"` // 32 bytes, standard base64
	KeyID        string    `json:"keyId"`
	SealedAt     time.Time `json:"sealedAt"`
	Checkpoint   string    `json:"checkpoint"`
	PreviousSize int64     `json:"previousSize"`
	PreviousRoot string    `json:"previousRoot,omitempty"`
	Flagged      []string  `json:"flagged,omitempty"`
}

// Restored: the log was put back to a backup taken at FromPosition (its
// last event) over a ledger whose log had reached ReplacedHead: the events
// after FromPosition that the replaced log held are gone from this one.
// ReplacedTreeSize and ReplacedRoot are the last signed tree head the
// replaced log carried (0 and "" when it had none): a party holding that
// head, or a later one, sees a log that is not an extension of it, and this
// event says why. BackupTakenAt is when the backup was taken (its manifest).
type Restored struct {
	FromPosition     int64     `json:"fromPosition"`
	BackupTakenAt    time.Time `json:"backupTakenAt"`
	BackupTreeSize   int64     `json:"backupTreeSize"`
	ReplacedHead     int64     `json:"replacedHead"`
	ReplacedTreeSize int64     `json:"replacedTreeSize"`
	ReplacedRoot     string    `json:"replacedRoot,omitempty"`
	Reason           string    `json:"reason,omitempty"`
}

// EventType implements domain.Event.
func (Restored) EventType() string { return TypeRestored }

// EventType implements domain.Event.
func (KeyAdded) EventType() string { return TypeKeyAdded }

// EventType implements domain.Event.
func (KeyRetired) EventType() string { return TypeKeyRetired }

// EventType implements domain.Event.
func (Sealed) EventType() string { return TypeSealed }

// Specs lists the ledger's own event types for the catalog.
func Specs() []domain.EventSpec {
	return domain.SpecsOf(KeyAdded{}, KeyRetired{}, Sealed{}, Restored{})
}
