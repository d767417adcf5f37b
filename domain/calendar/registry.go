package calendar

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"sync"

	"github.com/ticketledger/ticketledger/domain"
)

//go:embed locales/*.json
var localeFiles embed.FS

// Registry holds calendars by id: the shipped locales and the user's own.
// Ids are matched case-insensitively, with "_" read as "-" ("sv_se" finds
// "sv-SE"). A Registry is safe for concurrent use.
type Registry struct {
	mu   sync.RWMutex
	cals map[string]*Calendar
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{cals: make(map[string]*Calendar)} }

var shipped = sync.OnceValue(func() []*Calendar {
	r := NewRegistry()
	names, err := fs.Glob(localeFiles, "locales/*.json")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	for _, n := range names {
		data, err := localeFiles.ReadFile(n)
		if err != nil {
			panic(err)
		}
		if _, err := r.LoadJSON(bytes.NewReader(data)); err != nil {
			panic(fmt.Sprintf("calendar: shipped locale %s: %v", n, err))
		}
	}
	return r.All()
})

// Shipped returns a new registry holding the shipped locales: sv-SE
// (Europe/Stockholm), de-DE (Europe/Berlin), en-GB (Europe/London), en-US
// (America/New_York) and ja-JP (Asia/Tokyo), each Monday to Friday
// 08:00-17:00 local time with the country's public holidays. The calendars
// are shared (they are immutable); the registry is the caller's to extend.
func Shipped() *Registry {
	r := NewRegistry()
	for _, c := range shipped() {
		r.cals[normalizeID(c.ID())] = c
	}
	return r
}

// Clone returns a new registry holding the same calendars.
func (r *Registry) Clone() *Registry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := NewRegistry()
	for k, c := range r.cals {
		n.cals[k] = c
	}
	return n
}

// Put adds calendars, replacing any with the same id (this is how a user
// calendar overrides a shipped locale).
func (r *Registry) Put(cals ...*Calendar) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cals {
		r.cals[normalizeID(c.ID())] = c
	}
}

// Lookup returns the calendar with the given id, if any.
func (r *Registry) Lookup(id string) (*Calendar, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.cals[normalizeID(id)]
	return c, ok
}

// Get returns the calendar with the given id, or a *domain.Error of kind
// invalid and rule unknown-locale that names the id and lists the known ones.
func (r *Registry) Get(id string) (*Calendar, error) {
	if c, ok := r.Lookup(id); ok {
		return c, nil
	}
	return nil, domain.Errorf(domain.KindInvalid, RuleUnknownLocale, "locale",
		"unknown locale %q: no business-hours calendar for it (known: %v); use one of those or load a calendar with that id", id, r.IDs())
}

// IDs returns the ids of the calendars held, sorted.
func (r *Registry) IDs() []string {
	all := r.All()
	ids := make([]string, len(all))
	for i, c := range all {
		ids[i] = c.ID()
	}
	return ids
}

// All returns the calendars held, sorted by id.
func (r *Registry) All() []*Calendar {
	r.mu.RLock()
	out := make([]*Calendar, 0, len(r.cals))
	for _, c := range r.cals {
		out = append(out, c)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

// Define builds a calendar from s, resolving s.Base among r's calendars. It
// does not add the calendar to r.
func (r *Registry) Define(s Spec) (*Calendar, error) {
	var base *Calendar
	if s.Base != "" {
		b, err := r.Get(s.Base)
		if err != nil {
			return nil, fmt.Errorf("calendar %s: base: %w", s.ID, err)
		}
		base = b
	}
	return build(s, base)
}

// LoadJSON reads calendar definitions (see ParseSpecs for the accepted
// shapes), builds them in order (a base may name a calendar of r or one
// defined earlier in the same input) and puts them into r, replacing
// calendars with the same id. Nothing is added if any definition is
// invalid. Opening the file is the caller's job.
func (r *Registry) LoadJSON(rd io.Reader) ([]*Calendar, error) {
	specs, err := ParseSpecs(rd)
	if err != nil {
		return nil, err
	}
	scratch := r.Clone()
	out := make([]*Calendar, 0, len(specs))
	for _, s := range specs {
		c, err := scratch.Define(s)
		if err != nil {
			return nil, err
		}
		scratch.Put(c)
		out = append(out, c)
	}
	r.Put(out...)
	return out, nil
}

// LoadJSON reads calendar definitions (see ParseSpecs) whose bases are
// shipped locales or calendars defined earlier in the same input, and
// returns them. Add them to a registry with Registry.Put.
func LoadJSON(rd io.Reader) ([]*Calendar, error) {
	return Shipped().LoadJSON(rd)
}
