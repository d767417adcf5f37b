package codec

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/ticketledger/ticketledger/domain"
)

// decodeMeta decodes event metadata into m. The fast path handles the shape
// Encode writes (known keys, strings without escapes); anything else — and
// every malformed input — goes through encoding/json, which is authoritative,
// so both paths give the same result for every input the fast path accepts.
func decodeMeta(b []byte, m *domain.Meta) error {
	*m = domain.Meta{}
	if len(b) == 0 {
		return nil
	}
	// One string holds every string field: one allocation instead of one
	// per field.
	s := metaScanner{b: b, s: string(b)}
	if s.meta(m) {
		return nil
	}
	*m = domain.Meta{}
	return json.Unmarshal(b, m)
}

type metaScanner struct {
	b []byte
	s string // b as a string, shared by the decoded string fields
	i int
}

func (s *metaScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *metaScanner) tok(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// quoted returns a string token including its quotes; ok is false for
// anything but a string without escapes, control characters or invalid UTF-8.
func (s *metaScanner) quoted() (q []byte, ok bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i
	ascii := true
	for j := s.i + 1; j < len(s.b); j++ {
		c := s.b[j]
		if plainASCII[c] {
			continue
		}
		switch {
		case c == '"':
			s.i = j + 1
			q = s.b[start:s.i]
			if !ascii && !utf8.Valid(q) {
				return nil, false
			}
			return q, true
		case c == '\\' || c < 0x20:
			return nil, false
		default: // c >= 0x80
			ascii = false
		}
	}
	return nil, false
}

// plainASCII marks the bytes a string token holds as they are: printable
// ASCII except '"' and '\\'.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *metaScanner) str(dst *string) bool {
	q, ok := s.quoted()
	if !ok {
		return false
	}
	*dst = s.s[s.i-len(q)+1 : s.i-1]
	return true
}

func (s *metaScanner) int(dst *int) bool {
	s.ws()
	j, neg := s.i, false
	if j < len(s.b) && s.b[j] == '-' {
		neg = true
		j++
	}
	start, n := j, 0
	for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
		n = n*10 + int(s.b[j]-'0')
		j++
	}
	digits := j - start
	if digits == 0 || digits > 9 || (digits > 1 && s.b[start] == '0') {
		return false
	}
	if j < len(s.b) && (s.b[j] == '.' || s.b[j] == 'e' || s.b[j] == 'E') {
		return false
	}
	if neg {
		n = -n
	}
	*dst, s.i = n, j
	return true
}

// object scans `{ "key": value, … }`, calling member for each key with the
// scanner positioned before the value.
func (s *metaScanner) object(member func(key []byte) bool) bool {
	if !s.tok('{') {
		return false
	}
	if s.tok('}') {
		return true
	}
	for {
		k, ok := s.quoted()
		if !ok || !s.tok(':') || !member(k[1:len(k)-1]) {
			return false
		}
		if s.tok(',') {
			continue
		}
		return s.tok('}')
	}
}

func (s *metaScanner) meta(m *domain.Meta) bool {
	ok := s.object(func(k []byte) bool {
		switch string(k) {
		case "eventId":
			q, ok := s.quoted()
			return ok && m.EventID.UnmarshalText(q[1:len(q)-1]) == nil
		case "schemaVersion":
			return s.int(&m.SchemaVersion)
		case "actor":
			return s.object(func(k []byte) bool {
				switch string(k) {
				case "id":
					return s.str(&m.Actor.ID)
				case "role":
					var r string
					if !s.str(&r) {
						return false
					}
					m.Actor.Role = internRole(r)
					return true
				case "partner":
					return s.str(&m.Actor.Partner)
				}
				return false
			})
		case "onBehalfOf":
			return s.str(&m.OnBehalfOf)
		case "correlationId":
			return s.str(&m.CorrelationID)
		case "causationId":
			return s.str(&m.CausationID)
		case "occurredAt":
			q, ok := s.quoted()
			return ok && m.OccurredAt.UnmarshalJSON(q) == nil
		case "recordedAt":
			q, ok := s.quoted()
			return ok && m.RecordedAt.UnmarshalJSON(q) == nil
		case "policyVersion":
			return s.str(&m.PolicyVersion)
		case "prevHash":
			return s.str(&m.PrevHash)
		case "hash":
			return s.str(&m.Hash)
		}
		return false
	})
	if !ok {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}

// internRole returns the constant for a known role, so that decoded metadata
// does not keep the whole metadata string alive through its most common field.
func internRole(r string) domain.Role {
	for _, k := range [...]domain.Role{domain.RoleIndirectProvider, domain.RoleIndirectReseller, domain.RoleVendorSupport, domain.RoleAuditor, domain.RoleSystem} {
		if string(k) == r {
			return k
		}
	}
	return domain.Role(r)
}
