package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

type verifyCmd struct {
	g     *globals
	store storeFlags
	all   bool
}

func newVerifyCmd(g *globals) *cobra.Command {
	v := &verifyCmd{g: g}
	c := &cobra.Command{
		Use:   "verify",
		Short: "Verify the hash chain of every ticket (and partner) stream",
		Long: `Recompute the hash chain of every stream from the stored bytes and report
the first broken link of each. Exits 1 if any chain is broken.

With --data DIR (or --store) it reads the store directly (the server must
be stopped for --data); otherwise it asks the running ledger (--server) for
each ticket's evidence.`,
		Example: `  ticketledger verify --data ./data
  ticketledger verify --server http://127.0.0.1:8080 -o json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return v.run(c) },
	}
	c.Flags().StringVar(&v.store.data, "data", "", "verify this data directory offline")
	c.Flags().StringVar(&v.store.store, "store", "", "verify a KurrentDB store (esdb://…) directly")
	c.Flags().BoolVar(&v.all, "all", false, "list every stream, not only broken ones")
	return c
}

func (v *verifyCmd) run(c *cobra.Command) error {
	ctx := c.Context()
	f, err := v.g.format()
	if err != nil {
		return err
	}
	var rep ledger.VerifyReport
	bar := newProgress(c.ErrOrStderr(), "verify")
	progress := func(done, total int) { bar.Set(int64(done), int64(total)) }
	if v.store.data != "" || v.store.store != "" {
		if c.Flags().Changed("server") {
			return usagef(c, "give --data/--store (offline) or --server, not both")
		}
		l, err := ledger.Open(ctx, ledger.Config{DataDir: v.store.data, StoreURL: v.store.store, NoSnapshots: true,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return offlineHint(err)
		}
		defer l.Close()
		rep, err = ledger.Verify(ctx, l.Raw, progress)
		bar.Finish()
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
	} else {
		rep, err = verifyRemote(ctx, v.g, progress)
		bar.Finish()
		if err != nil {
			return err
		}
	}

	rows := render.Rows{Header: []string{"STREAM", "EVENTS", "STATUS", "REVISION", "PROBLEM"}}
	for _, r := range rep.Results {
		if r.OK && !v.all {
			continue
		}
		status, rev, problem := "ok", "", ""
		switch {
		case r.Problem != nil:
			status, rev = "BROKEN", fmt.Sprint(r.Problem.Revision)
			problem = r.Problem.Problem
			if r.Problem.Expected != "" || r.Problem.Found != "" {
				problem += fmt.Sprintf(" (expected %s, found %s)", short(r.Problem.Expected), short(r.Problem.Found))
			}
		case r.Error != "":
			status, problem = "ERROR", r.Error
		}
		rows.Add(r.Stream, r.Events, status, rev, problem)
	}
	w := c.OutOrStdout()
	if f == render.Table {
		if len(rows.Rows) > 0 {
			if err := render.Write(w, f, rep, rows); err != nil {
				return err
			}
			fmt.Fprintln(w)
		}
		if err := render.KV(w, f, rep, [][2]string{
			{"streams", fmt.Sprint(rep.Streams)},
			{"events", fmt.Sprint(rep.Events)},
			{"verified", fmt.Sprint(rep.Streams - rep.Broken)},
			{"broken", fmt.Sprint(rep.Broken)},
		}); err != nil {
			return err
		}
	} else if err := render.Write(w, f, rep, rows); err != nil {
		return err
	}
	if rep.Broken > 0 {
		return fmt.Errorf("%d of %d streams have a broken hash chain: the stored history was altered or damaged; export the evidence of the affected tickets (`ticketledger evidence ID`) and restore them from a backup", rep.Broken, rep.Streams)
	}
	return nil
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
