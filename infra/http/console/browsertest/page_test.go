//go:build browser

package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser: one headless Chromium for the suite; each page gets a
// browser context of its own (its own cookies), like a separate profile.
var (
	browserCtx    context.Context
	browserCancel context.CancelFunc
)

// chromiumPath finds the browser: $TICKETLEDGER_CHROMIUM, else chromium or
// chromium-browser on PATH (Debian's package installs /usr/bin/chromium).
func chromiumPath() string {
	if p := os.Getenv("TICKETLEDGER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// viewport is the window the pages are shown in (and screenshots taken at).
const viewportW, viewportH = 1280, 900

func startBrowser() error {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath()),
		chromedp.WindowSize(viewportW, viewportH),
		chromedp.Flag("lang", "en-GB"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	browserCtx = ctx
	browserCancel = func() { cancel(); cancelAlloc() }
	// The first run starts the browser: on ctx itself, not on a derived
	// context, whose end would close the browser.
	if _, err := chromedp.Run(ctx, chromedp.Title()); err != nil {
		return fmt.Errorf("start %s headless: %w", chromiumPath(), err)
	}
	return nil
}

func stopBrowser() {
	if browserCancel != nil {
		browserCancel()
	}
}

// page is one browser tab in a browser context of its own, for one test.
type page struct {
	t   *testing.T
	l   *ledgerProc
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage // errors and warnings the page logged
	seen    int                       // how many of them consoleProblems returned
}

// pageTimeout bounds everything one page does in a test.
const pageTimeout = 90 * time.Second

// newPage opens a fresh browser context (no cookies) on the suite ledger
// and, unless token is empty, signs in with it.
func newPage(t *testing.T, token string) *page {
	t.Helper()
	l := ledger(t)
	tab, cancelTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tab, pageTimeout)
	t.Cleanup(func() { cancel(); cancelTab() })
	p := &page{t: t, l: l, ctx: ctx}
	// The timezone the viewer's times are shown in: not UTC, so a page
	// that prints UTC as local time shows it.
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: viewerZone}); err != nil {
		t.Fatalf("open a browser tab: %v", err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleWarning {
				p.mu.Lock()
				p.console = append(p.console, m)
				p.mu.Unlock()
			}
		}
	}()
	if token != "" {
		p.signIn(token)
	}
	return p
}

// viewerZone is the browser's time zone in the tests.
const viewerZone = "Europe/Stockholm"

// actionTimeout bounds one step (a click, a fill, a wait): a control that
// is not there fails the test in seconds, naming it.
const actionTimeout = 15 * time.Second

// do runs actions, failing the test with what on error.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v (page %s)", what, err, p.location())
	}
}

// location is the page's URL ("" if it cannot be read).
func (p *page) location() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// open navigates to path (relative to the ledger's address) and waits for
// the load; it fails unless the document answers 200.
func (p *page) open(path string) {
	p.t.Helper()
	resp, err := chromedp.Run(p.ctx, chromedp.NavigateResponse(p.l.Base+path))
	if err != nil {
		p.t.Fatalf("open %s: %v", path, err)
	}
	if resp == nil || resp.Status != 200 {
		status := int64(0)
		if resp != nil {
			status = resp.Status
		}
		p.t.Fatalf("open %s: HTTP %d (now at %s)\n%s", path, status, p.location(), p.text("body"))
	}
}

// status navigates to path and returns the document's HTTP status.
func (p *page) status(path string) int64 {
	p.t.Helper()
	resp, err := chromedp.Run(p.ctx, chromedp.NavigateResponse(p.l.Base+path))
	if err != nil {
		p.t.Fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

// signIn signs in on the sign-in page with token, as a person would: type
// it into the field labelled "token" and press the sign-in button.
func (p *page) signIn(token string) {
	p.t.Helper()
	p.open("/signin")
	p.fill(byLabel("ledger token"), token)
	p.clickNav(byButton("sign in"))
	if loc := p.location(); strings.Contains(loc, "/signin") {
		p.t.Fatalf("sign-in did not leave the sign-in page (%s):\n%s", loc, p.text("main"))
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluate %.80s…: %v", js, err)
	}
	return v
}

// text is the visible text (innerText) of the first element matching the
// CSS selector, "" when there is none.
func (p *page) text(css string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(document.querySelector(%s)||{innerText:""}).innerText`, jsString(css)))
}

// fill types value into the control sel finds (after clearing it).
func (p *page) fill(sel selector, value string) {
	p.t.Helper()
	if !eval[bool](p, fmt.Sprintf(`((e) => { if (!e) return false; e.value = ""; return true; })(%s)`, sel.js)) {
		p.t.Fatalf("fill %s: no such control (at %s)", sel.what, p.location())
	}
	p.do("fill "+sel.what, chromedp.SendKeys(sel.js, value))
}

// choose selects the option whose value or text is option (or whose text
// starts with it) in the select sel finds, and fires the events a
// person's choice fires.
func (p *page) choose(sel selector, option string) {
	p.t.Helper()
	js := fmt.Sprintf(`((s, want) => {
		if (!s) return false;
		const norm = x => x.replace(/\s+/g, " ").trim().toLowerCase();
		const o = [...s.options].find(o => o.value === want || norm(o.textContent) === norm(want)) ||
			[...s.options].find(o => norm(o.textContent).startsWith(norm(want)));
		if (!o) return false;
		s.focus();
		s.value = o.value;
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})(%s, %s)`, sel.js, jsString(option))
	if !eval[bool](p, js) {
		p.t.Fatalf("choose %q in %s: no such option (or no such select)", option, sel.what)
	}
}

// click clicks the element sel finds, as a mouse would.
func (p *page) click(sel selector) {
	p.t.Helper()
	p.do("click "+sel.what, chromedp.Click(sel.js))
}

// clickNav clicks the element sel finds and waits for the page it loads;
// it returns the new document's HTTP status.
func (p *page) clickNav(sel selector) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel.js))
	if err != nil {
		p.t.Fatalf("click %s and wait for the page: %v (at %s)", sel.what, err, p.location())
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// waitFor polls a JavaScript condition until it is true, for up to
// actionTimeout; a navigation under way (which ends an evaluation) is
// waited out.
func (p *page) waitFor(what, cond string) {
	p.t.Helper()
	deadline := time.Now().Add(actionTimeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("wait for %s: not true after %s (%v; at %s)\n%s", what, actionTimeout, last, p.location(), p.text("main"))
}

// present reports whether sel finds an element now.
func (p *page) present(sel selector) bool {
	p.t.Helper()
	return eval[bool](p, fmt.Sprintf(`!!(%s)`, sel.js))
}

// consoleProblems is what the page logged as errors or warnings since the
// last call (a Content-Security-Policy violation among them).
func (p *page) consoleProblems() []string {
	time.Sleep(100 * time.Millisecond) // let the events of the last load arrive
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.console[p.seen:] {
		if m.Source == "network" && strings.Contains(m.Text, "status of 4") && !strings.Contains(m.URL, "/assets/") {
			continue // a page answered 401 or 404 on purpose (the test checks its status); an asset's is a problem
		}
		out = append(out, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line))
	}
	p.seen = len(p.console)
	return out
}

// screenshot writes a full-page PNG of the page as NAME.png into
// $TICKETLEDGER_SCREENSHOTS (relative to the repository root), when set.
func (p *page) screenshot(name string) {
	p.t.Helper()
	dir := os.Getenv("TICKETLEDGER_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot(), dir)
	}
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s", path)
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// findJS finds the first visible element of a kind by its accessible name
// (case and spacing ignored; an exact name wins over a prefix):
//
//	label:   the input, select or textarea labelled name (<label>,
//	         aria-label, aria-labelledby)
//	button:  a <button>, input button or role=button with that text
//	link:    an <a href> with that text (or aria-label)
//	heading: an h1–h6 with that text
//	text:    the innermost element whose text contains name
const findJS = `((kind, name, within) => {
	const norm = s => (s || "").replace(/\s+/g, " ").trim().toLowerCase();
	const want = norm(name);
	const root = within ? document.querySelector(within) : document;
	if (!root) return null;
	const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
	const byId = ids => (ids || "").split(/\s+/).map(id => document.getElementById(id)).filter(Boolean).map(e => e.textContent).join(" ");
	const nameOf = e => {
		if (e.getAttribute("aria-label")) return e.getAttribute("aria-label");
		if (e.getAttribute("aria-labelledby")) return byId(e.getAttribute("aria-labelledby"));
		if (kind === "label") return e.labels && e.labels.length ? [...e.labels].map(l => l.textContent).join(" ") : (e.getAttribute("placeholder") || "");
		if (e.tagName === "INPUT") return e.value;
		return e.textContent;
	};
	const sel = {label: "input,select,textarea", button: "button,input[type=submit],input[type=button],[role=button]", link: "a[href]", heading: "h1,h2,h3,h4,h5,h6"}[kind];
	if (kind === "text") {
		const all = [...root.querySelectorAll("body *")].filter(e => visible(e) && norm(e.innerText).includes(want));
		return all.find(e => ![...e.children].some(c => norm(c.innerText).includes(want))) || null;
	}
	const cands = [...root.querySelectorAll(sel)].filter(e => visible(e) || (kind === "label" && e.type !== "hidden" && visible(e.labels && e.labels[0] || e)));
	return cands.find(e => norm(nameOf(e)) === want) || cands.find(e => norm(nameOf(e)).startsWith(want)) ||
		cands.find(e => norm(nameOf(e)).includes(want)) || null;
})`

// selector finds one element the way a person names it; what says which,
// for failure messages.
type selector struct {
	js   chromedp.JSPath
	what string
}

func find(kind, name, within string) selector {
	what := kind + " " + jsString(name)
	if within != "" {
		what += " in " + within
	}
	return selector{chromedp.JSPath(fmt.Sprintf("%s(%s, %s, %s)", findJS, jsString(kind), jsString(name), jsString(within))), what}
}

// byLabel finds the form control labelled name.
func byLabel(name string) selector { return find("label", name, "") }

// byButton finds the button named name.
func byButton(name string) selector { return find("button", name, "") }

// byLink finds the link named name.
func byLink(name string) selector { return find("link", name, "") }

// byText finds the innermost visible element whose text contains s.
func byText(s string) selector { return find("text", s, "") }

// byCSS finds the first element matching a CSS selector.
func byCSS(css string) selector {
	return selector{chromedp.JSPath(fmt.Sprintf("document.querySelector(%s)", jsString(css))), css}
}

// within narrows a finder to the first element matching css.
func within(css, kind, name string) selector { return find(kind, name, css) }

// focusStop is where one press of Tab put the focus.
type focusStop struct {
	Tag       string `json:"tag"`
	Name      string `json:"name"`
	Visible   bool   `json:"visible"`   // :focus-visible matches
	Indicator bool   `json:"indicator"` // an outline or a box shadow is drawn
}

func (f focusStop) String() string { return fmt.Sprintf("<%s> %q", f.Tag, f.Name) }

// focusJS describes document.activeElement.
const focusJS = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return {tag: "body", name: "", visible: false, indicator: false};
	const s = getComputedStyle(e);
	const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
	const shadow = s.boxShadow && s.boxShadow !== "none";
	const name = (e.getAttribute("aria-label") || (e.labels && e.labels[0] && e.labels[0].textContent) || e.innerText || e.value || e.name || "").replace(/\s+/g, " ").trim().slice(0, 60);
	// On a date or time input's calendar button the focus is inside the
	// input (in its own shadow tree), which :focus-visible does not match.
	const inner = e.tagName === "INPUT" && /^(date|datetime-local|time|month|week)$/.test(e.type);
	return {tag: e.tagName.toLowerCase(), name: name, visible: e.matches(":focus-visible") || (inner && e.matches(":focus-within")), indicator: outline || !!shadow};
})()`

// tab presses Tab once and returns where the focus went.
func (p *page) tab() focusStop {
	p.t.Helper()
	p.do("press Tab", chromedp.KeyEvent(kb.Tab))
	return eval[focusStop](p, focusJS)
}

// fromTop moves the focus back to the start of the document.
func (p *page) fromTop() {
	p.t.Helper()
	eval[chromedp.Void](p, `document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0)`)
}

// rows is each body row of the first table matching css, as its cells'
// text by the column's header (lower case).
func (p *page) rows(css string) []map[string]string {
	p.t.Helper()
	return eval[[]map[string]string](p, fmt.Sprintf(`(() => {
		const t = document.querySelector(%s);
		if (!t) return [];
		const heads = [...t.querySelectorAll("thead th")].map(h => h.innerText.trim().toLowerCase());
		return [...t.querySelectorAll("tbody tr")].map(r => Object.fromEntries([...r.cells].map((c, i) => [heads[i] || String(i), c.innerText.trim()])));
	})()`, jsString(css)))
}

// hrefs is the href of every element matching css, in document order.
func (p *page) hrefs(css string) []string {
	p.t.Helper()
	return eval[[]string](p, fmt.Sprintf(`[...document.querySelectorAll(%s)].map(a => a.getAttribute("href"))`, jsString(css)))
}

// focus puts the keyboard focus on the element sel finds.
func (p *page) focus(sel selector) {
	p.t.Helper()
	p.do("focus "+sel.what, chromedp.Focus(sel.js))
}

// typeKeys types keys into whatever has the focus ("\r" is Enter).
func (p *page) typeKeys(keys string) {
	p.t.Helper()
	p.do("type", chromedp.KeyEvent(keys))
}

// setValue sets the value of the control sel finds and fires the input
// and change events typing fires: for date and time inputs, whose
// segments key events fill by locale.
func (p *page) setValue(sel selector, value string) {
	p.t.Helper()
	ok := eval[bool](p, fmt.Sprintf(`((e, v) => {
		if (!e) return false;
		e.focus();
		e.value = v;
		e.dispatchEvent(new Event("input", {bubbles: true}));
		e.dispatchEvent(new Event("change", {bubbles: true}));
		// A datetime-local field shows a whole minute without its ":00"
		// seconds: the same instant either way.
		return e.value === v || (e.type === "datetime-local" && e.value !== "" && Date.parse(e.value) === Date.parse(v));
	})(%s, %s)`, sel.js, jsString(value)))
	if !ok {
		p.t.Fatalf("set %s to %q: no such control, or it refused the value", sel.what, value)
	}
}

// attr is the attribute name of the element sel finds ("" if none).
func (p *page) attr(sel selector, name string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`((e) => e ? (e.getAttribute(%s) || "") : "")(%s)`, jsString(name), sel.js))
}

// goTo navigates to an absolute URL (another site, a data: URL) and waits
// for the load.
func (p *page) goTo(u string) {
	p.t.Helper()
	p.do("open "+u, chromedp.Navigate(u))
}

// download clicks the link or button sel finds, lets the browser save the
// file it answers with (into a directory of the test's), and returns the
// file's bytes.
func (p *page) download(sel selector) []byte {
	p.t.Helper()
	dir := p.t.TempDir()
	events := true
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events,
		BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID,
	}); err != nil {
		p.t.Fatalf("allow downloads: %v", err)
	}
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	p.click(sel)
	for ev, err := range progress {
		if err != nil {
			p.t.Fatalf("download from %s: %v", sel.what, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				p.t.Fatalf("download from %s: %v", sel.what, err)
			}
			return b
		case browser.DownloadProgressStateCanceled:
			p.t.Fatalf("download from %s: canceled", sel.what)
		}
	}
	p.t.Fatalf("download from %s: no download", sel.what)
	return nil
}
