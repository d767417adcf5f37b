package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/ticketledger/ticketledger/domain"
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
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		key    string // object: the key whose value comes next
		n      int    // array: items so far
		path   string
	}
	var stack []*frame
	path := func() string {
		if len(stack) == 0 {
			return "body"
		}
		f := stack[len(stack)-1]
		if f.object {
			return joinPath(f.path, f.key)
		}
		return f.path + "[" + strconv.Itoa(f.n) + "]"
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // malformed: the decoder reports it
		}
		raw := body[start:dec.InputOffset()]
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		expectKey := top != nil && top.object && top.key == "" && !isDelim(tok, '}')
		if s, ok := tok.(string); ok && expectKey {
			if !utf8.Valid(raw) {
				return hygieneError(http.StatusBadRequest, RuleInvalidUTF8, top.path, "a key of %s is not valid UTF-8: send UTF-8 text", orBody(top.path))
			}
			if top.keys[s] {
				return hygieneError(http.StatusBadRequest, RuleDuplicateKey, joinPath(top.path, s), "%s appears twice in one object: send each field once", joinPath(top.path, s))
			}
			top.keys[s] = true
			top.key = s
			continue
		}
		p := path()
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if len(stack) >= MaxJSONDepth {
					return hygieneError(http.StatusUnprocessableEntity, RuleTooLarge, p, "%s nests deeper than %d levels", p, MaxJSONDepth)
				}
				stack = append(stack, &frame{object: v == '{', keys: map[string]bool{}, path: p})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if !utf8.Valid(raw) {
				return hygieneError(http.StatusBadRequest, RuleInvalidUTF8, p, "%s is not valid UTF-8: send UTF-8 text", p)
			}
			if len(v) > MaxStringBytes {
				return hygieneError(http.StatusUnprocessableEntity, RuleTooLarge, p, "%s is %d bytes long: at most %d", p, len(v), MaxStringBytes)
			}
			if i := controlAt(v); i >= 0 {
				return hygieneError(http.StatusUnprocessableEntity, RuleControlCharacter, p,
					"%s holds the control character %U at byte %d: only newline and tab are allowed in text", p, []rune(v[i:])[0], i)
			}
		}
		// A value ended: the enclosing object waits for its next key, the
		// enclosing array counts it.
		if len(stack) > 0 {
			f := stack[len(stack)-1]
			if f.object {
				f.key = ""
			} else if f.n++; f.n > MaxArrayItems {
				return hygieneError(http.StatusUnprocessableEntity, RuleTooLarge, f.path, "%s has more than %d items", f.path, MaxArrayItems)
			}
		} else if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
			return hygieneError(http.StatusBadRequest, RuleMalformedRequest, "body",
				"the request body goes on after its JSON value (at byte %d): send exactly one object", len(body)-len(rest))
		}
	}
}

func isDelim(tok json.Token, d json.Delim) bool { v, ok := tok.(json.Delim); return ok && v == d }

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
