// Package jsonscan holds the byte-level helpers shared by the hand-written
// JSON scanners (the codec's payload and metadata scanners, the HTTP body
// hygiene check).
package jsonscan

// Space returns the index of the first byte of b at or after i that is not
// JSON white space (space, tab, newline, carriage return): len(b) if none.
func Space(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
