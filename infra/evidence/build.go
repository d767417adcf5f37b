package evidence

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ticketledger/ticketledger/domain/calendar"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/projections"
)

// Source is what Build assembles a bundle from.
type Source struct {
	TicketID, Stream string
	// Records is the ticket's whole stream as stored, oldest first.
	Records []eventstore.RecordedEvent
	// Head is the signed tree head the proofs end at; Tree holds it (at
	// least Head.Size leaves) and LeafIndex maps a global position to a
	// leaf (the sealer's).
	Head      integrity.SignedHead
	Tree      *integrity.Tree
	LeafIndex func(eventstore.Position) (uint64, bool)
	Keyring   *integrity.Keyring
	// Policies resolve the versions the ticket's deadlines name.
	Policies *sla.Policies
	// SLA is the read model's verdict at Now.
	SLA projections.TicketSLA
	Now time.Time
}

// Build assembles a bundle. Events the head does not cover yet must be the
// newest of the stream; they are listed in Manifest.UnsealedRevisions.
func Build(s Source) (*Bundle, error) {
	if len(s.Records) == 0 {
		return nil, errors.New("evidence: no events to export")
	}
	if s.Tree == nil || s.LeafIndex == nil || s.Keyring == nil || s.Policies == nil {
		return nil, errors.New("evidence: a bundle needs the tree, the leaf index, the keyring and the policies")
	}
	facts, err := readFacts(s.Records)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	last := s.Records[len(s.Records)-1]
	_, lastHash, err := codec.SplitHash(last.Metadata)
	if err != nil {
		return nil, fmt.Errorf("evidence: revision %d: %w", last.Revision, err)
	}
	b := &Bundle{
		Manifest: Manifest{Format: Format, TicketID: s.TicketID, Stream: s.Stream, ExportedAt: s.Now.UTC().Truncate(time.Second),
			Origin: s.Head.Origin, Events: len(s.Records), LastRevision: last.Revision, LastHash: lastHash,
			HashScheme: codec.HashTag, SignatureScheme: codec.SigTag, LeafScheme: integrity.LeafTag,
			TreeSize: s.Head.Size, UnsealedRevisions: []uint64{}},
		Events:     Events{Stream: s.Stream, Events: make([]EventEntry, 0, len(s.Records))},
		Checkpoint: s.Head.Checkpoint,
		Proofs:     Proofs{TreeSize: s.Head.Size, Root: base64.StdEncoding.EncodeToString(s.Head.Root), Inclusion: []Inclusion{}},
		Keys:       Keys{Keys: []Key{}},
		Verdict:    Verdict{AsOf: s.Now.UTC(), SLA: s.SLA},
		Files:      map[string][]byte{},
	}
	for _, rec := range s.Records {
		data, meta := EventFile(rec.Revision)
		b.Events.Events = append(b.Events.Events, EventEntry{Revision: rec.Revision,
			RecordInfo: eventstore.RecordInfo{ID: rec.ID, Type: rec.Type, ContentType: rec.ContentType, Created: rec.Created.UTC()}, Position: rec.Position.Commit, PreparePosition: rec.Position.Prepare, Data: data, Metadata: meta})
		b.Files[data], b.Files[meta] = rec.Data, rec.Metadata
		i, ok := s.LeafIndex(rec.Position)
		if !ok || i >= s.Head.Size {
			b.Manifest.UnsealedRevisions = append(b.Manifest.UnsealedRevisions, rec.Revision)
			continue
		}
		if n := len(b.Manifest.UnsealedRevisions); n > 0 {
			return nil, fmt.Errorf("evidence: revision %d is sealed but the earlier revision %d is not: the sealer's index is inconsistent", rec.Revision, b.Manifest.UnsealedRevisions[n-1])
		}
		path, err := s.Tree.InclusionProof(i, s.Head.Size)
		if err != nil {
			return nil, fmt.Errorf("evidence: inclusion proof of revision %d: %w", rec.Revision, err)
		}
		hs := make([]string, len(path))
		for j, h := range path {
			hs[j] = base64.StdEncoding.EncodeToString(h)
		}
		b.Proofs.Inclusion = append(b.Proofs.Inclusion, Inclusion{Revision: rec.Revision, LeafIndex: i, Hashes: hs})
	}
	for _, k := range s.Keyring.Keys() {
		b.Keys.Keys = append(b.Keys.Keys, KeyOf(k))
	}
	b.Policies, b.Calendars, err = definitions(s.Policies, facts)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// definitions collects the policy versions and calendars the ticket's
// deadlines name.
func definitions(ps *sla.Policies, f Facts) (Policies, Calendars, error) {
	pols, cals := Policies{Policies: []PolicyDef{}}, Calendars{Calendars: []calendar.Spec{}}
	seenP, seenC := map[string]bool{}, map[string]bool{}
	all := append(append([]sla.Deadline(nil), f.Deadlines...), f.InForce)
	for _, d := range all {
		if d.PolicyVersion == "" {
			continue
		}
		p, err := ps.Get(d.PolicyVersion)
		if err != nil {
			return pols, cals, fmt.Errorf("evidence: the ticket's deadline names policy %s: %w", d.PolicyVersion, err)
		}
		if !seenP[d.PolicyVersion] {
			seenP[d.PolicyVersion] = true
			pols.Policies = append(pols.Policies, PolicyDefOf(p))
		}
		if d.Calendar != "" && !seenC[d.Calendar] {
			seenC[d.Calendar] = true
			c, err := p.Calendar(d.Calendar)
			if err != nil {
				return pols, cals, fmt.Errorf("evidence: policy %s: calendar %s: %w", d.PolicyVersion, d.Calendar, err)
			}
			cals.Calendars = append(cals.Calendars, c.Spec())
		}
	}
	sort.Slice(pols.Policies, func(i, j int) bool { return pols.Policies[i].Version < pols.Policies[j].Version })
	sort.Slice(cals.Calendars, func(i, j int) bool { return cals.Calendars[i].ID < cals.Calendars[j].ID })
	return pols, cals, nil
}
