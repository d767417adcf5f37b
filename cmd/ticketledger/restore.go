package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

type restoreCmd struct {
	g          *globals
	from, data string
	store      string
	force      bool
	signingKey string
	demo       bool
	reason     string
	quiet      bool
}

func newRestoreCmd(g *globals) *cobra.Command {
	r := &restoreCmd{g: g}
	c := &cobra.Command{
		Use:   "restore --from BACKUP --data DIR",
		Short: "Restore a backup into a data directory (the ledger stopped)",
		Long: `Copies a backup (ticketledger backup) into --data DIR, with a progress bar on
a terminal. A missing or empty DIR is filled. A DIR holding data is only
replaced with --force, and is moved aside to DIR.before-restore-<time> (its
head file DIR.head too), never deleted.

Restoring over a log moves history back to the backup's position: the
restore is recorded in the restored log as a ledger.restored event signed by
the ledger's key (--signing-key FILE, $TICKETLEDGER_SIGNING_KEY, or --demo for
the demo key beside DIR; it must be a key of the backup's keyring), naming the
backup's position and the head of the log it replaced. A party holding a
signed head of the replaced log newer than the backup then finds that
verify --against that head fails: the restored log is not an extension of
it, and the ledger.restored event says why.

When the backup has no subject key store, the replaced ledger's is carried
over, so erasures made since the backup stay made.`,
		Example: `  ticketledger restore --from /srv/backups/ledger-2026-12-02 --data ./data-restored
  ticketledger restore --from /srv/backups/ledger-2026-12-02 --data ./data --force --signing-key /etc/ticketledger/ledger.key`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return r.run(c) },
	}
	f := c.Flags()
	f.StringVar(&r.from, "from", "", "the backup's directory")
	f.StringVar(&r.data, "data", "", "the data directory to restore into")
	f.StringVar(&r.store, "store", "", "a KurrentDB store (esdb://…): refused, with KurrentDB's own procedure")
	f.BoolVar(&r.force, "force", false, "replace a data directory that is not empty (moved aside, not deleted)")
	signingKeyFlag(f, &r.signingKey, "the ledger's key, to sign the ledger.restored event when restoring over a log (default: $"+integrity.KeyEnv+")")
	f.BoolVar(&r.demo, "demo", false, "sign with the demo key beside the data directory (a demo ledger)")
	f.StringVar(&r.reason, "reason", "", "why (recorded with the restore)")
	f.BoolVarP(&r.quiet, "quiet", "q", false, "show no progress (for scripts; the result still goes to stdout)")
	return c
}

func (r *restoreCmd) run(c *cobra.Command) error {
	f, err := r.g.format()
	if err != nil {
		return err
	}
	if r.from == "" || r.data == "" {
		return usagef(c, "give the backup with --from BACKUP and the data directory to restore into with --data DIR")
	}
	cfg := ledger.Config{DataDir: r.data, StoreURL: r.store, SigningKeyFile: r.signingKey, KeyFromEnv: true, Logger: slog.New(slog.DiscardHandler)}
	if r.demo {
		if _, err := os.Stat(integrity.DemoKeyPath(r.data)); err != nil {
			return fmt.Errorf("--demo: no demo key at %s: give the ledger's key with --signing-key FILE", integrity.DemoKeyPath(r.data))
		}
		cfg.DemoKey = true
	}
	set, finish := lazyProgress(c.ErrOrStderr(), "restore", "bytes", r.quiet)
	res, err := ledger.Restore(c.Context(), cfg, ledger.RestoreOptions{From: r.from, Force: r.force, Reason: r.reason, Progress: set})
	finish()
	if err != nil {
		return backupRefusal(err)
	}
	m := res.Manifest
	aside, recorded := "-", "no (nothing was replaced)"
	switch {
	case res.Aside != "" && res.AsideHead != "":
		aside = res.Aside + ", head file " + res.AsideHead
	case res.Aside != "":
		aside = res.Aside
	case res.AsideHead != "":
		aside = "head file " + res.AsideHead
	}
	if res.Recorded {
		recorded = fmt.Sprintf("ledger.restored at position %d, signed by key %s (the log it replaced reached position %d, signed head size %d)",
			res.Position, res.KeyID, res.Replaced.Head, res.Replaced.TreeSize)
	}
	keys := pick(m.SubjectKeys, "from the backup", "none in the backup: contacts' names, e-mails and phones read as [erased] until the key store is put in DIR/subject-keys")
	if res.SubjectKeysKept {
		keys = "carried over from the replaced data directory"
	}
	return render.KV(c.OutOrStdout(), f, res, [][2]string{
		{"restored", r.data},
		{"from", fmt.Sprintf("%s (taken %s)", r.from, m.TakenAt.UTC().Format(time.RFC3339))},
		{"log head", fmt.Sprintf("position %d", m.Head)},
		{"signed head", fmt.Sprintf("size %d", m.TreeSize)},
		{"recorded", recorded},
		{"subject keys", keys},
		{"admin token", pick(res.TokenFileKept, filepath.Join(r.data, auth.BootstrapFileName)+" carried over from the replaced directory",
			"none here (a backup holds no secrets): use the admin.token you keep, or hand one in with $"+auth.EnvAdminToken)},
		{"moved aside", aside},
		{"next", "ticketledger verify --data " + r.data + ", then start serve on it"},
	})
}
