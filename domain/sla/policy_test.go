package sla_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

func loc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func current(t testing.TB) *sla.Policy {
	t.Helper()
	p := sla.Shipped().Current()
	if p == nil || p.Version() != "2026-01" || p.Version() != sla.CurrentVersion {
		t.Fatalf("current policy = %v", p)
	}
	return p
}

// TestDeadline2026_01 pins the deadlines of the shipped policy: a change
// here means a shipped version changed, which must never happen.
func TestDeadline2026_01(t *testing.T) {
	p := current(t)
	sto, tyo, nyc, ber, lon := loc(t, "Europe/Stockholm"), loc(t, "Asia/Tokyo"), loc(t, "America/New_York"), loc(t, "Europe/Berlin"), loc(t, "Europe/London")
	fri := time.Date(2026, 11, 20, 16, 30, 0, 0, sto) // Friday 16:30 in Stockholm
	tests := []struct {
		name   string
		r      sla.Request
		at     time.Time
		target time.Duration
		clock  sla.Clock
		cal    string
	}{
		// Break-fix in English: around the clock.
		{"en A", sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "en", Locale: "sv-SE", OpenedAt: fri}, time.Date(2026, 11, 20, 18, 30, 0, 0, sto), 2 * time.Hour, sla.ClockAroundTheClock, ""},
		{"en B", sla.Request{Class: sla.ClassBreakFix, Severity: "B", Language: "en-GB", Locale: "sv-SE", OpenedAt: fri}, time.Date(2026, 11, 20, 20, 30, 0, 0, sto), 4 * time.Hour, sla.ClockAroundTheClock, ""},
		{"en C", sla.Request{Class: sla.ClassBreakFix, Severity: "C", Language: "EN", Locale: "sv-SE", OpenedAt: fri}, time.Date(2026, 11, 21, 0, 30, 0, 0, sto), 8 * time.Hour, sla.ClockAroundTheClock, ""},
		{"no language is English", sla.Request{Class: sla.ClassBreakFix, Severity: "A", OpenedAt: fri}, time.Date(2026, 11, 20, 18, 30, 0, 0, sto), 2 * time.Hour, sla.ClockAroundTheClock, ""},
		{"en with unknown locale", sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "en", Locale: "fi-FI", OpenedAt: fri}, time.Date(2026, 11, 20, 18, 30, 0, 0, sto), 2 * time.Hour, sla.ClockAroundTheClock, ""},
		// Break-fix in the local language: business time, skipping nights and weekends.
		{"sv A friday 16:30", sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "sv", Locale: "sv-SE", OpenedAt: fri}, time.Date(2026, 11, 23, 9, 30, 0, 0, sto), 2 * time.Hour, sla.ClockBusinessHours, "sv-SE"},
		{"sv B friday 16:30", sla.Request{Class: sla.ClassBreakFix, Severity: "B", Language: "sv", Locale: "sv-SE", OpenedAt: fri}, time.Date(2026, 11, 23, 11, 30, 0, 0, sto), 4 * time.Hour, sla.ClockBusinessHours, "sv-SE"},
		{"sv C friday 16:30", sla.Request{Class: sla.ClassBreakFix, Severity: "C", Language: "sv", Locale: "sv_se", OpenedAt: fri}, time.Date(2026, 11, 23, 15, 30, 0, 0, sto), 8 * time.Hour, sla.ClockBusinessHours, "sv-SE"},
		{"sv A filed on saturday", sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "sv", Locale: "sv-SE", OpenedAt: time.Date(2026, 11, 21, 10, 0, 0, 0, sto)}, time.Date(2026, 11, 23, 10, 0, 0, 0, sto), 2 * time.Hour, sla.ClockBusinessHours, "sv-SE"},
		{"sv B over midsommar", sla.Request{Class: sla.ClassBreakFix, Severity: "B", Language: "sv", Locale: "sv-SE", OpenedAt: time.Date(2026, 6, 18, 16, 0, 0, 0, sto)}, time.Date(2026, 6, 22, 11, 0, 0, 0, sto), 4 * time.Hour, sla.ClockBusinessHours, "sv-SE"},
		{"ja A in golden week", sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "ja", Locale: "ja-JP", OpenedAt: time.Date(2026, 4, 28, 16, 0, 0, 0, tyo)}, time.Date(2026, 4, 30, 9, 0, 0, 0, tyo), 2 * time.Hour, sla.ClockBusinessHours, "ja-JP"},
		{"en A in golden week", sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "en", Locale: "ja-JP", OpenedAt: time.Date(2026, 4, 28, 16, 0, 0, 0, tyo)}, time.Date(2026, 4, 28, 18, 0, 0, 0, tyo), 2 * time.Hour, sla.ClockAroundTheClock, ""},
		{"es B over thanksgiving", sla.Request{Class: sla.ClassBreakFix, Severity: "B", Language: "es-US", Locale: "en-US", OpenedAt: time.Date(2026, 11, 25, 16, 0, 0, 0, nyc)}, time.Date(2026, 11, 27, 11, 0, 0, 0, nyc), 4 * time.Hour, sla.ClockBusinessHours, "en-US"},
		{"de C over the DST weekend", sla.Request{Class: sla.ClassBreakFix, Severity: "C", Language: "de", Locale: "de-DE", OpenedAt: time.Date(2026, 3, 27, 12, 0, 0, 0, ber)}, time.Date(2026, 3, 30, 11, 0, 0, 0, ber), 8 * time.Hour, sla.ClockBusinessHours, "de-DE"},
		{"cy A over christmas", sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "cy", Locale: "en-GB", OpenedAt: time.Date(2026, 12, 24, 16, 0, 0, 0, lon)}, time.Date(2026, 12, 29, 9, 0, 0, 0, lon), 2 * time.Hour, sla.ClockBusinessHours, "en-GB"},
		// Non-critical: one working day (9h) of business time, any language.
		{"non-critical sv tuesday", sla.Request{Class: sla.ClassNonCritical, Severity: "C", Language: "sv", Locale: "sv-SE", OpenedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, sto)}, time.Date(2026, 11, 25, 10, 0, 0, 0, sto), 9 * time.Hour, sla.ClockBusinessHours, "sv-SE"},
		{"non-critical en friday", sla.Request{Class: sla.ClassNonCritical, Language: "en", Locale: "sv-SE", OpenedAt: fri}, time.Date(2026, 11, 23, 16, 30, 0, 0, sto), 9 * time.Hour, sla.ClockBusinessHours, "sv-SE"},
		{"non-critical ja golden week", sla.Request{Class: sla.ClassNonCritical, Severity: "A", Language: "ja", Locale: "ja-JP", OpenedAt: time.Date(2026, 4, 28, 16, 0, 0, 0, tyo)}, time.Date(2026, 4, 30, 16, 0, 0, 0, tyo), 9 * time.Hour, sla.ClockBusinessHours, "ja-JP"},
	}
	for _, tt := range tests {
		d, err := p.Deadline(tt.r)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		want := sla.Deadline{
			At: tt.at, Target: tt.target, Clock: tt.clock, Calendar: tt.cal, Class: tt.r.Class,
			Severity: tt.r.Severity, PolicyVersion: "2026-01", From: tt.r.OpenedAt,
			Language: tt.r.Language, Locale: tt.r.Locale,
		}
		if !d.At.Equal(want.At) || d.Target != want.Target || d.Clock != want.Clock || d.Calendar != want.Calendar ||
			d.Class != want.Class || d.Severity != want.Severity || d.PolicyVersion != want.PolicyVersion ||
			d.From != want.From || d.Language != want.Language || d.Locale != want.Locale {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, d, want)
		}
		if d.At.Location() != tt.r.OpenedAt.Location() {
			t.Errorf("%s: At in %v, want the location of OpenedAt", tt.name, d.At.Location())
		}
		// Elapsed at the deadline is exactly the target.
		if e, err := p.Elapsed(d, d.At); err != nil || e != d.Target {
			t.Errorf("%s: Elapsed at deadline = %v, %v", tt.name, e, err)
		}
		// Deterministic: the same request gives the same deadline.
		if d2, _ := sla.Shipped().Current().Deadline(tt.r); !d2.At.Equal(d.At) {
			t.Errorf("%s: not deterministic", tt.name)
		}
	}
}

func TestDeadlineErrors(t *testing.T) {
	p := current(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		r     sla.Request
		rule  domain.Rule
		field string
	}{
		{"unknown locale, local language", sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "fi", Locale: "fi-FI", OpenedAt: now}, sla.RuleUnknownLocale, "locale"},
		{"unknown locale, non-critical", sla.Request{Class: sla.ClassNonCritical, Language: "en", Locale: "", OpenedAt: now}, sla.RuleUnknownLocale, "locale"},
		{"bad severity", sla.Request{Class: sla.ClassBreakFix, Severity: "D", Language: "en", OpenedAt: now}, sla.RuleUnknownSeverity, "severity"},
		{"no severity", sla.Request{Class: sla.ClassBreakFix, Language: "en", OpenedAt: now}, sla.RuleUnknownSeverity, "severity"},
		{"bad severity, non-critical", sla.Request{Class: sla.ClassNonCritical, Severity: "x", Locale: "sv-SE", OpenedAt: now}, sla.RuleUnknownSeverity, "severity"},
		{"bad class", sla.Request{Class: "urgent", Severity: "A", OpenedAt: now}, sla.RuleUnknownClass, "class"},
		{"no opened-at", sla.Request{Class: sla.ClassBreakFix, Severity: "A"}, sla.RuleOpenedAtRequired, "openedAt"},
	}
	for _, tt := range tests {
		_, err := p.Deadline(tt.r)
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.KindInvalid || de.Rule != tt.rule || de.Field != tt.field {
			t.Errorf("%s: err = %v, want invalid %s on %s", tt.name, err, tt.rule, tt.field)
		}
	}
	_, err := p.Deadline(tests[0].r)
	for _, s := range []string{"fi-FI", "sv-SE", "de-DE", "en-GB", "en-US", "ja-JP"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("unknown-locale message %q does not name %s", err, s)
		}
	}
}

func TestIsEnglish(t *testing.T) {
	for l, want := range map[string]bool{"": true, "en": true, "EN-us": true, "en_GB": true, " en ": true, "eng": false, "sv": false, "es-US": false, "ja": false} {
		if sla.IsEnglish(l) != want {
			t.Errorf("IsEnglish(%q) != %v", l, want)
		}
	}
}

func TestRecompute(t *testing.T) {
	p := current(t)
	sto := loc(t, "Europe/Stockholm")
	opened := time.Date(2026, 11, 24, 9, 0, 0, 0, sto) // Tuesday
	c, err := p.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: "C", Language: "sv", Locale: "sv-SE", OpenedAt: opened})
	if err != nil {
		t.Fatal(err)
	}
	if !c.At.Equal(time.Date(2026, 11, 24, 17, 0, 0, 0, sto)) {
		t.Fatalf("C deadline %v", c.At)
	}
	// Raised to A at 12:00: the new deadline counts from creation (9:00 + 2h
	// = 11:00), which has already passed: breached on change.
	changedAt := time.Date(2026, 11, 24, 12, 0, 0, 0, sto)
	a, err := p.Recompute(c, "A")
	if err != nil {
		t.Fatal(err)
	}
	if !a.At.Equal(time.Date(2026, 11, 24, 11, 0, 0, 0, sto)) || a.From != opened || a.Severity != "A" || a.Target != 2*time.Hour || a.Clock != sla.ClockBusinessHours {
		t.Errorf("recomputed %+v", a)
	}
	if !a.Passed(changedAt) || a.Met(changedAt) {
		t.Error("a passed deadline is not reported as passed")
	}
	// Lowered to B at 10:00: 13:00, still ahead.
	b, _ := p.Recompute(a, "B")
	if !b.At.Equal(time.Date(2026, 11, 24, 13, 0, 0, 0, sto)) || b.Passed(time.Date(2026, 11, 24, 10, 0, 0, 0, sto)) {
		t.Errorf("B: %v", b.At)
	}
	if _, err := p.Recompute(a, "Z"); domain.RuleOf(err) != sla.RuleUnknownSeverity {
		t.Errorf("bad severity: %v", err)
	}

	// Deadlines stored without Language/Locale still recompute.
	old24 := sla.Deadline{Class: sla.ClassBreakFix, Severity: "B", Clock: sla.ClockAroundTheClock, From: opened, PolicyVersion: "2026-01"}
	if d, err := p.Recompute(old24, "A"); err != nil || d.Clock != sla.ClockAroundTheClock || !d.At.Equal(opened.Add(2*time.Hour)) {
		t.Errorf("old 24x7: %+v %v", d, err)
	}
	oldBiz := sla.Deadline{Class: sla.ClassBreakFix, Severity: "B", Clock: sla.ClockBusinessHours, Calendar: "sv-SE", From: opened}
	if d, err := p.Recompute(oldBiz, "A"); err != nil || d.Clock != sla.ClockBusinessHours || d.Language != "sv" || !d.At.Equal(opened.Add(2*time.Hour)) {
		t.Errorf("old business: %+v %v", d, err)
	}
	oldGB := sla.Deadline{Class: sla.ClassBreakFix, Severity: "B", Clock: sla.ClockBusinessHours, Calendar: "en-GB", From: opened}
	if r := oldGB.Request(); r.Language != "local" || r.Locale != "en-GB" {
		t.Errorf("old en-GB business: %+v", r)
	}
	oldNC := sla.Deadline{Class: sla.ClassNonCritical, Clock: sla.ClockBusinessHours, Calendar: "sv-SE", From: opened}
	if d, err := p.Recompute(oldNC, "A"); err != nil || d.Target != 9*time.Hour {
		t.Errorf("old non-critical: %+v %v", d, err)
	}
}

func TestElapsedNearMissAtRisk(t *testing.T) {
	p := current(t)
	sto := loc(t, "Europe/Stockholm")
	fri := time.Date(2026, 11, 20, 16, 30, 0, 0, sto)
	en, _ := p.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "en", Locale: "sv-SE", OpenedAt: fri})
	sv, _ := p.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "sv", Locale: "sv-SE", OpenedAt: fri})
	mon0815 := time.Date(2026, 11, 23, 8, 15, 0, 0, sto)

	tests := []struct {
		name     string
		d        sla.Deadline
		to       time.Time
		elapsed  time.Duration
		met      bool
		nearMiss bool
		atRisk   bool // if no response yet at "to"
	}{
		{"en before opening", en, fri.Add(-time.Hour), 0, true, false, false},
		{"en after 1h", en, fri.Add(time.Hour), time.Hour, true, false, false},
		{"en after 1h50", en, fri.Add(110 * time.Minute), 110 * time.Minute, true, true, true},
		{"en exactly at the deadline", en, fri.Add(2 * time.Hour), 2 * time.Hour, true, true, true},
		{"en breached", en, fri.Add(3 * time.Hour), 3 * time.Hour, false, false, false},
		{"sv over the weekend", sv, mon0815, 45 * time.Minute, true, false, false},
		{"sv monday 09:20", sv, time.Date(2026, 11, 23, 9, 20, 0, 0, sto), 110 * time.Minute, true, true, true},
		{"sv breached", sv, time.Date(2026, 11, 23, 9, 31, 0, 0, sto), 121 * time.Minute, false, false, false},
	}
	tenth, err := sla.TargetFraction(sla.DefaultNearMissFraction)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		e, err := p.Elapsed(tt.d, tt.to)
		if err != nil || e != tt.elapsed {
			t.Errorf("%s: Elapsed = %v, %v; want %v", tt.name, e, err, tt.elapsed)
		}
		if tt.d.Met(tt.to) != tt.met {
			t.Errorf("%s: Met = %v", tt.name, !tt.met)
		}
		if nm, err := p.NearMiss(tt.d, tt.to, sla.DefaultNearMissFraction); err != nil || nm != tt.nearMiss {
			t.Errorf("%s: NearMiss = %v, %v", tt.name, nm, err)
		}
		if r := tt.d.AtRisk(tt.to, tenth); r != tt.atRisk {
			t.Errorf("%s: AtRisk = %v", tt.name, r)
		}
		if nm := sla.NearMiss(e, tt.d.Target, sla.DefaultNearMissFraction); nm != (tt.nearMiss && tt.met) {
			t.Errorf("%s: NearMiss(counted) = %v", tt.name, nm)
		}
		if rem, _ := p.Remaining(tt.d, tt.to); rem != tt.d.Target-tt.elapsed {
			t.Errorf("%s: Remaining = %v", tt.name, rem)
		}
	}

	for _, f := range []float64{0, -0.1, 1.5} {
		if _, err := p.NearMiss(en, fri, f); domain.RuleOf(err) != sla.RuleInvalidFraction {
			t.Errorf("NearMiss fraction %v: %v", f, err)
		}
		if _, err := sla.TargetFraction(f); domain.RuleOf(err) != sla.RuleInvalidFraction {
			t.Errorf("TargetFraction %v: %v", f, err)
		}
	}
	bad := sv
	bad.Calendar = "xx-YY"
	if _, err := p.Elapsed(bad, mon0815); domain.RuleOf(err) != sla.RuleUnknownLocale {
		t.Errorf("unknown calendar: %v", err)
	}
	if _, err := p.NearMiss(bad, mon0815, 0.1); err == nil {
		t.Error("NearMiss with unknown calendar")
	}
	bad.Clock = "lunar"
	if _, err := p.Elapsed(bad, mon0815); domain.RuleOf(err) != sla.RuleUnknownClock {
		t.Errorf("unknown clock: %v", err)
	}
	if e, err := sla.Elapsed(p.Calendars(), sv, mon0815); err != nil || e != 45*time.Minute {
		t.Errorf("package Elapsed = %v, %v", e, err)
	}
}

func TestDeadlineJSON(t *testing.T) {
	p := current(t)
	d, _ := p.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: "B", Language: "de", Locale: "de-DE", OpenedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back sla.Deadline
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.At.Equal(d.At) || !back.From.Equal(d.From) || back.Target != d.Target || back.Calendar != "de-DE" || back.PolicyVersion != "2026-01" || back.Language != "de" {
		t.Errorf("round trip: %s -> %+v", b, back)
	}
}

func TestCounter(t *testing.T) {
	ps := sla.Shipped()
	p := ps.Current()
	sto := loc(t, "Europe/Stockholm")
	fri := time.Date(2026, 11, 20, 16, 30, 0, 0, sto)
	sv, _ := p.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "sv", Locale: "sv-SE", OpenedAt: fri})
	var clock interface {
		Elapsed(sla.Deadline, time.Time) time.Duration
	} = ps.Counter()
	mon := time.Date(2026, 11, 23, 8, 15, 0, 0, sto)
	if got := clock.Elapsed(sv, mon); got != 45*time.Minute {
		t.Errorf("business: %v", got)
	}
	other := sv
	other.PolicyVersion = "1999-01" // not held: counted by the current policy
	if got := clock.Elapsed(other, mon); got != 45*time.Minute {
		t.Errorf("unknown version: %v", got)
	}
	sv.Calendar = "xx-YY" // unknown: falls back to wall time
	if got := clock.Elapsed(sv, mon); got != mon.Sub(fri) {
		t.Errorf("fallback: %v", got)
	}
	if got := clock.Elapsed(sv, fri.Add(-time.Hour)); got != 0 {
		t.Errorf("before From: %v", got)
	}
	var zero sla.Counter // wall time for every deadline
	if got := zero.Elapsed(sv, mon); got != mon.Sub(fri) {
		t.Errorf("zero counter: %v", got)
	}
	// A version added later counts by its own calendars.
	wi, err := ps.AddJSON([]byte(`{"version": "w", "base": "2026-01", "calendars": [{"id": "sv-SE", "base": "sv-SE", "hours": ["09:00-17:00"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := wi.Deadline(sla.Request{Class: sla.ClassBreakFix, Severity: "A", Language: "sv", Locale: "sv-SE", OpenedAt: fri})
	if got := clock.Elapsed(d, time.Date(2026, 11, 23, 8, 30, 0, 0, sto)); got != 30*time.Minute { // 08:00 under 2026-01: 60m
		t.Errorf("added version: %v", got)
	}
}

func TestVerdictAndRisk(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name          string
		now           time.Time
		answered, met bool
		want          sla.Verdict
	}{
		{"answered in time", at.Add(time.Hour), true, true, sla.VerdictMet},
		{"answered late", at.Add(-time.Hour), true, false, sla.VerdictBreached},
		{"unanswered, before", at.Add(-time.Minute), false, false, sla.VerdictPending},
		{"unanswered, at the deadline", at, false, false, sla.VerdictPending},
		{"unanswered, past", at.Add(time.Nanosecond), false, false, sla.VerdictBreached},
		{"unanswered, no instant", time.Time{}, false, false, sla.VerdictPending},
	} {
		if got := sla.Judge(at, tt.now, tt.answered, tt.met); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	target := 4 * time.Hour
	horizon := sla.LeadTime(sla.DefaultReportHorizon)
	for _, tt := range []struct {
		left          time.Duration
		report, gauge bool
	}{
		{2 * time.Hour, false, false},
		{time.Hour, true, true}, // a quarter of 4h is 1h
		{time.Hour + time.Nanosecond, false, false},
		{0, true, true},
		{-time.Nanosecond, false, false}, // passed: breached, not at risk
	} {
		now := at.Add(-tt.left)
		if got := horizon.AtRisk(at, target, now); got != tt.report {
			t.Errorf("%v left: report at risk %v", tt.left, got)
		}
		if got := sla.GaugeRisk.AtRisk(at, target, now); got != tt.gauge {
			t.Errorf("%v left: gauge at risk %v", tt.left, got)
		}
	}
	if w := sla.GaugeRisk.Window(target); w != target/4 {
		t.Errorf("gauge window %v", w)
	}
	if w := sla.LeadTime(-time.Minute); w.AtRisk(at, target, at) {
		t.Error("a negative lead time puts a request at risk")
	}
}

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
