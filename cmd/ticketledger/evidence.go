package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

func newEvidenceCmd(g *globals) *cobra.Command {
	var out, file string
	c := &cobra.Command{
		Use:   "evidence [TICKET-ID]",
		Short: "Export a ticket's raw stream as evidence and verify its hash chain here",
		Long: `Export the ticket's stream exactly as stored (data and metadata bytes) with
the server's verification, and recompute the hash chain locally from those
bytes, so the result does not depend on trusting the server. --out writes the
export to a file to hand over; --file verifies such a file offline (no server).
Exits 1 when the chain does not verify.`,
		Example: `  ticketledger evidence 7d1c… --out evidence-7d1c.json
  ticketledger evidence --file evidence-7d1c.json`,
		Args: func(c *cobra.Command, args []string) error {
			if file != "" {
				return noArgs(c, args)
			}
			return exactArgs("TICKET-ID")(c, args)
		},
		RunE: func(c *cobra.Command, args []string) error {
			f, err := g.format()
			if err != nil {
				return err
			}
			var raw []byte
			if file != "" {
				if raw, err = os.ReadFile(file); err != nil {
					return usagef(c, "--file: %v", err)
				}
			} else if raw, err = g.client().Raw(c.Context(), ticketPath(args[0], "/evidence")); err != nil {
				return err
			}
			var ev app.Evidence
			if err := json.Unmarshal(raw, &ev); err != nil {
				return fmt.Errorf("the evidence is not a ticketledger export: %w", err)
			}
			if out != "" {
				if err := os.WriteFile(out, raw, 0o644); err != nil {
					return fmt.Errorf("write %s: %w", out, err)
				}
			}
			local := verifyEvidence(ev)
			res := struct {
				TicketID       string            `json:"ticketId"`
				Stream         string            `json:"stream"`
				Events         int               `json:"events"`
				LastRevision   uint64            `json:"lastRevision"`
				LastHash       string            `json:"lastHash"`
				HashScheme     string            `json:"hashScheme"`
				ServerVerified bool              `json:"serverVerified"`
				LocalVerified  bool              `json:"localVerified"`
				Problem        *codec.ChainError `json:"problem,omitempty"`
				File           string            `json:"file,omitempty"`
			}{ev.TicketID, ev.Stream, len(ev.Events), ev.LastRev, ev.LastHash, ev.HashScheme, ev.Verified, local == nil, nil, out}
			var ce *codec.ChainError
			problem := ""
			if errors.As(local, &ce) {
				res.Problem = ce
				problem = fmt.Sprintf("revision %d: %s", ce.Revision, ce.Problem)
			} else if local != nil {
				problem = local.Error()
			}
			pairs := [][2]string{
				{"ticket", ev.TicketID}, {"stream", ev.Stream}, {"events", fmt.Sprint(len(ev.Events))},
				{"last revision", fmt.Sprint(ev.LastRev)}, {"last hash", ev.LastHash}, {"hash scheme", ev.HashScheme},
				{"exported at", fmtTime(ev.ExportedAt)},
				{"verified by server", yesNo(ev.Verified)}, {"verified here", yesNo(local == nil)},
			}
			if problem != "" {
				pairs = append(pairs, [2]string{"problem", problem})
			}
			if out != "" {
				pairs = append(pairs, [2]string{"written to", out})
			}
			if err := render.KV(c.OutOrStdout(), f, res, pairs); err != nil {
				return err
			}
			if local != nil || !ev.Verified {
				return fmt.Errorf("the hash chain of %s does not verify (%s): the stored history differs from what was written", ev.Stream, problem)
			}
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "write the export (JSON) to this file")
	c.Flags().StringVar(&file, "file", "", "verify an exported file offline instead of asking the server")
	return c
}

// verifyEvidence recomputes the hash chain from the exported bytes.
func verifyEvidence(ev app.Evidence) error {
	hist := make([]eventstore.RecordedEvent, len(ev.Events))
	for i, it := range ev.Events {
		hist[i] = eventstore.RecordedEvent{StreamID: ev.Stream, Revision: it.Revision, ID: it.ID, Type: it.Type,
			ContentType: it.ContentType, Data: it.Data, Metadata: it.Metadata, Created: it.Created,
			Position: eventstore.Position{Commit: it.Position, Prepare: it.Position}}
	}
	if len(hist) == 0 {
		return errors.New("the export holds no events")
	}
	return codec.Verify(hist)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}
