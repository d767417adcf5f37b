package integrity

import (
	"fmt"
	"strings"

	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// ProblemKind names what is wrong. Persisted in reports: never rename.
type ProblemKind string

// Problem kinds.
const (
	ProblemMalformed     ProblemKind = "malformed"        // metadata without a well-formed hash member, undecodable seal…
	ProblemHashMismatch  ProblemKind = "hash-mismatch"    // the record's contents do not hash to its hash member: altered
	ProblemChainBroken   ProblemKind = "chain-broken"     // prevHash is not the previous event's hash: an event before it removed or altered
	ProblemRevision      ProblemKind = "revision"         // revision gap, repeat or reorder within a stream
	ProblemEventID       ProblemKind = "event-id"         // metadata event id differs from the record id
	ProblemUnsigned      ProblemKind = "unsigned"         // forged: no signature
	ProblemUnknownKey    ProblemKind = "unknown-key"      // forged: signed by a key not in the keyring
	ProblemBadSignature  ProblemKind = "bad-signature"    // forged or altered: the signature does not verify
	ProblemRetiredKey    ProblemKind = "retired-key"      // forged: signed by a key after its retirement (or before it was added), by log position
	ProblemKeyring       ProblemKind = "keyring"          // a keyring event breaks the keyring's rules
	ProblemAnchor        ProblemKind = "untrusted-anchor" // the keyring's first key is not one the verifier trusts: the log may have been replaced
	ProblemSealInvalid   ProblemKind = "seal-invalid"     // a seal whose checkpoint, signature or chain to the previous seal is wrong
	ProblemTreeMismatch  ProblemKind = "tree-mismatch"    // the log does not hash to a seal's root: events removed, inserted, altered or reordered
	ProblemLogShorter    ProblemKind = "log-shorter"      // the log has fewer events than a head held outside it: its tail was cut
	ProblemAgainstHead   ProblemKind = "against-head"     // the log is not an extension of a head held outside it
	ProblemFlaggedBySeal ProblemKind = "flagged-by-seal"  // a seal records that the event did not verify when sealed
)

// Problem is one thing verification found wrong, located as precisely as
// the evidence allows.
type Problem struct {
	Kind ProblemKind
	// Index is the leaf index ($all order, 0-based) of the event concerned
	// when HasIndex; for a tree mismatch, the damage lies in leaves
	// [RangeFrom, Index).
	Index     uint64
	HasIndex  bool
	RangeFrom uint64
	// Position is the event's log position (for flagged-by-seal: the
	// seal's).
	Position eventstore.Position
	Stream   string
	Revision uint64
	EventID  string
	Expected string
	Found    string
	// Seal names the seal that covers the event ("ledger-seals@3, tree size
	// 812"), or "" when no seal covers it yet.
	Seal   string
	Detail string
}

// String renders the problem on one line.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(string(p.Kind))
	if p.Stream != "" {
		fmt.Fprintf(&b, " %s@%d", p.Stream, p.Revision)
	}
	if p.HasIndex {
		if p.Kind == ProblemTreeMismatch || p.Kind == ProblemLogShorter {
			fmt.Fprintf(&b, " leaves [%d, %d)", p.RangeFrom, p.Index)
		} else {
			fmt.Fprintf(&b, " (leaf %d, position %s)", p.Index, p.Position)
		}
	}
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	if p.Expected != "" || p.Found != "" {
		fmt.Fprintf(&b, " (expected %s, found %s)", p.Expected, p.Found)
	}
	if p.Seal != "" {
		b.WriteString("; covered by seal " + p.Seal)
	} else if p.HasIndex && p.Kind != ProblemTreeMismatch && p.Kind != ProblemLogShorter {
		b.WriteString("; not covered by any seal")
	}
	return b.String()
}
