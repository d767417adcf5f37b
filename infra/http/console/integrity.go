package console

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ticketledger/ticketledger/infra/evidence"
	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// maxBundle bounds an uploaded evidence bundle.
const maxBundle = 32 << 20

// integrityData is the integrity page.
type integrityData struct {
	Head *server.TreeHeadView
	// HeadNotice says why there is no head to show (the viewer's role, no
	// sealer, no seal yet), in the API's words.
	HeadNotice string
	Keys       []server.KeyView
	// HeadCheck is the console's own check of the head's signature
	// against the keyring ("" when it verified).
	HeadCheck string
	Ticket    string
}

// integrityPage shows the ledger's latest signed tree head, its keyring,
// whether the head's signature checks against it and what the running
// sealer found; and offers a ticket's evidence and the verification of a
// bundle someone handed over.
func (c *Console) integrityPage(w http.ResponseWriter, r *http.Request, s *session) error {
	if id := strings.TrimSpace(r.URL.Query().Get("ticket")); id != "" {
		http.Redirect(w, r, "/tickets/"+url.PathEscape(id)+"/evidence", http.StatusSeeOther)
		return nil
	}
	var d integrityData
	var head server.TreeHeadView
	switch err := c.get(r, s, "/v1/audit/tree-head", nil, &head); {
	case err == nil:
		d.Head = &head
	case noticeOf(err) != "":
		d.HeadNotice = noticeOf(err)
	default:
		return err
	}
	if d.Head != nil {
		var keys server.KeysView
		if err := c.get(r, s, "/v1/audit/keys", nil, &keys); err != nil {
			return err
		}
		d.Keys = keys.Keys
		d.HeadCheck = checkHead(head, keys.Keys)
	}
	return c.render(w, r, http.StatusOK, "integrity", s, "Integrity", d)
}

// noticeOf is the API's detail for an answer the page shows as a notice
// (forbidden for the role, not found: no sealer or no seal yet); "" for
// any other error.
func noticeOf(err error) string {
	var ae *apiError
	if errors.As(err, &ae) && (ae.Problem.Status == http.StatusForbidden || ae.Problem.Status == http.StatusNotFound) {
		return ae.Problem.Detail
	}
	return ""
}

// checkHead verifies the head's checkpoint against the keyring's keys.
func checkHead(h server.TreeHeadView, keys []server.KeyView) string {
	_, err := integrity.ParseHead([]byte(h.Checkpoint), h.Origin, integrity.TrustedKeys(publicKeys(keys)...))
	if err != nil {
		return err.Error()
	}
	return ""
}

func publicKeys(keys []server.KeyView) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, k := range keys {
		if b, err := base64.StdEncoding.DecodeString(k.PublicKey); err == nil {
			out = append(out, ed25519.PublicKey(b))
		}
	}
	return out
}

// evidenceData is a ticket's evidence page, and an uploaded bundle's.
type evidenceData struct {
	ID     string
	Size   int
	Report *evidence.Report
	// Uploaded: the bundle came from the viewer, not from this ledger.
	Uploaded bool
	FileName string
}

// evidencePage downloads the ticket's evidence bundle through the API (its
// tenancy and code path), verifies it, and says what it proves.
func (c *Console) evidencePage(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	zip, _, err := c.fetch(r, s, "/v1/tickets/"+url.PathEscape(id)+"/evidence.zip")
	if err != nil {
		return err
	}
	rep, err := c.verifyBundle(r, s, zip)
	if err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "evidence", s, "Evidence of "+shortID(id), evidenceData{ID: id, Size: len(zip), Report: rep})
}

// evidenceZip is the bundle's download: the API's answer, as is.
func (c *Console) evidenceZip(w http.ResponseWriter, r *http.Request, s *session) error {
	zip, hdr, err := c.fetch(r, s, "/v1/tickets/"+url.PathEscape(r.PathValue("id"))+"/evidence.zip")
	if err != nil {
		return err
	}
	for _, k := range []string{"Content-Type", "Content-Disposition", "Content-Length"} {
		if v := hdr.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	_, err = w.Write(zip)
	return err
}

// verifyUpload verifies a bundle the viewer uploads (one someone handed
// over): the same verifier as `ticketledger evidence verify`.
func (c *Console) verifyUpload(w http.ResponseWriter, r *http.Request, s *session) error {
	f, fh, err := r.FormFile("bundle")
	if err != nil {
		return &pageError{Status: http.StatusBadRequest, Title: "No bundle", Field: "bundle",
			Detail: "choose an evidence bundle (a .zip file) to verify"}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxBundle+1))
	if err != nil || len(b) > maxBundle {
		return &pageError{Status: http.StatusBadRequest, Title: "Bundle too large", Field: "bundle",
			Detail: "an evidence bundle is at most 32 MiB: check that this is the right file"}
	}
	rep, err := c.verifyBundle(r, s, b)
	if err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "evidence", s, "Evidence bundle verified",
		evidenceData{ID: rep.TicketID, Size: len(b), Report: rep, Uploaded: true, FileName: clip(fh.Filename, 80)})
}

// verifyBundle reads and verifies a bundle; against the ledger's keyring
// when the viewer may read it (auditors), else on its own contents.
func (c *Console) verifyBundle(r *http.Request, s *session, zip []byte) (*evidence.Report, error) {
	b, err := evidence.Read(bytes.NewReader(zip), int64(len(zip)))
	if err != nil {
		return nil, &pageError{Status: http.StatusBadRequest, Title: "Not an evidence bundle", Field: "bundle",
			Detail: "this file is not an evidence bundle (" + clip(err.Error(), 160) + "): export one from a ticket's evidence page"}
	}
	var trust evidence.Trust
	var keys server.KeysView
	if err := c.get(r, s, "/v1/audit/keys", nil, &keys); err == nil {
		for _, k := range keys.Keys {
			trust.Fingerprints = append(trust.Fingerprints, k.Fingerprint)
		}
	} else if noticeOf(err) == "" {
		return nil, err
	}
	return evidence.Verify(b, trust), nil
}

// fetch runs a GET of the API in process as the session's principal and
// returns the body as is (a download); a problem answer is an *apiError.
func (c *Console) fetch(r *http.Request, s *session, path string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+s.credential)
	rec := &recorder{header: http.Header{}}
	c.api.ServeHTTP(rec, req)
	if rec.status < 400 {
		return rec.body.Bytes(), rec.header, nil
	}
	var p server.Problem
	if json.Unmarshal(rec.body.Bytes(), &p) != nil || p.Status == 0 {
		p = server.Problem{Status: rec.status, Title: http.StatusText(rec.status), Detail: strconv.Quote(clip(rec.body.String(), 200))}
	}
	return nil, nil, &apiError{Problem: p}
}
