package server

import (
	"context"
	"net/http"
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// RuleBackup names a backup the ledger refused (no backup directory, a
// target that exists, a store it cannot back up).
const RuleBackup domain.Rule = "backup-refused"

// Backuper takes online backups (POST /v1/admin/backups).
type Backuper interface {
	Backup(ctx context.Context, b BackupBody) (BackupView, error)
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
	res, err := a.backups.Backup(r.Context(), b)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, res)
}
