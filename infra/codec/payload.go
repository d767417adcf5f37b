package codec

import (
	"encoding"
	"encoding/json"
	"hash/maphash"
	"reflect"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/ticketledger/ticketledger/domain"
)

// The payload fast path. encoding/json is authoritative: decodePayload first
// tries a scanner driven by a plan compiled (once, in New) from the event's
// Go type, and falls back to json.Unmarshal into a fresh value for anything
// the scanner does not handle exactly as encoding/json would — unknown or
// case-mismatched keys, null, surrogate or invalid escapes, invalid UTF-8,
// numbers that are not plain integers, malformed input. A type with a field
// the plan cannot express (embedded structs, maps, pointers, custom
// unmarshalers other than time.Time, ",string" options, …) has no plan and
// always goes through encoding/json. So every input the fast path accepts
// decodes to exactly what encoding/json gives, and every other input goes
// through encoding/json itself (TestPayloadFastPathMatchesEncodingJSON and
// FuzzPayloadFastPath check it).

type fieldKind uint8

const (
	fString  fieldKind = iota + 1 // any string kind
	fBool                         // bool
	fInt                          // signed integer kinds (size in field.size), time.Duration
	fTime                         // time.Time, through its UnmarshalJSON as encoding/json does
	fStruct                       // a nested struct with a plan
	fStrings                      // a slice whose elements are of a string kind
	fUint                         // unsigned integer kinds (size in field.size)
)

type planField struct {
	name string // JSON key (exact match only)
	off  uintptr
	kind fieldKind
	size uintptr // fInt, fUint: 1, 2, 4 or 8
	sub  *payloadPlan
}

// payloadPlan is how to decode one struct type.
type payloadPlan struct {
	fields []planField
}

var (
	timeType            = reflect.TypeFor[time.Time]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func hasUnmarshaler(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshalerType) || pt.Implements(jsonUnmarshalerType) ||
		t.Implements(textUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

// compilePlan returns the plan of struct type t, or nil when a field is
// outside what the fast path decodes exactly like encoding/json.
func compilePlan(t reflect.Type, depth int) *payloadPlan {
	if t.Kind() != reflect.Struct || hasUnmarshaler(t) || depth > 8 {
		return nil
	}
	p := &payloadPlan{}
	seen := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if sf.Anonymous {
			// An untagged embedded struct: its fields are promoted. Only
			// when no name repeats (encoding/json's rules for repeated
			// names are left to it).
			if tag != "" || sf.Type.Kind() != reflect.Struct || !sf.IsExported() {
				return nil
			}
			sub := compilePlan(sf.Type, depth+1)
			if sub == nil {
				return nil
			}
			for _, f := range sub.fields {
				if seen[f.name] {
					return nil
				}
				seen[f.name] = true
				f.off += sf.Offset
				p.fields = append(p.fields, f)
			}
			continue
		}
		if !sf.IsExported() {
			continue // ignored by encoding/json
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := cutComma(tag)
		if name == "" {
			name = sf.Name
		}
		if !plainName(name) || hasOption(opts, "string") || seen[name] {
			return nil
		}
		seen[name] = true
		f := planField{name: name, off: sf.Offset}
		ft := sf.Type
		switch {
		case ft == timeType:
			f.kind = fTime
		case hasUnmarshaler(ft):
			return nil
		case ft.Kind() == reflect.String:
			f.kind = fString
		case ft.Kind() == reflect.Bool:
			f.kind = fBool
		case ft.Kind() == reflect.Int || ft.Kind() == reflect.Int8 || ft.Kind() == reflect.Int16 ||
			ft.Kind() == reflect.Int32 || ft.Kind() == reflect.Int64:
			f.kind, f.size = fInt, ft.Size()
		case ft.Kind() == reflect.Uint || ft.Kind() == reflect.Uint8 || ft.Kind() == reflect.Uint16 ||
			ft.Kind() == reflect.Uint32 || ft.Kind() == reflect.Uint64:
			f.kind, f.size = fUint, ft.Size()
		case ft.Kind() == reflect.Struct:
			if f.sub = compilePlan(ft, depth+1); f.sub == nil {
				return nil
			}
			f.kind = fStruct
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String && !hasUnmarshaler(ft.Elem()):
			f.kind = fStrings
		default:
			return nil
		}
		p.fields = append(p.fields, f)
	}
	return p
}

func cutComma(s string) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func hasOption(opts, o string) bool {
	for opts != "" {
		var cur string
		cur, opts, _ = cutComma(opts)
		if cur == o {
			return true
		}
	}
	return false
}

// plainName accepts the JSON names the fast path matches byte for byte:
// ASCII letters, digits and '_' (encoding/json accepts more, and then the
// type has no plan).
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

func (p *payloadPlan) field(key []byte) *planField {
	for i := range p.fields {
		if p.fields[i].name == string(key) {
			return &p.fields[i]
		}
	}
	return nil
}

// payloadScanner is the state of one decode; pooled, it keeps a scratch
// buffer for unescaping and a small intern table of short strings (enum
// values, ids, versions repeat from one event to the next), so decoding
// allocates few strings and no decoded string shares memory with another
// field's or pins the record.
type payloadScanner struct {
	cursor
	scratch []byte
	strs    [internSlots]string // direct-mapped by hash: a miss replaces the slot
}

const (
	internMaxLen = 32
	internSlots  = 1024
)

var (
	scanners   = sync.Pool{New: func() any { return new(payloadScanner) }}
	internSeed = maphash.MakeSeed()
)

// decodePayload decodes data into v, a pointer to a value of the type the
// plan was compiled for (fresh from spec.New()); on any doubt it starts
// again with encoding/json on a fresh value from fresh().
func decodePayload(plan *payloadPlan, data []byte, v domain.Event, fresh func() domain.Event) (domain.Event, error) {
	if plan != nil {
		if scanPayload(plan, data, v) {
			return v, nil
		}
		v = fresh()
	}
	return v, json.Unmarshal(data, v)
}

// scanPayload decodes data into the value v points to with the fast path;
// false means it did not (v may then be partly written).
func scanPayload(plan *payloadPlan, data []byte, v any) bool {
	s := scanners.Get().(*payloadScanner)
	s.b, s.i = data, 0
	ok := s.object(plan, reflect.ValueOf(v).UnsafePointer())
	if ok {
		s.ws()
		ok = s.i == len(s.b)
	}
	s.b = nil
	scanners.Put(s)
	return ok
}

// plain returns the contents of a string token made of printable ASCII
// only, without escapes (keys, times); ok false otherwise.
func (s *payloadScanner) plain() (q []byte, ok bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	if j := s.i + 1 + plainRun(s.b[s.i+1:]); j < len(s.b) {
		if s.b[j] == '"' {
			q = s.b[s.i+1 : j]
			s.i = j + 1
			return q, true
		}
		return nil, false
	}
	return nil, false
}

// str decodes a string token: escapes (except surrogates) and valid UTF-8
// are handled, anything else is refused.
func (s *payloadScanner) str() (string, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start := s.i + 1
	j := start + plainRun(s.b[start:])
	if j < len(s.b) && s.b[j] == '"' {
		s.i = j + 1
		return s.intern(s.b[start:j]), true
	}
	buf := append(s.scratch[:0], s.b[start:j]...)
	for j < len(s.b) {
		c := s.b[j]
		switch {
		case plainASCII[c]:
			buf = append(buf, c)
			j++
		case c == '"':
			s.i = j + 1
			s.scratch = buf
			return s.intern(buf), true
		case c == '\\':
			if j+1 >= len(s.b) {
				return "", false
			}
			switch e := s.b[j+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(s.b[j+2:])
				if !ok || utf16.IsSurrogate(r) {
					return "", false
				}
				buf = utf8.AppendRune(buf, r)
				j += 4
			default:
				return "", false
			}
			j += 2
		case c < 0x20:
			return "", false
		default: // c >= 0x80
			r, n := utf8.DecodeRune(s.b[j:])
			if r == utf8.RuneError && n == 1 {
				return "", false // encoding/json would substitute U+FFFD
			}
			buf = append(buf, s.b[j:j+n]...)
			j += n
		}
	}
	return "", false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

func (s *payloadScanner) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > internMaxLen {
		return string(b)
	}
	slot := &s.strs[maphash.Bytes(internSeed, b)&(internSlots-1)]
	if *slot == string(b) {
		return *slot
	}
	*slot = string(b)
	return *slot
}

func (s *payloadScanner) object(p *payloadPlan, base unsafe.Pointer) bool {
	if members, ok := s.enter(); !members {
		return ok
	}
	for {
		k, ok := s.plain()
		if !ok || !s.tok(':') {
			return false
		}
		f := p.field(k)
		if f == nil || !s.value(f, unsafe.Add(base, f.off)) {
			return false
		}
		if !s.tok(',') {
			return s.tok('}')
		}
	}
}

func (s *payloadScanner) value(f *planField, p unsafe.Pointer) bool {
	switch f.kind {
	case fString:
		v, ok := s.str()
		if ok {
			*(*string)(p) = v
		}
		return ok
	case fBool:
		s.ws()
		switch {
		case hasLit(s.b[s.i:], "true"):
			*(*bool)(p) = true
			s.i += 4
		case hasLit(s.b[s.i:], "false"):
			*(*bool)(p) = false
			s.i += 5
		default:
			return false
		}
		return true
	case fInt, fUint:
		return s.integer(f, p)
	case fTime:
		s.ws()
		start := s.i
		if _, ok := s.plain(); !ok {
			return false
		}
		return (*time.Time)(p).UnmarshalJSON(s.b[start:s.i]) == nil
	case fStruct:
		return s.object(f.sub, p)
	case fStrings:
		if !s.tok('[') {
			return false
		}
		out := []string{} // encoding/json: [] is an empty, non-nil slice
		if !s.tok(']') {
			for {
				v, ok := s.str()
				if !ok {
					return false
				}
				out = append(out, v)
				if s.tok(',') {
					continue
				}
				if !s.tok(']') {
					return false
				}
				break
			}
		}
		*(*[]string)(p) = out
		return true
	}
	return false
}

// scanJSONInt reads a JSON integer of at most maxDigits digits (no leading
// zero, no fraction, no exponent) from b at i, and returns it with the index
// after it.
func scanJSONInt(b []byte, i, maxDigits int) (n int64, end int, ok bool) {
	j, neg := i, false
	if j < len(b) && b[j] == '-' {
		neg = true
		j++
	}
	start := j
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		n = n*10 + int64(b[j]-'0')
		j++
	}
	digits := j - start
	if digits == 0 || digits > maxDigits || (digits > 1 && b[start] == '0') {
		return 0, i, false
	}
	if j < len(b) && (b[j] == '.' || b[j] == 'e' || b[j] == 'E') {
		return 0, i, false
	}
	if neg {
		n = -n
	}
	return n, j, true
}

func hasLit(b []byte, lit string) bool {
	return len(b) >= len(lit) && string(b[:len(lit)]) == lit
}

// integer decodes a JSON integer (no fraction, no exponent: encoding/json
// refuses those for integer fields) that fits the field; an unsigned one
// takes no minus sign, not even on zero (encoding/json refuses it too).
func (s *payloadScanner) integer(f *planField, p unsafe.Pointer) bool {
	s.ws()
	unsigned := f.kind == fUint
	if unsigned && s.i < len(s.b) && s.b[s.i] == '-' {
		return false
	}
	n, j, ok := scanJSONInt(s.b, s.i, 18)
	if !ok || !fits(n, f.size, unsigned) {
		return false
	}
	switch f.size { // the same bits for the signed and the unsigned kinds
	case 8:
		*(*uint64)(p) = uint64(n)
	case 4:
		*(*uint32)(p) = uint32(n)
	case 2:
		*(*uint16)(p) = uint16(n)
	case 1:
		*(*uint8)(p) = uint8(n)
	default:
		return false
	}
	s.i = j
	return true
}

// fits says n is in range of an integer kind of size bytes.
func fits(n int64, size uintptr, unsigned bool) bool {
	bits := 8 * size
	switch {
	case bits >= 64:
		return true // 18 digits fit either kind
	case unsigned:
		return n >= 0 && uint64(n)>>bits == 0
	default:
		limit := int64(1) << (bits - 1)
		return -limit <= n && n < limit
	}
}
