package evidence

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"time"

	"github.com/ticketledger/ticketledger/infra/integrity"
)

// Check names of Problem.Check.
const (
	CheckBundle    = "bundle"    // layout: format, files, counts
	CheckKey       = "key"       // a key of keys.json
	CheckHead      = "head"      // the checkpoint and its signature
	CheckHash      = "hash"      // an event's bytes against its hash
	CheckChain     = "chain"     // links between events: prevHash, revisions, ids
	CheckSignature = "signature" // an event's signature
	CheckInclusion = "inclusion" // an inclusion proof
	CheckTrust     = "trust"     // the trusted key or head
	CheckVerdict   = "verdict"   // the SLA verdict against the signed events
	CheckPolicy    = "policy"    // policy.json against the signed deadlines
)

// Problem is one failed check, located: the bundle entry, the event's
// revision when it concerns one, what was expected and what was found.
type Problem struct {
	Check    string  `json:"check"`
	File     string  `json:"file"`
	Revision *uint64 `json:"revision,omitempty"`
	Problem  string  `json:"problem"`
	Expected string  `json:"expected,omitempty"`
	Found    string  `json:"found,omitempty"`
}

// String renders the problem on one line.
func (p Problem) String() string {
	s := p.File
	if p.Revision != nil {
		s += " (revision " + strconv.FormatUint(*p.Revision, 10) + ")"
	}
	s += ": " + p.Check + ": " + p.Problem
	if p.Expected != "" || p.Found != "" {
		s += fmt.Sprintf(" (expected %s, found %s)", orNone(p.Expected), orNone(p.Found))
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// HeadInfo describes a signed tree head (the bundle's; GET
// /v1/audit/tree-head's).
type HeadInfo struct {
	Origin      string    `json:"origin"`
	Size        uint64    `json:"size"`
	Root        string    `json:"root"` // base64
	Time        time.Time `json:"time"`
	KeyID       string    `json:"keyId"`
	Fingerprint string    `json:"fingerprint"`
}

// HeadInfoOf describes a head signed by the key pub.
func HeadInfoOf(h integrity.Head, pub ed25519.PublicKey) HeadInfo {
	return HeadInfo{Origin: h.Origin, Size: h.Size, Root: h.RootBase64(), Time: h.Time.UTC(), KeyID: h.KeyID, Fingerprint: integrity.Fingerprint(pub)}
}

// SLASummary is what the signed events say about the first response.
type SLASummary struct {
	OpenedAt      time.Time `json:"openedAt"`
	Severity      string    `json:"severity"`
	Language      string    `json:"language"`
	Class         string    `json:"class"`
	Clock         string    `json:"clock"`
	Calendar      string    `json:"calendar,omitempty"`
	PolicyVersion string    `json:"policyVersion"`
	DeadlineAt    time.Time `json:"deadlineAt"`
	TargetSeconds int64     `json:"targetSeconds"`
	Responded     bool      `json:"responded"`
	RespondedAt   time.Time `json:"respondedAt,omitzero"`
	// ResponseSeconds is wall-clock time from opening to the first response.
	ResponseSeconds int64 `json:"responseSeconds,omitempty"`
	// Verdict is met or breached for an answered ticket, pending or
	// breached (unanswered) at the export for one without a response.
	Verdict string `json:"verdict"`
	// RecordedVerdict is the read model's, from verdict.json.
	RecordedVerdict string `json:"recordedVerdict"`
}

// Trust levels of Report.Trust.
const (
	TrustNone = "self-consistent" // no key or head given
	TrustKey  = "trusted-key"     // the head is signed by the trusted key
	TrustHead = "trusted-head"    // the head is the trusted head, or a newer one by its key
)

// Report is the result of Verify.
type Report struct {
	OK            bool   `json:"ok"`
	Format        string `json:"format"`
	TicketID      string `json:"ticketId"`
	Stream        string `json:"stream"`
	Events        int    `json:"events"`
	FirstRevision uint64 `json:"firstRevision"`
	LastRevision  uint64 `json:"lastRevision"`
	// Sealed events are proven to be in the tree head; Unsealed ones are
	// covered by their signatures only.
	Sealed   int       `json:"sealedEvents"`
	Unsealed []uint64  `json:"unsealedRevisions"`
	Head     *HeadInfo `json:"treeHead,omitempty"`
	// Trust is TrustNone, TrustKey or TrustHead; TrustDetail says what was
	// checked against what, in words.
	Trust       string      `json:"trust"`
	TrustDetail string      `json:"trustDetail"`
	SLA         *SLASummary `json:"sla,omitempty"`
	// Proves says in plain words what the bundle proves (only when OK).
	Proves   []string  `json:"proves"`
	Problems []Problem `json:"problems"`
}
