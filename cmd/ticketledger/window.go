package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain"
)

// limitValue is a duration flag that also takes whole days ("30d").
type limitValue struct{ d *time.Duration }

func (v limitValue) String() string {
	if v.d == nil || *v.d == 0 {
		return "" // unset: the help names the default
	}
	return domain.FormatLimit(*v.d)
}

func (v limitValue) Set(s string) error {
	d, err := domain.ParseLimit(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

func (limitValue) Type() string { return "duration" }

// windowFlags are the backdating window's flags: how far before the
// ledger's now a command's occurred-at may lie, and how far after.
type windowFlags struct {
	back, skew, importBack time.Duration
	live                   bool // the live window's flag too (serve)
}

// register adds --max-backdate (when live), --import-max-backdate and
// --max-clock-skew to c.
func (w *windowFlags) register(c *cobra.Command, live bool) {
	w.live, w.back, w.skew = live, domain.DefaultMaxBackdate, domain.DefaultMaxSkew
	f := c.Flags()
	if live {
		f.Var(limitValue{&w.back}, "max-backdate", "how far before now a command's occurred-at may lie: the backdating window, e.g. 30d, 90d or 2160h (at most "+domain.FormatLimit(domain.MaxBackdateLimit)+")")
	}
	def := "--max-backdate's"
	if !live {
		def = domain.FormatLimit(domain.DefaultMaxBackdate)
	}
	f.Var(limitValue{&w.importBack}, "import-max-backdate", "how far back imported history (ticketledger import) may lie, e.g. 1095d for three years (default: "+def+")")
	f.Var(limitValue{&w.skew}, "max-clock-skew", "how far after now occurred-at may lie, for callers' clock drift (1s to "+domain.FormatLimit(domain.MaxSkewLimit)+")")
}

// windows validates the flags and returns the live and the import window;
// a bad value is a usage error naming the flag.
func (w *windowFlags) windows(c *cobra.Command) (live, imports domain.Window, err error) {
	switch {
	case w.back <= 0:
		return live, imports, usagef(c, "--max-backdate %s: give a positive window, e.g. 30d", domain.FormatLimit(w.back))
	case w.skew < time.Second:
		return live, imports, usagef(c, "--max-clock-skew %s: give at least 1s (callers' clocks drift), e.g. 2m", w.skew)
	case c.Flags().Changed("import-max-backdate") && w.importBack < w.back:
		return live, imports, usagef(c, "--import-max-backdate %s is narrower than the backdating window %s: imports reach at least as far back as live commands; widen it or drop it",
			domain.FormatLimit(w.importBack), domain.FormatLimit(w.back))
	}
	live = domain.Window{MaxBackdate: w.back, MaxSkew: w.skew}
	imports = live
	if w.importBack > 0 {
		imports.MaxBackdate = w.importBack
	}
	for name, win := range map[string]domain.Window{"--max-backdate/--max-clock-skew": live, "--import-max-backdate": imports} {
		if err := win.Validate(); err != nil {
			return live, imports, usagef(c, "%s: %v", name, err)
		}
	}
	return live, imports, nil
}
