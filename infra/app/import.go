package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// ImportNamespace is the UUID namespace of the ids of imported tickets and
// events (ImportTicketID, the event ids ImportTicket derives). Persisted:
// never change it.
var ImportNamespace = uuid.MustParse("0e3c8a52-4f1b-5d7e-a6c9-696d706f7274")

// ImportTicketID is the ledger's id of a ticket imported from another desk:
// derived from the filing partner, the source desk and the source's ticket
// key, so a re-run finds the same ticket, and no partner's import can
// produce the id of another partner's ticket.
func ImportTicketID(filer, source, sourceTicket string) string {
	return uuid.NewSHA1(ImportNamespace, []byte(strings.Join([]string{"ticket", filer, source, sourceTicket}, "\x00"))).String()
}

// ImportCommand is what one imported step does: exactly one field is set
// (Open or Redirect for the first step of a ticket, Action for the others).
type ImportCommand struct {
	Open     *OpenTicket
	Redirect *RedirectTicket
	Action   ticket.Action
}

// ImportStep is one entry of a ticket's history at another desk, decided
// as the live command would be, at the source's occurred-at.
type ImportStep struct {
	Line       int    // where it came from (the import file's line number), for errors
	SourceID   string // the source desk's id of the entry: a re-run appends it once
	Actor      domain.Actor
	OnBehalfOf string
	OccurredAt time.Time
	// Digest identifies the entry's content: a re-run that brings another
	// content under the same SourceID is refused (RuleImportSourceChanged).
	Digest []byte
	ImportCommand
}

// ImportBatch is the history of one ticket from another desk, oldest
// first: the unit ImportTicket appends whole or not at all.
type ImportBatch struct {
	TicketID      string       // ImportTicketID
	Source        string       // the source desk, part of every event id
	By            domain.Actor // the principal running the import (Meta.ImportedBy)
	CorrelationID string       // the import run
	Steps         []ImportStep
}

// ImportResult is what ImportTicket did with a batch.
type ImportResult struct {
	TicketID string
	Created  bool // the batch opened the ticket
	Appended int  // steps appended
	Events   int  // events appended (a step may emit two: an implicit first response)
	Skipped  int  // steps found imported before
	Position uint64
}

// StepError is a refused step of an ImportBatch: nothing of the batch was
// appended. It unwraps to the rule's *domain.Error.
type StepError struct {
	Line     int
	SourceID string
	Err      error
}

// Error names the line, the source id and the refusal.
func (e *StepError) Error() string {
	return fmt.Sprintf("line %d (source id %q): %v", e.Line, e.SourceID, e.Err)
}

// Unwrap returns the refusal.
func (e *StepError) Unwrap() error { return e.Err }

// importEventID is the id of event i of a step: derived from the ticket,
// the source and its source id, with the step's digest in the last bytes
// (as eventID carries a request's fingerprint).
func importEventID(ticketID, source string, st *ImportStep, i int) uuid.UUID {
	id := uuid.NewSHA1(ImportNamespace, []byte(strings.Join([]string{"event", ticketID, source, st.SourceID, strconv.Itoa(i)}, "\x00")))
	if len(st.Digest) >= fingerprintBytes {
		copy(id[16-fingerprintBytes:], st.Digest)
	}
	return id
}

// ImportTicket takes in one ticket's history from another desk. Each step
// not imported before is decided by the domain exactly as the live command
// (same rules, same roles), by the source's actor (Auth domain.AuthImport)
// at the source's occurred-at within the import window (Windows), and
// recorded now; its events carry Meta.Imported, SourceID and ImportedBy.
// Steps imported before (their event ids are in the stream) are skipped:
// they must be a prefix of the batch. The new events of the batch are
// appended in one append, or none: the first refused step is a *StepError
// and nothing is appended; a concurrent change of the ticket is a
// *ConflictError (read again and retry).
func (s *Service) ImportTicket(ctx context.Context, b ImportBatch) (ImportResult, error) {
	stream, id, err := TicketStream(b.TicketID)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{TicketID: id}
	l, err := s.state(ctx, stream)
	if err != nil {
		return res, fmt.Errorf("import ticket %s: %w", id, err)
	}
	t := ticket.New(id)
	if l.exists() {
		if t, err = ticket.Rebuild(l.history); err != nil {
			return res, fmt.Errorf("import ticket %s: %w", id, err)
		}
	}
	t.WithWindow(s.imports)
	now := s.now().UTC()
	stored := make(map[[16 - fingerprintBytes]byte]int, len(l.ids))
	for i, eid := range l.ids {
		stored[[16 - fingerprintBytes]byte(eid[:16-fingerprintBytes])] = i
	}
	var events []domain.Event
	var metas []domain.Meta
	next := 0 // the stream index the next skipped step's first event must have
	for i := range b.Steps {
		st := &b.Steps[i]
		eid := importEventID(id, b.Source, st, 0)
		if at, ok := stored[[16 - fingerprintBytes]byte(eid[:16-fingerprintBytes])]; ok {
			if err := skippable(l, at, next, eid, len(events) > 0); err != nil {
				return res, &StepError{Line: st.Line, SourceID: st.SourceID, Err: err}
			}
			res.Skipped++
			next = at + 1
			continue
		}
		evs, err := s.decideImport(ctx, t, st, now)
		if err == nil && len(evs) == 0 {
			err = domain.Errorf(domain.KindInvalid, domain.RuleImportMalformedLine, "command",
				"the entry changes nothing on the ticket (e.g. the severity it already has), so it cannot be recorded: leave it out, or import it as addNote")
		}
		if err != nil {
			return res, &StepError{Line: st.Line, SourceID: st.SourceID, Err: err}
		}
		behalf, err := behalfOf(st.Actor, st.OnBehalfOf, t.Customer())
		if err != nil {
			return res, &StepError{Line: st.Line, SourceID: st.SourceID, Err: err}
		}
		by := b.By
		for j, ev := range evs {
			m := domain.Meta{EventID: importEventID(id, b.Source, st, j), Actor: st.Actor, OnBehalfOf: behalf,
				CorrelationID: b.CorrelationID, CausationID: st.SourceID, OccurredAt: st.OccurredAt, RecordedAt: now,
				Imported: true, SourceID: st.SourceID, ImportedBy: &by}
			if dl := deadlineOf(ev); dl != nil {
				m.PolicyVersion = dl.PolicyVersion
			}
			events, metas = append(events, ev), append(metas, m)
		}
		if st.Open != nil || st.Redirect != nil {
			res.Created = true
		}
		res.Appended++
	}
	if len(events) == 0 {
		return res, nil
	}
	if events, err = s.sealPersonal(events); err != nil {
		return res, fmt.Errorf("import ticket %s: %w", id, err)
	}
	p, ar, err := s.appendTo(ctx, l, events, metas)
	var ce *eventstore.ConflictError
	switch {
	case err == nil && ar.Deduplicated: // a twin run of the same import got there first
		res.Skipped, res.Appended, res.Created = res.Skipped+res.Appended, 0, false
		return res, nil
	case err == nil:
		s.remember(l, p.data, ar)
		res.Events, res.Position = len(events), ar.Position.Commit
		return res, nil
	case errors.As(err, &ce):
		cur, _ := l.last()
		return res, &ConflictError{Stream: stream, Expected: cur, HasExpected: l.exists(), Current: ce.Actual, HasCurrent: ce.HasActual}
	}
	return res, fmt.Errorf("import ticket %s: %w", id, err)
}

// skippable checks a step found imported before, at stream index at: it
// must carry the same content (the whole event id), come in the order it
// was imported (at >= next), and no new step may come before it.
func skippable(l *snapshot, at, next int, eid uuid.UUID, newBefore bool) error {
	if !bytes.Equal(l.ids[at][:], eid[:]) {
		return domain.Errorf(domain.KindConflict, domain.RuleImportSourceChanged, "sourceId",
			"this source id was imported before with other content (at %s): import changed history under new source ids, or add a note to the ticket",
			l.recs[at].Meta.RecordedAt.UTC().Format(time.RFC3339))
	}
	if at < next || newBefore {
		return domain.Errorf(domain.KindConflict, domain.RuleImportDiverged, "sourceId",
			"this entry was imported before, but the lines before it in the file do not match what was imported then: keep the ticket's lines in the order they were imported, adding new ones only after them")
	}
	return nil
}

// decideImport runs the domain command of one imported step on t.
func (s *Service) decideImport(ctx context.Context, t *ticket.Ticket, st *ImportStep, now time.Time) ([]domain.Event, error) {
	switch {
	case st.Open != nil:
		return s.open(ctx, t, st.Actor, st.OccurredAt, now, *st.Open)
	case st.Redirect != nil:
		return t.RedirectToISV(st.Actor, st.OccurredAt, now, st.Redirect.RedirectRequest)
	case st.Action != nil:
		return st.Action.Decide(t, st.Actor, st.OccurredAt, now, s.policies.Current())
	}
	return nil, domain.Errorf(domain.KindInvalid, domain.RuleImportMalformedLine, "command", "the entry names no command")
}
