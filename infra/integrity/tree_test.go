package integrity

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/transparency-dev/merkle/testonly"
)

func leaf(i uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], i)
	return Hasher.HashLeaf(b[:])
}

// Roots and proofs agree with transparency-dev's reference tree at every
// size, and verify with its proof package.
func TestTreeMatchesReference(t *testing.T) {
	tr, ref := NewTree(), testonly.New(Hasher)
	const n = 70
	for i := uint64(0); i < n; i++ {
		if idx, err := tr.Append(leaf(i)); err != nil || idx != i {
			t.Fatalf("append %d: %d %v", i, idx, err)
		}
		ref.Append(leaf(i))
	}
	for size := uint64(0); size <= n; size++ {
		root, err := tr.RootAt(size)
		if err != nil || !bytes.Equal(root, ref.HashAt(size)) {
			t.Fatalf("root at %d: %x %v, want %x", size, root, err, ref.HashAt(size))
		}
		for i := uint64(0); i < size; i++ {
			p, err := tr.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(i, size, leaf(i), p, root); err != nil {
				t.Fatalf("inclusion %d/%d: %v", i, size, err)
			}
		}
		for m := uint64(0); m <= size; m++ {
			p, err := tr.ConsistencyProof(m, size)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ref.ConsistencyProof(m, size)
			if len(p) != len(want) {
				t.Fatalf("consistency %d→%d: %d nodes, want %d", m, size, len(p), len(want))
			}
			r1, _ := tr.RootAt(m)
			if m > 0 {
				if err := VerifyConsistency(m, size, p, r1, root); err != nil {
					t.Fatalf("consistency %d→%d: %v", m, size, err)
				}
			}
		}
	}
	if !bytes.Equal(tr.Root(), ref.Hash()) {
		t.Fatal("root")
	}
	if _, err := tr.RootAt(n + 1); err == nil {
		t.Fatal("root beyond size: no error")
	}
	if _, err := tr.InclusionProof(n, n); err == nil {
		t.Fatal("inclusion of a missing leaf: no error")
	}
	if _, err := tr.Append(make([]byte, 3)); err == nil {
		t.Fatal("short leaf hash accepted")
	}
}

// BenchmarkTree1M: proofs in a tree of 1,000,000 leaves.
func BenchmarkTree1M(b *testing.B) {
	tr := NewTree()
	const n = 1_000_000
	for i := uint64(0); i < n; i++ {
		s := sha256.Sum256(binary.BigEndian.AppendUint64(nil, i))
		tr.Append(s[:])
	}
	b.Run("inclusion", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := tr.InclusionProof(uint64(i*7919)%n, n-uint64(i%1000)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("consistency", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := tr.ConsistencyProof(uint64(i*7919)%(n/2)+1, n-uint64(i%1000)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("root", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := tr.RootAt(n - uint64(i%100000)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		t2 := NewTree()
		h := sha256.Sum256(nil)
		for b.Loop() {
			t2.Append(h[:])
		}
	})
}

// Append keeps its own copy of each leaf hash: a caller reusing one buffer
// for every leaf gets the same roots.
func TestTreeAppendCopiesTheLeafHash(t *testing.T) {
	tr, ref := NewTree(), testonly.New(Hasher)
	buf := make([]byte, 32)
	for i := uint64(0); i < 33; i++ {
		copy(buf, leaf(i))
		if _, err := tr.Append(buf); err != nil {
			t.Fatal(err)
		}
		ref.Append(leaf(i))
		clear(buf)
		if root := tr.Root(); !bytes.Equal(root, ref.Hash()) {
			t.Fatalf("root at %d: %x, want %x", i+1, root, ref.Hash())
		}
	}
}
