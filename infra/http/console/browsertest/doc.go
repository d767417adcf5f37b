// Package browsertest holds the console's tests in a real browser: a real
// `ticketledger serve --demo` started as a subprocess on a free loopback
// port and a temporary data directory, driven by Debian's Chromium headless
// through the Chrome DevTools Protocol (chromedp), with axe-core (vendored
// under testdata, injected into each page) checking accessibility.
//
// The tests carry the build tag browser, so a plain `go test ./...` neither
// builds nor runs them:
//
//	go test -tags browser ./infra/http/console/browsertest/
//
// They skip, saying why, when no Chromium is installed (apt-get install
// chromium, or TICKETLEDGER_CHROMIUM=/path/to/chrome); under CI=true a
// missing browser fails them instead. TICKETLEDGER_BIN runs a prebuilt
// binary instead of building ./cmd/ticketledger; TICKETLEDGER_SCREENSHOTS=DIR
// (relative to the repository root, e.g. docs/screenshots) writes a
// full-page PNG of each main page the tests visit.
//
// The harness (harness_test.go, page_test.go, axe_test.go) gives a test a
// signed-in page in one call and finds controls the way a person names
// them (byLabel, byButton, byLink, byText, within), so a new page's test
// is a few lines:
//
//	l := ledger(t)
//	p := newPage(t, tokenFor(t, auditor))
//	p.open("/sla")
//	p.choose(byLabel("group by"), "severity")
//	p.clickNav(byButton("show"))
//	p.checkPage("sla") // screenshot, axe-core, nothing logged
//	bundle := p.download(byLink("evidence bundle")) // the file's bytes
//	l.get(t, tokenFor(t, auditor), "/v1/reports/sla?…", &want) // the API's answer to compare with
package browsertest
