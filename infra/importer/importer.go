// Package importer takes another desk's ticket history into the ledger:
// the JSON-lines format of docs/import-format.md, read as a stream, one
// ticket's lines at a time, each ticket decided and appended whole by
// app.Service.ImportTicket (or refused whole). The HTTP endpoint POST
// /v1/admin/import and the offline `ticketledger import --data` both run
// Run, so both take the same file the same way.
package importer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/app"
)

// Limits of an import file.
const (
	// MaxLineBytes is the longest line read; a longer one stops the import.
	MaxLineBytes = 1 << 20
	// MaxTicketLines is the most lines one ticket may have
	// (RuleImportTooLong): a ticket's lines are held in memory until its
	// last one is read.
	MaxTicketLines = 10_000
	// MaxListed is how many refusals a Summary lists (all are counted).
	MaxListed = 1000
)

// Line is one line of the import format (docs/import-format.md).
type Line struct {
	// Source names the desk the history comes from, e.g. "zendesk-eu".
	Source string `json:"source"`
	// Ticket is the source desk's key of the ticket; a ticket's lines share
	// it and come together, oldest first, its first line an openTicket or
	// redirectToISV.
	Ticket string `json:"ticket"`
	// SourceID is the source desk's id of this entry, unique within Source:
	// what makes a re-run append nothing twice.
	SourceID string `json:"sourceId"`
	// Command is the operationId of the HTTP command the entry is (openTicket,
	// recordFirstResponse, changeSeverity, …); Data is that command's request
	// body, without occurredAt.
	Command    string          `json:"command"`
	OccurredAt time.Time       `json:"occurredAt"`
	Actor      domain.Actor    `json:"actor"`
	OnBehalfOf string          `json:"onBehalfOf,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// Decoder turns a line's command and data into the command to decide; its
// errors name the field at fault. The HTTP layer provides it (its request
// bodies are the format's data: server.ImportDecoder).
type Decoder func(command string, data json.RawMessage, actor domain.Actor) (app.ImportCommand, error)

// Target is where tickets are imported (*app.Service).
type Target interface {
	ImportTicket(ctx context.Context, b app.ImportBatch) (app.ImportResult, error)
}

// Options configure a Run.
type Options struct {
	// By is the principal running the import: an admin (or the system,
	// offline) imports any partner's history; a partner only lines whose
	// partner actors are itself (RuleImportOutsideTenancy). Other roles
	// are refused before anything is read.
	By     domain.Actor
	Decode Decoder
	// Progress, if set, is called after each ticket with the totals so far.
	Progress func(Summary)
	// RunID names the run (every event's correlation id). Empty: a new one.
	RunID string
}

// Summary is what a run did.
type Summary struct {
	RunID string `json:"runId"`
	// Lines counts the lines read (blank lines aside); Bytes the bytes.
	Lines int   `json:"lines"`
	Bytes int64 `json:"bytes"`
	// Tickets counts the tickets in the file; TicketsCreated those the run
	// opened (or redirected).
	Tickets        int `json:"tickets"`
	TicketsCreated int `json:"ticketsCreated"`
	// Imported counts the lines appended now, Events their events.
	Imported int `json:"imported"`
	Events   int `json:"events"`
	// Skipped counts lines imported by an earlier run.
	Skipped int `json:"skipped"`
	// Refused counts the lines not imported: each refused line and the
	// other new lines of its ticket.
	Refused int `json:"refused"`
	// Refusals lists the refused lines (at most MaxListed), in file order.
	Refusals []Refusal `json:"refusals"`
	// Position is the log position of the last event appended (0: none):
	// read with minPosition to see them.
	Position uint64 `json:"position,omitempty"`
}

// Refusal is a refused line: its number, the rule it broke and why.
type Refusal struct {
	Line     int    `json:"line"`
	Ticket   string `json:"ticket,omitempty"`
	SourceID string `json:"sourceId,omitempty"`
	Rule     string `json:"rule"`
	Kind     string `json:"kind"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
	// Held counts the other lines of the ticket not imported with it.
	Held int `json:"held,omitempty"`
}

// Err returns the first refusal as a *domain.Error (nil when none), so a
// caller maps a run with refusals to an exit code by its kind.
func (s Summary) Err() error {
	if len(s.Refusals) == 0 {
		return nil
	}
	r := s.Refusals[0]
	return domain.Errorf(kindOf(r.Kind), domain.Rule(r.Rule), r.Field, "line %d: %s (%d line(s) refused in all)", r.Line, r.Message, s.Refused)
}

func kindOf(name string) domain.Kind {
	for _, k := range []domain.Kind{domain.KindInvalid, domain.KindForbidden, domain.KindNotFound, domain.KindConflict} {
		if k.String() == name {
			return k
		}
	}
	return domain.KindInternal
}

// Permitted returns nil when by may import, else the refusal (an auditor
// changes nothing; vendor support and the system over the API import no
// partner's history).
func Permitted(by domain.Actor) error {
	switch {
	case by.Role == domain.RoleAuditor:
		return domain.Errorf(domain.KindForbidden, domain.RuleAuditorReadOnly, "actor.role",
			"auditor %q reads everything and changes nothing: an admin or the partner imports history", by.ID)
	case by.Role.Operates(), by.Role.IsPartner():
		return nil
	}
	return domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor.role",
		"%s may not import history: an admin imports any partner's, a partner its own", by.Role.Indefinite())
}

// Run reads the import file from r and imports it into t, one ticket at a
// time. Refused lines are in the Summary; the error is for what stops the
// run: a line longer than MaxLineBytes, a read failure, a store failure,
// a principal that may not import, or ctx's end.
func Run(ctx context.Context, r io.Reader, t Target, o Options) (Summary, error) {
	if err := Permitted(o.By); err != nil {
		return Summary{}, err
	}
	if o.Decode == nil {
		return Summary{}, errors.New("importer: no decoder")
	}
	run := &runner{t: t, o: o, done: map[string]int{}}
	run.sum.RunID, run.sum.Refusals = o.RunID, []Refusal{}
	if run.sum.RunID == "" {
		run.sum.RunID = "import-" + uuid.NewString()
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		run.sum.Bytes += int64(len(raw)) + 1
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		run.sum.Lines++
		if err := run.line(ctx, n, raw); err != nil {
			return run.sum, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d is longer than %d bytes: one line holds one entry", n+1, MaxLineBytes)
		}
		return run.sum, fmt.Errorf("import: read: %w (nothing after line %d was imported)", err, n)
	}
	return run.sum, run.flush(ctx)
}

// runner is one Run's state: the ticket whose lines are being gathered.
type runner struct {
	t   Target
	o   Options
	sum Summary

	key   string // the ticket being gathered ("" before the first)
	first int    // its first line
	last  int    // its last line so far
	batch app.ImportBatch
	// bad is set once a line of the ticket is refused: its other lines are
	// held back with it; badAt is that refusal's index in Refusals (-1:
	// not listed).
	bad   bool
	badAt int
	// done holds the tickets whose lines ended, with their last line.
	done map[string]int
}

// line takes in line n.
func (run *runner) line(ctx context.Context, n int, raw []byte) error {
	var ln Line
	if err := decodeLine(raw, &ln); err != nil {
		// Its ticket is unknown: it may be the one being gathered, which
		// is refused with it (nothing of a ticket is half-written).
		at := run.refuse(Refusal{Line: n}, err)
		if run.key != "" && !run.bad {
			if at >= 0 {
				r := &run.sum.Refusals[at]
				r.Ticket = ticketOf(run.key)
				r.Message += fmt.Sprintf("; ticket %q, whose lines it may be among, is not imported either", r.Ticket)
			}
			run.holdBack(at)
		}
		return nil
	}
	key := ln.Source + "\x00" + ln.Ticket
	if key != run.key {
		if err := run.flush(ctx); err != nil {
			return err
		}
		run.start(key, n, ln)
		if last, ok := run.done[key]; ok {
			run.refuseTicket(n, ln, domain.Errorf(domain.KindInvalid, domain.RuleImportNotContiguous, "ticket",
				"ticket %q of %q already had its lines, the last at line %d: keep each ticket's lines together (sort the file by ticket, keeping their order)", ln.Ticket, ln.Source, last))
			return nil
		}
	}
	run.last = n
	if run.bad {
		run.sum.Refused++
		run.held(run.badAt, 1)
		return nil
	}
	st, err := run.step(n, ln, raw)
	if err != nil {
		run.refuseTicket(n, ln, err)
		return nil
	}
	run.batch.Steps = append(run.batch.Steps, st)
	return nil
}

// start begins gathering the lines of ticket key at line n.
func (run *runner) start(key string, n int, ln Line) {
	run.key, run.first, run.last, run.bad, run.badAt = key, n, n, false, -1
	run.batch = app.ImportBatch{Source: ln.Source, By: run.o.By, CorrelationID: run.sum.RunID}
	run.sum.Tickets++
	if ln.Command == "openTicket" || ln.Command == "redirectToISV" {
		run.batch.TicketID = app.ImportTicketID(ln.Actor.Partner, ln.Source, ln.Ticket)
	}
}

// step checks line n of the current ticket and turns it into a step.
func (run *runner) step(n int, ln Line, raw []byte) (app.ImportStep, error) {
	if len(run.batch.Steps) == 0 && run.batch.TicketID == "" {
		return app.ImportStep{}, domain.Errorf(domain.KindInvalid, domain.RuleImportOpenFirst, "command",
			"the first line of ticket %q is %s: a ticket's lines start with its openTicket (or redirectToISV) line, so put its whole history in the file, oldest first", ln.Ticket, ln.Command)
	}
	if len(run.batch.Steps) >= MaxTicketLines {
		return app.ImportStep{}, domain.Errorf(domain.KindInvalid, domain.RuleImportTooLong, "ticket",
			"ticket %q has more than %d lines: fold its oldest entries into notes with fewer lines", ln.Ticket, MaxTicketLines)
	}
	for _, st := range run.batch.Steps {
		if st.SourceID == ln.SourceID {
			return app.ImportStep{}, domain.Errorf(domain.KindInvalid, domain.RuleImportDuplicateSource, "sourceId",
				"source id %q is also line %d's: give every entry of the source its own id", ln.SourceID, st.Line)
		}
	}
	if err := run.tenancy(ln); err != nil {
		return app.ImportStep{}, err
	}
	ln.Actor.Auth = domain.AuthImport
	if err := ln.Actor.Validate(); err != nil {
		return app.ImportStep{}, err
	}
	cmd, err := run.o.Decode(ln.Command, ln.Data, ln.Actor)
	if err != nil {
		return app.ImportStep{}, err
	}
	sum := sha256.Sum256(raw)
	return app.ImportStep{Line: n, SourceID: ln.SourceID, Actor: ln.Actor, OnBehalfOf: ln.OnBehalfOf,
		OccurredAt: ln.OccurredAt, Digest: sum[:], ImportCommand: cmd}, nil
}

// tenancy refuses, for a partner running the import, a line whose actor
// is another partner: a partner imports its own history (its people's
// entries and vendor support's answers to them), never another's. The
// check reads nothing from the ledger, so it tells nothing about it.
func (run *runner) tenancy(ln Line) error {
	by := run.o.By
	if by.Role.IsPartner() && ln.Actor.Role == domain.RoleSystem {
		return domain.Errorf(domain.KindForbidden, domain.RuleImportOutsideTenancy, "actor.role",
			"the line's actor is the ledger's own system principal, which a partner's import cannot name: record the entry as your own (e.g. addNote), or ask an admin to import it")
	}
	if !by.Role.IsPartner() || !ln.Actor.Role.IsPartner() || ln.Actor.Partner == by.Partner {
		return nil
	}
	return domain.Errorf(domain.KindForbidden, domain.RuleImportOutsideTenancy, "actor.partner",
		"the line's actor acts for partner %q, but you import as partner %q: a partner imports only its own history; an admin imports any partner's", ln.Actor.Partner, by.Partner)
}

// flush imports the gathered ticket, unless one of its lines was refused.
func (run *runner) flush(ctx context.Context) error {
	if run.key == "" {
		return nil
	}
	defer func() {
		run.done[run.key] = run.last
		run.key, run.batch, run.bad = "", app.ImportBatch{}, false
		if run.o.Progress != nil {
			run.o.Progress(run.sum)
		}
	}()
	if run.bad || len(run.batch.Steps) == 0 {
		return nil
	}
	var res app.ImportResult
	var err error
	for attempt := 0; attempt < 3; attempt++ { // a live command on the ticket meanwhile: read again
		if res, err = run.t.ImportTicket(ctx, run.batch); !isConflict(err) {
			break
		}
	}
	var se *app.StepError
	switch {
	case errors.As(err, &se):
		at := run.refuse(Refusal{Line: se.Line, Ticket: ticketOf(run.key), SourceID: se.SourceID}, se.Err)
		run.sum.Skipped += res.Skipped
		run.batch.Steps = run.batch.Steps[:len(run.batch.Steps)-res.Skipped-1]
		run.holdBack(at)
		return nil
	case err != nil && domain.KindOf(err) != domain.KindInternal:
		at := run.refuse(Refusal{Line: run.first, Ticket: ticketOf(run.key)}, err)
		run.batch.Steps = run.batch.Steps[1:]
		run.holdBack(at)
		return nil
	case err != nil:
		return fmt.Errorf("import ticket %q (from line %d): %w", ticketOf(run.key), run.first, err)
	}
	run.sum.Skipped += res.Skipped
	run.sum.Imported += res.Appended
	run.sum.Events += res.Events
	if res.Created {
		run.sum.TicketsCreated++
	}
	if res.Position > 0 {
		run.sum.Position = res.Position
	}
	return nil
}

func isConflict(err error) bool {
	var ce *app.ConflictError
	return errors.As(err, &ce)
}

func ticketOf(key string) string {
	_, t, _ := strings.Cut(key, "\x00")
	return t
}

// refuseTicket refuses line n and, with it, the ticket being gathered: its
// lines so far and the rest of its lines.
func (run *runner) refuseTicket(n int, ln Line, err error) {
	run.holdBack(run.refuse(Refusal{Line: n, Ticket: ln.Ticket, SourceID: ln.SourceID}, err))
}

// holdBack marks the ticket being gathered refused because of refusal at:
// the lines gathered so far, and those still to come, are held back.
func (run *runner) holdBack(at int) {
	run.bad, run.badAt = true, at
	run.sum.Refused += len(run.batch.Steps)
	run.held(at, len(run.batch.Steps))
	run.batch.Steps = nil
}

// held adds n lines held back to refusal at.
func (run *runner) held(at, n int) {
	if at >= 0 {
		run.sum.Refusals[at].Held += n
	}
}

// refuse counts a refused line and lists it while the list has room; it
// returns its index in Refusals, -1 when not listed.
func (run *runner) refuse(r Refusal, err error) int {
	run.sum.Refused++
	r.Rule, r.Kind, r.Field, r.Message = string(domain.RuleOf(err)), domain.KindOf(err).String(), fieldOf(err), messageOf(err)
	if r.Rule == "" {
		r.Rule = string(domain.RuleImportMalformedLine)
	}
	if len(run.sum.Refusals) >= MaxListed {
		return -1
	}
	run.sum.Refusals = append(run.sum.Refusals, r)
	return len(run.sum.Refusals) - 1
}

func fieldOf(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Field
	}
	return ""
}

func messageOf(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}

// decodeLine decodes one line strictly: one JSON object, known fields only,
// the fields every line needs present.
func decodeLine(raw []byte, ln *Line) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ln); err != nil {
		return domain.Errorf(domain.KindInvalid, domain.RuleImportMalformedLine, "line",
			"the line is not an entry of the import format (%v): see docs/import-format.md", err)
	}
	if dec.More() {
		return domain.Errorf(domain.KindInvalid, domain.RuleImportMalformedLine, "line", "the line holds more than one JSON value: one entry per line")
	}
	for _, f := range []struct{ name, v string }{{"source", ln.Source}, {"ticket", ln.Ticket}, {"sourceId", ln.SourceID}, {"command", ln.Command}} {
		if strings.TrimSpace(f.v) == "" {
			return domain.Errorf(domain.KindInvalid, domain.RuleImportMalformedLine, f.name, "the line has no %s: every line names source, ticket, sourceId, command, occurredAt and actor", f.name)
		}
	}
	if ln.OccurredAt.IsZero() {
		return domain.Errorf(domain.KindInvalid, domain.RuleImportMalformedLine, "occurredAt", "the line has no occurredAt: say when it happened at the source desk (RFC 3339)")
	}
	return nil
}
