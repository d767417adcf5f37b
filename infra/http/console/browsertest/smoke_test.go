//go:build browser

package browsertest

import (
	"testing"
)

// TestAxeFindsViolations shows the accessibility check can fail: axe-core,
// injected by the harness, reports an image without a text alternative and
// an unlabelled input on a page made to have them, and nothing on the same
// page made right.
func TestAxeFindsViolations(t *testing.T) {
	p := newPage(t, "")
	bad := `data:text/html,<!doctype html><html lang="en"><title>bad</title><main><h1>Bad</h1><img src="x.png"><input type="text"></main></html>`
	p.goTo(bad)
	ids := map[string]string{}
	for _, v := range p.axe() {
		ids[v.ID] = v.Impact
	}
	if ids["image-alt"] != "critical" || ids["label"] != "critical" {
		t.Fatalf("axe-core on a page with an image without alt and an unlabelled input: %v, want image-alt and label, critical", ids)
	}
	good := `data:text/html,<!doctype html><html lang="en"><title>good</title><main><h1>Good</h1><img src="x.png" alt="a chart"><label>Name <input type="text"></label></main></html>`
	p.goTo(good)
	if vs := p.axe(); len(vs) != 0 {
		t.Fatalf("axe-core on the corrected page: %v", vs)
	}
}

// TestDownload: the harness's download saves what a link hands the
// browser, byte for byte (an evidence bundle's test uses it).
func TestDownload(t *testing.T) {
	p := newPage(t, "")
	p.goTo(`data:text/html,<!doctype html><html lang="en"><title>d</title><a href="data:application/octet-stream;base64,AAEC/w==" download="four.bin">get it</a></html>`)
	if got := p.download(byLink("get it")); string(got) != "\x00\x01\x02\xff" {
		t.Fatalf("downloaded %q, want the four bytes 00 01 02 ff", got)
	}
}

// TestServePrintsSignIn: serve --demo prints the console's URL, on the
// address it listens on, and sign-in tokens for vendor support and a
// reseller, which the API accepts as those principals.
func TestServePrintsSignIn(t *testing.T) {
	l := ledger(t)
	if l.ConsoleURL != l.Base+"/" {
		t.Fatalf("the printed console URL %q is not the address serve listens on (%s)", l.ConsoleURL, l.Base)
	}
	if len(l.Logins) < 2 || l.Logins[thamesLogin] == "" {
		t.Fatalf("serve --demo printed the sign-in tokens %v; want vendor_support and %q", l.Logins, thamesLogin)
	}
	var list ticketList
	l.get(t, l.Logins[thamesLogin], "/v1/tickets?limit=200", &list)
	for _, tk := range list.Tickets {
		if tk.PartnerID != "thames-digital" && tk.PartnerID != "atlantic-channel" {
			t.Fatalf("the printed reseller token lists %s's ticket %s", tk.PartnerID, tk.ID)
		}
	}
}
