//go:build browser

package browsertest

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axe-core, vendored (testdata/axe-core/README.md says from where and how
// to update it).
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

const (
	axeVersion = "4.14.1"
	axeSHA256  = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
)

// TestAxeVendored checks that the embedded axe-core is the pinned release,
// byte for byte.
func TestAxeVendored(t *testing.T) {
	sum := sha256.Sum256([]byte(axeSource))
	if got := hex.EncodeToString(sum[:]); got != axeSHA256 {
		t.Fatalf("testdata/axe-core/axe.min.js has SHA-256 %s, want %s (the pinned axe-core %s): re-vendor it as its README says", got, axeSHA256, axeVersion)
	}
	if !strings.HasPrefix(axeSource, "/*! axe v"+axeVersion+"\n") {
		t.Fatalf("axe.min.js does not start with the banner of axe v%s", axeVersion)
	}
}

// axeViolation is one axe-core rule a page breaks, with the elements.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %s  %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      "))
	}
	return b.String()
}

// axeRun injects axe-core into the current document (once) and runs every
// rule but the experimental ones on the whole page.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help,
	nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 240), summary: n.failureSummary || ""}))
})))`

// axe runs axe-core on the page as it is now and returns its violations.
func (p *page) axe() []axeViolation {
	p.t.Helper()
	if !eval[bool](p, `typeof window.axe === "object"`) {
		// Runtime.evaluate: a DevTools evaluation, which the page's
		// Content-Security-Policy does not block (nothing is added to the
		// page's own scripts).
		eval[chromedp.Void](p, axeSource)
	}
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("axe-core on %s: %v", p.location(), err)
	}
	return v
}

// check runs axe-core on the page as it is now, records the result under
// name for the suite's summary, and fails the test on any serious or
// critical violation (moderate and minor ones are logged) and on any error
// or warning the page logged, a Content-Security-Policy violation among
// them.
func (p *page) check(name string) {
	p.t.Helper()
	vs := p.axe()
	recordAxe(name, p.location(), vs)
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			p.t.Errorf("axe-core on %s (%s): %s", name, p.location(), v)
		} else {
			p.t.Logf("axe-core on %s, %s", name, v)
		}
	}
	for _, m := range p.consoleProblems() {
		p.t.Errorf("%s (%s) logged %s", name, p.location(), m)
	}
}

// checkPage is check with a screenshot named name first: for the main
// pages.
func (p *page) checkPage(name string) {
	p.t.Helper()
	p.screenshot(name)
	p.check(name)
}

var (
	axeMu      sync.Mutex
	axeResults = map[string]string{} // page name -> one line of counts by impact
)

func recordAxe(name, url string, vs []axeViolation) {
	counts := map[string][]string{}
	for _, v := range vs {
		counts[v.Impact] = append(counts[v.Impact], v.ID)
	}
	var parts []string
	for _, impact := range []string{"critical", "serious", "moderate", "minor"} {
		ids := counts[impact]
		slices.Sort(ids)
		parts = append(parts, fmt.Sprintf("%s %d%s", impact, len(ids), idList(ids)))
	}
	axeMu.Lock()
	defer axeMu.Unlock()
	axeResults[name] = fmt.Sprintf("%s — %s", strings.Join(parts, ", "), strings.TrimPrefix(url, suite.Base))
}

func idList(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return " (" + strings.Join(ids, " ") + ")"
}

// printAxeSummary writes the axe-core result of every page checked.
func printAxeSummary(w io.Writer) {
	axeMu.Lock()
	defer axeMu.Unlock()
	if len(axeResults) == 0 {
		return
	}
	names := make([]string, 0, len(axeResults))
	for n := range axeResults {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "axe-core %s violations by impact, per page:\n", axeVersion)
	for _, n := range names {
		fmt.Fprintf(w, "  %-28s %s\n", n, axeResults[n])
	}
}
