package console_test

import (
	"net/http"
	"strings"
	"testing"
)

// A reseller never sees a sibling's ticket: its page is the same 404 as a
// ticket never filed, and the list does not show it.
func TestTenancySiblingTicketIsNotFound(t *testing.T) {
	f := theFixture(t)
	sibling := f.ticketOf(t, "hudson-msp")
	own := f.ticketOf(t, "thames-digital")
	b := f.browser(t)
	b.signIn("thames")

	if p := b.get("/tickets/" + own.ID); p.status != http.StatusOK {
		t.Fatalf("own ticket: %d", p.status)
	}
	hidden := b.get("/tickets/" + sibling.ID)
	missing := b.get("/tickets/" + "00000000-0000-4000-8000-000000000000")
	if hidden.status != http.StatusNotFound || missing.status != http.StatusNotFound {
		t.Fatalf("sibling %d, missing %d", hidden.status, missing.status)
	}
	if hidden.body != missing.body {
		t.Fatalf("a sibling's ticket reads unlike a missing one:\n%s\n----\n%s", hidden.body, missing.body)
	}
	lacks(t, hidden.body, sibling.ID)

	list := b.get("/tickets?partnerId=hudson-msp")
	lacks(t, list.body, sibling.ID)
	list = b.get("/tickets?idPrefix=" + sibling.ID[:8])
	lacks(t, list.body, sibling.ID)
	all := b.get("/tickets")
	if strings.Contains(all.body, "hudson-msp") {
		t.Fatalf("the reseller's list names its sibling")
	}
}
