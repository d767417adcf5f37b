package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// newKeysCmd is `keys list|rotate`: the keyring and the signing key, offline
// on a data directory or through a running ledger.
func newKeysCmd(g *globals) *cobra.Command {
	return commandGroup("keys", "The ledger's signing keys: list the keyring, rotate the key",
		`Every event and seal is signed with the ledger's Ed25519 key; the public keys
are recorded in the keyring stream (ledger-keys). A rotation seals the log
with the current key, adds the new key (signed by the current one) and
retires the current key (signed by the new one) at that log position: old
events still verify, and verify reports anything the old key signs after its
retirement as forged.

With --data DIR the commands work offline on a stopped ledger; without it
they ask the running ledger (--server; keys list: auditors and admins, keys
rotate: admins).`,
		newKeysListCmd(g), newKeysRotateCmd(g))
}

func newKeysListCmd(g *globals) *cobra.Command {
	var data string
	c := &cobra.Command{
		Use: "list", Short: "List the keyring: key id, fingerprint, algorithm, active from, retired at (log positions)", Args: noArgs,
		Example: `  ticketledger keys list --token-file carol.token
  ticketledger keys list --data ./data -o json`,
		RunE: func(c *cobra.Command, _ []string) error {
			f, err := g.format()
			if err != nil {
				return err
			}
			var res server.KeysView
			if data != "" {
				if err := existingData(data); err != nil {
					return err
				}
				l, err := ledger.Open(c.Context(), ledger.Config{DataDir: data, NoSnapshots: true, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					return offlineHint(err)
				}
				defer l.Close()
				kr, err := integrity.LoadKeyring(c.Context(), l.Raw)
				if err != nil {
					return fmt.Errorf("read the keyring: %w (run `ticketledger verify --data %s` to locate the damage)", err, data)
				}
				res.Keys = []server.KeyView{}
				for _, k := range kr.Keys() {
					res.Keys = append(res.Keys, server.KeyViewOf(k))
				}
			} else if err := g.client().Get(c.Context(), "/v1/audit/keys", nil, &res); err != nil {
				return err
			}
			return render.Write(c.OutOrStdout(), f, res, keyRows(res.Keys))
		},
	}
	c.Flags().StringVar(&data, "data", "", "read the keyring of this data directory offline (the server stopped)")
	return c
}

func keyRows(ks []server.KeyView) render.Rows {
	rows := render.Rows{Header: []string{"KEY ID", "FINGERPRINT", "ALGORITHM", "ACTIVE FROM", "RETIRED AT", "REASON"}}
	at := func(t time.Time, pos uint64) string {
		return fmt.Sprintf("%s (position %d)", t.UTC().Format(time.RFC3339), pos)
	}
	for _, k := range ks {
		retired := "-"
		if k.Retired && k.RetiredAt != nil {
			retired = at(*k.RetiredAt, k.RetiredPosition)
		}
		rows.Add(k.KeyID, k.Fingerprint, k.Algorithm, at(k.AddedAt, k.AddedPosition), retired, k.Reason)
	}
	return rows
}

type keysRotateCmd struct {
	g          *globals
	data       string
	signingKey string
	newKey     string
	headFile   string
	reason     string
}

func newKeysRotateCmd(g *globals) *cobra.Command {
	k := &keysRotateCmd{g: g}
	c := &cobra.Command{
		Use:   "rotate",
		Short: "Sign with a new key from now on; the old public key stays in the keyring, retired",
		Long: `Offline (--data DIR, the ledger stopped): opens the ledger with its current key
(--signing-key FILE, $TICKETLEDGER_SIGNING_KEY, or the demo key beside the data
directory), seals, and rotates to --new-key FILE: loaded when it exists (e.g.
openssl genpkey -algorithm ed25519 -out new.key), else generated and written
there (mode 0600). Without --new-key the new key goes beside the current key
file as ledger-<keyId>.key (a demo key file is replaced). The key file may
not be inside the data directory. Start serve with --signing-key pointing at
the new key afterwards: the retired key is refused.

Online (no --data): asks the running ledger (admin token); it writes the new
key to its --new-key-dir (default: beside its --signing-key file) and answers
where. Point serve's --signing-key at that file before its next start.

With --no-seal ledgers writing to the same log, stop them first and restart
them with the new key: an event they sign with the old key after the
rotation is reported as forged.`,
		Example: `  ticketledger keys rotate --data ./data --signing-key /etc/ticketledger/ledger.key --new-key /etc/ticketledger/ledger-2027.key
  ticketledger keys rotate --token-file data/admin.token --reason "yearly rotation"`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return k.run(c) },
	}
	f := c.Flags()
	f.StringVar(&k.data, "data", "", "rotate offline on this data directory (the server stopped)")
	signingKeyFlag(f, &k.signingKey, "offline: the current key file (default: $"+integrity.KeyEnv+", else the demo key beside the data directory)")
	f.StringVar(&k.newKey, "new-key", "", "offline: the new key file, loaded if it exists, else generated there (mode 0600); outside the data directory")
	f.StringVar(&k.headFile, "head-file", "", "offline: where the seals publish the signed tree head (default: DATA.head beside the data directory)")
	f.StringVar(&k.reason, "reason", "", "why (recorded with the rotation)")
	return c
}

func (k *keysRotateCmd) run(c *cobra.Command) error {
	f, err := k.g.format()
	if err != nil {
		return err
	}
	if k.data == "" {
		if k.signingKey != "" || k.newKey != "" || k.headFile != "" {
			return usagef(c, "--signing-key, --new-key and --head-file are for an offline rotation: give --data DIR (the server stopped), or drop them to ask the running server")
		}
		var res server.KeyRotationView
		if err := k.g.client().Post(c.Context(), "/v1/audit/keys/rotate", server.RotateKeyBody{Reason: k.reason}, &res); err != nil {
			return err
		}
		return k.print(c, f, res)
	}
	if err := existingData(k.data); err != nil {
		return err
	}
	cfg := ledger.Config{DataDir: k.data, NoSnapshots: true, SigningKeyFile: k.signingKey, KeyFromEnv: true, RequireKey: true,
		HeadFile: k.headFile, Logger: slog.New(slog.DiscardHandler)}
	if _, err := os.Stat(integrity.DemoKeyPath(k.data)); err == nil {
		cfg.DemoKey = true
	}
	l, err := ledger.Open(c.Context(), cfg)
	if err != nil {
		return offlineHint(err)
	}
	rot, err := l.RotateKey(c.Context(), ledger.RotateOptions{KeyFile: k.newKey, Reason: k.reason})
	if cerr := l.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("the rotation is recorded, but closing the ledger failed: %w", cerr)
	}
	if err != nil {
		return err
	}
	return k.print(c, f, server.KeyRotationView{Old: server.KeyViewOf(rot.Old), New: server.KeyViewOf(rot.New), KeyFile: rot.KeyFile, NextStart: rot.NextStart()})
}

func (k *keysRotateCmd) print(c *cobra.Command, f render.Format, r server.KeyRotationView) error {
	retired := "-"
	if r.Old.RetiredAt != nil {
		retired = fmt.Sprintf("%s (position %d)", r.Old.RetiredAt.UTC().Format(time.RFC3339), r.Old.RetiredPosition)
	}
	return render.KV(c.OutOrStdout(), f, r, [][2]string{
		{"retired key", r.Old.KeyID},
		{"retired at", retired},
		{"new key", r.New.KeyID},
		{"fingerprint", r.New.Fingerprint},
		{"key file", r.KeyFile},
		{"next start", r.NextStart},
	})
}

// existingData refuses a data directory that does not exist, which opening
// the store would create (a typo would start a new ledger).
func existingData(dir string) error {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("--data %s: no data directory there: give the directory the ledger runs on (serve --data)", dir)
	}
	return nil
}
