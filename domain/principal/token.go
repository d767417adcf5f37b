package principal

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ticketledger/ticketledger/domain"
)

// Limits of a token's fields.
const (
	MaxTokenID = 64  // bytes: letters, digits, '-' and '_'
	MaxName    = 100 // characters
	MaxReason  = 500 // characters
)

// Token is the aggregate of one bearer token (stream "token-<id>"). Its
// state changes only by applying events; commands check the rules and
// return the events.
type Token struct {
	id      string
	issued  TokenIssued
	exists  bool
	revoked bool
	reason  string
	version int
}

// New returns a token that is not issued yet: the starting point of Issue.
func New(id string) *Token { return &Token{id: id} }

// Rebuild replays a token's history (its stream's events in order, as
// values or pointers). An empty history is a KindNotFound error
// (RuleTokenNotFound); a history that does not start with TokenIssued, or
// holds an unknown event, is a KindInternal error.
func Rebuild(id string, history []domain.Event) (*Token, error) {
	return domain.Rebuild(history, New(id), (*Token).checkReplay, (*Token).apply, func() error {
		return domain.Errorf(domain.KindNotFound, domain.RuleTokenNotFound, "tokenId", "token %q was never issued: check the token id", id)
	})
}

// checkReplay checks that event i of the token's history may stand there
// (TokenIssued first, and only first; a token event).
func (t *Token) checkReplay(i int, e domain.Event) error {
	switch e.(type) {
	case TokenIssued:
		if i != 0 {
			return fmt.Errorf("rebuild token %s: event %d: a token stream holds one %s, first", t.id, i, TypeTokenIssued)
		}
	case TokenRevoked:
		if i == 0 {
			return fmt.Errorf("rebuild token %s: event 0 (%s): a token stream starts with %s", t.id, domain.TypeName(e), TypeTokenIssued)
		}
	default:
		return fmt.Errorf("rebuild token %s: event %d: unknown event %s", t.id, i, domain.TypeName(e))
	}
	return nil
}

// ID returns the token id.
func (t *Token) ID() string { return t.id }

// Issued reports whether the token was issued.
func (t *Token) Issued() bool { return t.exists }

// Details returns the issuance as recorded (zero before Issue).
func (t *Token) Details() TokenIssued { return t.issued }

// Revoked reports whether the token was revoked, and why.
func (t *Token) Revoked() (bool, string) { return t.revoked, t.reason }

// Active reports whether the token authenticates at instant at: issued,
// not revoked, not expired (it expires at ExpiresAt).
func (t *Token) Active(at time.Time) bool {
	return t.exists && !t.revoked && (t.issued.ExpiresAt.IsZero() || at.Before(t.issued.ExpiresAt))
}

// Version is the number of events applied (the stream's length).
func (t *Token) Version() int { return t.version }

func (t *Token) apply(e domain.Event) {
	t.version++
	switch e := domain.Value(e).(type) {
	case TokenIssued:
		t.issued, t.exists = e, true
	case TokenRevoked:
		t.revoked, t.reason = true, e.Reason
	}
}

func (t *Token) emit(e domain.Event) []domain.Event {
	t.apply(e)
	return []domain.Event{e}
}

// Issuance is what Issue records.
type Issuance struct {
	Role      domain.Role // any role but system
	Partner   string      // required for the partner roles, empty for the others
	Name      string      // optional label, e.g. "prometheus" or "ci"
	Scope     Scope       // ScopeFull, ScopeMetrics (auditor role only) or ScopeReplica (admin role only)
	ExpiresAt time.Time   // zero: does not expire; else after now
	Hash      string      // lowercase hex SHA-256 of the secret
}

// Issue issues the token as of now. Allowed to an admin or the internal
// principal (see the package documentation).
func (t *Token) Issue(actor domain.Actor, now time.Time, in Issuance) ([]domain.Event, error) {
	if err := authorize(actor, "issue"); err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, domain.Errorf(domain.KindInternal, domain.RuleRequiredField, "now", "issue token %q: the ledger's now is missing", t.id)
	}
	if t.exists {
		return nil, domain.Errorf(domain.KindConflict, domain.RuleTokenExists, "tokenId", "token %q is already issued: issue the new token under a new id", t.id)
	}
	if err := ValidateID(t.id); err != nil {
		return nil, err
	}
	switch {
	case !in.Role.Valid():
		return nil, invalid("role", "unknown role %q: use one of indirect_provider, indirect_reseller, vendor_support, auditor, admin", in.Role)
	case in.Role == domain.RoleSystem:
		return nil, invalid("role", "no token acts as system: that role is the ledger's own; issue an admin token for operators")
	case in.Role.IsPartner() && in.Partner == "":
		return nil, invalid("partner", "a %s token acts for a partner organisation: name the partner (--partner)", in.Role)
	case !in.Role.IsPartner() && in.Partner != "":
		return nil, invalid("partner", "a %s token acts for no partner: leave the partner empty, or issue a partner role", in.Role)
	}
	if in.Partner != "" {
		if err := domain.ValidatePartnerID("partner", in.Partner); err != nil {
			return nil, err
		}
	}
	switch in.Scope {
	case ScopeFull:
	case ScopeMetrics:
		if in.Role != domain.RoleAuditor {
			return nil, invalid("scope", "a metrics token has the auditor role (read-only), not %s", in.Role)
		}
	case ScopeReplica:
		if in.Role != domain.RoleAdmin {
			return nil, invalid("scope", "a replica token has the admin role, not %s", in.Role)
		}
	default:
		return nil, invalid("scope", "unknown scope %q: leave it empty, or use metrics or replica", in.Scope)
	}
	name := strings.TrimSpace(in.Name)
	if err := checkText("name", name, MaxName, false); err != nil {
		return nil, err
	}
	if strings.ContainsRune(name, ':') {
		return nil, invalid("name", "token name %q holds a colon: the name doubles as a user name in Basic credentials, so leave colons out", name)
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		return nil, invalid("expiresAt", "expiry %s is not after now (%s): give a future time, or none", in.ExpiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !isHexHash(in.Hash) {
		return nil, invalid("hash", "the token hash is not 64 lowercase hex digits (SHA-256 of the secret)")
	}
	return t.emit(TokenIssued{
		TokenID: t.id, Name: name, Role: string(in.Role), Partner: in.Partner, Scope: in.Scope,
		ExpiresAt: in.ExpiresAt.UTC(), Hash: in.Hash, IssuedBy: actor.ID,
	}), nil
}

// Revoke revokes the token: it stops authenticating at once. Revoking a
// revoked token emits nothing. Allowed to an admin or the internal
// principal.
func (t *Token) Revoke(actor domain.Actor, now time.Time, reason string) ([]domain.Event, error) {
	if err := authorize(actor, "revoke"); err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, domain.Errorf(domain.KindInternal, domain.RuleRequiredField, "now", "revoke token %q: the ledger's now is missing", t.id)
	}
	if !t.exists {
		return nil, domain.Errorf(domain.KindNotFound, domain.RuleTokenNotFound, "tokenId", "token %q was never issued: check the token id (tokens list)", t.id)
	}
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", reason, MaxReason, true); err != nil {
		return nil, err
	}
	if t.revoked {
		return nil, nil
	}
	return t.emit(TokenRevoked{TokenID: t.id, Reason: reason, RevokedBy: actor.ID}), nil
}

// authorize lets admins and the internal principal manage tokens.
func authorize(actor domain.Actor, verb string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	switch {
	case actor.Role.Operates():
		return nil
	case actor.Role == domain.RoleAuditor:
		return domain.Errorf(domain.KindForbidden, domain.RuleAuditorReadOnly, "actor.role",
			"auditor %q reads everything and changes nothing, so may not %s tokens: ask an admin", actor.ID, verb)
	}
	return domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor.role",
		"%s may not %s tokens: only an admin may", actor.Role.Indefinite(), verb)
}

// ValidateID checks a token id: 1 to MaxTokenID letters, digits, '-' or
// '_' (it is part of a stream name and of Basic credentials).
func ValidateID(id string) error {
	ok := id != "" && len(id) <= MaxTokenID
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	if !ok {
		return invalid("tokenId", "token id %q is not usable: give 1 to %d letters, digits, '-' or '_'", clip(id), MaxTokenID)
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	return domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, field, format, args...)
}

// checkText checks a trimmed free-text field: printable, at most max
// characters, present when required.
func checkText(field, s string, max int, required bool) error {
	switch {
	case s == "" && required:
		return invalid(field, "%s is empty: fill it in", field)
	case !utf8.ValidString(s):
		return invalid(field, "%s is not valid UTF-8", field)
	case utf8.RuneCountInString(s) > max:
		return invalid(field, "%s is %d characters long: keep it to %d", field, utf8.RuneCountInString(s), max)
	case strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }):
		return invalid(field, "%s holds unprintable characters: use printable text on one line", field)
	}
	return nil
}

func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
