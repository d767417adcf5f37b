package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/infra/jsonscan"
)

// The bounds of a request body, checked on the raw JSON before it is
// decoded into the command's body type (so no oversized value is ever
// decoded): every string, every array, and how deep objects nest. The
// domain's own limits (a title's length, …) are narrower and checked after.
const (
	MaxStringBytes = 16 << 10 // 16 KiB, in UTF-8
	MaxArrayItems  = 100
	MaxJSONDepth   = 16
)

// checkJSON walks the raw body once, token by token, before it is decoded,
// and refuses what encoding/json would accept silently or too late:
// invalid UTF-8 (it would be stored as U+FFFD), a key twice in one object
// (the last would win), data after the value, control characters other
// than newline and tab in a string (422), and strings, arrays or nesting
// past the bounds above (422). Each error names the field by its JSON path.
// Malformed JSON is left to the decoder, which words it better.
func checkJSON(body []byte) error {
	w := walker{body: body}
	w.space()
	if err := w.value(); err != nil {
		if err == errMalformed {
			return nil // the decoder reports it
		}
		return err
	}
	if rest := bytes.TrimSpace(body[w.i:]); len(rest) > 0 {
		return hygieneError(http.StatusBadRequest, RuleMalformedRequest, "body",
			"the request body goes on after its JSON value (at byte %d): send exactly one object", len(body)-len(rest))
	}
	return nil
}

// walker is checkJSON's one pass over the raw bytes: a JSON scanner that
// stops at the first malformed byte (errMalformed), and that builds a
// value's path only for a new object or array, or an error (most values
// pass and need none).
type walker struct {
	body  []byte
	i     int
	stack []hygieneFrame // the objects and arrays the walk is in
}

type hygieneFrame struct {
	object bool
	keys   []string        // object: the keys so far, while few
	keySet map[string]bool // object: the keys so far, once many
	key    string          // object: the key whose value comes next
	n      int             // array: items so far
	path   string
}

// errMalformed stops the walk at malformed JSON.
var errMalformed = errors.New("malformed JSON")

// keysInSlice is how many keys an object's frame holds in a slice before it
// moves them to a map.
const keysInSlice = 16

// path is the JSON path of the value at w.i.
func (w *walker) path() string {
	if len(w.stack) == 0 {
		return "body"
	}
	f := &w.stack[len(w.stack)-1]
	if f.object {
		return joinPath(f.path, f.key)
	}
	return f.path + "[" + strconv.Itoa(f.n) + "]"
}

func (w *walker) space() { w.i = jsonscan.Space(w.body, w.i) }

// peek reports whether the byte at w.i is c, and takes it if so.
func (w *walker) peek(c byte) bool {
	if w.i < len(w.body) && w.body[w.i] == c {
		w.i++
		return true
	}
	return false
}

// value walks the value at w.i.
func (w *walker) value() error {
	if w.i >= len(w.body) {
		return errMalformed
	}
	switch w.body[w.i] {
	case '{', '[':
		return w.container()
	case '"':
		return w.stringValue()
	case 't':
		return w.literal("true")
	case 'f':
		return w.literal("false")
	case 'n':
		return w.literal("null")
	}
	return w.number()
}

// container walks the object or array at w.i.
func (w *walker) container() error {
	p := w.path()
	if len(w.stack) >= MaxJSONDepth {
		return hygieneError(http.StatusUnprocessableEntity, RuleTooLarge, p, "%s nests deeper than %d levels", p, MaxJSONDepth)
	}
	object := w.body[w.i] == '{'
	end := byte(']')
	if object {
		end = '}'
	}
	w.i++
	w.stack = append(w.stack, hygieneFrame{object: object, path: p})
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	w.space()
	if w.peek(end) {
		return nil
	}
	for {
		// The frame is looked up again after every value: nested frames
		// may have moved the stack.
		if object {
			if err := w.key(&w.stack[len(w.stack)-1]); err != nil {
				return err
			}
			w.space()
			if !w.peek(':') {
				return errMalformed
			}
			w.space()
		}
		if err := w.value(); err != nil {
			return err
		}
		// A value ended: the object waits for its next key, the array
		// counts it.
		if f := &w.stack[len(w.stack)-1]; object {
			f.key = ""
		} else if f.n++; f.n > MaxArrayItems {
			return hygieneError(http.StatusUnprocessableEntity, RuleTooLarge, f.path, "%s has more than %d items", f.path, MaxArrayItems)
		}
		w.space()
		switch {
		case w.peek(end):
			return nil
		case w.peek(','):
			w.space()
		default:
			return errMalformed
		}
	}
}

// key reads an object's key: valid UTF-8, and not one the object has.
func (w *walker) key(f *hygieneFrame) error {
	raw, s, err := w.str()
	if err != nil {
		return err
	}
	if !utf8.Valid(raw) {
		return hygieneError(http.StatusBadRequest, RuleInvalidUTF8, f.path, "a key of %s is not valid UTF-8: send UTF-8 text", orBody(f.path))
	}
	if f.has(s) {
		return hygieneError(http.StatusBadRequest, RuleDuplicateKey, joinPath(f.path, s), "%s appears twice in one object: send each field once", joinPath(f.path, s))
	}
	f.add(s)
	f.key = s
	return nil
}

func (f *hygieneFrame) has(k string) bool {
	if f.keySet != nil {
		return f.keySet[k]
	}
	for _, x := range f.keys {
		if x == k {
			return true
		}
	}
	return false
}

func (f *hygieneFrame) add(k string) {
	if f.keySet == nil && len(f.keys) < keysInSlice {
		f.keys = append(f.keys, k)
		return
	}
	if f.keySet == nil {
		f.keySet = make(map[string]bool, 2*keysInSlice)
		for _, x := range f.keys {
			f.keySet[x] = true
		}
	}
	f.keySet[k] = true
}

// stringValue reads a string value: valid UTF-8, within MaxStringBytes,
// free of control characters but newline and tab.
func (w *walker) stringValue() error {
	raw, v, err := w.str()
	if err != nil {
		return err
	}
	if !utf8.Valid(raw) {
		p := w.path()
		return hygieneError(http.StatusBadRequest, RuleInvalidUTF8, p, "%s is not valid UTF-8: send UTF-8 text", p)
	}
	if len(v) > MaxStringBytes {
		p := w.path()
		return hygieneError(http.StatusUnprocessableEntity, RuleTooLarge, p, "%s is %d bytes long: at most %d", p, len(v), MaxStringBytes)
	}
	if i := controlAt(v); i >= 0 {
		p := w.path()
		return hygieneError(http.StatusUnprocessableEntity, RuleControlCharacter, p,
			"%s holds the control character %U at byte %d: only newline and tab are allowed in text", p, []rune(v[i:])[0], i)
	}
	return nil
}

// str reads the string at w.i: its raw bytes (quotes included) and its
// value. A string with escapes is unquoted by encoding/json.
func (w *walker) str() (raw []byte, v string, err error) {
	b := w.body
	if w.i >= len(b) || b[w.i] != '"' {
		return nil, "", errMalformed
	}
	start, escaped := w.i, false
	for j := start + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			w.i = j + 1
			raw = b[start:w.i]
			if !escaped {
				return raw, string(raw[1 : len(raw)-1]), nil
			}
			if json.Unmarshal(raw, &v) != nil {
				return nil, "", errMalformed
			}
			return raw, v, nil
		case c == '\\':
			if j+1 >= len(b) {
				return nil, "", errMalformed
			}
			escaped = true
			j++ // the escaped byte; \uXXXX is checked by the unquoting
		case c < 0x20:
			return nil, "", errMalformed
		}
	}
	return nil, "", errMalformed
}

func (w *walker) literal(lit string) error {
	if !bytes.HasPrefix(w.body[w.i:], []byte(lit)) {
		return errMalformed
	}
	w.i += len(lit)
	return nil
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (w *walker) number() error {
	b, i := w.body, w.i
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return errMalformed
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return errMalformed
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return errMalformed
		}
	}
	w.i = i
	return nil
}

func joinPath(parent, key string) string {
	if parent == "" || parent == "body" {
		return key
	}
	return parent + "." + key
}

func orBody(p string) string {
	if p == "" {
		return "the body"
	}
	return p
}

// controlAt returns the byte index of the first control character of s
// other than newline and tab, or -1.
func controlAt(s string) int {
	for i, r := range s {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return i
		}
	}
	return -1
}

func hygieneError(status int, rule domain.Rule, field, format string, args ...any) error {
	return &httpError{status: status, rule: rule, field: field, msg: fmt.Sprintf(format, args...)}
}
