package sla_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

func TestShippedPolicies(t *testing.T) {
	ps := sla.Shipped()
	if got := strings.Join(ps.Versions(), ","); got != "2026-01" {
		t.Errorf("Versions = %s", got)
	}
	p, err := ps.Get("2026-01")
	if err != nil || p != ps.Current() {
		t.Fatalf("Get: %v %v", p, err)
	}
	if p.Target("A") != 2*time.Hour || p.Target("B") != 4*time.Hour || p.Target("C") != 8*time.Hour {
		t.Errorf("targets %v %v %v", p.Target("A"), p.Target("B"), p.Target("C"))
	}
	if s := p.String(); s != "2026-01: A 2h0m0s, B 4h0m0s, C 8h0m0s, non-critical one working day" {
		t.Errorf("String = %s", s)
	}
	if p.Spec().Description == "" {
		t.Error("no description")
	}
	if c, err := p.Calendar("ja-jp"); err != nil || c.ID() != "ja-JP" {
		t.Errorf("Calendar: %v %v", c, err)
	}
	_, err = ps.Get("1999-01")
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindNotFound || de.Rule != sla.RuleUnknownPolicyVersion || !strings.Contains(de.Message, "2026-01") {
		t.Errorf("unknown version: %v", err)
	}
}

// TestWhatIf defines another version from JSON and compares deadlines.
func TestWhatIf(t *testing.T) {
	ps := sla.Shipped()
	p, err := ps.AddJSON([]byte(`{
	  "version": "2026-07-whatif",
	  "base": "2026-01",
	  "description": "Sev A in 1h; Swedish desk 09-18",
	  "breakFix": {"a": "1h"},
	  "calendars": [{"id": "sv-SE", "base": "sv-SE", "hours": ["09:00-18:00"]},
	                {"id": "fi-FI", "zone": "Europe/Helsinki", "days": ["mon-fri"], "hours": ["08:00-16:00"], "holidays": ["2026-12-06"]}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	sto := loc(t, "Europe/Stockholm")
	fri := time.Date(2026, 11, 20, 16, 30, 0, 0, sto)
	r := sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "sv", Locale: "sv-SE", OpenedAt: fri}
	old, _ := ps.Current().Deadline(r)
	d, err := p.Deadline(r)
	if err != nil {
		t.Fatal(err)
	}
	// 16:30-18:00 Friday = 1h30 > 1h: Friday 17:30.
	if !d.At.Equal(time.Date(2026, 11, 20, 17, 30, 0, 0, sto)) || d.PolicyVersion != "2026-07-whatif" || d.Target != time.Hour {
		t.Errorf("what-if: %+v", d)
	}
	if !old.At.Equal(time.Date(2026, 11, 23, 9, 30, 0, 0, sto)) || old.PolicyVersion != "2026-01" {
		t.Errorf("current changed by a what-if: %+v", old)
	}
	// Unchanged targets and the non-critical rule are inherited.
	if p.Target("B") != 4*time.Hour {
		t.Errorf("B = %v", p.Target("B"))
	}
	nc, _ := p.Deadline(sla.Request{Class: sla.ClassNonCritical, Locale: "fi-FI", OpenedAt: fri})
	if nc.Target != 8*time.Hour || nc.Calendar != "fi-FI" {
		t.Errorf("non-critical fi-FI: %+v", nc)
	}
	// Replay a recorded deadline under the what-if version.
	again, err := p.Deadline(old.Request())
	if err != nil || !again.At.Equal(d.At) {
		t.Errorf("replay: %+v %v", again, err)
	}
	// Elapsed under each version's own calendars.
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, sto)
	if e, _ := ps.Current().Elapsed(old, mon); e != 90*time.Minute {
		t.Errorf("elapsed 2026-01: %v", e)
	}
	if e, _ := p.Elapsed(old, mon); e != 90*time.Minute {
		t.Errorf("elapsed what-if: %v", e)
	}
	if e, _ := p.Elapsed(old, time.Date(2026, 11, 20, 17, 30, 0, 0, sto)); e != time.Hour {
		t.Errorf("elapsed what-if friday: %v", e)
	}
	// Versions are immutable.
	if _, err := ps.AddJSON([]byte(`{"version": "2026-07-whatif", "base": "2026-01"}`)); domain.KindOf(err) != domain.KindConflict || domain.RuleOf(err) != sla.RulePolicyVersionTaken {
		t.Errorf("duplicate: %v", err)
	}
	if err := ps.SetCurrent("2026-07-whatif"); err != nil || ps.Current() != p {
		t.Errorf("SetCurrent: %v", err)
	}
	if err := ps.SetCurrent("nope"); domain.RuleOf(err) != sla.RuleUnknownPolicyVersion {
		t.Errorf("SetCurrent unknown: %v", err)
	}
	if got := strings.Join(ps.Versions(), ","); got != "2026-01,2026-07-whatif" {
		t.Errorf("Versions = %s", got)
	}
	// The shipped registry is untouched.
	if len(sla.Shipped().Versions()) != 1 {
		t.Error("what-if leaked into Shipped")
	}
	// A policy's calendars cannot be changed from outside.
	cals := p.Calendars()
	cals.Put()
	if _, err := ps.Current().Calendar("fi-FI"); err != nil {
		t.Error(err)
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := sla.ParsePolicy([]byte(`{"version": "flat", "breakFix": {"A": "1h", "B": "2h", "C": "3h"}, "nonCritical": "4h"}`))
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Date(2026, 11, 24, 9, 0, 0, 0, loc(t, "Europe/Berlin"))
	d, err := p.Deadline(sla.Request{Class: sla.ClassNonCritical, Locale: "de-DE", OpenedAt: opened})
	if err != nil || d.Target != 4*time.Hour || !d.At.Equal(opened.Add(4*time.Hour)) {
		t.Errorf("fixed non-critical: %+v %v", d, err)
	}
	if s := p.String(); !strings.HasSuffix(s, "non-critical 4h0m0s") {
		t.Errorf("String = %s", s)
	}
	back, err := sla.ParsePolicy([]byte(`{"version": "back", "base": "2026-01", "nonCritical": "workday"}`))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := back.Deadline(sla.Request{Class: sla.ClassNonCritical, Locale: "de-DE", OpenedAt: opened}); d.Target != 9*time.Hour {
		t.Errorf("workday: %v", d.Target)
	}

	tests := []struct {
		name, json string
		rule       domain.Rule
	}{
		{"not json", `{`, sla.RuleInvalidPolicy},
		{"unknown field", `{"version": "x", "base": "2026-01", "sev": 1}`, sla.RuleInvalidPolicy},
		{"no version", `{"base": "2026-01"}`, sla.RuleInvalidPolicy},
		{"unknown base", `{"version": "x", "base": "1999"}`, sla.RuleUnknownPolicyVersion},
		{"missing severities", `{"version": "x", "breakFix": {"A": "1h"}}`, sla.RuleInvalidPolicy},
		{"bad severity", `{"version": "x", "base": "2026-01", "breakFix": {"D": "1h"}}`, sla.RuleInvalidPolicy},
		{"bad duration", `{"version": "x", "base": "2026-01", "breakFix": {"A": "soon"}}`, sla.RuleInvalidPolicy},
		{"zero duration", `{"version": "x", "base": "2026-01", "breakFix": {"A": "0s"}}`, sla.RuleInvalidPolicy},
		{"bad non-critical", `{"version": "x", "base": "2026-01", "nonCritical": "tomorrow"}`, sla.RuleInvalidPolicy},
		{"bad calendar", `{"version": "x", "base": "2026-01", "calendars": [{"id": "y", "zone": "Nowhere"}]}`, "invalid-calendar"},
		{"calendar with unknown base", `{"version": "x", "base": "2026-01", "calendars": [{"id": "y", "base": "zz"}]}`, sla.RuleUnknownLocale},
	}
	for _, tt := range tests {
		if _, err := sla.ParsePolicy([]byte(tt.json)); domain.RuleOf(err) != tt.rule {
			t.Errorf("%s: err = %v, want rule %s", tt.name, err, tt.rule)
		}
	}
	if _, err := sla.Shipped().AddJSON([]byte(`{`)); err == nil {
		t.Error("AddJSON accepted bad JSON")
	}
}
