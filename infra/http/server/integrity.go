package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/infra/integrity"
)

// IntegritySource is what the audit integrity routes read: the sealer.
type IntegritySource interface {
	Head() (integrity.SignedHead, bool)
	Keyring() *integrity.Keyring
}

// TreeHeadView is a signed tree head (GET /v1/audit/tree-head).
type TreeHeadView struct {
	Origin string    `json:"origin"`
	Size   uint64    `json:"size"`
	Root   string    `json:"root"` // base64
	Time   time.Time `json:"time"`
	KeyID  string    `json:"keyId"`
	// Checkpoint is the C2SP signed note, verifiable on its own.
	Checkpoint string `json:"checkpoint"`
}

// KeyView is one key of the keyring.
type KeyView struct {
	KeyID string `json:"keyId"`
	// Fingerprint is "SHA256:" and the hex SHA-256 of the 32-byte public key.
	Fingerprint string     `json:"fingerprint"`
	PublicKey   string     `json:"publicKey"` // base64, 32 bytes
	AddedAt     time.Time  `json:"addedAt"`
	Retired     bool       `json:"retired"`
	RetiredAt   *time.Time `json:"retiredAt,omitempty"`
	Reason      string     `json:"reason,omitempty"`
}

// KeysView is the keyring (GET /v1/audit/keys).
type KeysView struct {
	Keys []KeyView `json:"keys"`
}

func errNoIntegrity(what string) error {
	return &httpError{status: http.StatusNotFound, rule: RuleNoTreeHead, msg: what}
}

func (a *API) treeHead(w http.ResponseWriter, r *http.Request, _ *query) error {
	if a.integ == nil {
		return errNoIntegrity("this ledger runs no sealer (no signing key): there is no signed tree head")
	}
	h, ok := a.integ.Head()
	if !ok {
		return errNoIntegrity("no tree head signed yet: the first seal follows the first events")
	}
	if strings.Contains(r.Header.Get("Accept"), "text/plain") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(h.Checkpoint)
		return err
	}
	return writeJSON(w, http.StatusOK, TreeHeadView{Origin: h.Origin, Size: h.Size, Root: h.RootBase64(), Time: h.Time.UTC(),
		KeyID: h.KeyID, Checkpoint: string(h.Checkpoint)})
}

func (a *API) listKeys(w http.ResponseWriter, _ *http.Request, _ *query) error {
	if a.integ == nil {
		return errNoIntegrity("this ledger runs no sealer (no signing key): there is no keyring to show")
	}
	out := KeysView{Keys: []KeyView{}}
	if kr := a.integ.Keyring(); kr != nil {
		for _, k := range kr.Keys() {
			sum := sha256.Sum256(k.PublicKey)
			v := KeyView{KeyID: k.ID, Fingerprint: "SHA256:" + hex.EncodeToString(sum[:]),
				PublicKey: base64.StdEncoding.EncodeToString(k.PublicKey), AddedAt: k.AddedAt.UTC(), Retired: k.Retired, Reason: k.Reason}
			if k.Retired {
				t := k.RetiredAt.UTC()
				v.RetiredAt = &t
			}
			out.Keys = append(out.Keys, v)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}
