package evidence

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain/calendar"
	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/projections"
)

// Format is the value of the manifest's "format" member. A change to the
// bundle's layout or to how it is checked gets a new value.
const Format = "ticketledger-evidence/1"

// The zip entries of a bundle (besides the events' own files, EventFile).
const (
	ManifestFile   = "manifest.json"
	EventsFile     = "events.json"
	CheckpointFile = "checkpoint"
	ProofsFile     = "proofs.json"
	KeysFile       = "keys.json"
	PolicyFile     = "policy.json"
	CalendarsFile  = "calendars.json"
	VerdictFile    = "verdict.json"
)

// EventFile returns the entry names of the payload and metadata bytes of
// the event at a revision: "events/<revision, 10 digits>.data" and ".meta".
func EventFile(revision uint64) (data, meta string) {
	base := fmt.Sprintf("events/%010d", revision)
	return base + ".data", base + ".meta"
}

// Manifest is manifest.json: what the bundle is about.
type Manifest struct {
	Format     string    `json:"format"`
	TicketID   string    `json:"ticketId"`
	Stream     string    `json:"stream"`
	ExportedAt time.Time `json:"exportedAt"`
	// Origin is the ledger's checkpoint origin (the first line of the
	// checkpoint).
	Origin string `json:"origin"`
	// Events, LastRevision and LastHash describe the stream as exported.
	Events       int    `json:"events"`
	LastRevision uint64 `json:"lastRevision"`
	LastHash     string `json:"lastHash"`
	// HashScheme, SignatureScheme and LeafScheme name the domain tags of
	// the hash chain, event signatures and Merkle leaves.
	HashScheme      string `json:"hashScheme"`
	SignatureScheme string `json:"signatureScheme"`
	LeafScheme      string `json:"leafScheme"`
	// TreeSize is the size of the signed tree head in CheckpointFile.
	TreeSize uint64 `json:"treeSize"`
	// UnsealedRevisions lists the events the tree head does not cover yet
	// (the newest ones): they are covered by their signatures only.
	UnsealedRevisions []uint64 `json:"unsealedRevisions"`
}

// EventEntry is one event of events.json: the record's fields the store
// keeps beside the bytes, and the entry names of the bytes.
type EventEntry struct {
	Revision uint64 `json:"revision"`
	eventstore.RecordInfo
	// Position and PreparePosition are the event's place in the global
	// log (equal on the embedded store); informative, not hashed.
	Position        uint64 `json:"position"`
	PreparePosition uint64 `json:"preparePosition"`
	Data            string `json:"data"`     // entry name of the payload bytes
	Metadata        string `json:"metadata"` // entry name of the metadata bytes
}

// Events is events.json.
type Events struct {
	Stream string       `json:"stream"`
	Events []EventEntry `json:"events"`
}

// Proofs is proofs.json: an RFC 6962 inclusion proof of every sealed
// event against the tree head of CheckpointFile.
type Proofs struct {
	TreeSize  uint64      `json:"treeSize"`
	Root      string      `json:"root"` // base64, the checkpoint's root
	Inclusion []Inclusion `json:"inclusion"`
}

// Inclusion proves that the event at Revision is leaf LeafIndex of the
// tree: the audit path, leaf to root, base64. The leaf hash is not given:
// the verifier computes it from the event's bytes.
type Inclusion struct {
	Revision  uint64   `json:"revision"`
	LeafIndex uint64   `json:"leafIndex"`
	Hashes    []string `json:"hashes"`
}

// Key is one public key of the keyring (keys.json, GET /v1/audit/keys).
type Key struct {
	KeyID string `json:"keyId"`
	// Fingerprint is "SHA256:" and the hex SHA-256 of the 32-byte public key.
	Fingerprint string `json:"fingerprint"`
	Algorithm   string `json:"algorithm"`
	PublicKey   string `json:"publicKey"` // base64, 32 bytes
	// The key signs events after AddedPosition and, once retired, only
	// before RetiredPosition (global commit positions).
	AddedAt         time.Time  `json:"addedAt"`
	AddedPosition   uint64     `json:"addedPosition"`
	Retired         bool       `json:"retired"`
	RetiredAt       *time.Time `json:"retiredAt,omitempty"`
	RetiredPosition uint64     `json:"retiredPosition,omitempty"`
	Reason          string     `json:"reason,omitempty"`
}

// KeyOf renders a keyring entry.
func KeyOf(k integrity.KeyInfo) Key {
	v := Key{KeyID: k.ID, Fingerprint: integrity.Fingerprint(k.PublicKey), Algorithm: ledger.AlgorithmEd25519,
		PublicKey: base64.StdEncoding.EncodeToString(k.PublicKey), AddedAt: k.AddedAt.UTC(), AddedPosition: k.AddedPos.Commit,
		Retired: k.Retired, Reason: k.Reason}
	if k.Retired {
		t := k.RetiredAt.UTC()
		v.RetiredAt, v.RetiredPosition = &t, k.RetiredPos.Commit
	}
	return v
}

// Keys is keys.json.
type Keys struct {
	Keys []Key `json:"keys"`
}

// PolicyDef is one SLA policy version of policy.json: its effective
// first-response targets in seconds and its definition as given.
type PolicyDef struct {
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	// BreakFixTargetSeconds maps severity (A, B, C) to the break-fix target.
	BreakFixTargetSeconds map[string]int64 `json:"breakFixTargetSeconds"`
	// NonCriticalTargetSeconds is the non-critical target in business
	// seconds; 0 means one working day of the requester's calendar.
	NonCriticalTargetSeconds int64 `json:"nonCriticalTargetSeconds"`
	// Spec is the definition as loaded (the --policy file format, whose
	// targets are written like "2h"), before inheriting from its base.
	Spec sla.PolicySpec `json:"spec"`
}

// PolicyDefOf renders a policy version.
func PolicyDefOf(p *sla.Policy) PolicyDef {
	d := PolicyDef{Version: p.Version(), Description: p.Spec().Description, Spec: p.Spec(),
		BreakFixTargetSeconds: map[string]int64{}, NonCriticalTargetSeconds: int64(p.NonCriticalTarget() / time.Second)}
	for _, s := range []string{"A", "B", "C"} {
		d.BreakFixTargetSeconds[s] = int64(p.Target(sevOf(s)) / time.Second)
	}
	return d
}

// Policies is policy.json: the versions the ticket's deadlines name.
type Policies struct {
	Policies []PolicyDef `json:"policies"`
}

// Calendars is calendars.json: the business calendars the ticket's
// deadlines name, with inherited fields filled in.
type Calendars struct {
	Calendars []calendar.Spec `json:"calendars"`
}

// Verdict is verdict.json: the SLA verdict the ledger's read model
// recorded for the ticket at AsOf (the export).
type Verdict struct {
	AsOf time.Time             `json:"asOf"`
	SLA  projections.TicketSLA `json:"sla"`
}

// Bundle is a bundle in memory: the parsed JSON entries, the checkpoint
// and the event bytes by entry name.
type Bundle struct {
	Manifest   Manifest
	Events     Events
	Checkpoint []byte
	Proofs     Proofs
	Keys       Keys
	Policies   Policies
	Calendars  Calendars
	Verdict    Verdict
	// Files holds the raw bytes of every entry, by name (the events'
	// bytes, and the JSON entries as read or written).
	Files map[string][]byte
}

// Write writes b as a zip file: the JSON entries (indented, re-encoded
// from the structs) and the event bytes from b.Files. Entries are in a
// fixed order with a fixed modification time, so the same bundle gives the
// same bytes.
func (b *Bundle) Write(w io.Writer) error {
	z := zip.NewWriter(w)
	put := func(name string, data []byte) error {
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: b.Manifest.ExportedAt.UTC()})
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return err
	}
	js := []struct {
		name string
		v    any
	}{{ManifestFile, b.Manifest}, {EventsFile, b.Events}, {ProofsFile, b.Proofs}, {KeysFile, b.Keys},
		{PolicyFile, b.Policies}, {CalendarsFile, b.Calendars}, {VerdictFile, b.Verdict}}
	for _, e := range js {
		data, err := json.MarshalIndent(e.v, "", "  ")
		if err != nil {
			return fmt.Errorf("write bundle: %s: %w", e.name, err)
		}
		if err := put(e.name, append(data, '\n')); err != nil {
			return fmt.Errorf("write bundle: %s: %w", e.name, err)
		}
	}
	if err := put(CheckpointFile, b.Checkpoint); err != nil {
		return fmt.Errorf("write bundle: %s: %w", CheckpointFile, err)
	}
	for _, ev := range b.Events.Events {
		for _, name := range []string{ev.Data, ev.Metadata} {
			if err := put(name, b.Files[name]); err != nil {
				return fmt.Errorf("write bundle: %s: %w", name, err)
			}
		}
	}
	return z.Close()
}

// MaxEntry bounds the size of one entry Read accepts (64 MiB).
const MaxEntry = 64 << 20

// Read parses a bundle. It fails, naming the entry, on a file that is not
// a zip, a missing or duplicate entry, or JSON that does not parse;
// everything else is Verify's job.
func Read(r io.ReaderAt, size int64) (*Bundle, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not an evidence bundle (a zip file): %w", err)
	}
	b := &Bundle{Files: map[string][]byte{}}
	for _, f := range z.File {
		if _, dup := b.Files[f.Name]; dup {
			return nil, fmt.Errorf("bundle entry %s appears twice: the bundle was assembled by hand; export it again", f.Name)
		}
		if f.UncompressedSize64 > MaxEntry {
			return nil, fmt.Errorf("bundle entry %s is %d bytes, more than %d: not a ticketledger bundle", f.Name, f.UncompressedSize64, MaxEntry)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("bundle entry %s: %w", f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, MaxEntry+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("bundle entry %s: %w", f.Name, err)
		}
		b.Files[f.Name] = data
	}
	js := []struct {
		name string
		v    any
	}{{ManifestFile, &b.Manifest}, {EventsFile, &b.Events}, {ProofsFile, &b.Proofs}, {KeysFile, &b.Keys},
		{PolicyFile, &b.Policies}, {CalendarsFile, &b.Calendars}, {VerdictFile, &b.Verdict}}
	var missing []string
	for _, e := range js {
		data, ok := b.Files[e.name]
		if !ok {
			missing = append(missing, e.name)
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(e.v); err != nil {
			return nil, fmt.Errorf("bundle entry %s is not valid: %w", e.name, err)
		}
	}
	cp, ok := b.Files[CheckpointFile]
	if !ok {
		missing = append(missing, CheckpointFile)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("bundle lacks %s: not a complete %s bundle; export it again", strings.Join(missing, ", "), Format)
	}
	b.Checkpoint = cp
	return b, nil
}
