package jsonscan

import "testing"

func TestSpace(t *testing.T) {
	for _, c := range []struct {
		in   string
		from int
		want int
	}{{"", 0, 0}, {"  \t\n\rx", 0, 5}, {"x ", 0, 0}, {"a  b", 1, 3}, {"   ", 1, 3}, {"\v", 0, 0}} {
		if got := Space([]byte(c.in), c.from); got != c.want {
			t.Errorf("Space(%q, %d) = %d, want %d", c.in, c.from, got, c.want)
		}
	}
}
