package partner

import (
	"fmt"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// Partner is the aggregate of one partner organisation (stream
// "partner-<id>"): its role, its indirect provider (for a reseller), the
// customers it serves, its support plans and, for a reseller, the Azure
// access grants its provider gave it. Its state changes only by applying
// events; commands check the rules and return the events.
type Partner struct {
	id         string
	name       string
	email      string
	role       domain.Role
	provider   string
	registered bool
	customers  map[string]Customer
	plans      []plan
	grants     map[string]string // customer id → granting provider
	version    int
	window     domain.Window
}

// Customer is a customer the partner serves, as linked.
type Customer struct {
	ID          string
	Name        string
	Domain      string
	AdminRights bool
}

type plan struct {
	SupportPlanRecorded
	ended   bool
	endedAt time.Time
}

// covers reports whether the plan is in force at instant at.
func (p plan) covers(at time.Time) bool {
	if at.Before(p.ValidFrom) {
		return false
	}
	if !p.ValidUntil.IsZero() && !at.Before(p.ValidUntil) {
		return false
	}
	if p.ended && !at.Before(p.endedAt) {
		return false
	}
	return true
}

// planRank orders plan kinds, weakest first; Premier and Unified (Premier's
// successor) are the same tier.
var planRank = map[PlanKind]int{
	PlanAzureSupportAgreement: 1,
	PlanPartnerNetwork:        2,
	PlanASfP:                  3,
	PlanPremier:               4,
	PlanUnified:               4,
}

// Valid reports whether k is a known plan kind.
func (k PlanKind) Valid() bool { return planRank[k] > 0 }

// AtLeast reports whether k is min or a higher tier (ASfP, Premier and
// Unified are "ASfP or higher").
func (k PlanKind) AtLeast(min PlanKind) bool { return k.Valid() && planRank[k] >= planRank[min] }

// New returns the empty aggregate of a partner that is not registered yet:
// the starting point of Register.
func New(id string) *Partner {
	return &Partner{id: id, customers: map[string]Customer{}, grants: map[string]string{}}
}

// Rebuild replays a partner's history (its stream's events in order, as
// values or pointers). An empty history is a KindNotFound error
// (RulePartnerNotFound); so is a history that does not start with
// Registered. Unknown event types are a KindInternal error.
func Rebuild(id string, history []domain.Event) (*Partner, error) {
	return domain.Rebuild(history, New(id), (*Partner).checkReplay, (*Partner).apply, func() error {
		return domain.Errorf(domain.KindNotFound, domain.RulePartnerNotFound, "partnerId", "partner %q is not registered: register it first", id)
	})
}

// checkReplay checks that event i of the partner's history may stand there
// (Registered first, and only first; a partner event).
func (p *Partner) checkReplay(i int, e domain.Event) error {
	if _, ok := e.(Registered); ok != (i == 0) {
		return fmt.Errorf("rebuild partner %s: event %d (%s): a partner stream starts with one %s", p.id, i, domain.TypeName(e), TypeRegistered)
	}
	if !known(e) {
		return fmt.Errorf("rebuild partner %s: event %d: unknown event %s", p.id, i, domain.TypeName(e))
	}
	return nil
}

// WithWindow sets the backdating window the commands check occurred-at
// against (zero fields take the defaults) and returns p.
func (p *Partner) WithWindow(w domain.Window) *Partner { p.window = w; return p }

// apply changes the state by one event. It never fails; unknown events are
// counted and otherwise ignored (Rebuild refuses them before).
func (p *Partner) apply(e domain.Event) {
	p.version++
	switch e := domain.Value(e).(type) {
	case Registered:
		p.registered = true
		p.name, p.email, p.provider = e.Name, e.Email, e.ProviderID
		p.role = domain.Role(e.Role)
	case CustomerLinked:
		p.customers[e.CustomerID] = Customer{ID: e.CustomerID, Name: e.Name, Domain: e.Domain, AdminRights: e.AdminRights}
	case SupportPlanRecorded:
		p.plans = append(p.plans, plan{SupportPlanRecorded: e})
	case SupportPlanEnded:
		for i := range p.plans {
			if p.plans[i].PlanID == e.PlanID {
				p.plans[i].ended, p.plans[i].endedAt = true, e.EndedAt
			}
		}
	case AzureAccessGranted:
		p.grants[e.CustomerID] = e.GrantedBy
	case AzureAccessRevoked:
		delete(p.grants, e.CustomerID)
	}
}

// ID returns the partner id.
func (p *Partner) ID() string { return p.id }

// Name returns the partner's name.
func (p *Partner) Name() string { return p.name }

// Email returns the partner's support contact e-mail.
func (p *Partner) Email() string { return p.email }

// Registered reports whether the partner is registered.
func (p *Partner) Registered() bool { return p.registered }

// Role returns domain.RoleIndirectProvider or domain.RoleIndirectReseller
// ("" before registration).
func (p *Partner) Role() domain.Role { return p.role }

// Provider returns a reseller's indirect provider id ("" for a provider).
func (p *Partner) Provider() string { return p.provider }

// Version is the number of events applied.
func (p *Partner) Version() int { return p.version }

// ServesCustomer reports whether the customer is linked to the partner.
func (p *Partner) ServesCustomer(customerID string) bool {
	_, ok := p.customers[customerID]
	return ok
}

// Customer returns a linked customer.
func (p *Partner) Customer(customerID string) (Customer, bool) {
	c, ok := p.customers[customerID]
	return c, ok
}

// HasAzureAccess reports whether the partner's provider has granted it
// access to the customer's Azure account (resellers only; a provider has
// access to its own customers by itself, and this returns false for it).
func (p *Partner) HasAzureAccess(customerID string) bool {
	_, ok := p.grants[customerID]
	return ok
}

// HasPlanAtLeast reports whether the partner holds, at instant at, a
// support plan of kind min or a higher tier.
func (p *Partner) HasPlanAtLeast(min PlanKind, at time.Time) bool {
	for _, pl := range p.plans {
		if pl.Kind.AtLeast(min) && pl.covers(at) {
			return true
		}
	}
	return false
}

// ValidEntitlement reports whether ref is the reference of a support plan
// of the partner in force at instant at (any kind: partner-network contract
// id, Azure support agreement, ASfP, Premier, Unified). References compare
// without regard to case and surrounding space.
func (p *Partner) ValidEntitlement(ref string, at time.Time) bool {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return false
	}
	for _, pl := range p.plans {
		if strings.EqualFold(strings.TrimSpace(pl.Reference), ref) && pl.covers(at) {
			return true
		}
	}
	return false
}
