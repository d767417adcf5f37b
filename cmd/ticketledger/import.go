package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/importer"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

const importLong = `Import ticket history from another desk: a JSON-lines file (docs/import-format.md),
one entry per line, each ticket's lines together and oldest first, every line
with the source desk's id (sourceId) and the time it happened there (occurredAt).

Each entry is decided by the ledger's rules exactly as the live command would
be, as done by the actor the line names, at the source's occurredAt (within the
ledger's import backdating window: serve --import-max-backdate) and recorded
now. Its events carry "imported": true, the sourceId and who imported them in
their metadata: webhooks and SLA notices skip them. A ticket's new entries are
appended together or not at all: a refused line (its number, rule and reason are
listed) keeps its whole ticket out, the other tickets go in. Entries imported
before are skipped, so running the same file again appends nothing.

Without --data it sends the file to a running ledger (--server, POST
/v1/admin/import) with an admin token (any partner's history) or a partner's
token (its own). With --data DIR it works offline on a data directory no
server is using, signing with --signing-key (or $TICKETLEDGER_SIGNING_KEY, or the
demo key beside the directory) and recording --by as who imported.

Exit status: 0 when every line was imported or had been; otherwise the code of
the first refused line's kind (3 invalid, 4 not found, 5 conflict, 6
forbidden; see the README's table).`

// importOpts are the flags of `import`.
type importOpts struct {
	store      storeFlags
	window     windowFlags
	by         string
	signingKey string
}

func newImportCmd(g *globals) *cobra.Command {
	o := &importOpts{}
	c := &cobra.Command{Use: "import FILE|-", Long: importLong, Args: exactArgs("FILE"),
		Short: "Import ticket history from another desk (JSON lines), idempotently",
		Example: `  ticketledger --token-file data/admin.token import zendesk-2023.jsonl
  zcat export.jsonl.gz | ticketledger import -
  ticketledger import history.jsonl --data ./data --import-max-backdate 1095d --by ops@vendor.example`,
	}
	c.RunE = func(c *cobra.Command, args []string) error { return o.run(c, g, args[0]) }
	f := c.Flags()
	f.StringVar(&o.store.data, "data", "", "work offline on this data directory instead of a running server")
	f.StringVar(&o.store.subjectKeys, "subject-keys", "", "with --data: the subject key store (default: DATA/subject-keys)")
	f.StringVar(&o.store.calendars, "calendars", "", "with --data: JSON file of user business calendars, as serve takes it")
	f.StringVar(&o.by, "by", auth.InternalID, "with --data: who imports, as recorded in every event (the operator's id)")
	signingKeyFlag(f, &o.signingKey, "with --data: the ledger's signing key file (default: $TICKETLEDGER_SIGNING_KEY, else DATA.signing-key)")
	o.window.register(c, false)
	return c
}

func (o *importOpts) run(c *cobra.Command, g *globals, file string) error {
	f, err := g.format()
	if err != nil {
		return err
	}
	offlineOnly := []string{"subject-keys", "calendars", "by", "signing-key", "import-max-backdate", "max-clock-skew"}
	if o.store.data == "" {
		for _, name := range offlineOnly {
			if c.Flags().Changed(name) {
				return usagef(c, "--%s applies with --data (offline); a running ledger has its own (serve --import-max-backdate)", name)
			}
		}
	} else if c.Flags().Changed("server") {
		return usagef(c, "give --data (offline) or --server (a running ledger), not both")
	}
	in, size, err := openImport(c, file)
	if err != nil {
		return err
	}
	defer in.Close()
	bar := newTerminalProgress(c.ErrOrStderr(), "import", "bytes")
	show := func(done int64) {
		if bar != nil {
			bar.Set(done, size)
		}
	}
	var sum importer.Summary
	if o.store.data == "" {
		cr := &countingReader{r: in, seen: show}
		err = g.client().Import(c.Context(), cr, &sum)
	} else {
		sum, err = o.offline(c, in, show)
	}
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	if err := printImport(c, f, sum); err != nil {
		return err
	}
	return sum.Err()
}

// offline imports into the data directory: the same importer.Run as the
// server's endpoint, as the operator (--by, role system).
func (o *importOpts) offline(c *cobra.Command, in io.Reader, show func(int64)) (importer.Summary, error) {
	live, imports, err := o.window.windows(c)
	if err != nil {
		return importer.Summary{}, err
	}
	cfg := o.store.config(demoLogger(c))
	cfg.NoSealer, cfg.SigningKeyFile, cfg.KeyFromEnv, cfg.RequireKey = true, o.signingKey, true, true
	cfg.Window, cfg.ImportWindow = live, imports
	if _, err := os.Stat(filepath.Clean(o.store.data) + ".signing-key"); err == nil && cfg.SigningKeyFile == "" {
		cfg.DemoKey = true // the demo key beside the directory (never a new one)
	}
	l, err := ledger.Open(c.Context(), cfg)
	if err != nil {
		return importer.Summary{}, offlineHint(err)
	}
	defer l.Close()
	by := domain.Actor{ID: o.by, Role: domain.RoleSystem, Auth: domain.AuthInternal}
	sum, err := importer.Run(c.Context(), in, l.Service, importer.Options{By: by, Decode: server.ImportDecoder,
		Progress: func(s importer.Summary) { show(s.Bytes) }})
	if err != nil {
		return sum, err
	}
	// Bring the snapshot up to date, so the next serve starts from it.
	if err := l.Runner.CatchUp(c.Context()); err != nil {
		return sum, fmt.Errorf("update projections: %w (run `ticketledger rebuild --data %s`)", err, o.store.data)
	}
	return sum, nil
}

// openImport opens the import file ("-": standard input) and returns its
// size (-1 when unknown).
func openImport(c *cobra.Command, file string) (io.ReadCloser, int64, error) {
	if file == "-" {
		return io.NopCloser(c.InOrStdin()), -1, nil
	}
	fh, err := os.Open(file)
	if err != nil {
		return nil, 0, usagef(c, "FILE: %v", err)
	}
	size := int64(-1)
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return fh, size, nil
}

// countingReader reports the bytes read so far.
type countingReader struct {
	r    io.Reader
	n    atomic.Int64
	seen func(int64)
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.seen(cr.n.Add(int64(n)))
	return n, err
}

// printImport writes the run's summary, then its refused lines, and says
// so when the run appended nothing because everything was imported before.
func printImport(c *cobra.Command, f render.Format, s importer.Summary) error {
	pairs := kvPairs("lines read", s.Lines, "tickets", s.Tickets, "tickets created", s.TicketsCreated,
		"lines imported", s.Imported, "events appended", s.Events, "skipped (imported before)", s.Skipped,
		"refused", s.Refused, "run id", s.RunID)
	if err := render.KV(c.OutOrStdout(), f, s, pairs); err != nil {
		return err
	}
	if f == render.Table && len(s.Refusals) > 0 {
		rows := render.Rows{Header: []string{"LINE", "TICKET", "SOURCE ID", "RULE", "HELD", "WHY"}}
		for _, r := range s.Refusals {
			rows.Add(r.Line, r.Ticket, r.SourceID, r.Rule, r.Held, r.Message)
		}
		fmt.Fprintln(c.OutOrStdout())
		if err := render.Write(c.OutOrStdout(), f, nil, rows); err != nil {
			return err
		}
	}
	if s.Imported == 0 && s.Refused == 0 && s.Skipped > 0 {
		fmt.Fprintf(c.ErrOrStderr(), "nothing appended: all %d lines were imported before\n", s.Skipped)
	}
	return nil
}
