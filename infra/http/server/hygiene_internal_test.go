package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
)

// checkJSON's walk over the raw bytes: what it refuses, with the field it
// names, and that it leaves malformed JSON to the decoder.
func TestCheckJSONWalk(t *testing.T) {
	var keys []string
	for i := range keysInSlice + 4 {
		keys = append(keys, fmt.Sprintf(`"k%d":%d`, i, i))
	}
	many := "{" + strings.Join(keys, ",") + "}"
	for _, c := range []struct {
		name, body string
		rule       domain.Rule
		field      string
	}{
		{"many keys, each once", many, "", ""},
		{"many keys, the last twice", strings.TrimSuffix(many, "}") + `,"k19":1}`, RuleDuplicateKey, "k19"},
		{"a key twice, once escaped", `{"a":1,"\u0061":2}`, RuleDuplicateKey, "a"},
		{"an empty key then a string", `{"":"a","a":1}`, "", ""},
		{"control character in an array", `{"x":{"list":["a","b",[],{},"c\u0007"]}}`, RuleControlCharacter, "x.list[4]"},
		{"escapes, numbers and literals", `{"a":"q\"\\\/\n\t","b":[-1.5e+3,0,true,false,null],"c":{}}`, "", ""},
		{"data after the value", `{"a":1} {}`, RuleMalformedRequest, "body"},
		{"missing colon", `{"a" 1}`, "", ""},
		{"trailing comma", `{"a":1,}`, "", ""},
		{"leading zero", `{"a":01}`, "", ""},
		{"raw control byte", "{\"a\":\"x\x01\"}", "", ""},
		{"bad escape", `{"a":"\x"}`, "", ""},
		{"unterminated", `{"a":"x`, "", ""},
		{"malformed after a refusal", `{"a":"\u0001", nope`, RuleControlCharacter, "a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkJSON([]byte(c.body))
			if c.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			he, ok := err.(*httpError)
			if !ok || he.rule != c.rule || he.field != c.field || he.msg == "" {
				t.Fatalf("got %#v, want rule %s on %s", err, c.rule, c.field)
			}
		})
	}
}
