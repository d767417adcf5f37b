package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
)

// damageReport is verify's output for a data directory with damaged files.
type damageReport struct {
	Damaged    bool     `json:"damaged"`
	Files      []string `json:"files"`
	Unreadable []string `json:"unreadable"`
	Streams    []string `json:"affectedStreams"`
	Readable   uint64   `json:"readableEvents"`
	OpenError  string   `json:"openError,omitempty"`
}

// verifyDamage answers verify --data when reading the log met a damaged
// file (cause): it reads every key of the store, reports the damaged
// files, the ranges it could not read and the streams they touch, and
// fails.
func (v *verifyCmd) verifyDamage(c *cobra.Command, f render.Format, cause error) error {
	if v.store.store != "" || !errors.Is(cause, eventstore.ErrDamaged) {
		return cause
	}
	rep, err := pebblestore.Check(c.Context(), v.store.data, nil)
	if err != nil {
		return fmt.Errorf("%w (and checking the damage failed: %v)", cause, err)
	}
	out := damageReport{Damaged: true, Files: []string{}, Unreadable: []string{}, Streams: rep.Streams, Readable: rep.Events}
	if out.Streams == nil {
		out.Streams = []string{}
	}
	for _, d := range rep.Files {
		out.Files = append(out.Files, fmt.Sprintf("%s (%s: %s)", d.File, d.Affected, d.Detail))
	}
	for _, u := range rep.Unreadable {
		out.Unreadable = append(out.Unreadable, u.String())
	}
	if rep.OpenErr != nil {
		out.OpenError = rep.OpenErr.Error()
		out.Unreadable = append(out.Unreadable, "everything: the store cannot be opened")
	}
	w := c.OutOrStdout()
	if f != render.Table {
		if err := render.Write(w, f, out, render.Rows{Header: []string{"UNREADABLE"}}); err != nil {
			return err
		}
	} else {
		pairs := [][2]string{
			{"damaged files", orNone(strings.Join(out.Files, "; "))},
			{"unreadable", orNone(strings.Join(out.Unreadable, "; "))},
			{"streams", orNone(strings.Join(out.Streams, ", "))},
			{"readable", fmt.Sprintf("%d events of the log", rep.Events)},
		}
		if err := render.KV(w, f, out, pairs); err != nil {
			return err
		}
	}
	if rep.OpenErr != nil {
		return fmt.Errorf("the event store in %s cannot be opened, so nothing could be verified: %s; restore the data directory from a backup", v.store.data, strings.Join(out.Files, "; "))
	}
	return fmt.Errorf("the event store in %s is damaged (what could not be read is listed above); "+
		"restore the data directory from a backup (the streams listed are the ones affected), then run verify again", v.store.data)
}

// verifyFiles checks, once the ledger is closed, the checksums of every
// block of the embedded store's files, which reading the log does not all
// touch; damage found is reported as verifyDamage does.
func (v *verifyCmd) verifyFiles(c *cobra.Command, f render.Format, closeLedger func() error) error {
	if v.store.store != "" {
		return nil
	}
	if err := closeLedger(); err != nil {
		return fmt.Errorf("close the store: %w", err)
	}
	bad, err := pebblestore.ValidateFiles(c.Context(), v.store.data)
	if err != nil {
		return fmt.Errorf("check the store's files: %w", err)
	}
	if len(bad) == 0 {
		return nil
	}
	return v.verifyDamage(c, f, &pebblestore.DamageError{Dir: v.store.data, File: bad[0].File, Err: errors.New(bad[0].Detail)})
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
