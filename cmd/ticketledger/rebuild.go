package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

type rebuildCmd struct {
	store storeFlags
	logs  logFlags
}

func newRebuildCmd() *cobra.Command {
	r := &rebuildCmd{}
	c := &cobra.Command{
		Use:   "rebuild",
		Short: "Rebuild every projection from the start of the log and write the snapshot (offline)",
		Long: `Rebuild the read models (tickets, SLA, audit index, SLA metrics) from the
first event, then write the projection snapshot, so the next serve starts
from it. Run it after changing a projection, or if a snapshot is suspect.
The server must be stopped (the data directory is locked while it runs).`,
		Example: `  ticketledger rebuild --data ./data
  ticketledger rebuild --store "esdb://localhost:2113?tls=false" --snapshots ./snapshots`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return r.run(c) },
	}
	r.store.register(c, true)
	r.logs.register(c, "warn")
	return c
}

func (r *rebuildCmd) run(c *cobra.Command) error {
	ctx := c.Context()
	f, err := render.ParseFormat(c.Flag("output").Value.String())
	if err != nil {
		return usagef(c, "%v", err)
	}
	log, err := r.logs.logger(c, c.ErrOrStderr())
	if err != nil {
		return err
	}
	if r.store.store != "" && r.store.snapshots == "" {
		return usagef(c, "on KurrentDB a rebuild needs --snapshots DIR: the snapshot is what it produces")
	}
	l, err := ledger.Open(ctx, r.store.config(log))
	if err != nil {
		return offlineHint(err)
	}
	defer l.Close()

	bar := newProgress(c.ErrOrStderr(), "rebuild")
	start := time.Now()
	err = l.Runner.Rebuild(ctx, func(done, total uint64) { bar.Set(int64(done), int64(total)) })
	bar.Finish()
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	elapsed := time.Since(start)
	st := l.Runner.Stats()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(st.Applied) / elapsed.Seconds()
	}
	out := map[string]any{
		"store": l.Description, "snapshot": l.SnapshotPath, "checkpoint": st.Checkpoint.Commit,
		"applied": st.Applied, "skippedUnknown": st.SkippedUnknown, "decodeErrors": st.DecodeErrors,
		"tickets": l.Tickets.Len(), "auditEntries": l.Audit.Len(),
		"elapsedSeconds": elapsed.Seconds(), "eventsPerSecond": rate,
	}
	return render.KV(c.OutOrStdout(), f, out, kvPairs("store", l.Description, "snapshot", l.SnapshotPath,
		"events applied", st.Applied, "skipped (unknown type)", st.SkippedUnknown, "decode errors", st.DecodeErrors,
		"checkpoint", st.Checkpoint.Commit, "tickets", l.Tickets.Len(), "audit entries", l.Audit.Len(),
		"elapsed", elapsed.Round(time.Millisecond).String(), "events/s", fmt.Sprintf("%.0f", rate)))
}

// offlineHint adds what to do when an offline command finds the data
// directory locked.
func offlineHint(err error) error {
	if errors.Is(err, ledger.ErrLocked) {
		return fmt.Errorf("%w\nOffline commands need the data directory to themselves: stop `ticketledger serve` first (or use --server where the command offers it)", err)
	}
	return err
}
