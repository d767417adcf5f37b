package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	consoleLineRE  = regexp.MustCompile(`console: (http://\S+/) — sign in with one of these tokens:`)
	consoleTokenRE = regexp.MustCompile(`(?m)^  vendor_support:\s+(tl_\S+)$`)
	formCSRFRE     = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// checkDemoConsole checks what serve --demo printed for the console: its
// URL, and a vendor-support token that signs in there and shows the
// tickets (a reseller's token is printed too).
func checkDemoConsole(t *testing.T, base, out string) {
	t.Helper()
	m := consoleLineRE.FindStringSubmatch(out)
	tok := consoleTokenRE.FindStringSubmatch(out)
	if m == nil || tok == nil || m[1] != base+"/" || !strings.Contains(out, "indirect_reseller of thames-digital:") {
		t.Fatalf("serve --demo printed no console URL and tokens:\n%s", out)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	read := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d\n%s", resp.Request.URL, resp.StatusCode, b)
		}
		return string(b)
	}
	form := read(c.Get(m[1])) // / → the sign-in page
	csrf := formCSRFRE.FindStringSubmatch(form)
	if csrf == nil {
		t.Fatalf("no sign-in form at %s:\n%s", m[1], form)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/signin", strings.NewReader(url.Values{"csrf": {csrf[1]}, "token": {tok[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	page := read(c.Do(req))
	if !strings.Contains(page, "console-demo@vendor.example") || !strings.Contains(page, `href="/tickets/`) {
		t.Fatalf("the demo token does not show the tickets:\n%s", page)
	}
}
