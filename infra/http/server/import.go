package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/importer"
)

// NDJSONContentType is the media type of an import file (one JSON object
// per line).
const NDJSONContentType = "application/x-ndjson"

// importIdle bounds the wait for the next bytes of an import's body: the
// import itself may take as long as the file needs.
const importIdle = 60 * time.Second

// ImportDispute is the data of an import line resolveBillingDispute: the
// route's body and the dispute id its path names.
type ImportDispute struct {
	DisputeID string `json:"disputeId"`
	DisputeResolutionBody
}

// importCommands are the commands an import line may name, by the
// operationId of their route: the line's data is that route's request body
// (docs/import-format.md).
var importCommands = map[string]func(data []byte, actor domain.Actor) (app.ImportCommand, error){
	"openTicket": importAs(func(b *OpenTicketBody, a domain.Actor) app.ImportCommand {
		in := b.input(a.Partner)
		return app.ImportCommand{Open: &in}
	}),
	"redirectToISV": importAs(func(b *RedirectBody, _ domain.Actor) app.ImportCommand {
		in := b.input()
		return app.ImportCommand{Redirect: &in}
	}),
	"recordFirstResponse":   importAct((*FirstResponseBody).action),
	"changeSeverity":        importAct((*SeverityBody).action),
	"escalate":              importAct((*EscalateBody).action),
	"requestInfo":           importAct((*InfoRequestBody).action),
	"provideInfo":           importAct((*InfoResponseBody).action),
	"openBillingDispute":    importAct((*DisputeBody).action),
	"resolveBillingDispute": importAct(func(b *ImportDispute) ticket.Action { return b.input(b.DisputeID) }),
	"flagFraud":             importAct((*FraudFlagBody).action),
	"clearFraud":            importAct(fraudClearance),
	"addNote":               importAct((*NoteBody).action),
	"reassign":              importAct((*ReassignBody).action),
	"resolve":               importAct((*ResolveBody).action),
	"reopen":                importAct(reopening),
	"close":                 importAct(closure),
}

// ImportCommands lists the commands an import line may name.
func ImportCommands() []string {
	out := make([]string, 0, len(importCommands))
	for k := range importCommands {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// importAs decodes a line's data as body B, strictly as the route decodes
// its body, and turns it into the command.
func importAs[B any, P interface {
	*B
	Base() *CommandBase
}](f func(b *B, actor domain.Actor) app.ImportCommand) func([]byte, domain.Actor) (app.ImportCommand, error) {
	return func(data []byte, actor domain.Actor) (app.ImportCommand, error) {
		b := P(new(B))
		if err := decodeJSON(data, b); err != nil {
			var he *httpError
			if errors.As(err, &he) {
				return app.ImportCommand{}, domain.Errorf(domain.KindInvalid, domain.RuleImportMalformedLine, "data."+he.field, "data: %s", he.msg)
			}
			return app.ImportCommand{}, err
		}
		if !b.Base().OccurredAt.IsZero() {
			return app.ImportCommand{}, domain.Errorf(domain.KindInvalid, domain.RuleImportMalformedLine, "data.occurredAt",
				"occurredAt belongs on the line, not in its data: move it out")
		}
		return f(b, actor), nil
	}
}

func importAct[B any, P interface {
	*B
	Base() *CommandBase
}](f func(b *B) ticket.Action) func([]byte, domain.Actor) (app.ImportCommand, error) {
	return importAs[B, P](func(b *B, _ domain.Actor) app.ImportCommand { return app.ImportCommand{Action: f(b)} })
}

// ImportDecoder is the importer.Decoder of the import format: the HTTP
// endpoint's and the offline import's.
func ImportDecoder(command string, data json.RawMessage, actor domain.Actor) (app.ImportCommand, error) {
	dec, ok := importCommands[command]
	if !ok {
		return app.ImportCommand{}, domain.Errorf(domain.KindInvalid, domain.RuleImportMalformedLine, "command",
			"%q is not a command of the import format: use one of %s", command, strings.Join(ImportCommands(), ", "))
	}
	return dec(data, actor)
}

// ImportBody documents the request body of POST /v1/admin/import: the
// import file, one importer.Line per line.
type ImportBody = importer.Line

// importHistory serves POST /v1/admin/import: the body is the import
// file, read as it arrives (no size limit, no request timeout: each read
// waits at most importIdle); the answer is the run's summary, refused
// lines included (200: the run ended; refusals are not failures of the
// request).
func (a *API) importHistory(w http.ResponseWriter, r *http.Request, _ *query) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != NDJSONContentType && mt != "application/jsonl" && mt != "application/json") {
			return &httpError{status: http.StatusUnsupportedMediaType, rule: RuleUnsupportedMedia, field: "Content-Type",
				msg: "an import is JSON lines: send Content-Type " + NDJSONContentType}
		}
	}
	actor, err := actorOf(r)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	body := &idleReader{r: r.Body, rc: rc}
	sum, err := importer.Run(r.Context(), body, a.app, importer.Options{By: actor, Decode: ImportDecoder, RunID: "import-" + correlationID(r.Context())})
	if err != nil {
		return err
	}
	a.log.Info("http server: import", "runId", sum.RunID, "principal", actor.ID, "role", actor.Role, "partner", actor.Partner,
		"lines", sum.Lines, "imported", sum.Imported, "skipped", sum.Skipped, "refused", sum.Refused, "correlationId", correlationID(r.Context()))
	_ = rc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	return writeJSON(w, http.StatusOK, sum)
}

// idleReader extends the connection's read deadline before each read.
type idleReader struct {
	r  io.Reader
	rc *http.ResponseController
}

func (ir *idleReader) Read(p []byte) (int, error) {
	_ = ir.rc.SetReadDeadline(time.Now().Add(importIdle))
	_ = ir.rc.SetWriteDeadline(time.Time{})
	return ir.r.Read(p)
}

// LedgerInfo is GET /v1/info: the limits this ledger decides commands with.
type LedgerInfo struct {
	// Window bounds the occurred-at of live commands; ImportWindow that of
	// imported history (POST /v1/admin/import).
	Window       WindowView `json:"window"`
	ImportWindow WindowView `json:"importWindow"`
}

// WindowView is a backdating window: how far before now occurred-at may
// lie (serve --max-backdate, --import-max-backdate) and how far after it
// (--max-clock-skew), in seconds and as written for people ("30d").
type WindowView struct {
	MaxBackdateSeconds  int64  `json:"maxBackdateSeconds"`
	MaxClockSkewSeconds int64  `json:"maxClockSkewSeconds"`
	MaxBackdate         string `json:"maxBackdate"`
	MaxClockSkew        string `json:"maxClockSkew"`
}

func windowView(w domain.Window) WindowView {
	back, skew := w.Limits()
	return WindowView{MaxBackdateSeconds: int64(back / time.Second), MaxClockSkewSeconds: int64(skew / time.Second),
		MaxBackdate: domain.FormatLimit(back), MaxClockSkew: domain.FormatLimit(skew)}
}

func (a *API) info(w http.ResponseWriter, _ *http.Request, _ *query) error {
	live, imports := a.app.Windows()
	return writeJSON(w, http.StatusOK, LedgerInfo{Window: windowView(live), ImportWindow: windowView(imports)})
}
