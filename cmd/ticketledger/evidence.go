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
		Short: "Evidence of a ticket: a signed, verifiable bundle (export, verify), or the raw stream as JSON",
		Long: `evidence export writes the ticket's evidence bundle (a zip file: events as
stored with their signatures, inclusion proofs against a signed tree head,
the keys, the SLA policy and calendars, the recorded verdict); evidence
verify checks one offline and says what it proves. See docs/evidence-bundle.md.

With a ticket id, evidence fetches the ticket's raw stream as JSON (data and
metadata bytes exactly as stored) and recomputes its hash chain here; --out
writes the JSON to a file, --file rechecks such a file offline. That only
shows the file is self-consistent: whoever wrote it could have recomputed the
chain. Use the bundle for evidence another party can rely on. Exits 1 when
the chain does not verify.`,
		Example: `  ticketledger evidence export 7d1c… -o evidence-7d1c.zip
  ticketledger evidence verify evidence-7d1c.zip --trusted-key SHA256:3f5a…
  ticketledger evidence 7d1c… --out evidence-7d1c.json
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
			} else {
				id, err := g.ticketID(c, args[0])
				if err != nil {
					return err
				}
				if raw, err = g.client().Raw(c.Context(), ticketPath(id, "/evidence")); err != nil {
					return err
				}
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
				TicketID     string            `json:"ticketId"`
				Stream       string            `json:"stream"`
				Events       int               `json:"events"`
				LastRevision uint64            `json:"lastRevision"`
				LastHash     string            `json:"lastHash"`
				HashScheme   string            `json:"hashScheme"`
				ChainChecked bool              `json:"chainVerifiedHere"`
				Problem      *codec.ChainError `json:"problem,omitempty"`
				File         string            `json:"file,omitempty"`
			}{ev.TicketID, ev.Stream, len(ev.Events), ev.LastRev, ev.LastHash, ev.HashScheme, local == nil, nil, out}
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
				{"chain verified here", yesNo(local == nil)},
				{"proves", "the file is self-consistent only (no signatures or tree head checked): use evidence export for a bundle others can verify"},
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
			if local != nil {
				return fmt.Errorf("the hash chain of %s does not verify (%s): the stored history differs from what was written", ev.Stream, problem)
			}
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "write the export (JSON) to this file")
	c.Flags().StringVar(&file, "file", "", "verify an exported file offline instead of asking the server")
	c.AddCommand(newEvidenceExportCmd(g), newEvidenceVerifyCmd(g))
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
