package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/ledger"
	"github.com/ticketledger/ticketledger/infra/store/pebblestore"
	"github.com/ticketledger/ticketledger/infra/tools/bench"
)

type verifyCmd struct {
	g             *globals
	store         storeFlags
	all           bool
	allSignatures bool
	against       string
	trusted       []string
}

func newVerifyCmd(g *globals) *cobra.Command {
	v := &verifyCmd{g: g}
	c := &cobra.Command{
		Use:   "verify",
		Short: "Verify the log offline (chains, signatures, seals), or each stream's chain through a server",
		Long: `With --data DIR (or --store) it reads the whole log directly (the server must
be stopped for --data) and checks every stream's hash chain, the keyring,
every seal (its signed tree head, its chain to the previous seal, and the
Merkle tree's root at its size), and the signature of every event no seal
covers yet (every event with --all-signatures). It prints how many events,
streams and seals it met, how much of the log no seal covers yet, and each
problem on its own line: where (stream@revision, leaf and log position),
what was expected and what was found, and which seal covers it.
--against HEAD_FILE checks the log against a signed tree head saved earlier
(a head file the ledger published, an auditor's copy): the log must be an
extension of it, so a cut tail is caught even when its seals went too.
--trusted-key KEY (a key id or SHA256: fingerprint noted when the key was
made) pins the keyring's first key, which otherwise signs itself: a log
replaced wholesale under another key is then caught too.

Without --data it asks the running ledger (--server) for each ticket's
evidence and recomputes the hash chains. Exits 1 on any problem.`,
		Example: `  ticketledger verify --data ./data
  ticketledger verify --data ./data --against saved.head --all-signatures
  ticketledger verify --server http://127.0.0.1:8080 -o json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return v.run(c) },
	}
	c.Flags().StringVar(&v.store.data, "data", "", "verify this data directory offline")
	c.Flags().StringVar(&v.store.store, "store", "", "verify a KurrentDB store (esdb://…) directly")
	c.Flags().BoolVar(&v.all, "all", false, "list every stream, not only broken ones (--server)")
	c.Flags().BoolVar(&v.allSignatures, "all-signatures", false, "offline: recheck every event's signature, not only those no seal covers")
	c.Flags().StringSliceVar(&v.trusted, "trusted-key", nil, "offline: the key id or SHA256: fingerprint (keys list) of the ledger's first key, noted outside the log; another trust anchor is a problem (repeatable)")
	c.Flags().StringVar(&v.against, "against", "", "offline: a signed tree head (checkpoint file) saved earlier; the log must be an extension of it")
	return c
}

func (v *verifyCmd) run(c *cobra.Command) error {
	ctx := c.Context()
	f, err := v.g.format()
	if err != nil {
		return err
	}
	if v.store.data != "" || v.store.store != "" {
		if c.Flags().Changed("server") {
			return usagef(c, "give --data/--store (offline) or --server, not both")
		}
		return v.runOffline(c, f)
	}
	if v.allSignatures || v.against != "" || len(v.trusted) > 0 {
		return usagef(c, "--all-signatures, --against and --trusted-key check the whole log: give --data DIR (or --store) with the server stopped")
	}
	bar := newProgress(c.ErrOrStderr(), "verify")
	rep, err := verifyRemote(ctx, v.g, func(done, total int) { bar.Set(int64(done), int64(total)) })
	bar.Finish()
	if err != nil {
		return err
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

// logReport is the offline verify report as printed with -o json.
type logReport struct {
	Events            uint64          `json:"events"`
	Streams           int             `json:"streams"`
	Seals             int             `json:"seals"`
	SealedSize        uint64          `json:"sealedSize"`
	Unsealed          uint64          `json:"unsealed"`
	LastSeal          *headReport     `json:"lastSeal,omitempty"`
	SignaturesChecked uint64          `json:"signaturesChecked"`
	Keys              []string        `json:"keys"`
	Against           *againstReport  `json:"against,omitempty"`
	Problems          []problemReport `json:"problems"`
	ElapsedSeconds    float64         `json:"elapsedSeconds"`
	EventsPerSecond   float64         `json:"eventsPerSecond"`
}

type headReport struct {
	Size  uint64    `json:"size"`
	Root  string    `json:"root"`
	Time  time.Time `json:"time"`
	KeyID string    `json:"keyId"`
}

type againstReport struct {
	Head       headReport `json:"head"`
	Consistent bool       `json:"consistent"`
}

type problemReport struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func toHead(h integrity.SignedHead) *headReport {
	return &headReport{Size: h.Size, Root: h.RootBase64(), Time: h.Time.UTC(), KeyID: h.KeyID}
}

// runOffline verifies the whole log of a data directory (or KurrentDB).
func (v *verifyCmd) runOffline(c *cobra.Command, f render.Format) error {
	ctx := c.Context()
	opts := integrity.VerifyOptions{AllSignatures: v.allSignatures, Anchors: v.trusted}
	if v.against != "" {
		b, err := os.ReadFile(v.against)
		if err != nil {
			return fmt.Errorf("--against: %w", err)
		}
		opts.Against = b
	}
	l, err := ledger.Open(ctx, ledger.Config{DataDir: v.store.data, StoreURL: v.store.store, NoSnapshots: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return v.verifyDamage(c, f, offlineHint(err))
	}
	closeLedger := sync.OnceValue(l.Close)
	defer closeLedger()
	var total int64 = -1
	if h, err := l.Head(ctx); err == nil && h.Commit > 0 {
		total = int64(h.Commit) // an estimate: the store's last commit position
	}
	bar := newProgressOf(c.ErrOrStderr(), "verify", "events")
	opts.Progress = func(done uint64) {
		if int64(done) > total {
			total = int64(done)
		}
		bar.Set(int64(done), total)
	}
	rep, err := integrity.VerifyLog(ctx, l.Raw, opts)
	bar.Finish()
	if err != nil {
		if errors.Is(err, eventstore.ErrDamaged) {
			closeLedger()
			return v.verifyDamage(c, f, err)
		}
		return fmt.Errorf("verify: %w", err)
	}
	if err := v.verifyFiles(c, f, closeLedger); err != nil {
		return err
	}

	out := logReport{Events: rep.Events, Streams: rep.Streams, Seals: rep.Seals, SealedSize: rep.SealedSize,
		Unsealed: rep.Unsealed, SignaturesChecked: rep.SignaturesChecked, Keys: []string{}, Problems: []problemReport{},
		ElapsedSeconds: rep.Elapsed.Seconds()}
	if rep.Elapsed > 0 {
		out.EventsPerSecond = float64(rep.Events) / rep.Elapsed.Seconds()
	}
	if rep.LastSeal != nil {
		out.LastSeal = toHead(*rep.LastSeal)
	}
	for _, k := range rep.Keys {
		out.Keys = append(out.Keys, k.ID)
	}
	if rep.Against != nil {
		out.Against = &againstReport{Head: *toHead(rep.Against.Head), Consistent: rep.Against.Consistent}
	}
	for _, p := range rep.Problems {
		out.Problems = append(out.Problems, problemReport{Kind: string(p.Kind), Message: p.String()})
	}

	w := c.OutOrStdout()
	rows := render.Rows{Header: []string{"PROBLEM"}}
	for _, p := range out.Problems {
		rows.Add(p.Message)
	}
	if f != render.Table {
		if err := render.Write(w, f, out, rows); err != nil {
			return err
		}
	} else {
		unsealed := fmt.Sprint(rep.Unsealed)
		if rep.Events > 0 {
			unsealed += fmt.Sprintf(" (%.1f%% of the log: covered by signatures only)", float64(rep.Unsealed)/float64(rep.Events)*100)
		}
		lastSeal := "none"
		if h := out.LastSeal; h != nil {
			lastSeal = fmt.Sprintf("tree size %d, %s, key %s", h.Size, h.Time.Format(time.RFC3339), h.KeyID)
		}
		pairs := [][2]string{
			{"events", fmt.Sprint(rep.Events)},
			{"streams", fmt.Sprint(rep.Streams)},
			{"seals", fmt.Sprint(rep.Seals)},
			{"last seal", lastSeal},
			{"sealed", fmt.Sprint(rep.SealedSize)},
			{"unsealed", unsealed},
			{"signatures", fmt.Sprintf("%d checked", rep.SignaturesChecked)},
			{"keys", strings.Join(out.Keys, ", ")},
		}
		if a := out.Against; a != nil {
			res := "NOT an extension of it"
			if a.Consistent {
				res = "consistent: the log only grew"
			}
			pairs = append(pairs, [2]string{"against", fmt.Sprintf("head of tree size %d (%s): %s", a.Head.Size, a.Head.Time.Format(time.RFC3339), res)})
		}
		pairs = append(pairs,
			[2]string{"rate", fmt.Sprintf("%d events in %s (%s events/s)", rep.Events, rep.Elapsed.Round(time.Millisecond), bench.Thousands(int64(out.EventsPerSecond)))},
			[2]string{"problems", fmt.Sprint(len(rep.Problems))})
		if err := render.KV(w, f, out, pairs); err != nil {
			return err
		}
		for _, p := range out.Problems {
			fmt.Fprintln(w, "PROBLEM", p.Message)
		}
	}
	if !rep.OK() {
		return fmt.Errorf("%d integrity problems: the stored history was altered, forged or damaged (each is listed above with its place); export the evidence of the affected tickets (`ticketledger evidence ID`) and restore them from a backup", len(rep.Problems))
	}
	return nil
}

// verifyBackup checks the log of the backup in dir (every chain, the
// keyring, the seals) with a progress display counting up to head, the
// backup's log position, and says how it went.
func verifyBackup(c *cobra.Command, dir string, head uint64, quiet bool) (string, error) {
	s, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		return "", fmt.Errorf("open the backup to verify it: %w", err)
	}
	defer s.Close()
	set, finish := lazyProgress(c.ErrOrStderr(), "verify backup", "events", quiet)
	total := int64(head)
	rep, err := integrity.VerifyLog(c.Context(), s, integrity.VerifyOptions{Progress: func(done uint64) {
		set(int64(done), max(total, int64(done)))
	}})
	finish()
	if err != nil {
		return "", fmt.Errorf("verify the backup: %w", err)
	}
	if !rep.OK() {
		return "", fmt.Errorf("the backup in %s does not verify (%d problems; the first: %s): the data directory it was taken from has the same damage; run ticketledger verify --data on it", dir, len(rep.Problems), rep.Problems[0])
	}
	return fmt.Sprintf("ok: %d events, %d seals, %d events after the last seal", rep.Events, rep.Seals, rep.Unsealed), nil
}
