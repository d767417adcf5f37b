package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/backup"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/client"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

type backupCmd struct {
	g        *globals
	to       string
	data     string
	store    string
	withKeys bool
	noVerify bool
	quiet    bool
}

func newBackupCmd(g *globals) *cobra.Command {
	b := &backupCmd{g: g}
	c := &cobra.Command{
		Use:   "backup --to DIR",
		Short: "Back up the ledger, consistent at one log position, online or offline",
		Long: `Writes a backup: a directory that is itself a data directory (check it with
ticketledger verify --data DIR) holding a Pebble checkpoint of the embedded
store, consistent at one log position even while commands go on, the read
models' snapshot, and backup.json, a manifest naming the log's head and the
latest signed tree head in the backup.

Online (no --data): asks the running ledger (admin token). The server writes
the backup on its own filesystem, to --to under its serve --backup-dir
(relative to it, or an absolute path inside it; anything else is refused).

Offline (--data DIR, the ledger stopped): writes the backup to --to (a new
directory outside the data directory) and verifies it (--no-verify skips
that).

Progress goes to stderr: a bar on a terminal (bytes written of the total,
then events verified), otherwise a line every 2 seconds and one at the end
of each; online, the server streams it. --quiet shows none; -o json prints
the result as JSON on stdout either way.

The subject key store (DATA/subject-keys: the keys of contacts' personal
data) is left out unless --with-subject-keys: a key in a backup outlives its
subject's erasure for as long as the backup is kept (README: Personal data
and erasure). Restore carries the current key store over instead.

On KurrentDB (--store esdb://…) the log is KurrentDB's to back up: the
command refuses and says how.`,
		Example: `  ticketledger backup --token-file data/admin.token --to nightly-2026-12-02
  ticketledger backup --data ./data --to /srv/backups/ledger-2026-12-02`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return b.run(c) },
	}
	f := c.Flags()
	f.StringVar(&b.to, "to", "", "the backup's new directory (online: under the server's --backup-dir)")
	f.StringVar(&b.data, "data", "", "back up this data directory offline (the ledger stopped)")
	f.StringVar(&b.store, "store", "", "a KurrentDB store (esdb://…): refused, with KurrentDB's own procedure")
	f.BoolVar(&b.withKeys, "with-subject-keys", false, "also copy the subject key store (personal-data keys: see the README before you do)")
	f.BoolVar(&b.noVerify, "no-verify", false, "offline: do not verify the backup after writing it")
	f.BoolVarP(&b.quiet, "quiet", "q", false, "show no progress (for scripts; the result still goes to stdout)")
	return c
}

func (b *backupCmd) run(c *cobra.Command) error {
	f, err := b.g.format()
	if err != nil {
		return err
	}
	if b.store != "" {
		return backupRefusal(fmt.Errorf("backup %w: %s", ledger.ErrBackup, ledger.KurrentBackupHint))
	}
	if b.to == "" {
		return usagef(c, "give the backup's directory with --to DIR")
	}
	if b.data == "" {
		if b.noVerify {
			return usagef(c, "--no-verify is for an offline backup (--data DIR): the server does not verify what it writes; run ticketledger verify --data DIR on its machine")
		}
		v, err := b.online(c)
		if err != nil {
			return err
		}
		return printBackup(c, f, v, "not checked here: the backup is on the server; run ticketledger verify --data "+v.Dir+" there")
	}
	if err := existingData(b.data); err != nil {
		return err
	}
	l, err := ledger.Open(c.Context(), ledger.Config{DataDir: b.data, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return offlineHint(err)
	}
	set, finish := lazyProgress(c.ErrOrStderr(), "backup", "bytes", b.quiet)
	m, err := l.Backup(c.Context(), b.to, backup.Options{WithSubjectKeys: b.withKeys, Progress: set}, false)
	finish()
	if cerr := l.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return backupRefusal(err)
	}
	dir, _ := filepath.Abs(b.to)
	verified := "skipped (--no-verify)"
	if !b.noVerify {
		if verified, err = verifyBackup(c, dir, m.Head, b.quiet); err != nil {
			return err
		}
	}
	return printBackup(c, f, backupView(dir, m), verified)
}

// online asks the running ledger for the backup, showing the progress it
// streams (server.BackupLine).
func (b *backupCmd) online(c *cobra.Command) (server.BackupView, error) {
	set, finish := lazyProgress(c.ErrOrStderr(), "backup", "bytes", b.quiet)
	defer finish()
	var v *server.BackupView
	var failed *server.Problem
	err := b.g.client().Post(c.Context(), "/v1/admin/backups", server.BackupBody{To: b.to, WithSubjectKeys: b.withKeys}, client.Lines(func(line []byte) error {
		var l server.BackupLine
		if err := json.Unmarshal(line, &l); err != nil {
			return fmt.Errorf("the server's backup answer: %w", err)
		}
		switch {
		case l.Progress != nil:
			set(l.Progress.DoneBytes, l.Progress.TotalBytes)
		case l.Backup != nil:
			v = l.Backup
		case l.Problem != nil:
			failed = l.Problem
		}
		return nil
	}))
	switch {
	case err != nil:
		return server.BackupView{}, err
	case failed != nil:
		return server.BackupView{}, &client.Error{Problem: client.Problem{Type: failed.Type, Title: failed.Title, Status: failed.Status,
			Detail: failed.Detail, Rule: failed.Rule, Field: failed.Field}}
	case v == nil:
		return server.BackupView{}, errors.New("the server's backup answer ended without the backup: check the server's log, and ticketledger verify --data on the backup")
	}
	return *v, nil
}

func backupView(dir string, m backup.Manifest) server.BackupView {
	return server.BackupView{Dir: dir, TakenAt: m.TakenAt, Head: m.Head, TreeSize: m.TreeSize, TreeRoot: m.TreeRoot,
		Checkpoint: m.Checkpoint, Snapshot: m.Snapshot, SubjectKeys: m.SubjectKeys, Bytes: m.Bytes}
}

func printBackup(c *cobra.Command, f render.Format, v server.BackupView, verified string) error {
	head := "none"
	if v.TreeSize > 0 {
		head = fmt.Sprintf("size %d, root %s", v.TreeSize, v.TreeRoot)
	}
	keys := "not included (--with-subject-keys to include them)"
	if v.SubjectKeys {
		keys = "included: keep this backup under the erasure rules of personal data"
	}
	return render.KV(c.OutOrStdout(), f, v, [][2]string{
		{"backup", v.Dir},
		{"taken at", v.TakenAt.UTC().Format(time.RFC3339)},
		{"log head", fmt.Sprintf("position %d", v.Head)},
		{"signed head", head},
		{"read models", pick(v.Snapshot, "snapshot included", "no snapshot (rebuilt on first start)")},
		{"subject keys", keys},
		{"size", fmt.Sprintf("%d bytes", v.Bytes)},
		{"verified", verified},
		{"restore", "ticketledger restore --from " + v.Dir + " --data DIR (the ledger stopped)"},
	})
}

// pick returns yes when ok, else no.
func pick(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// backupRefusal turns a backup or restore refusal into a conflict (exit 5),
// other errors unchanged.
func backupRefusal(err error) error {
	if errors.Is(err, ledger.ErrBackup) {
		return domain.Errorf(domain.KindConflict, server.RuleBackup, "", "%s", err.Error())
	}
	return err
}
