package codec

import (
	"encoding/json"
	"strings"
	"time"
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
	// Values that repeat from one event to the next (actor, partner,
	// customer, policy version) are interned; the others (correlation and
	// causation ids, hashes) share one string: at most one allocation per
	// event, and no decoded string keeps the whole metadata alive.
	in := scanners.Get().(*payloadScanner)
	s := metaScanner{cursor: cursor{b: b}, in: in}
	ok := s.meta(m)
	if ok {
		s.finish(m)
	}
	scanners.Put(in)
	if ok {
		return nil
	}
	// A separate value for encoding/json, so that m (the caller's, often
	// on its stack) does not escape to the heap on the fast path.
	var slow domain.Meta
	err := json.Unmarshal(b, &slow)
	*m = slow
	return err
}

type metaScanner struct {
	cursor
	in   *payloadScanner // its intern table; nil: strings are checked, not kept
	pend [8]pendingStr   // unique values, made into one string by finish
	np   int
}

type pendingStr struct {
	field uint8 // one of the unique* constants
	v     []byte
}

// The fields set by finish.
const (
	uniqueCorrelation uint8 = iota
	uniqueCausation
	uniquePrevHash
	uniqueHash
)

// finish sets the pending string fields of m, slices of one new string.
func (s *metaScanner) finish(m *domain.Meta) {
	n := 0
	for _, p := range s.pend[:s.np] {
		n += len(p.v)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, p := range s.pend[:s.np] {
		sb.Write(p.v)
	}
	dst := [...]*string{uniqueCorrelation: &m.CorrelationID, uniqueCausation: &m.CausationID, uniquePrevHash: &m.PrevHash, uniqueHash: &m.Hash}
	all, off := sb.String(), 0
	for _, p := range s.pend[:s.np] {
		*dst[p.field] = all[off : off+len(p.v)]
		off += len(p.v)
	}
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
		if j += plainRun(s.b[j:]); j >= len(s.b) {
			break
		}
		c := s.b[j]
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

// str decodes a string value that repeats from event to event: interned.
func (s *metaScanner) str(dst *string) bool {
	v, ok := s.text()
	if ok && s.in != nil {
		*dst = s.in.intern(v)
	}
	return ok
}

// text returns a string token's contents, without the quotes (see quoted).
func (s *metaScanner) text() (v []byte, ok bool) {
	q, ok := s.quoted()
	if !ok {
		return nil, false
	}
	return q[1 : len(q)-1], true
}

// unique decodes a string value that differs from event to event: set by
// finish, in one string with the others.
func (s *metaScanner) unique(field uint8) bool {
	v, ok := s.text()
	if !ok || s.np == len(s.pend) {
		return false
	}
	s.pend[s.np] = pendingStr{field: field, v: v}
	s.np++
	return true
}

func (s *metaScanner) int(dst *int) bool {
	s.ws()
	n, j, ok := scanJSONInt(s.b, s.i, 9)
	if !ok {
		return false
	}
	*dst, s.i = int(n), j
	return true
}

// time decodes an instant as encoding/json does (an RFC 3339 string).
func (s *metaScanner) time(dst *time.Time) bool {
	q, ok := s.quoted()
	return ok && dst.UnmarshalJSON(q) == nil
}

// object scans `{ "key": value, … }`, calling member for each key with the
// scanner positioned before the value.
func (s *metaScanner) object(member func(key []byte) bool) bool {
	if members, ok := s.enter(); !members {
		return ok
	}
	for {
		k, ok := s.text()
		if !ok || !s.tok(':') || !member(k) {
			return false
		}
		if !s.tok(',') {
			return s.tok('}')
		}
	}
}

func (s *metaScanner) meta(m *domain.Meta) bool {
	ok := s.object(func(k []byte) bool {
		switch string(k) {
		case "eventId":
			v, ok := s.text()
			return ok && m.EventID.UnmarshalText(v) == nil
		case "schemaVersion":
			return s.int(&m.SchemaVersion)
		case "actor":
			return s.actor(&m.Actor)
		case "imported":
			return s.bool(&m.Imported)
		case "sourceId":
			return s.str(&m.SourceID)
		case "importedBy":
			m.ImportedBy = new(domain.Actor)
			return s.actor(m.ImportedBy)
		case "onBehalfOf":
			return s.str(&m.OnBehalfOf)
		case "correlationId":
			return s.unique(uniqueCorrelation)
		case "causationId":
			return s.unique(uniqueCausation)
		case "occurredAt":
			return s.time(&m.OccurredAt)
		case "recordedAt":
			return s.time(&m.RecordedAt)
		case "policyVersion":
			return s.str(&m.PolicyVersion)
		case "prevHash":
			return s.unique(uniquePrevHash)
		case "hash":
			return s.unique(uniqueHash)
		case "sig": // the signature (sig.go); not part of domain.Meta
			_, ok := s.quoted()
			return ok
		}
		return false
	})
	if !ok {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}

// actor decodes an actor object.
func (s *metaScanner) actor(a *domain.Actor) bool {
	return s.object(func(k []byte) bool {
		switch string(k) {
		case "id":
			return s.str(&a.ID)
		case "role":
			v, ok := s.text()
			a.Role = s.role(v)
			return ok
		case "partner":
			return s.str(&a.Partner)
		case "auth":
			v, ok := s.text()
			a.Auth = s.auth(v)
			return ok
		}
		return false
	})
}

// bool decodes true or false.
func (s *metaScanner) bool(dst *bool) bool {
	s.ws()
	for _, lit := range [...]string{"true", "false"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			*dst, s.i = lit == "true", s.i+len(lit)
			return true
		}
	}
	return false
}

// role returns the constant for a known role (no allocation), else the
// value interned.
func (s *metaScanner) role(r []byte) domain.Role {
	for _, k := range [...]domain.Role{domain.RoleIndirectProvider, domain.RoleIndirectReseller, domain.RoleVendorSupport, domain.RoleAuditor, domain.RoleAdmin, domain.RoleSystem} {
		if string(k) == string(r) {
			return k
		}
	}
	if s.in == nil {
		return ""
	}
	return domain.Role(s.in.intern(r))
}

// auth returns the constant for a known authentication method (no
// allocation), else the value interned.
func (s *metaScanner) auth(a []byte) string {
	for _, k := range [...]string{domain.AuthToken, domain.AuthOIDC, domain.AuthProxy, domain.AuthInternal, domain.AuthImport} {
		if k == string(a) {
			return k
		}
	}
	if s.in == nil {
		return ""
	}
	return s.in.intern(a)
}
