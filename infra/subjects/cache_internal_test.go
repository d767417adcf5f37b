package subjects

import (
	"bytes"
	"fmt"
	"testing"
)

// The cache holds at most its bound; a key it forgot is read from its file
// again, and the copy it wipes is its own, never one it handed out.
func TestKeyCacheBound(t *testing.T) {
	st, err := OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st.cache = newKeyCache(4)
	ids, keys := map[string][]byte{}, []string{}
	for i := range 10 {
		id, key, err := st.Subject(fmt.Sprintf("c%d@example.org", i))
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = bytes.Clone(key)
		keys = append(keys, id)
		if n, m := len(st.cache.byID), len(st.cache.byMAC); n > 4 || m > 4 {
			t.Fatalf("%d keys and %d index names cached, bound 4", n, m)
		}
	}
	for id, want := range ids {
		got, ok, err := st.Key(id)
		if err != nil || !ok || !bytes.Equal(got, want) {
			t.Fatalf("Key(%s) = %x %t %v, want %x", id, got, ok, err, want)
		}
	}
	handed, _, _ := st.Key(keys[0])
	st.cache.drop(keys[0])
	if !bytes.Equal(handed, ids[keys[0]]) {
		t.Fatal("forgetting a key wiped the copy handed out")
	}
}
