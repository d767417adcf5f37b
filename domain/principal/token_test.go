package principal

import (
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/domaintest"
)

var (
	now                                  = domaintest.T0
	hash                                 = strings.Repeat("0f", 32)
	admin, ledger, vendor, auditor, prov = domaintest.Admin, domaintest.System, domaintest.Vendor, domaintest.Auditor, domaintest.Provider

	issuedResl = TokenIssued{TokenID: "t1", Name: "resl-ci", Role: "indirect_reseller", Partner: "resl", Hash: hash, IssuedBy: admin.ID}
	revoked    = TokenRevoked{TokenID: "t1", Reason: "leaked", RevokedBy: admin.ID}
)

func TestCommands(t *testing.T) {
	reseller := Issuance{Role: domain.RoleIndirectReseller, Partner: "resl", Name: " resl-ci ", Hash: hash}
	issue := func(a domain.Actor, in Issuance) func(*Token) ([]domain.Event, error) {
		return func(t *Token) ([]domain.Event, error) { return t.Issue(a, now, in) }
	}
	revoke := func(a domain.Actor, reason string) func(*Token) ([]domain.Event, error) {
		return func(t *Token) ([]domain.Event, error) { return t.Revoke(a, now, reason) }
	}
	cases := []struct {
		name  string
		id    string
		given []domain.Event
		when  func(*Token) ([]domain.Event, error)
		then  []domain.Event
		kind  domain.Kind
		rule  domain.Rule
		field string
	}{
		{name: "admin issues a reseller token", when: issue(admin, reseller), then: []domain.Event{issuedResl}},
		{name: "the internal principal issues the bootstrap admin token",
			when: issue(ledger, Issuance{Role: domain.RoleAdmin, Name: "bootstrap", Hash: hash}),
			then: []domain.Event{TokenIssued{TokenID: "t1", Name: "bootstrap", Role: "admin", Hash: hash, IssuedBy: "ledger"}}},
		{name: "metrics token with an expiry",
			when: issue(admin, Issuance{Role: domain.RoleAuditor, Scope: ScopeMetrics, Name: "prometheus", ExpiresAt: now.Add(time.Hour).In(time.FixedZone("CET", 3600)), Hash: hash}),
			then: []domain.Event{TokenIssued{TokenID: "t1", Name: "prometheus", Role: "auditor", Scope: ScopeMetrics, ExpiresAt: now.Add(time.Hour), Hash: hash, IssuedBy: admin.ID}}},
		{name: "vendor support may not issue", when: issue(vendor, reseller), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "a partner may not issue", when: issue(prov, reseller), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "an auditor may not issue", when: issue(auditor, reseller), kind: domain.KindForbidden, rule: domain.RuleAuditorReadOnly},
		{name: "incomplete actor", when: issue(domain.Actor{Role: domain.RoleAdmin}, reseller), kind: domain.KindInvalid, rule: domain.RuleActorRequired},
		{name: "issued twice", given: []domain.Event{issuedResl}, when: issue(admin, reseller), kind: domain.KindConflict, rule: domain.RuleTokenExists},
		{name: "no system tokens", when: issue(admin, Issuance{Role: domain.RoleSystem, Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "role"},
		{name: "unknown role", when: issue(admin, Issuance{Role: "root", Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "role"},
		{name: "partner role without partner", when: issue(admin, Issuance{Role: domain.RoleIndirectProvider, Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "partner"},
		{name: "vendor role with partner", when: issue(admin, Issuance{Role: domain.RoleVendorSupport, Partner: "p", Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "partner"},
		{name: "partner id with a space", when: issue(admin, Issuance{Role: domain.RoleIndirectProvider, Partner: "a b", Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "partner"},
		{name: "metrics scope on a vendor token", when: issue(admin, Issuance{Role: domain.RoleVendorSupport, Scope: ScopeMetrics, Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "scope"},
		{name: "replica token",
			when: issue(admin, Issuance{Role: domain.RoleAdmin, Scope: ScopeReplica, Name: "replica", Hash: hash}),
			then: []domain.Event{TokenIssued{TokenID: "t1", Name: "replica", Role: "admin", Scope: ScopeReplica, Hash: hash, IssuedBy: admin.ID}}},
		{name: "replica scope on an auditor token", when: issue(admin, Issuance{Role: domain.RoleAuditor, Scope: ScopeReplica, Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "scope"},
		{name: "unknown scope", when: issue(admin, Issuance{Role: domain.RoleAuditor, Scope: "write", Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "scope"},
		{name: "expiry in the past", when: issue(admin, Issuance{Role: domain.RoleAuditor, ExpiresAt: now, Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "expiresAt"},
		{name: "name too long", when: issue(admin, Issuance{Role: domain.RoleAuditor, Name: strings.Repeat("n", MaxName+1), Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "name"},
		{name: "name with a line break", when: issue(admin, Issuance{Role: domain.RoleAuditor, Name: "a\nb", Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "name"},
		{name: "name with a colon", when: issue(admin, Issuance{Role: domain.RoleAuditor, Name: "a:b", Hash: hash}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "name"},
		{name: "hash not SHA-256 hex", when: issue(admin, Issuance{Role: domain.RoleAuditor, Hash: "$2a$10$abc"}), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "hash"},
		{name: "bad token id", id: "t 1", when: issue(admin, reseller), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "tokenId"},
		{name: "token id too long", id: strings.Repeat("t", MaxTokenID+1), when: issue(admin, reseller), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "tokenId"},

		{name: "admin revokes", given: []domain.Event{issuedResl}, when: revoke(admin, " leaked "), then: []domain.Event{revoked}},
		{name: "internal principal revokes", given: []domain.Event{issuedResl}, when: revoke(ledger, "rotated"),
			then: []domain.Event{TokenRevoked{TokenID: "t1", Reason: "rotated", RevokedBy: "ledger"}}},
		{name: "revoking twice emits nothing", given: []domain.Event{issuedResl, revoked}, when: revoke(admin, "again")},
		{name: "revoke a token never issued", when: revoke(admin, "x"), kind: domain.KindNotFound, rule: domain.RuleTokenNotFound},
		{name: "revoke without reason", given: []domain.Event{issuedResl}, when: revoke(admin, " "), kind: domain.KindInvalid, rule: domain.RuleRequiredField, field: "reason"},
		{name: "vendor may not revoke", given: []domain.Event{issuedResl}, when: revoke(vendor, "x"), kind: domain.KindForbidden, rule: domain.RuleRoleNotAllowed},
		{name: "auditor may not revoke", given: []domain.Event{issuedResl}, when: revoke(auditor, "x"), kind: domain.KindForbidden, rule: domain.RuleAuditorReadOnly},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := c.id
			if id == "" {
				id = "t1"
			}
			tok := New(id)
			if len(c.given) > 0 {
				var err error
				if tok, err = Rebuild(id, c.given); err != nil {
					t.Fatal(err)
				}
			}
			before := tok.Version()
			got, err := c.when(tok)
			domaintest.CheckOutcome(t, tok, before, got, err, c.then, c.kind, c.rule)
			if c.field != "" {
				var e *domain.Error
				if !asError(err, &e) || e.Field != c.field {
					t.Fatalf("error names field %q, want %q: %v", e.Field, c.field, err)
				}
			}
		})
	}
}

func asError(err error, e **domain.Error) bool {
	d, ok := err.(*domain.Error)
	*e = d
	return ok
}

func TestStateAndRebuild(t *testing.T) {
	tok, err := Rebuild("t1", []domain.Event{&issuedResl})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Issued() || !tok.Active(now) || tok.Details() != issuedResl || tok.Version() != 1 || tok.ID() != "t1" {
		t.Fatalf("issued token: %+v", tok)
	}
	if _, err := tok.Revoke(admin, now, "leaked"); err != nil {
		t.Fatal(err)
	}
	if r, why := tok.Revoked(); !r || why != "leaked" || tok.Active(now) || tok.Version() != 2 {
		t.Fatalf("revoked token: %+v", tok)
	}
	exp := issuedResl
	exp.ExpiresAt = now.Add(time.Minute)
	tok, _ = Rebuild("t1", []domain.Event{exp})
	if !tok.Active(now) || tok.Active(now.Add(time.Minute)) {
		t.Fatal("expiry: active before ExpiresAt, not at it")
	}
	if _, err := Rebuild("t1", nil); domain.RuleOf(err) != domain.RuleTokenNotFound {
		t.Fatalf("empty history: %v", err)
	}
	if _, err := Rebuild("t1", []domain.Event{revoked}); err == nil || domain.KindOf(err) != domain.KindInternal {
		t.Fatalf("history starting with a revocation: %v", err)
	}
	if _, err := Rebuild("t1", []domain.Event{issuedResl, issuedResl}); err == nil {
		t.Fatal("two issuances accepted")
	}
	if Stream("abc") != "token-abc" || Stream("abc")[:len(StreamPrefix)] != StreamPrefix {
		t.Fatal("stream name")
	}
}
