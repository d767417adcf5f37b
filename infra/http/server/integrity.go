package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/evidence"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// IntegritySource is what the audit integrity routes read: the sealer.
type IntegritySource interface {
	Head() (integrity.SignedHead, bool)
	Keyring() *integrity.Keyring
	Tree() *integrity.Tree
	LeafIndex(p eventstore.Position) (uint64, bool)
}

// TreeHeadView is a signed tree head (GET /v1/audit/tree-head): the head
// as an evidence bundle's verifier describes it, and the checkpoint.
type TreeHeadView struct {
	evidence.HeadInfo
	// Checkpoint is the C2SP signed note, verifiable on its own.
	Checkpoint string `json:"checkpoint"`
	// SealerProblems is what the running sealer found wrong so far (it
	// checks every event's hash, chain link and signature before the tree
	// covers it: the live share of `ticketledger verify`), one line each;
	// empty when every event it met verified.
	SealerProblems []string `json:"sealerProblems"`
}

// problemSource is an IntegritySource that reports the problems it found
// (the sealer).
type problemSource interface {
	Problems() []integrity.Problem
}

// KeyView is one key of the keyring (the same shape as in an evidence
// bundle's keys.json).
type KeyView = evidence.Key

// KeyViewOf renders a keyring key (the API's and the offline CLI's view).
func KeyViewOf(k integrity.KeyInfo) KeyView { return evidence.KeyOf(k) }

// KeyRotator rotates the ledger's signing key (POST /v1/audit/keys/rotate).
type KeyRotator interface {
	RotateKey(ctx context.Context, reason string) (KeyRotationView, error)
}

// RotateKeyBody is the request of POST /v1/audit/keys/rotate.
type RotateKeyBody struct {
	// Reason is recorded with the rotation, with the admin who asked.
	Reason string `json:"reason,omitempty"`
}

// KeyRotationView is the answer of a key rotation.
type KeyRotationView struct {
	Old KeyView `json:"old"` // retired at Old.RetiredPosition
	New KeyView `json:"new"`
	// KeyFile is where the server wrote the new private key (mode 0600,
	// outside the data directory); NextStart says how to start with it.
	KeyFile   string `json:"keyFile"`
	NextStart string `json:"nextStart"`
}

// KeysView is the keyring (GET /v1/audit/keys).
type KeysView struct {
	Keys []KeyView `json:"keys"`
}

func errNoIntegrity(what string) error {
	return &httpError{status: http.StatusNotFound, rule: RuleNoTreeHead, msg: what}
}

func (a *API) treeHead(w http.ResponseWriter, r *http.Request, q *query) error {
	if a.integ == nil {
		return errNoIntegrity("this ledger runs no sealer (no signing key): there is no signed tree head")
	}
	h, ok := a.integ.Head()
	if !ok {
		return errNoIntegrity("no tree head signed yet: the first seal follows the first events")
	}
	format := q.oneOf("format", "json", "checkpoint")
	if q.err != nil {
		return q.err
	}
	if format == "checkpoint" || (format == "" && strings.Contains(r.Header.Get("Accept"), "text/plain")) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(h.Checkpoint)
		return err
	}
	pub, _ := a.integ.Keyring().PublicKey(h.KeyID)
	v := TreeHeadView{HeadInfo: evidence.HeadInfoOf(h.Head, pub), Checkpoint: string(h.Checkpoint), SealerProblems: []string{}}
	if ps, ok := a.integ.(problemSource); ok {
		for _, p := range ps.Problems() {
			v.SealerProblems = append(v.SealerProblems, p.String())
		}
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) listKeys(w http.ResponseWriter, _ *http.Request, _ *query) error {
	if a.integ == nil {
		return errNoIntegrity("this ledger runs no sealer (no signing key): there is no keyring to show")
	}
	out := KeysView{Keys: []KeyView{}}
	if kr := a.integ.Keyring(); kr != nil {
		for _, k := range kr.Keys() {
			out.Keys = append(out.Keys, KeyViewOf(k))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) rotateKey(w http.ResponseWriter, r *http.Request, _ *query) error {
	var b RotateKeyBody
	act, err := callerAndBody(r, &b)
	if err != nil {
		return err
	}
	if a.keys == nil {
		return &httpError{status: http.StatusNotFound, rule: RuleNoRoute,
			msg: "this ledger cannot rotate its signing key here (no signing key, or no sealer): rotate offline with `ticketledger keys rotate`"}
	}
	reason := strings.TrimSpace(b.Reason)
	if reason == "" {
		reason = "key rotation"
	}
	res, err := a.keys.RotateKey(r.Context(), reason+" (by "+act.ID+")")
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, res)
}

// InclusionView proves that one event is a leaf of the ledger's Merkle tree
// of TreeSize leaves (GET /v1/audit/inclusion): with RFC 6962 hashing, the
// audit path Hashes from LeafHash at LeafIndex gives Root. When TreeSize is
// the latest signed tree head's size, Checkpoint is that head, so the proof
// ends at a signature.
type InclusionView struct {
	Position   uint64   `json:"position"`
	LeafIndex  uint64   `json:"leafIndex"`
	TreeSize   uint64   `json:"treeSize"`
	LeafHash   string   `json:"leafHash"` // base64
	Hashes     []string `json:"hashes"`   // base64, leaf to root
	Root       string   `json:"root"`     // base64, the root at TreeSize
	Checkpoint string   `json:"checkpoint,omitempty"`
}

// ConsistencyView proves that the tree of To leaves extends the tree of
// From leaves (GET /v1/audit/consistency): the ledger only grew.
type ConsistencyView struct {
	From       uint64   `json:"from"`
	To         uint64   `json:"to"`
	Hashes     []string `json:"hashes"`   // base64
	RootFrom   string   `json:"rootFrom"` // base64
	RootTo     string   `json:"rootTo"`   // base64
	Checkpoint string   `json:"checkpoint,omitempty"`
}

// provable returns the tree and the tree size a proof is asked for (the
// signed head's size unless the parameter name asks for a smaller, sealed
// one), and the checkpoint a proof view carries: the signed head's when
// the size is its size, else "".
func (a *API) provable(q *query, name string) (tree *integrity.Tree, n uint64, checkpoint string, err error) {
	if a.integ == nil {
		return nil, 0, "", errNoIntegrity("this ledger runs no sealer (no signing key): there is no tree to prove against")
	}
	h, ok := a.integ.Head()
	if !ok {
		return nil, 0, "", errNoIntegrity("no tree head signed yet: the first seal follows the first events")
	}
	n = uint64(q.int(name))
	if q.err != nil {
		return nil, 0, "", q.err
	}
	if n == 0 {
		n = h.Size
	}
	if n > h.Size {
		return nil, 0, "", badRequest(name, "%s=%d is beyond the latest signed tree head (size %d): ask for at most %d, or wait for the next seal", name, n, h.Size, h.Size)
	}
	if n == h.Size {
		checkpoint = string(h.Checkpoint)
	}
	return a.integ.Tree(), n, checkpoint, nil
}

// rootsAt returns the roots of tree at the sizes ns, in base64.
func rootsAt(tree *integrity.Tree, ns ...uint64) ([]string, error) {
	out := make([]string, len(ns))
	for i, n := range ns {
		r, err := tree.RootAt(n)
		if err != nil {
			return nil, err
		}
		out[i] = base64.StdEncoding.EncodeToString(r)
	}
	return out, nil
}

func b64s(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

func (a *API) inclusion(w http.ResponseWriter, _ *http.Request, q *query) error {
	tree, n, checkpoint, err := a.provable(q, "treeSize")
	if err != nil {
		return err
	}
	commit, prepare := uint64(q.int("position")), uint64(q.int("prepare"))
	if q.err != nil {
		return q.err
	}
	if commit == 0 {
		return badRequest("position", "give the event's global position (the position field of its history, audit or evidence entry)")
	}
	if prepare == 0 {
		prepare = commit // the embedded store: one number per position
	}
	i, ok := a.integ.LeafIndex(eventstore.Position{Commit: commit, Prepare: prepare})
	if !ok || i >= n {
		return &httpError{status: http.StatusNotFound, rule: RuleNoTreeHead, field: "position",
			msg: fmt.Sprintf("no event at position %d is covered by a tree of size %d: check the position, or wait for the next seal", commit, n)}
	}
	path, err := tree.InclusionProof(i, n)
	if err != nil {
		return err
	}
	leaf, err := tree.LeafHashAt(i)
	if err != nil {
		return err
	}
	root, err := rootsAt(tree, n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, InclusionView{Position: commit, LeafIndex: i, TreeSize: n, LeafHash: base64.StdEncoding.EncodeToString(leaf),
		Hashes: b64s(path), Root: root[0], Checkpoint: checkpoint})
}

func (a *API) consistency(w http.ResponseWriter, _ *http.Request, q *query) error {
	tree, n, checkpoint, err := a.provable(q, "to")
	if err != nil {
		return err
	}
	m := uint64(q.int("from"))
	if q.err != nil {
		return q.err
	}
	if m == 0 {
		return badRequest("from", "give the size of the earlier tree head you hold (from=N)")
	}
	if m > n {
		return badRequest("from", "from=%d is larger than to=%d: a tree only grows", m, n)
	}
	path, err := tree.ConsistencyProof(m, n)
	if err != nil {
		return err
	}
	roots, err := rootsAt(tree, m, n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ConsistencyView{From: m, To: n, Hashes: b64s(path), RootFrom: roots[0], RootTo: roots[1], Checkpoint: checkpoint})
}
