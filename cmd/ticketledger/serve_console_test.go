package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// between returns the text of s between before and after ("" if absent).
func between(s, before, after string) string {
	_, rest, ok := strings.Cut(s, before)
	v, _, ok2 := strings.Cut(rest, after)
	if !ok || !ok2 {
		return ""
	}
	return v
}

// checkDemoConsole checks what serve --demo printed for the console: its
// URL, and a vendor-support token that signs in there and shows the
// tickets (a reseller's token is printed too).
func checkDemoConsole(t *testing.T, base, out string) {
	t.Helper()
	site := between(out, "console: ", " — sign in with one of these tokens:\n")
	tok := strings.TrimSpace(between(out, "\n  vendor_support:", "\n"))
	if site != base+"/" || !strings.HasPrefix(tok, "tl_") || !strings.Contains(out, "\n  indirect_reseller of thames-digital:") {
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
	form := read(c.Get(site)) // / → the sign-in page
	csrf := between(form, `name="csrf" value="`, `"`)
	if csrf == "" {
		t.Fatalf("no sign-in form at %s:\n%s", site, form)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/signin", strings.NewReader(url.Values{"csrf": {csrf}, "token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	page := read(c.Do(req))
	if !strings.Contains(page, "console-demo@vendor.example") || !strings.Contains(page, `href="/tickets/`) {
		t.Fatalf("the demo token does not show the tickets:\n%s", page)
	}
}
