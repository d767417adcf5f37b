package sla

import (
	"sort"
	"sync"

	"github.com/ticketledger/ticketledger/domain"
)

// CurrentVersion is the version of the policy in force by default.
const CurrentVersion = "2026-01"

// shippedSpecs are the policy versions built into the ledger. Never change
// a shipped version's numbers or calendars: deadlines recorded under it
// must be reproducible forever. Add a new version instead.
var shippedSpecs = []PolicySpec{{
	Version:     "2026-01",
	Description: "Partner-center first-response targets: break-fix A 2h, B 4h, C 8h (24x7 in English, business hours of the requester's locale otherwise); non-critical one business day.",
	BreakFix:    map[string]string{"A": "2h", "B": "4h", "C": "8h"},
	NonCritical: NonCriticalWorkday,
}}

var shippedPolicies = sync.OnceValue(func() []*Policy {
	out := make([]*Policy, 0, len(shippedSpecs))
	for _, s := range shippedSpecs {
		p, err := newPolicy(s, nil)
		if err != nil {
			panic("sla: shipped policy " + s.Version + ": " + err.Error())
		}
		out = append(out, p)
	}
	return out
})

// Policies holds policy versions: the shipped ones and any defined for
// what-if reports. It is safe for concurrent use.
type Policies struct {
	mu       sync.RWMutex
	versions map[string]*Policy
	current  string
}

// Shipped returns a new Policies holding the shipped versions, with
// CurrentVersion as the current one.
func Shipped() *Policies {
	ps := &Policies{versions: make(map[string]*Policy), current: CurrentVersion}
	for _, p := range shippedPolicies() {
		ps.versions[p.Version()] = p
	}
	return ps
}

// Current returns the policy in force.
func (ps *Policies) Current() *Policy {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.versions[ps.current]
}

// SetCurrent makes version the policy in force.
func (ps *Policies) SetCurrent(version string) error {
	if _, err := ps.Get(version); err != nil {
		return err
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.current = version
	return nil
}

// lookup returns the policy of the given version, else the current one.
func (ps *Policies) lookup(version string) *Policy {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	if p, ok := ps.versions[version]; ok {
		return p
	}
	return ps.versions[ps.current]
}

// Get returns the policy of the given version, or a *domain.Error of kind
// not found and rule unknown-policy-version listing the known versions.
func (ps *Policies) Get(version string) (*Policy, error) {
	ps.mu.RLock()
	p, ok := ps.versions[version]
	ps.mu.RUnlock()
	if !ok {
		return nil, domain.Errorf(domain.KindNotFound, RuleUnknownPolicyVersion, "policyVersion", "unknown SLA policy version %q (known: %v)", version, ps.Versions())
	}
	return p, nil
}

// Versions lists the versions held, sorted.
func (ps *Policies) Versions() []string {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	out := make([]string, 0, len(ps.versions))
	for v := range ps.versions {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Add registers p. A version can be defined only once (conflict,
// rule policy-version-taken): versions are immutable.
func (ps *Policies) Add(p *Policy) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, ok := ps.versions[p.Version()]; ok {
		return domain.Errorf(domain.KindConflict, RulePolicyVersionTaken, "version", "SLA policy version %q already exists: versions are immutable, choose a new version", p.Version())
	}
	ps.versions[p.Version()] = p
	return nil
}

// AddJSON parses a policy definition (PolicySpec as JSON) whose base, if
// any, is a version held by ps, and adds it.
func (ps *Policies) AddJSON(data []byte) (*Policy, error) {
	p, err := ps.parse(data)
	if err != nil {
		return nil, err
	}
	if err := ps.Add(p); err != nil {
		return nil, err
	}
	return p, nil
}

func (ps *Policies) parse(data []byte) (*Policy, error) {
	spec, err := decodeSpec(data)
	if err != nil {
		return nil, err
	}
	var base *Policy
	if spec.Base != "" {
		if base, err = ps.Get(spec.Base); err != nil {
			return nil, err
		}
	}
	return newPolicy(spec, base)
}
