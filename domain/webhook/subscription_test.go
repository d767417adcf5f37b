package webhook_test

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/webhook"
)

var (
	admin    = domain.Actor{ID: "ops@vendor.example", Role: domain.RoleAdmin}
	contoso  = domain.Actor{ID: "alice@contoso.example", Role: domain.RoleIndirectProvider, Partner: "contoso"}
	fabrikam = domain.Actor{ID: "bob@fabrikam.example", Role: domain.RoleIndirectReseller, Partner: "fabrikam"}
	auditor  = domain.Actor{ID: "carol@audit.example", Role: domain.RoleAuditor}
	now      = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
)

func rule(t *testing.T, err error, want domain.Rule) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Rule != want {
		t.Fatalf("error %v, want rule %s", err, want)
	}
}

func created(t *testing.T, actor domain.Actor, in webhook.Creation) *webhook.Subscription {
	t.Helper()
	s := webhook.New("wh-1")
	evs, err := s.Create(actor, in)
	if err != nil {
		t.Fatal(err)
	}
	r, err := webhook.Rebuild("wh-1", evs)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCreateWhoAndWhat(t *testing.T) {
	ok := webhook.Creation{URL: "https://hooks.example.com/tl", Types: []string{"sla.breached", "ticket.escalated", "ticket.escalated"}}
	s := created(t, contoso, ok)
	if s.Partner() != "contoso" {
		t.Errorf("a partner's subscription is for partner %q, want contoso", s.Partner())
	}
	if got := s.Details().Types; !slices.Equal(got, []string{"ticket.escalated", "sla.breached"}) {
		t.Errorf("types %v: want deduplicated, in catalogue order", got)
	}
	if w := created(t, admin, ok); w.Partner() != "" {
		t.Errorf("an admin's subscription without partner is ledger-wide, got %q", w.Partner())
	}
	cases := []struct {
		name  string
		actor domain.Actor
		in    webhook.Creation
		rule  domain.Rule
	}{
		{"other partner", contoso, webhook.Creation{Partner: "fabrikam", URL: ok.URL, Types: ok.Types}, domain.RuleNotOwnPartner},
		{"auditor", auditor, ok, domain.RuleRoleNotAllowed},
		{"http", contoso, webhook.Creation{URL: "http://hooks.example.com/", Types: ok.Types}, domain.RuleWebhookURLRefused},
		{"credentials", contoso, webhook.Creation{URL: "https://u:p@hooks.example.com/", Types: ok.Types}, domain.RuleWebhookURLRefused},
		{"loopback literal", contoso, webhook.Creation{URL: "https://127.0.0.1/", Types: ok.Types}, domain.RuleWebhookURLRefused},
		{"private literal", contoso, webhook.Creation{URL: "https://10.1.2.3/", Types: ok.Types}, domain.RuleWebhookURLRefused},
		{"metadata literal", contoso, webhook.Creation{URL: "https://169.254.169.254/latest", Types: ok.Types}, domain.RuleWebhookURLRefused},
		{"ipv6 loopback", contoso, webhook.Creation{URL: "https://[::1]:8443/", Types: ok.Types}, domain.RuleWebhookURLRefused},
		{"relative", contoso, webhook.Creation{URL: "/hooks", Types: ok.Types}, domain.RuleWebhookURLRefused},
		{"no types", contoso, webhook.Creation{URL: ok.URL}, domain.RuleWebhookTypeUnknown},
		{"unknown type", contoso, webhook.Creation{URL: ok.URL, Types: []string{"ticket.note_added"}}, domain.RuleWebhookTypeUnknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := webhook.New("wh-2").Create(c.actor, c.in)
			rule(t, err, c.rule)
		})
	}
	insecure := webhook.Creation{URL: "http://127.0.0.1:9999/hook", Types: ok.Types, AllowInsecure: true}
	if _, err := webhook.New("wh-3").Create(contoso, insecure); err != nil {
		t.Errorf("the test-only setting admits a local http receiver: %v", err)
	}
	_, err := s.Create(contoso, ok)
	rule(t, err, domain.RuleSubscriptionExists)
}

func TestManageOwnOnly(t *testing.T) {
	s := created(t, contoso, webhook.Creation{URL: "https://hooks.example.com/", Types: []string{"ticket.opened"}})
	_, err := s.Pause(fabrikam, "")
	rule(t, err, domain.RuleSubscriptionNotFound) // another partner's: as if it did not exist
	_, err = webhook.New("nope").Pause(admin, "")
	rule(t, err, domain.RuleSubscriptionNotFound)
	if _, err := webhook.Rebuild("nope", nil); err == nil {
		t.Error("an empty history rebuilds to a subscription")
	}
	_, err = s.Pause(auditor, "")
	rule(t, err, domain.RuleRoleNotAllowed)
	if evs, err := s.Pause(admin, "maintenance"); err != nil || len(evs) != 1 || !s.Paused() || s.Active() {
		t.Fatalf("admin pause: %v %v", evs, err)
	}
	if evs, _ := s.Pause(contoso, ""); len(evs) != 0 {
		t.Error("pausing a paused subscription emitted an event")
	}
	if evs, err := s.Resume(contoso); err != nil || len(evs) != 1 || !s.Active() {
		t.Fatalf("resume: %v %v", evs, err)
	}
	if evs, err := s.Delete(contoso, "moving"); err != nil || len(evs) != 1 || !s.Deleted() {
		t.Fatalf("delete: %v %v", evs, err)
	}
	_, err = s.RotateSecret(contoso, now, 0)
	rule(t, err, domain.RuleSubscriptionDeleted)
}

func TestRotationOverlap(t *testing.T) {
	s := created(t, contoso, webhook.Creation{URL: "https://hooks.example.com/", Types: []string{"ticket.opened"}})
	if g := s.Generations(now); !slices.Equal(g, []int{1}) {
		t.Errorf("before a rotation: generations %v", g)
	}
	if _, err := s.RotateSecret(contoso, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	if g := s.Generations(now.Add(59 * time.Minute)); !slices.Equal(g, []int{2, 1}) {
		t.Errorf("during the overlap: generations %v, want [2 1]", g)
	}
	if g := s.Generations(now.Add(time.Hour)); !slices.Equal(g, []int{2}) {
		t.Errorf("after the overlap: generations %v, want [2]", g)
	}
	_, err := s.RotateSecret(contoso, now, -time.Second)
	rule(t, err, domain.RuleRequiredField)
}

func TestWantsAndReceives(t *testing.T) {
	s := created(t, contoso, webhook.Creation{URL: "https://hooks.example.com/", Types: []string{"sla.breached", "ticket.closed"}})
	for _, c := range []struct {
		typ, notice, want string
		ok                bool
	}{
		{"ticket.sla_noticed", "breached", "sla.breached", true},
		{"ticket.sla_noticed", "at_risk", "", false},
		{"ticket.closed", "", "ticket.closed", true},
		{"ticket.opened", "", "", false},
		{"sla.breached", "", "", false},
	} {
		got, ok := s.Wants(c.typ, c.notice)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("Wants(%s, %s) = %q %v, want %q %v", c.typ, c.notice, got, ok, c.want, c.ok)
		}
	}
	if !s.Receives([]string{"fabrikam", "contoso"}) || s.Receives([]string{"fabrikam"}) {
		t.Error("a partner's subscription receives exactly the tickets it is a party to")
	}
}

func TestForbidden(t *testing.T) {
	for a, want := range map[string]string{
		"127.0.0.1": "loopback", "10.0.0.1": "private", "172.16.5.4": "private", "192.168.1.1": "private",
		"169.254.169.254": "link-local", "0.0.0.0": "unspecified", "224.0.0.1": "multicast", "::1": "loopback",
		"fe80::1": "link-local", "fc00::1": "private", "::ffff:127.0.0.1": "loopback", "100.64.0.1": "reserved",
		"8.8.8.8": "", "2606:4700:4700::1111": "",
	} {
		if got := webhook.Forbidden(netip.MustParseAddr(a)); got != want {
			t.Errorf("Forbidden(%s) = %q, want %q", a, got, want)
		}
	}
}
