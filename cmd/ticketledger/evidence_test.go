package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/evidence"
	"github.com/ticketledger/ticketledger/infra/integrity"
	"github.com/ticketledger/ticketledger/infra/ledger"
)

// rewriteZip copies a zip file, passing each entry through edit.
func rewriteZip(t *testing.T, from, to string, edit func(name string, data []byte) []byte) {
	t.Helper()
	z, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		out, _ := w.Create(f.Name)
		out.Write(edit(f.Name, data))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEvidenceBundleExportAndVerify(t *testing.T) {
	key, err := integrity.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, ledger.Config{SigningKey: key, SealInterval: 10 * time.Millisecond})
	e.seedPartner()
	late := e.openTicket("--occurred-at", "now-3h")
	e.ok(with(support, "respond", late, "--summary", "late")...)
	e.caughtUp()
	dir := t.TempDir()
	file := filepath.Join(dir, "b.zip")

	out := e.ok(with(auditor, "evidence", "export", late, "-o", file)...)
	contains(t, out, "events        2 (revisions 0–1)", "unsealed      none", "checked here  yes", file, key.ID())
	e.fails(2, "-o FILE is required", with(auditor, "evidence", "export", late)...)

	// Offline, with nothing but the bundle.
	fp := integrity.Fingerprint(key.Public())
	out = e.ok("evidence", "verify", file)
	contains(t, out, "VERIFIED", "self-consistent only", fp, "first response recorded", "after opening; deadline 2h", "policy 2026-01",
		"24x7, English): breached.", "2 events (revisions 0–1), none altered")
	contains(t, e.ok("evidence", "verify", file, "--trusted-key", fp), "signed by the trusted key "+fp)
	contains(t, e.ok("evidence", "verify", file, "--trusted-key", base64.StdEncoding.EncodeToString(key.Public())), "signed by the trusted key")
	head, _ := e.l.Sealer.Head()
	headFile := filepath.Join(dir, "saved.head")
	os.WriteFile(headFile, head.Checkpoint, 0o644)
	contains(t, e.ok("evidence", "verify", file, "--trusted-head", headFile), "trusted head")
	var rep evidence.Report
	if err := json.Unmarshal([]byte(e.ok("evidence", "verify", file, "-o", "json")), &rep); err != nil || !rep.OK || rep.Events != 2 || rep.SLA == nil || rep.SLA.TargetSeconds != 7200 {
		t.Fatalf("json: %v %+v", err, rep)
	}

	// A key that is not the ledger's: exit 1, the problem located.
	other, _ := integrity.GenerateSigningKey()
	r := e.run("evidence", "verify", file, "--trusted-key", integrity.Fingerprint(other.Public()))
	if r.code != 1 || !strings.Contains(r.out, "PROBLEM      checkpoint: trust:") || !strings.Contains(r.err, "does not verify") {
		t.Fatalf("wrong trusted key: %+v", r)
	}
	e.fails(2, "--trusted-key", "evidence", "verify", file, "--trusted-key", "not-a-key")

	// One payload byte changed.
	bad := filepath.Join(dir, "bad.zip")
	rewriteZip(t, file, bad, func(name string, data []byte) []byte {
		if name == "events/0000000001.data" {
			data = bytes.Replace(data, []byte("late"), []byte("LATE"), 1)
		}
		return data
	})
	r = e.run("evidence", "verify", bad)
	if r.code != 1 || !strings.Contains(r.out, "FAILED") || !strings.Contains(r.out, "events/0000000001.data, events/0000000001.meta (revision 1): hash:") {
		t.Fatalf("tampered: %+v", r)
	}
}
