//go:build browser

package browsertest

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCrossSiteFormRefused: while a vendor engineer is signed in, a page
// on another site (localhost, against the console on 127.0.0.1) submits a
// form to the console that would add a note to a ticket: the browser
// follows it, the console refuses it, and nothing is appended.
func TestCrossSiteFormRefused(t *testing.T) {
	l := ledger(t)
	var list ticketList
	l.get(t, l.SignInToken, "/v1/tickets?status=open&limit=1", &list)
	id := list.Tickets[0].ID
	before := l.historyLen(t, l.SignInToken, id)

	target := l.Base + "/tickets/" + id + "/actions/note"
	evil := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/go.js" {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `document.forms[0].submit();`)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>prize</title><form method="post" action="%s"><input name="text" value="cross-site note"></form><script src="/go.js"></script></html>`, html.EscapeString(target))
	}))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	evil.Listener = lis
	evil.Start()
	defer evil.Close()
	port := lis.Addr().(*net.TCPAddr).Port

	p := newPage(t, l.SignInToken)
	p.open("/tickets/" + id) // signed in, on the ticket
	p.goTo(fmt.Sprintf("http://localhost:%d/", port))
	p.waitFor("the cross-site form's answer", fmt.Sprintf(`location.href.startsWith(%s) && document.readyState === "complete"`, jsString(l.Base)))
	t.Logf("the console's answer to the cross-site form, at %s: %.200q", p.location(), p.text("main"))
	if after := l.historyLen(t, l.SignInToken, id); after != before {
		t.Fatalf("a cross-site form took the ticket's events from %d to %d", before, after)
	}
	if body := p.text("main"); !strings.Contains(strings.ToLower(body), "refused") && !strings.Contains(p.location(), "/signin") {
		t.Fatalf("the console's answer to the cross-site form neither refuses it nor asks to sign in:\n%s", body)
	}
}
