package domain

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRulesCatalogue(t *testing.T) {
	docs, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatalf("docs/events.md: %v", err)
	}
	seen := map[Rule]bool{}
	for _, d := range Rules() {
		if seen[d.Rule] {
			t.Errorf("rule %s listed twice", d.Rule)
		}
		seen[d.Rule] = true
		if d.When == "" || d.Fix == "" || d.Source == "" {
			t.Errorf("rule %s is not fully described", d.Rule)
		}
		if !strings.Contains(string(docs), "`"+string(d.Rule)+"`") {
			t.Errorf("rule %s is missing from docs/events.md", d.Rule)
		}
	}
}

func TestWindow(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		w          Window
		occurredAt time.Time
		now        time.Time
		kind       Kind
		rule       Rule
	}{
		{"now", Window{}, now, now, 0, ""},
		{"inside the skew", Window{}, now.Add(2 * time.Minute), now, 0, ""},
		{"beyond the skew", Window{}, now.Add(2*time.Minute + time.Nanosecond), now, KindInvalid, RuleOccurredAtInFuture},
		{"30 days back", Window{}, now.Add(-DefaultMaxBackdate), now, 0, ""},
		{"beyond 30 days", Window{}, now.Add(-DefaultMaxBackdate - time.Second), now, KindInvalid, RuleBackdatedTooFar},
		{"custom window", Window{MaxBackdate: time.Hour, MaxSkew: time.Second}, now.Add(2 * time.Second), now, KindInvalid, RuleOccurredAtInFuture},
		{"no occurred-at", Window{}, time.Time{}, now, KindInvalid, RuleRequiredField},
		{"no now", Window{}, now, time.Time{}, KindInternal, RuleRequiredField},
	}
	for _, c := range cases {
		err := c.w.Check(c.occurredAt, c.now)
		if c.rule == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if KindOf(err) != c.kind || RuleOf(err) != c.rule {
			t.Errorf("%s: got %v", c.name, err)
		}
	}
}

// TestErrors covers the error contract the rules rely on.
func TestErrors(t *testing.T) {
	err := Errorf(KindForbidden, RuleNoPhoneChannel, "channel", "no %s", "phone")
	if err.Error() != "no phone [no-phone-channel]" || err.Field != "channel" {
		t.Fatalf("Error(): %q", err.Error())
	}
	if (&Error{Message: "plain"}).Error() != "plain" {
		t.Fatal("Error() without rule")
	}
	wrapped := fmt.Errorf("open ticket: %w", err)
	if KindOf(wrapped) != KindForbidden || RuleOf(wrapped) != RuleNoPhoneChannel {
		t.Fatal("KindOf/RuleOf through a wrap")
	}
	if KindOf(errors.New("x")) != KindInternal || RuleOf(errors.New("x")) != "" {
		t.Fatal("KindOf/RuleOf of a plain error")
	}
	for k, s := range map[Kind]string{KindInternal: "internal", KindInvalid: "invalid", KindForbidden: "forbidden", KindNotFound: "not_found", KindConflict: "conflict"} {
		if k.String() != s {
			t.Errorf("%d: %s", k, k.String())
		}
	}
}

func TestActorAndSeverity(t *testing.T) {
	for _, c := range []struct {
		a     Actor
		field string
	}{
		{Actor{ID: "a", Role: RoleVendorSupport}, ""},
		{Actor{ID: "a", Role: RoleIndirectReseller, Partner: "p"}, ""},
		{Actor{ID: " ", Role: RoleAuditor}, "actor.id"},
		{Actor{ID: "a", Role: "boss"}, "actor.role"},
		{Actor{ID: "a", Role: RoleIndirectProvider}, "actor.partner"},
		{Actor{ID: "ops", Role: RoleAdmin, Auth: AuthToken}, ""},
		{Actor{ID: "ledger", Role: RoleSystem, Auth: AuthInternal}, ""},
		{Actor{ID: "Åsa Öberg <asa@p.example>", Role: RoleAuditor, Auth: AuthOIDC}, ""},
		{Actor{ID: strings.Repeat("é", MaxActorID), Role: RoleAuditor}, ""},
		{Actor{ID: strings.Repeat("é", MaxActorID+1), Role: RoleAuditor}, "actor.id"},
		{Actor{ID: strings.Repeat("x", 60000), Role: RoleVendorSupport}, "actor.id"},
		{Actor{ID: "eve\nX-Actor-Role: system", Role: RoleAuditor}, "actor.id"},
		{Actor{ID: "a\x00b", Role: RoleAuditor}, "actor.id"},
		{Actor{ID: "a\u200bb", Role: RoleAuditor}, "actor.id"}, // zero-width space: a format character
		{Actor{ID: "\xff\xfe", Role: RoleAuditor}, "actor.id"},
		{Actor{ID: "a", Role: RoleIndirectReseller, Partner: "has space"}, "actor.partner"},
		{Actor{ID: "a", Role: RoleIndirectReseller, Partner: strings.Repeat("p", MaxPartnerID+1)}, "actor.partner"},
		{Actor{ID: "a", Role: RoleIndirectReseller, Partner: strings.Repeat("p", MaxPartnerID)}, ""},
		{Actor{ID: "a", Role: RoleIndirectReseller, Partner: "p\tq"}, "actor.partner"},
		{Actor{ID: "a", Role: RoleAuditor, Auth: "password"}, "actor.auth"},
	} {
		err := c.a.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.a, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Field != c.field || e.Rule != RuleActorRequired || e.Kind != KindInvalid {
			t.Errorf("%+v: %v", c.a, err)
		}
	}
	if !RoleSystem.Valid() || RoleSystem.IsPartner() || !RoleIndirectProvider.IsPartner() {
		t.Fatal("roles")
	}
	if !RoleAdmin.Valid() || RoleAdmin.IsPartner() || !RoleAdmin.Operates() || !RoleSystem.Operates() || RoleVendorSupport.Operates() {
		t.Fatal("admin role")
	}
	if err := ValidatePartnerID("partnerId", "contoso-partner"); err != nil {
		t.Fatal(err)
	}
	if err := ValidatePartnerID("partnerId", "a b"); RuleOf(err) != RuleRequiredField || !strings.Contains(err.Error(), "without spaces") {
		t.Fatalf("partner id with a space: %v", err)
	}
	if !SeverityA.Valid() || Severity("D").Valid() {
		t.Fatal("severities")
	}
}
