package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/evidence"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

func newEvidenceExportCmd(g *globals) *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "export TICKET-ID -o BUNDLE.zip",
		Short: "Write a ticket's evidence bundle (zip), verifiable offline by anyone",
		Long: `Fetch the ticket's evidence bundle from the ledger (GET
/v1/tickets/{id}/evidence.zip) and write it to a file: the events exactly as
stored with their signatures, an inclusion proof of each against one signed
tree head, the public keys, the SLA policy and calendars the deadlines name,
and the verdict the ledger recorded. The ledger waits a few seconds for a tree
head that covers the ticket's newest events; events it still does not cover
are listed in the bundle as covered by their signatures only (export again
after the next seal). The bundle is checked here before it is written.
Here -o names the file (the output format is always a table).`,
		Example: `  ticketledger evidence export 7d1c… -o evidence-7d1c.zip`,
		Args:    exactArgs("TICKET-ID"),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usagef(c, "-o FILE is required: where to write the bundle, e.g. -o evidence-%s.zip", args[0])
			}
			id, err := g.ticketID(c, args[0])
			if err != nil {
				return err
			}
			raw, err := g.client().Raw(c.Context(), ticketPath(id, "/evidence.zip"))
			if err != nil {
				return err
			}
			b, err := evidence.Read(bytes.NewReader(raw), int64(len(raw)))
			if err != nil {
				return fmt.Errorf("the ledger's answer is not a bundle: %w", err)
			}
			rep := evidence.Verify(b, evidence.Trust{})
			if err := os.WriteFile(out, raw, 0o644); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			m := b.Manifest
			unsealed := "none"
			if len(m.UnsealedRevisions) > 0 {
				unsealed = fmt.Sprintf("revisions %v: covered by their signatures only (the latest tree head does not include them yet); export again after the next seal", m.UnsealedRevisions)
			}
			checked := "yes (self-consistent)"
			if !rep.OK {
				checked = fmt.Sprintf("NO: %d problems (run evidence verify %s)", len(rep.Problems), out)
			}
			pairs := [][2]string{
				{"ticket", m.TicketID}, {"events", fmt.Sprintf("%d (revisions 0–%d)", m.Events, m.LastRevision)},
				{"tree head", headLine(rep.Head)}, {"unsealed", unsealed}, {"checked here", checked},
				{"written to", fmt.Sprintf("%s (%d bytes)", out, len(raw))},
				{"verify with", "ticketledger evidence verify " + out + " --trusted-key <the ledger's key fingerprint>"},
			}
			if err := render.KV(c.OutOrStdout(), render.Table, nil, pairs); err != nil {
				return err
			}
			if !rep.OK {
				return fmt.Errorf("the bundle the ledger sent does not verify (%s): the stored history may be damaged; run `ticketledger verify --data` on the ledger", rep.Problems[0])
			}
			return nil
		},
	}
	// -o/--output names the file here: it shadows the global format flag.
	c.Flags().StringVarP(&out, "output", "o", "", "write the bundle (zip) to this file")
	return c
}

func headLine(h *evidence.HeadInfo) string {
	if h == nil {
		return "does not verify"
	}
	return fmt.Sprintf("size %d of %q, signed by key %s (%s) on %s", h.Size, h.Origin, h.KeyID, h.Fingerprint, h.Time.Format(time.RFC3339))
}

func newEvidenceVerifyCmd(g *globals) *cobra.Command {
	var trustedKeys []string
	var trustedHead string
	c := &cobra.Command{
		Use:   "verify BUNDLE.zip",
		Short: "Verify an evidence bundle offline and say what it proves",
		Long: `Check an evidence bundle with nothing but its contents: every event's hash,
the chain between them, every signature, every inclusion proof against the
bundle's signed tree head, the head's signature, the SLA verdict against the
signed events and the policy's targets against the signed deadlines. It prints
the signing key's fingerprint and what the bundle proves in plain words.

On its own that shows the bundle is self-consistent: anyone with a key could
make one. --trusted-key (the ledger's public key as base64 or PEM, its
fingerprint SHA256:<hex>, or a file holding one) requires the tree head to be
signed by that key; --trusted-head FILE (a checkpoint saved earlier, e.g.
from GET /v1/audit/tree-head with Accept: text/plain) requires the head to be
signed by the same key and to be that head or a newer one. Exits 1 on any
problem, each located (file, revision, expected and found).`,
		Example: `  ticketledger evidence verify evidence-7d1c.zip
  ticketledger evidence verify evidence-7d1c.zip --trusted-key SHA256:3f5a…
  ticketledger evidence verify evidence-7d1c.zip --trusted-head saved.head -o json`,
		Args: exactArgs("BUNDLE.zip"),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := g.format()
			if err != nil {
				return err
			}
			var trust evidence.Trust
			for _, k := range trustedKeys {
				pub, fp, err := parseTrustedKey(k)
				if err != nil {
					return usagef(c, "--trusted-key: %v", err)
				}
				if pub != nil {
					trust.Keys = append(trust.Keys, pub)
				} else {
					trust.Fingerprints = append(trust.Fingerprints, fp)
				}
			}
			if trustedHead != "" {
				if trust.Head, err = os.ReadFile(trustedHead); err != nil {
					return usagef(c, "--trusted-head: %v", err)
				}
			}
			file, err := os.Open(args[0])
			if err != nil {
				return usagef(c, "%v", err)
			}
			defer file.Close()
			st, err := file.Stat()
			if err != nil {
				return err
			}
			b, err := evidence.Read(file, st.Size())
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			rep := evidence.Verify(b, trust)
			if err := writeBundleReport(c.OutOrStdout(), f, args[0], rep); err != nil {
				return err
			}
			if !rep.OK {
				return fmt.Errorf("%s does not verify: %d problems, each listed above with its place; the bundle was altered, or is not from the ledger it claims (export a fresh one and compare)", args[0], len(rep.Problems))
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&trustedKeys, "trusted-key", nil, "the ledger's public key (base64 or PEM), its fingerprint (SHA256:<hex>), or a file holding one; repeatable")
	c.Flags().StringVar(&trustedHead, "trusted-head", "", "a signed tree head (checkpoint file) saved earlier; the bundle's head must be it or a newer one by the same key")
	return c
}

// writeBundleReport prints a verification report: aligned pairs for
// people, the report itself for -o json.
func writeBundleReport(w io.Writer, f render.Format, file string, rep *evidence.Report) error {
	result := "VERIFIED"
	if !rep.OK {
		result = fmt.Sprintf("FAILED: %d problems", len(rep.Problems))
	}
	pairs := [][2]string{{"bundle", file}, {"ticket", rep.TicketID}, {"result", result}}
	if h := rep.Head; h != nil {
		pairs = append(pairs, [2]string{"signing key", h.KeyID + "  " + h.Fingerprint}, [2]string{"tree head", headLine(h)})
	}
	pairs = append(pairs,
		[2]string{"events", fmt.Sprintf("%d: %d in the tree head, %d by signature only", rep.Events, rep.Sealed, len(rep.Unsealed))},
		[2]string{"trust", rep.TrustDetail})
	for i, p := range rep.Proves {
		k := ""
		if i == 0 {
			k = "proves"
		}
		pairs = append(pairs, [2]string{k, p})
	}
	for _, p := range rep.Problems {
		pairs = append(pairs, [2]string{"PROBLEM", p.String()})
	}
	out := struct {
		Bundle string `json:"bundle"`
		*evidence.Report
	}{file, rep}
	return render.KV(w, f, out, pairs)
}

// parseTrustedKey reads a --trusted-key value: a file holding one, a
// fingerprint "SHA256:<64 hex digits>", or a public key
// (integrity.ParsePublicKey). It returns the key, or only the fingerprint.
func parseTrustedKey(v string) (ed25519.PublicKey, string, error) {
	s := strings.TrimSpace(v)
	if b, err := os.ReadFile(s); err == nil {
		s = strings.TrimSpace(string(b))
	}
	if fp, ok := strings.CutPrefix(s, "SHA256:"); ok {
		if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
			return nil, "", fmt.Errorf("fingerprint %q: want SHA256: and 64 hex digits (as evidence verify and GET /v1/audit/keys print)", v)
		}
		return nil, "SHA256:" + strings.ToLower(fp), nil
	}
	pub, err := integrity.ParsePublicKey([]byte(s))
	if err != nil {
		return nil, "", fmt.Errorf("%q is neither a fingerprint (SHA256:<hex>) nor an Ed25519 public key (base64 or PEM), nor a file holding one: %v", v, err)
	}
	return pub, "", nil
}
