package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/http/client"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/projections"
)

const forgetLong = `Erase a data subject: a ticket contact, named by the contact's e-mail (any letter
case) or by its subject id (sub-…, as in the sealed values of an evidence
export). The ledger destroys the subject's key in its key store (outside the
log) and records subject.erased (who, when, why; no personal data) on the
subject's own stream. From then on the contact's name, e-mail and phone read
as [erased] everywhere — API, CLI, evidence, backups of the log — and every
hash, signature and seal still verifies (the log is not changed).

Without --data it asks a running ledger (--server) with an admin token. With
--data DIR it works offline on a data directory no server is using, signing
the erasure with --signing-key (or $TICKETLEDGER_SIGNING_KEY, or the demo key
beside the directory) and recording --by as who erased; the next serve seals
it with the rest of the log.

Backups of the key store still hold the key, for as long as they are kept.`

// forgetOpts are the flags of `forget`.
type forgetOpts struct {
	store                  storeFlags
	reason, by, signingKey string
}

// newForgetCmd is `forget SUBJECT`: erase a data subject, over the API
// (admin token) or offline on --data.
func newForgetCmd(g *globals) *cobra.Command {
	o := &forgetOpts{}
	c := &cobra.Command{Use: "forget SUBJECT", Long: forgetLong, Args: exactArgs("SUBJECT"),
		Short: "Erase a data subject (admin): destroy the key its personal data is encrypted with",
		Example: `  ticketledger --token-file data/admin.token forget alice@contoso.example --reason "erasure request 2026-17"
  ticketledger forget sub-3f9a0c… --data ./data --by dpo@vendor.example`,
	}
	c.RunE = func(c *cobra.Command, args []string) error { return o.run(c, g, args[0]) }
	f := c.Flags()
	f.StringVar(&o.store.data, "data", "", "work offline on this data directory instead of a running server")
	f.StringVar(&o.store.subjectKeys, "subject-keys", "", "with --data: the subject key store (default: DATA/subject-keys)")
	f.StringVar(&o.reason, "reason", "", "why, e.g. the erasure request's reference (recorded; no personal data)")
	f.StringVar(&o.by, "by", auth.InternalID, "with --data: who erases, as recorded (the operator's id)")
	signingKeyFlag(f, &o.signingKey, "with --data: the ledger's signing key file (default: $TICKETLEDGER_SIGNING_KEY, else DATA.signing-key)")
	return c
}

func (o *forgetOpts) run(c *cobra.Command, g *globals, who string) error {
	if strings.TrimSpace(who) == "" {
		return usagef(c, "SUBJECT is empty: give the subject id (sub-…) or the contact's e-mail")
	}
	if o.store.data == "" {
		return g.post(c, "/v1/subjects/"+url.PathEscape(who)+"/forget", server.ReasonBody{Reason: o.reason})
	}
	if c.Flags().Changed("server") {
		return usagef(c, "give --data (offline) or --server (a running ledger), not both")
	}
	f, err := g.format()
	if err != nil {
		return err
	}
	cfg := o.store.config(demoLogger(c))
	// Signed, not sealed: a refused erasure writes nothing, and the next
	// serve seals the erasure with the rest of the log.
	cfg.NoSnapshots, cfg.NoSealer, cfg.SigningKeyFile, cfg.KeyFromEnv, cfg.RequireKey = true, true, o.signingKey, true, true
	if _, err := os.Stat(filepath.Clean(o.store.data) + ".signing-key"); err == nil && cfg.SigningKeyFile == "" {
		cfg.DemoKey = true // the demo key beside the directory (never a new one)
	}
	l, err := ledger.Open(c.Context(), cfg)
	if err != nil {
		return offlineHint(err)
	}
	defer l.Close()
	actor := domain.Actor{ID: o.by, Role: domain.RoleSystem, Auth: domain.AuthInternal}
	er, err := l.Service.Forget(c.Context(), app.Command{Actor: actor}, who, o.reason)
	if err != nil {
		return err
	}
	return printResult(c, f, offlineResult(er.Result))
}

// offlineResult is an offline command's result in the form the API answers
// with, so both print alike.
func offlineResult(res app.Result) client.CommandResult {
	out := client.CommandResult{TicketID: res.TicketID, PartnerID: res.PartnerID, Stream: res.Stream, Revision: res.Revision,
		Position: res.Position, Changed: len(res.Events) > 0, Replayed: res.Replayed, Deadline: projections.DeadlinePtr(res.Deadline)}
	for _, e := range res.Events {
		payload, _ := json.Marshal(e.Event)
		out.Events = append(out.Events, server.EventOut[json.RawMessage]{Revision: e.Revision, Type: e.Type, Meta: e.Meta, Payload: payload})
	}
	return out
}
