package projections

import (
	"bytes"
	"fmt"
	"testing"
)

func TestIDTab(t *testing.T) {
	tab := newIDTab()
	for i := 0; i < 5000; i++ {
		s := fmt.Sprintf("ticket-%d", i*7)
		if _, ok := tab.get(s); ok {
			t.Fatalf("%s present before add", s)
		}
		if got := tab.add(s); got != uint32(i) {
			t.Fatalf("add %s = %d", s, got)
		}
	}
	tab.add("") // the empty string is a valid id too
	var buf bytes.Buffer
	e := newEnc(&buf)
	tab.encode(e)
	e.flush()
	var back idtab
	d := newDec(&buf)
	back.decode(d)
	if d.err != nil {
		t.Fatal(d.err)
	}
	for _, tb := range []*idtab{&tab, &back} {
		for i := 0; i < 5000; i++ {
			s := fmt.Sprintf("ticket-%d", i*7)
			if got, ok := tb.get(s); !ok || got != uint32(i) || tb.str(got) != s {
				t.Fatalf("get %s = %d %v", s, got, ok)
			}
		}
		if i, ok := tb.get(""); !ok || i != 5000 {
			t.Fatal("empty id lost")
		}
		if _, ok := tb.get("ticket-1"); ok {
			t.Fatal("absent id found")
		}
	}
}
