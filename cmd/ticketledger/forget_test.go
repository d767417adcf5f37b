package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/subject"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/auth"
	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// The distinctive personal data of the erasure tests: found nowhere in
// plaintext on disk, before or after the erasure.
const (
	pdName  = "Zebulon Quartermaine"
	pdEmail = "zebulon.quartermaine@contoso.example"
	pdPhone = "+46 70 999 88 77"
	// pdTitle is stored in plaintext: the positive control of the grep.
	pdTitle = "Storage array xyzzy-plugh down"
)

// plaintextIn lists the files below dir holding any of the contact's
// personal data in plaintext (case-insensitive), and whether the control
// (the ticket's title, which is not personal data) was seen at all.
func plaintextIn(t *testing.T, dir string) (found []string, control bool) {
	t.Helper()
	needles := [][]byte{[]byte("quartermaine"), []byte("zebulon"), []byte("999 88 77")}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lower := bytes.ToLower(b)
		for _, n := range needles {
			if bytes.Contains(lower, n) {
				found = append(found, p+" ("+string(n)+")")
			}
		}
		control = control || bytes.Contains(b, []byte("xyzzy-plugh"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found, control
}

// Over the API: the contact reads in plaintext until an admin forgets it,
// then as [erased] in the history and never in the evidence export; an
// unknown subject is exit 4 and appends nothing; forgetting twice, exit 5.
func TestForgetOverTheAPI(t *testing.T) {
	e := newPartnerEnv(t)
	id := e.openTicket("--title", pdTitle, "--contact-name", pdName, "--contact-email", pdEmail, "--contact-phone", pdPhone)
	contact := func() map[string]string {
		var h contactHistory
		if err := json.Unmarshal([]byte(e.ok(with(auditor, "history", id, "-o", "json")...)), &h); err != nil || len(h.Entries) == 0 {
			t.Fatalf("history: %v", err)
		}
		return h.Entries[0].Payload.Contact
	}
	if c := contact(); c["name"] != pdName || c["email"] != pdEmail || c["phone"] != pdPhone {
		t.Fatalf("contact before forget: %v", c)
	}
	if found, control := plaintextIn(t, e.dir); len(found) > 0 || !control {
		t.Fatalf("personal data in plaintext on disk: %v (control seen: %v)", found, control)
	}

	head := func() uint64 { h, _ := e.l.Head(context.Background()); return h.Commit }
	before := head()
	e.fails(exitNotFound, "subject-not-found", "--token-file", e.adminFile, "forget", "nobody@contoso.example")
	e.fails(exitRefused, "role-not-allowed", with(support, "forget", pdEmail)...)
	if head() != before {
		t.Fatal("a refused forget appended")
	}

	out := e.ok("--token-file", e.adminFile, "forget", strings.ToUpper(pdEmail), "--reason", "erasure request 2026-17")
	contains(t, out, "accepted", "subject.erased", "subject-sub-")
	if c := contact(); c["name"] != app.ErasedValue || c["email"] != app.ErasedValue || c["phone"] != app.ErasedValue || c["organisation"] != "contoso" {
		t.Fatalf("contact after forget: %v", c)
	}
	file := filepath.Join(t.TempDir(), "evidence.json")
	e.ok(with(auditor, "evidence", id, "--out", file)...)
	contains(t, e.ok("evidence", "--file", file), "chain verified here  yes")
	if found, _ := plaintextIn(t, filepath.Dir(file)); len(found) > 0 {
		t.Fatalf("the evidence export holds personal data: %v", found)
	}
	e.fails(exitConflict, "subject-erased", "--token-file", e.adminFile, "forget", strings.TrimPrefix(streamOf(out), "subject-"))
}

// contactHistory is a ticket's history (history -o json, GET
// /v1/tickets/ID/history) as far as the contact in each entry's payload.
type contactHistory struct {
	Entries []struct {
		Payload struct {
			Contact map[string]string `json:"contact"`
		} `json:"payload"`
	} `json:"entries"`
}

// streamOf is the stream line of a command's table output.
func streamOf(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "stream" {
			return f[1]
		}
	}
	return ""
}

// Offline on a data directory: the personal data is never on disk in
// plaintext; `forget --data` erases it, records who erased and when, and
// afterwards `verify` still passes, `rebuild` from zero works, and every
// read shows the contact erased.
func TestForgetOffline(t *testing.T) {
	clearEnv(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	l, err := ledger.Open(ctx, ledger.Config{DataDir: dir, DemoKey: true})
	if err != nil {
		t.Fatal(err)
	}
	sys := auth.Internal().Actor()
	alice := domain.Actor{ID: "alice@contoso.example", Role: domain.RoleIndirectProvider, Partner: "contoso", Auth: domain.AuthToken}
	_, err = l.Service.RegisterPartner(ctx, app.Command{Actor: sys}, "contoso", partner.Registration{Name: "Contoso", Role: domain.RoleIndirectProvider, Email: "support@contoso.example"})
	if err == nil {
		_, err = l.Service.LinkCustomer(ctx, app.Command{Actor: sys}, "contoso", partner.Link{CustomerID: "fabrikam", Name: "Fabrikam", Domain: "fabrikam.example"})
	}
	var res app.Result
	if err == nil {
		res, err = l.Service.Open(ctx, app.Command{Actor: alice}, app.OpenTicket{OpenRequest: ticket.OpenRequest{
			CustomerID: "fabrikam", Product: ticket.ProductAzure, Severity: domain.SeverityB, Title: pdTitle,
			Contact: ticket.Contact{Name: pdName, Email: pdEmail, Phone: pdPhone}, Language: "en", Locale: "en-GB",
		}.WithDefaults("contoso")})
	}
	if err == nil {
		err = l.Runner.CatchUp(ctx)
	}
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if found, control := plaintextIn(t, dir); len(found) > 0 || !control {
		t.Fatalf("personal data in plaintext in the data directory: %v (control seen: %v)", found, control)
	}

	headOf := func() uint64 {
		t.Helper()
		l, err := ledger.Open(ctx, ledger.Config{DataDir: dir, NoSnapshots: true})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		h, _ := l.Head(ctx)
		return h.Commit
	}
	before := headOf()
	if r := runCLI(t, "forget", "nobody@contoso.example", "--data", dir); r.code != exitNotFound || !strings.Contains(r.err, "subject-not-found") {
		t.Fatalf("forget of an unknown subject: %+v", r)
	}
	if r := runCLI(t, "forget", "sub-../../index.secret", "--data", dir); r.code != exitNotFound {
		t.Fatalf("forget of a malformed id: %+v", r)
	}
	if headOf() != before {
		t.Fatal("a refused forget appended")
	}
	r := runCLI(t, "forget", pdEmail, "--data", dir, "--by", "dpo@vendor.example", "--reason", "erasure request 2026-17")
	if r.code != 0 {
		t.Fatalf("forget: %+v", r)
	}
	contains(t, r.out, "subject.erased")
	sid := strings.TrimPrefix(streamOf(r.out), subject.StreamPrefix)

	if r := runCLI(t, "verify", "--data", dir, "--all-signatures"); r.code != 0 || strings.Contains(r.out, "PROBLEM") {
		t.Fatalf("verify after forget: %+v", r)
	}
	if err := os.Remove(filepath.Join(dir, ledger.SnapshotFile)); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "rebuild", "--data", dir); r.code != 0 {
		t.Fatalf("rebuild after forget: %+v", r)
	}
	if found, control := plaintextIn(t, dir); len(found) > 0 || !control {
		t.Fatalf("personal data in plaintext after forget and rebuild: %v (control seen: %v)", found, control)
	}

	if l, err = ledger.Open(ctx, ledger.Config{DataDir: dir, NoSnapshots: true}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Runner.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Tickets.Get(res.TicketID); !ok {
		t.Fatalf("ticket %s missing from the rebuilt read model", res.TicketID)
	}
	recs, err := l.Service.Recorded(ctx, res.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if c := recs[0].Event.(ticket.Opened).Contact; c.Name != app.ErasedValue || c.Email != app.ErasedValue || c.Phone != app.ErasedValue {
		t.Fatalf("contact after forget: %+v", c)
	}
	ers, err := l.Raw.ReadStream(ctx, subject.Stream(sid), eventstore.Forwards, eventstore.StreamStart(), 10)
	if err != nil || len(ers) != 1 {
		t.Fatalf("erasure stream %s: %d events, %v", sid, len(ers), err)
	}
	var erased subject.Erased
	if err := json.Unmarshal(ers[0].Data, &erased); err != nil || erased.SubjectID != sid || erased.ErasedBy != "dpo@vendor.example" || erased.Reason != "erasure request 2026-17" {
		t.Fatalf("erasure event %s: %v", ers[0].Data, err)
	}
	if !bytes.Contains(ers[0].Metadata, []byte(`"recordedAt"`)) {
		t.Fatalf("erasure metadata without recordedAt: %s", ers[0].Metadata)
	}
}
