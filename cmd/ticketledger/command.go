package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandGroup is a command that only holds subcommands: its name, one-line
// summary, description (may be empty) and the subcommands. Given no
// subcommand it prints its help (refuseUnknownSubcommands).
func commandGroup(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Long: long}
	c.AddCommand(subs...)
	return c
}

// signingKeyFlag adds --signing-key, the ledger's key file, to f. It is
// kept off envDefaults: $TICKETLEDGER_SIGNING_KEY holds the key itself, not
// a file name.
func signingKeyFlag(f *pflag.FlagSet, p *string, usage string) {
	f.StringVar(p, "signing-key", "", usage)
	_ = f.SetAnnotation("signing-key", noEnv, nil)
}

// kvPairs turns name, value, name, value, … into the rows of a render.KV
// table, each value formatted by fmt.Sprint (a string stays as it is).
func kvPairs(nameValues ...any) [][2]string {
	pairs := make([][2]string, 0, len(nameValues)/2)
	for i := 0; i+1 < len(nameValues); i += 2 {
		pairs = append(pairs, [2]string{fmt.Sprint(nameValues[i]), fmt.Sprint(nameValues[i+1])})
	}
	return pairs
}
