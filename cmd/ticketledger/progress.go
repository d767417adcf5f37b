package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a long command is: a progress bar on a terminal,
// periodic lines otherwise (logs, CI, pipes). It writes to stderr only, so
// stdout stays clean for -o json|csv.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	desc  string
	bar   *progressbar.ProgressBar
	start time.Time
	last  time.Time
	every time.Duration
	done  int64
	total int64
}

// newProgress returns a progress display for desc on w, counting steps.
func newProgress(w io.Writer, desc string) *progress { return newProgressOf(w, desc, "steps") }

// newTerminalProgress is newProgressOf when w is a terminal, else nil: for
// commands whose stdout is the result and whose stderr should stay quiet in
// scripts. A total of -1 shows a count without an end.
func newTerminalProgress(w io.Writer, desc, units string) *progress {
	if !isTerminal(w) {
		return nil
	}
	return newProgressOf(w, desc, units)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgressOf is newProgress counting units ("events").
func newProgressOf(w io.Writer, desc, units string) *progress {
	p := &progress{w: w, desc: desc, start: time.Now(), every: 2 * time.Second}
	if isTerminal(w) {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(units),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(40),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// Set reports done of total.
func (p *progress) Set(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = done, total
	if p.bar != nil {
		if p.bar.GetMax64() != total {
			p.bar.ChangeMax64(total)
		}
		p.bar.Set64(done)
		return
	}
	now := time.Now()
	if now.Sub(p.last) >= p.every || (done == total && total > 0 && p.last.IsZero()) {
		p.last = now
		pct := 0.0
		if total > 0 {
			pct = float64(done) / float64(total) * 100
		}
		fmt.Fprintf(p.w, "%s: %d/%d (%.0f%%) %s\n", p.desc, done, total, pct, time.Since(p.start).Round(100*time.Millisecond))
	}
}

// Finish ends the display.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		return
	}
	fmt.Fprintf(p.w, "%s: %d/%d done in %s\n", p.desc, p.done, p.total, time.Since(p.start).Round(time.Millisecond))
}

// lazyProgress is a progress display for desc made at the first report, so
// that a command refused before any work shows none; with quiet it shows
// nothing. set reports done of total; finish ends the display, if any.
func lazyProgress(w io.Writer, desc, units string, quiet bool) (set func(done, total int64), finish func()) {
	var bar *progress
	set = func(done, total int64) {
		if quiet {
			return
		}
		if bar == nil {
			bar = newProgressOf(w, desc, units)
		}
		bar.Set(done, total)
	}
	finish = func() {
		if bar != nil {
			bar.Finish()
		}
	}
	return set, finish
}
