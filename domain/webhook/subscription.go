package webhook

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ticketledger/ticketledger/domain"
)

// Limits of a subscription's fields.
const (
	MaxURL         = 2000 // bytes
	MaxDescription = 200  // characters
	MaxReason      = 500  // characters
	// DefaultOverlap is how long the previous secret stays valid after a
	// rotation when the caller names no overlap.
	DefaultOverlap = 24 * time.Hour
	// MaxOverlap bounds the overlap of two secrets.
	MaxOverlap = 30 * 24 * time.Hour
)

// Subscription is the aggregate of one subscription (stream
// "webhook-<id>"). State changes only by applying events.
type Subscription struct {
	id         string
	sub        Subscribed
	exists     bool
	generation int
	prevUntil  time.Time // the previous generation is valid before this instant
	paused     bool
	deleted    bool
	version    int
}

// New returns a subscription not created yet: the starting point of Create.
func New(id string) *Subscription { return &Subscription{id: id} }

// Rebuild replays a subscription's history. An empty history is a
// KindNotFound error (RuleSubscriptionNotFound).
func Rebuild(id string, history []domain.Event) (*Subscription, error) {
	return domain.Rebuild(history, New(id), (*Subscription).checkReplay, (*Subscription).apply, func() error { return notFound(id) })
}

// checkReplay checks that event i of the subscription's history may stand there
// (Subscribed first, and only first; a subscription event, not a delivery
// one).
func (s *Subscription) checkReplay(i int, e domain.Event) error {
	_, first := e.(Subscribed)
	if first != (i == 0) {
		return fmt.Errorf("rebuild subscription %s: event %d (%s): a subscription stream starts with one %s", s.id, i, domain.TypeName(e), TypeSubscribed)
	}
	switch e.(type) {
	case Subscribed, SecretRotated, Paused, Resumed, Deleted:
	default:
		return fmt.Errorf("rebuild subscription %s: event %d: unknown event %s", s.id, i, domain.TypeName(e))
	}
	return nil
}

func notFound(id string) error {
	return domain.Errorf(domain.KindNotFound, domain.RuleSubscriptionNotFound, "subscriptionId",
		"no such webhook subscription %q: check the id (webhooks list)", id)
}

// Apply folds one more event into s (the dispatcher's and the API's
// read side); events of other aggregates are ignored.
func (s *Subscription) Apply(e domain.Event) { s.apply(e) }

func (s *Subscription) apply(e domain.Event) {
	s.version++
	switch e := domain.Value(e).(type) {
	case Subscribed:
		s.sub, s.exists, s.generation = e, true, 1
	case SecretRotated:
		s.generation, s.prevUntil = e.Generation, e.PreviousValidUntil
	case Paused, Resumed:
		_, s.paused = e.(Paused)
	case Deleted:
		s.deleted = true
	}
}

// ID returns the subscription id.
func (s *Subscription) ID() string { return s.id }

// Details returns the subscription as created.
func (s *Subscription) Details() Subscribed { return s.sub }

// Exists reports whether the subscription was created.
func (s *Subscription) Exists() bool { return s.exists }

// Partner is the partner whose tickets it receives ("" ledger-wide).
func (s *Subscription) Partner() string { return s.sub.Partner }

// Generation is the current secret generation (1 after Create).
func (s *Subscription) Generation() int { return s.generation }

// PreviousValidUntil is when the previous secret generation stops being
// valid (zero: there is none).
func (s *Subscription) PreviousValidUntil() time.Time { return s.prevUntil }

// Generations returns the secret generations to sign with at instant at:
// the current one, and the previous one during a rotation's overlap.
func (s *Subscription) Generations(at time.Time) []int {
	g := []int{s.generation}
	if s.generation > 1 && at.Before(s.prevUntil) {
		g = append(g, s.generation-1)
	}
	return g
}

// Paused and Deleted report the subscription's state; Active is neither.
func (s *Subscription) Paused() bool  { return s.paused }
func (s *Subscription) Deleted() bool { return s.deleted }
func (s *Subscription) Active() bool  { return s.exists && !s.paused && !s.deleted }

// Version is the number of events applied.
func (s *Subscription) Version() int { return s.version }

// Wants reports which subscription type, if any, of s an event of type
// eventType with SLA notice notice ("" for none) is delivered as.
func (s *Subscription) Wants(eventType, notice string) (string, bool) {
	t, ok := SubscriptionType(eventType, notice)
	return t, ok && slices.Contains(s.sub.Types, t)
}

// Receives reports whether s may receive the events of a ticket whose
// parties (filer, its provider, the reseller filed for) are parties: a
// ledger-wide subscription every ticket, a partner's only its own.
func (s *Subscription) Receives(parties []string) bool {
	return s.sub.Partner == "" || slices.Contains(parties, s.sub.Partner)
}

// Creation is what Create records.
type Creation struct {
	// Partner: the partner whose tickets it receives; empty for a
	// ledger-wide one (admins only). A partner actor's own partner when the
	// actor is a partner and leaves it empty.
	Partner     string
	URL         string
	Types       []string
	Description string
	// AllowInsecure lets http:// and local addresses through (the
	// test-only setting of the deployment, never the caller's choice).
	AllowInsecure bool
}

// Create creates the subscription.
func (s *Subscription) Create(actor domain.Actor, in Creation) ([]domain.Event, error) {
	if err := actor.Validate(); err != nil {
		return nil, err
	}
	if s.exists {
		return nil, domain.Errorf(domain.KindConflict, domain.RuleSubscriptionExists, "subscriptionId", "webhook subscription %q exists already: create the new one under a new id", s.id)
	}
	partner := strings.TrimSpace(in.Partner)
	switch {
	case actor.Role.IsPartner():
		if partner == "" {
			partner = actor.Partner
		}
		if partner != actor.Partner {
			return nil, domain.Errorf(domain.KindForbidden, domain.RuleNotOwnPartner, "partner",
				"%s of %s subscribes to its own tickets only: leave the partner empty or name %q", actor.Role, actor.Partner, actor.Partner)
		}
	case actor.Role.Operates():
		if partner != "" {
			if err := domain.ValidatePartnerID("partner", partner); err != nil {
				return nil, err
			}
		}
	default:
		return nil, domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor.role",
			"%s may not subscribe to webhooks: partners subscribe to their tickets, admins ledger-wide", actor.Role.Indefinite())
	}
	u, err := CheckURL(in.URL, in.AllowInsecure)
	if err != nil {
		return nil, err
	}
	types, err := CheckTypes(in.Types)
	if err != nil {
		return nil, err
	}
	desc := strings.TrimSpace(in.Description)
	if n := utf8.RuneCountInString(desc); n > MaxDescription || !utf8.ValidString(desc) {
		return nil, invalid("description", "the description is %d characters long: keep it to %d", n, MaxDescription)
	}
	return s.emit(Subscribed{SubscriptionID: s.id, Partner: partner, URL: u, Types: types, Description: desc, CreatedBy: actor.ID}), nil
}

// Manage checks that actor may manage s: an admin (or the system) any
// subscription, a partner only its own. Another partner's subscription is
// answered as one that does not exist.
func (s *Subscription) Manage(actor domain.Actor) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	switch {
	case actor.Role.Operates() && s.exists:
		return nil
	case actor.Role.Operates():
		return notFound(s.id)
	case actor.Role.IsPartner():
		if s.exists && s.sub.Partner != "" && s.sub.Partner == actor.Partner {
			return nil
		}
		return notFound(s.id)
	}
	return domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor.role",
		"%s may not manage webhook subscriptions: partners manage their own, admins all", actor.Role.Indefinite())
}

func (s *Subscription) live(actor domain.Actor) error {
	if err := s.Manage(actor); err != nil {
		return err
	}
	if s.deleted {
		return domain.Errorf(domain.KindConflict, domain.RuleSubscriptionDeleted, "subscriptionId",
			"webhook subscription %q is deleted: create a new one", s.id)
	}
	return nil
}

// RotateSecret starts a new secret generation; the previous one stays
// valid for overlap (0: DefaultOverlap) from now.
func (s *Subscription) RotateSecret(actor domain.Actor, now time.Time, overlap time.Duration) ([]domain.Event, error) {
	if err := s.live(actor); err != nil {
		return nil, err
	}
	if overlap == 0 {
		overlap = DefaultOverlap
	}
	if overlap < 0 || overlap > MaxOverlap {
		return nil, invalid("overlap", "an overlap of %s is out of range: give 0s (the default, %s) up to %s", overlap, DefaultOverlap, MaxOverlap)
	}
	return s.emit(SecretRotated{SubscriptionID: s.id, Generation: s.generation + 1, PreviousValidUntil: now.Add(overlap).UTC(), RotatedBy: actor.ID}), nil
}

// Pause stops deliveries; pausing a paused subscription emits nothing.
func (s *Subscription) Pause(actor domain.Actor, reason string) ([]domain.Event, error) {
	return s.withReason(s.live(actor), reason, s.paused, func(r string) domain.Event {
		return Paused{SubscriptionID: s.id, Reason: r, PausedBy: actor.ID}
	})
}

// Resume starts deliveries again; resuming an active one emits nothing.
func (s *Subscription) Resume(actor domain.Actor) ([]domain.Event, error) {
	if err := s.live(actor); err != nil || !s.paused {
		return nil, err
	}
	return s.emit(Resumed{SubscriptionID: s.id, ResumedBy: actor.ID}), nil
}

// Delete ends the subscription; deleting a deleted one emits nothing.
func (s *Subscription) Delete(actor domain.Actor, reason string) ([]domain.Event, error) {
	return s.withReason(s.Manage(actor), reason, s.deleted, func(r string) domain.Event {
		return Deleted{SubscriptionID: s.id, Reason: r, DeletedBy: actor.ID}
	})
}

// withReason emits ev(the trimmed reason) unless allowed failed, the
// reason is too long, or done says the change is made already.
func (s *Subscription) withReason(allowed error, reason string, done bool, ev func(string) domain.Event) ([]domain.Event, error) {
	if allowed != nil {
		return nil, allowed
	}
	if err := checkReason(reason); err != nil || done {
		return nil, err
	}
	return s.emit(ev(strings.TrimSpace(reason))), nil
}

func (s *Subscription) emit(e domain.Event) []domain.Event {
	s.apply(e)
	return []domain.Event{e}
}

func checkReason(reason string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(reason)); n > MaxReason {
		return invalid("reason", "the reason is %d characters long: keep it to %d", n, MaxReason)
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	return domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, field, format, args...)
}

// CheckURL checks a target address and returns it normalised: an absolute
// https URL with a host, no user information and no fragment, whose host,
// when an IP literal, is a public address (Forbidden). allowInsecure (the
// test-only setting) also admits http and local addresses. Host names are
// resolved and checked by the caller (infra/webhook), at subscribe time and
// at every delivery.
func CheckURL(raw string, allowInsecure bool) (string, error) {
	raw = strings.TrimSpace(raw)
	refuse := func(format string, args ...any) error {
		return domain.Errorf(domain.KindInvalid, domain.RuleWebhookURLRefused, "url", format, args...)
	}
	if raw == "" || len(raw) > MaxURL {
		return "", refuse("the target URL is empty or longer than %d bytes: give the receiver's https:// address", MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", refuse("the target %q is not an absolute URL: give the receiver's address, e.g. https://hooks.example.com/ticketledger", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowInsecure:
	default:
		return "", refuse("the target %q uses %s: webhooks are delivered over https only", raw, u.Scheme)
	}
	if u.User != nil {
		return "", refuse("the target %q carries user information: leave credentials out of the URL (deliveries are signed)", raw)
	}
	if u.Fragment != "" {
		return "", refuse("the target %q has a fragment (#…): drop it", raw)
	}
	if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !allowInsecure {
		if why := Forbidden(a); why != "" {
			return "", refuse("the target %q is a %s address: a webhook must reach a public address", raw, why)
		}
	}
	return u.String(), nil
}

// Forbidden says why an address may not receive webhooks (loopback,
// private, link-local, unspecified, multicast, …), or "" when it may.
// This is the SSRF rule: checked on IP literals at subscribe time, and by
// infra/webhook on every resolved and connected address.
func Forbidden(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsMulticast():
		return "multicast"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsUnspecified():
		return "unspecified"
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return "reserved"
		}
	}
	return ""
}

// reserved are further ranges no public receiver uses: carrier-grade NAT,
// "this network", benchmarking, documentation, IPv4 broadcast, NAT64 and
// the IPv6 discard and documentation prefixes.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
}
