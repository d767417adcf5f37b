package server

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/evidence"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// laggingSeal is an IntegritySource whose tree holds the whole log but
// whose signed head covers only the first size leaves: a sealer that has
// not sealed the newest events yet.
type laggingSeal struct {
	mu   sync.Mutex
	tree *integrity.Tree
	pos  []eventstore.Position
	head integrity.SignedHead
	ok   bool
}

func (l *laggingSeal) Head() (integrity.SignedHead, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head, l.ok
}
func (l *laggingSeal) Keyring() *integrity.Keyring { return &integrity.Keyring{} }
func (l *laggingSeal) Tree() *integrity.Tree       { return l.tree }
func (l *laggingSeal) LeafIndex(p eventstore.Position) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := slices.Index(l.pos, p)
	return uint64(i), i >= 0
}

// seal reads the whole log into the tree and signs a head over all but
// the last behind leaves.
func (l *laggingSeal) seal(t *testing.T, st eventstore.Store, behind uint64) {
	t.Helper()
	evs, err := st.ReadAll(context.Background(), eventstore.Forwards, eventstore.AllStart(), 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tree, l.pos = integrity.NewTree(), nil
	for i := range evs {
		if _, err := l.tree.Append(integrity.LeafHash(&evs[i])); err != nil {
			t.Fatal(err)
		}
		l.pos = append(l.pos, evs[i].Position)
	}
	key, _ := integrity.GenerateSigningKey()
	size := l.tree.Size() - behind
	root, _ := l.tree.RootAt(size)
	if l.head, err = integrity.SignHead(integrity.Head{Size: size, Root: root, Time: t0}, key); err != nil {
		t.Fatal(err)
	}
	l.ok = true
}

// TestEvidenceBundleListsUnsealedEvents: when no head covers the ticket's
// newest event within SealWait, the bundle says so instead of failing or
// pretending.
func TestEvidenceBundleListsUnsealedEvents(t *testing.T) {
	seal := &laggingSeal{}
	e := newEnv(t, func(c *Config) { c.Integrity, c.SealWait = seal, 20*time.Millisecond })
	id := e.seed()
	e.must(200, e.do("POST", "/v1/tickets/"+id+"/notes", prov, map[string]any{"text": "newest"}))
	e.catchUp()
	read := func() *evidence.Bundle {
		r := e.must(200, e.do("GET", "/v1/tickets/"+id+"/evidence.zip", auditorH, nil))
		if ct := r.h.Get("Content-Type"); ct != "application/zip" {
			t.Fatalf("content type %q", ct)
		}
		b, err := evidence.Read(bytes.NewReader(r.body), int64(len(r.body)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	seal.seal(t, e.store, 1) // the note is not sealed
	b := read()
	if !slices.Equal(b.Manifest.UnsealedRevisions, []uint64{1}) || len(b.Proofs.Inclusion) != 1 || b.Manifest.Events != 2 {
		t.Fatalf("manifest %+v, %d proofs", b.Manifest, len(b.Proofs.Inclusion))
	}
	seal.seal(t, e.store, 0)
	if b := read(); len(b.Manifest.UnsealedRevisions) != 0 || len(b.Proofs.Inclusion) != 2 {
		t.Fatalf("sealed: manifest %+v", b.Manifest)
	}
}
