package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// RuleBackup names a backup the ledger refused (no backup directory, a
// target that exists, a store it cannot back up).
const RuleBackup domain.Rule = "backup-refused"

// Backuper takes online backups (POST /v1/admin/backups). progress, when
// not nil, is told the bytes written so far of the expected total (see
// backup.Options.Progress); refusals come before any progress.
type Backuper interface {
	Backup(ctx context.Context, b BackupBody, progress func(done, total int64)) (BackupView, error)
}

// BackupStreamType is the media type of POST /v1/admin/backups asked for
// with Accept: the answer streams one JSON object a line (BackupLine).
const BackupStreamType = "application/x-ndjson"

// BackupLine is one line of a streamed backup answer: progress lines,
// then one line with the backup, or with the problem that ended it.
type BackupLine struct {
	Progress *BackupProgress `json:"progress,omitempty"`
	Backup   *BackupView     `json:"backup,omitempty"`
	Problem  *Problem        `json:"problem,omitempty"`
}

// BackupProgress is how far a backup is: bytes written of the expected
// total (an estimate until the last line, where they are equal).
type BackupProgress struct {
	DoneBytes  int64 `json:"doneBytes"`
	TotalBytes int64 `json:"totalBytes"`
}

// BackupBody is the request of POST /v1/admin/backups.
type BackupBody struct {
	// To is the backup's directory on the server: relative to its
	// --backup-dir, or an absolute path inside it. It must not exist.
	To string `json:"to"`
	// WithSubjectKeys also copies the subject key store (the contacts'
	// personal-data keys). Off by default: a key in a backup outlives its
	// subject's erasure.
	WithSubjectKeys bool `json:"withSubjectKeys,omitempty"`
}

// BackupView describes a backup written on the server.
type BackupView struct {
	// Dir is the backup's directory on the server's filesystem.
	Dir     string    `json:"dir"`
	TakenAt time.Time `json:"takenAt"`
	// Head is the commit position of the backup's last event; TreeSize and
	// TreeRoot its latest signed tree head (0: none), Checkpoint that head
	// as a C2SP signed note.
	Head        uint64 `json:"head"`
	TreeSize    int64  `json:"treeSize"`
	TreeRoot    string `json:"treeRoot,omitempty"`
	Checkpoint  string `json:"checkpoint,omitempty"`
	Snapshot    bool   `json:"snapshot"`
	SubjectKeys bool   `json:"subjectKeys"`
	Bytes       int64  `json:"bytes"`
}

func (a *API) backup(w http.ResponseWriter, r *http.Request, _ *query) error {
	if a.backups == nil {
		return &httpError{status: http.StatusNotFound, rule: RuleNoRoute,
			msg: "this ledger takes no online backups: start serve with --backup-dir DIR, or back up offline with `ticketledger backup --data DIR --to BACKUP`"}
	}
	var b BackupBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if !strings.Contains(r.Header.Get("Accept"), BackupStreamType) {
		res, err := a.backups.Backup(r.Context(), b, nil)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		return writeJSON(w, http.StatusCreated, res)
	}
	// Streamed: the status is sent with the first progress line, so a
	// refusal (which comes before any) is an ordinary problem answer.
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	started := false
	line := func(l BackupLine) {
		if !started {
			started = true
			w.Header().Set("Content-Type", BackupStreamType)
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusCreated)
		}
		_ = enc.Encode(l)
		_ = rc.Flush()
	}
	res, err := a.backups.Backup(r.Context(), b, func(done, total int64) {
		line(BackupLine{Progress: &BackupProgress{DoneBytes: done, TotalBytes: total}})
	})
	switch {
	case err != nil && !started:
		return err
	case err != nil:
		p := problemOf(err)
		p.Instance = r.URL.Path
		line(BackupLine{Problem: &p})
	default:
		line(BackupLine{Backup: &res})
	}
	return nil
}
