package demo

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
	"github.com/ticketledger/ticketledger/infra/auth"
)

// Target is what the generator needs from the ledger: the application
// service's command methods. *app.Service satisfies it.
type Target interface {
	RegisterPartner(ctx context.Context, cmd app.Command, partnerID string, in partner.Registration) (app.Result, error)
	LinkCustomer(ctx context.Context, cmd app.Command, partnerID string, in partner.Link) (app.Result, error)
	RecordSupportPlan(ctx context.Context, cmd app.Command, partnerID string, in partner.Plan) (app.Result, error)
	EndSupportPlan(ctx context.Context, cmd app.Command, partnerID, planID, reason string) (app.Result, error)
	GrantAzureAccess(ctx context.Context, cmd app.Command, resellerID, customerID string) (app.Result, error)
	RevokeAzureAccess(ctx context.Context, cmd app.Command, resellerID, customerID, reason string) (app.Result, error)

	Open(ctx context.Context, cmd app.Command, in app.OpenTicket) (app.Result, error)
	RedirectToISV(ctx context.Context, cmd app.Command, in app.RedirectTicket) (app.Result, error)
	Act(ctx context.Context, cmd app.Command, ticketID string, a ticket.Action) (app.Result, error)

	Forget(ctx context.Context, cmd app.Command, subject, reason string) (app.Erasure, error)
}

var _ Target = (*app.Service)(nil)

// Options tunes Generate.
type Options struct {
	// Seed makes the history reproducible: the same seed, Now and options
	// issue the same commands.
	Seed uint64
	// Tickets is how many service requests to file (marketplace redirects
	// included). Default 200.
	Tickets int
	// Now is the end of the window: the ledger's current time. Required.
	Now time.Time
	// Window is how far back the history starts. Default 14 days; at most
	// MaxWindow, because the ledger refuses commands backdated further than
	// its window (30 days by default).
	Window time.Duration
	// BreachRate is the share of first responses planned after the
	// deadline. Default 0.06; severity upgrades made just before a
	// deadline add a few more.
	BreachRate float64
	// OverAPI says the target is the HTTP API, where no request can act as
	// the ledger's internal principal (role system): the closes the ledger
	// would make by itself are then made by the ticket's partner.
	OverAPI bool
	// Tokens, when set, issues a ledger token for every person the
	// generator acts as (partner staff, vendor engineers, an auditor) and
	// revokes a rotated one, so the history holds the principal events too.
	// Tokens already issued (by name) are left alone, so a re-run appends
	// none. Over the API the Target issues its tokens itself.
	Tokens *auth.Tokens
}

// Defaults and limits of Options.
const (
	DefaultTickets = 200
	DefaultWindow  = 14 * 24 * time.Hour
	MaxWindow      = 29 * 24 * time.Hour
)

// Summary counts what Generate recorded.
type Summary struct {
	Partners  int
	Customers int
	Tickets   int // vendor tickets opened
	Redirects int // marketplace requests redirected to the ISV
	Commands  int // commands issued
	// Events counts the recorded events by type.
	Events map[string]int
	// Replayed counts commands the ledger had already recorded (a second
	// run with the same seed).
	Replayed int
}

// Generate records a demo history through target and reports progress as
// (done, total) steps; progress may be nil. It stops at the first refused
// command, wrapped with the step that issued it: a refusal is a bug of the
// generator or of a rule. ctx cancels between commands.
func Generate(ctx context.Context, target Target, opts Options, progress func(done, total int)) (Summary, error) {
	if opts.Now.IsZero() {
		return Summary{}, errors.New("demo: Options.Now is required (the end of the generated window)")
	}
	if opts.Tickets <= 0 {
		opts.Tickets = DefaultTickets
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Window > MaxWindow {
		return Summary{}, fmt.Errorf("demo: window %s is longer than %s: the ledger refuses commands backdated that far", opts.Window, MaxWindow)
	}
	if opts.BreachRate <= 0 {
		opts.BreachRate = 0.06
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	g := &gen{
		ctx: ctx, t: target, opts: opts,
		rnd:   rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x7469636b65746c64)),
		now:   opts.Now.UTC().Truncate(time.Second),
		sum:   Summary{Events: map[string]int{}},
		grant: map[string]bool{},
	}
	g.start = g.now.Add(-opts.Window)
	g.progress = progress
	g.total = len(world.partners) + opts.Tickets
	if err := g.setup(); err != nil {
		return g.sum, err
	}
	if err := g.principals(); err != nil {
		return g.sum, err
	}
	if err := g.run(); err != nil {
		return g.sum, err
	}
	if err := g.erasure(); err != nil {
		return g.sum, err
	}
	progress(g.total, g.total)
	return g.sum, nil
}

type gen struct {
	ctx        context.Context
	t          Target
	opts       Options
	rnd        *rand.Rand
	now, start time.Time
	sum        Summary
	grant      map[string]bool // reseller/customer → Azure access after setup
	progress   func(done, total int)
	done       int
	total      int
	seq        int // tie-breaker of the step queue
	queue      stepQueue
	// leaver is the e-mail of the contact erased at the end (erasure), and
	// whether the ticket that named it was replayed (a re-run).
	leaver         string
	leaverReplayed bool
}

// leaverPartner is the partner whose first contact on a ticket leaves and
// asks to be forgotten at the end of the history.
const leaverPartner = "hudson-msp"

// erasure forgets the leaving contact (subject.erased): its name and
// e-mail read as erased on its tickets from then on. On a re-run the
// erasure is already done (the e-mail leads to no subject any more): that
// counts as replayed.
func (g *gen) erasure() error {
	if g.leaver == "" {
		return nil
	}
	cmd := app.Command{Actor: adminActor, IdempotencyKey: g.key("erasure")}
	er, err := g.t.Forget(g.ctx, cmd, g.leaver, "left "+leaverPartner+": data-subject erasure request DSR-2026-0042")
	if err != nil {
		if k := kindOf(err); g.leaverReplayed && (k == domain.KindNotFound || k == domain.KindConflict) {
			g.sum.Commands++
			g.sum.Replayed++
			return nil
		}
		return fmt.Errorf("demo: forget the contact who left %s: %w", leaverPartner, err)
	}
	g.record(er.Result)
	return nil
}

// kindOf is the error kind of a refusal, from the service or over HTTP.
func kindOf(err error) domain.Kind {
	var k interface{ Kind() domain.Kind }
	if errors.As(err, &k) {
		return k.Kind()
	}
	return domain.KindOf(err)
}

// key returns the idempotency key of the next command of a step.
func (g *gen) key(parts ...string) string {
	return fmt.Sprintf("demo/%d/%s", g.opts.Seed, strings.Join(parts, "/"))
}

// record counts a command's result.
func (g *gen) record(res app.Result) {
	g.sum.Commands++
	if res.Replayed {
		g.sum.Replayed++
	}
	for _, e := range res.Events {
		g.sum.Events[e.Type]++
	}
}

func (g *gen) tick() {
	g.done++
	g.progress(g.done, g.total)
}

// ---- world: partners, customers, plans, grants ---------------------------

type partnerDef struct {
	id, name, domain, locale string
	role                     domain.Role
	provider                 string // resellers
	plans                    []planDef
	customers                []customerDef
	people                   []string // contact persons
}

type planDef struct {
	id    string
	kind  partner.PlanKind
	ref   string
	ended bool // ended at the start of the window
}

type customerDef struct {
	id, name, domain string
	admin            bool
	azureGrant       bool // reseller customers: provider granted Azure access
	revoked          bool // granted, then revoked during setup
}

// world is the fixed cast of the demo: fictional organisations on
// .example-style domains.
var world = struct{ partners []partnerDef }{partners: []partnerDef{
	{id: "nordlys-cloud", name: "Nordlys Cloud Distribution AB", domain: "nordlys-cloud.example", locale: "sv-SE", role: domain.RoleIndirectProvider,
		plans:     []planDef{{id: "premier-2026", kind: partner.PlanPremier, ref: "PREM-SE-40112"}, {id: "mpn", kind: partner.PlanPartnerNetwork, ref: "MPN-5512093"}},
		customers: []customerDef{{id: "ljusdal-energi", name: "Ljusdal Energi AB", domain: "ljusdalenergi.onmicrosoft.com", admin: true}, {id: "vastkust-logistik", name: "Västkust Logistik AB", domain: "vastkustlogistik.onmicrosoft.com", admin: true}},
		people:    []string{"Annika Lindqvist", "Johan Berg"}},
	{id: "alpenwerk-it", name: "Alpenwerk IT-Distribution GmbH", domain: "alpenwerk-it.example", locale: "de-DE", role: domain.RoleIndirectProvider,
		plans:     []planDef{{id: "asfp-2026", kind: partner.PlanASfP, ref: "ASFP-DE-7781"}},
		customers: []customerDef{{id: "brauerei-kessler", name: "Brauerei Kessler KG", domain: "brauereikessler.onmicrosoft.com", admin: true}, {id: "stadtwerke-rheinau", name: "Stadtwerke Rheinau", domain: "stadtwerke-rheinau.de", admin: true}},
		people:    []string{"Katrin Vogel", "Markus Hoffmann"}},
	{id: "sakura-cloud", name: "Sakura Cloud Trading K.K.", domain: "sakura-cloud.example", locale: "ja-JP", role: domain.RoleIndirectProvider,
		plans:     []planDef{{id: "mpn", kind: partner.PlanPartnerNetwork, ref: "MPN-8830121"}},
		customers: []customerDef{{id: "kitano-seimitsu", name: "Kitano Seimitsu Co., Ltd.", domain: "kitanoseimitsu.onmicrosoft.com", admin: true}},
		people:    []string{"Haruto Sato", "Yui Tanaka"}},
	{id: "atlantic-channel", name: "Atlantic Channel Partners Inc.", domain: "atlantic-channel.example", locale: "en-US", role: domain.RoleIndirectProvider,
		plans:     []planDef{{id: "asfp-2025", kind: partner.PlanASfP, ref: "ASFP-US-1209", ended: true}, {id: "unified-2026", kind: partner.PlanUnified, ref: "UNI-US-55021"}, {id: "asa", kind: partner.PlanAzureSupportAgreement, ref: "ASA-99-310"}},
		customers: []customerDef{{id: "bluefin-health", name: "Bluefin Health LLC", domain: "bluefinhealth.onmicrosoft.com", admin: true}, {id: "prairie-mills", name: "Prairie Mills Co.", domain: "prairiemills.com", admin: true}},
		people:    []string{"Dana Whitfield", "Carlos Mendes"}},
	{id: "fjord-it", name: "Fjord IT Konsult AB", domain: "fjord-it.example", locale: "sv-SE", role: domain.RoleIndirectReseller, provider: "nordlys-cloud",
		customers: []customerDef{{id: "gotland-turism", name: "Gotland Turism AB", domain: "gotlandturism.onmicrosoft.com", admin: true, azureGrant: true}, {id: "norrsken-media", name: "Norrsken Media AB", domain: "norrskenmedia.onmicrosoft.com", admin: false}},
		people:    []string{"Elin Svensson"}},
	{id: "thames-digital", name: "Thames Digital Ltd", domain: "thames-digital.example", locale: "en-GB", role: domain.RoleIndirectReseller, provider: "atlantic-channel",
		plans:     []planDef{{id: "mpn", kind: partner.PlanPartnerNetwork, ref: "MPN-4471006"}},
		customers: []customerDef{{id: "harbour-foods", name: "Harbour Foods plc", domain: "harbourfoods.onmicrosoft.com", admin: true, azureGrant: true}, {id: "kestrel-legal", name: "Kestrel Legal LLP", domain: "kestrellegal.onmicrosoft.com", admin: true, azureGrant: true, revoked: true}},
		people:    []string{"Olivia Hughes", "Sam Patel"}},
	{id: "rhein-systemhaus", name: "Rhein Systemhaus GmbH", domain: "rhein-systemhaus.example", locale: "de-DE", role: domain.RoleIndirectReseller, provider: "alpenwerk-it",
		plans:     []planDef{{id: "asfp", kind: partner.PlanASfP, ref: "ASFP-DE-9120"}},
		customers: []customerDef{{id: "moselwein", name: "Moselwein eG", domain: "moselwein.onmicrosoft.com", admin: true, azureGrant: true}, {id: "kfz-becker", name: "KFZ Becker GmbH", domain: "kfzbecker.onmicrosoft.com", admin: false}},
		people:    []string{"Lena Schulz"}},
	{id: "kyoto-solutions", name: "Kyoto Solutions G.K.", domain: "kyoto-solutions.example", locale: "ja-JP", role: domain.RoleIndirectReseller, provider: "sakura-cloud",
		customers: []customerDef{{id: "arashiyama-ryokan", name: "Arashiyama Ryokan", domain: "arashiyamaryokan.onmicrosoft.com", admin: true}},
		people:    []string{"Ren Nakamura"}},
	{id: "hudson-msp", name: "Hudson Managed Services LLC", domain: "hudson-msp.example", locale: "en-US", role: domain.RoleIndirectReseller, provider: "atlantic-channel",
		customers: []customerDef{{id: "empire-dental", name: "Empire Dental Group", domain: "empiredental.onmicrosoft.com", admin: true, azureGrant: true}, {id: "catskill-outdoor", name: "Catskill Outdoor Inc.", domain: "catskilloutdoor.onmicrosoft.com", admin: true}},
		people:    []string{"Megan O'Brien"}},
}}

func (p *partnerDef) actor(person int) domain.Actor {
	return domain.Actor{ID: p.email(person), Role: p.role, Partner: p.id}
}

func (p *partnerDef) email(person int) string {
	name := p.people[person%len(p.people)]
	local := strings.NewReplacer(" ", ".", "'", "", "ä", "a", "å", "a", "ö", "o").Replace(strings.ToLower(name))
	return local + "@" + p.domain
}

func (p *partnerDef) hasPlanAtLeastASfP() bool {
	for _, pl := range p.plans {
		if !pl.ended && (pl.kind == partner.PlanASfP || pl.kind == partner.PlanPremier || pl.kind == partner.PlanUnified) {
			return true
		}
	}
	return false
}

// entitlement returns a plan reference that covers the partner's own
// tenant, or "".
func (p *partnerDef) entitlement() string {
	for _, pl := range p.plans {
		if !pl.ended {
			return pl.ref
		}
	}
	return ""
}

func findPartner(id string) *partnerDef {
	for i := range world.partners {
		if world.partners[i].id == id {
			return &world.partners[i]
		}
	}
	return nil
}

// adminActor onboards the partners (an admin, as a real deployment would).
var adminActor = domain.Actor{ID: "demo-admin", Role: domain.RoleAdmin}

// systemActor is the ledger itself (auto-close of a resolved ticket).
var systemActor = domain.Actor{ID: "demo-generator", Role: domain.RoleSystem}

// setup registers the partners, links their customers, records support plans
// (ending one), and grants (and revokes one) reseller Azure access, an hour
// before the window starts.
func (g *gen) setup() error {
	at := g.start.Add(-time.Hour)
	cmd := func(actor domain.Actor, key ...string) app.Command {
		return app.Command{Actor: actor, OccurredAt: at, IdempotencyKey: "demo/setup/" + strings.Join(key, "/")}
	}
	// Providers first: resellers name them.
	ordered := append([]partnerDef(nil), world.partners...)
	sort.SliceStable(ordered, func(i, j int) bool {
		return ordered[i].role == domain.RoleIndirectProvider && ordered[j].role != domain.RoleIndirectProvider
	})
	for i := range ordered {
		p := &ordered[i]
		res, err := g.t.RegisterPartner(g.ctx, cmd(adminActor, p.id, "register"), p.id, partner.Registration{
			Name: p.name, Role: p.role, ProviderID: p.provider, Email: "support@" + p.domain,
		})
		if domain.RuleOf(err) == domain.RulePartnerExists {
			err = nil // registered by an earlier run
		}
		if err != nil {
			return fmt.Errorf("demo: register partner %s: %w", p.id, err)
		}
		g.record(res)
		g.sum.Partners++
		for _, c := range p.customers {
			res, err := g.t.LinkCustomer(g.ctx, cmd(adminActor, p.id, "link", c.id), p.id, partner.Link{CustomerID: c.id, Name: c.name, Domain: c.domain, AdminRights: c.admin})
			if err != nil {
				return fmt.Errorf("demo: link customer %s to %s: %w", c.id, p.id, err)
			}
			g.record(res)
			g.sum.Customers++
		}
		for _, pl := range p.plans {
			res, err := g.t.RecordSupportPlan(g.ctx, cmd(adminActor, p.id, "plan", pl.id), p.id, partner.Plan{
				PlanID: pl.id, Kind: pl.kind, Reference: pl.ref,
				ValidFrom: g.start.AddDate(0, -6, 0), ValidUntil: g.start.AddDate(1, 0, 0),
			})
			if err != nil {
				return fmt.Errorf("demo: record plan %s of %s: %w", pl.id, p.id, err)
			}
			g.record(res)
			if pl.ended {
				res, err := g.t.EndSupportPlan(g.ctx, cmd(adminActor, p.id, "end", pl.id), p.id, pl.id, "superseded by the Unified contract")
				if err != nil {
					return fmt.Errorf("demo: end plan %s of %s: %w", pl.id, p.id, err)
				}
				g.record(res)
			}
		}
		if p.role == domain.RoleIndirectReseller {
			prov := findPartner(p.provider)
			for _, c := range p.customers {
				if !c.azureGrant {
					continue
				}
				res, err := g.t.GrantAzureAccess(g.ctx, cmd(prov.actor(0), p.id, "grant", c.id), p.id, c.id)
				if err != nil {
					return fmt.Errorf("demo: grant %s Azure access to %s: %w", p.id, c.id, err)
				}
				g.record(res)
				g.grant[p.id+"/"+c.id] = true
				if c.revoked {
					res, err := g.t.RevokeAzureAccess(g.ctx, cmd(prov.actor(0), p.id, "revoke", c.id), p.id, c.id, "customer moved its Azure subscriptions to direct billing")
					if err != nil {
						return fmt.Errorf("demo: revoke %s Azure access to %s: %w", p.id, c.id, err)
					}
					g.record(res)
					g.grant[p.id+"/"+c.id] = false
				}
			}
		}
		g.tick()
	}
	return nil
}

// ---- the step queue -------------------------------------------------------

// step is one command of a ticket's life, run at At (the queue order) and
// dated OccurredAt (at or before At: a late entry when before).
type step struct {
	at, occurred time.Time
	seq          int
	tk           *tk
	name         string
	actor        domain.Actor
	run          func(cmd app.Command) (app.Result, error)
}

type stepQueue []*step

func (q stepQueue) Len() int { return len(q) }
func (q stepQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q stepQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *stepQueue) Push(x any)   { *q = append(*q, x.(*step)) }
func (q *stepQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	*q = old[:len(old)-1]
	return s
}

// schedule queues a step of k by actor at 'at', dated occurred (zero: at).
// Steps after now are dropped: they have not happened yet. A step that
// depends on another is always scheduled later than it, so it is dropped
// with it.
func (g *gen) schedule(k *tk, name string, actor domain.Actor, at, occurred time.Time, run func(cmd app.Command) (app.Result, error)) {
	at = at.Truncate(time.Second)
	if occurred.IsZero() {
		occurred = at
	}
	occurred = occurred.Truncate(time.Second)
	if at.After(g.now) {
		return
	}
	g.seq++
	heap.Push(&g.queue, &step{at: at, occurred: occurred, seq: g.seq, tk: k, name: name, actor: actor, run: run})
}

// run opens the tickets at their times and runs every step in time order.
func (g *gen) run() error {
	opens := g.planOpens()
	// The last few tickets are today's backlog: filed in English (24x7)
	// and still without a response at now, some close to their deadline
	// (at risk), some past it (breached, unanswered).
	backlog := max(3, g.opts.Tickets/40)
	if g.opts.Tickets < showcases+backlog {
		backlog = 0
	}
	for i, at := range opens {
		k := &tk{n: i}
		if i >= len(opens)-backlog {
			k.backlog = true
			k.severity = []domain.Severity{domain.SeverityA, domain.SeverityB}[g.rnd.IntN(2)]
			frac := 0.8 + 0.15*g.rnd.Float64() // at risk: less than a quarter left
			if (len(opens)-i)%2 == 0 {
				frac = 1.1 + 0.5*g.rnd.Float64() // breached, still unanswered
			}
			at = g.now.Add(-time.Duration(frac * float64(targets[k.severity]))).Truncate(time.Second)
			if at.Before(g.start) {
				at = g.start.Add(time.Minute)
			}
		}
		g.schedule(k, "open", domain.Actor{}, at, at, nil)
	}
	for g.queue.Len() > 0 {
		if err := g.ctx.Err(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		s := heap.Pop(&g.queue).(*step)
		if s.name == "open" {
			if err := g.open(s.tk, s.at); err != nil {
				return err
			}
			g.tick()
			continue
		}
		cmd := app.Command{Actor: s.actor, OccurredAt: s.occurred,
			IdempotencyKey: g.key("t", fmt.Sprint(s.tk.n), s.name)}
		res, err := s.run(cmd)
		if err != nil {
			return fmt.Errorf("demo: ticket #%d (%s, %s %s %s) step %s at %s: %w", s.tk.n, s.tk.id, s.tk.product, s.tk.severity, s.tk.language,
				s.name, s.occurred.Format(time.RFC3339), err)
		}
		g.record(res)
	}
	return nil
}

// planOpens returns the filing times: spread over the window, denser on
// working days and hours, the first few (showcase tickets) early enough for
// their whole life to fit.
func (g *gen) planOpens() []time.Time {
	out := make([]time.Time, 0, g.opts.Tickets)
	span := g.now.Sub(g.start) - 10*time.Minute
	for len(out) < g.opts.Tickets {
		at := g.start.Add(time.Duration(g.rnd.Float64() * float64(span)))
		if len(out) < showcases {
			at = g.start.Add(time.Duration((0.05 + 0.3*g.rnd.Float64()) * float64(span)))
		}
		h, wd := at.Hour(), at.Weekday()
		if (wd == time.Saturday || wd == time.Sunday || h < 6 || h > 19) && g.rnd.Float64() < 0.6 {
			continue // fewer requests at night and at weekends
		}
		out = append(out, at.Truncate(time.Second))
	}
	return out
}

// lognormal draws from a log-normal distribution with the given median and
// shape sigma.
func (g *gen) lognormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*g.rnd.NormFloat64())
}

func (g *gen) chance(p float64) bool { return g.rnd.Float64() < p }

func pick[T any](g *gen, xs []T) T { return xs[g.rnd.IntN(len(xs))] }

// weighted picks an index by weight.
func (g *gen) weighted(ws ...float64) int {
	var sum float64
	for _, w := range ws {
		sum += w
	}
	x := g.rnd.Float64() * sum
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

// principals issues, as the demo admin, a token for each person the
// generator acts as, and revokes one rotated token (Options.Tokens).
func (g *gen) principals() error {
	ts := g.opts.Tokens
	if ts == nil {
		return nil
	}
	have := map[string]auth.TokenInfo{}
	for _, ti := range ts.Registry().Tokens() {
		have[ti.Name] = ti
	}
	issue := func(a domain.Actor) (string, error) {
		if ti, ok := have[a.ID]; ok {
			return ti.ID, nil
		}
		iss, err := ts.Issue(g.ctx, adminActor, auth.IssueRequest{Role: a.Role, Partner: a.Partner, Name: a.ID})
		if err != nil {
			return "", fmt.Errorf("demo: issue a token for %s: %w", a.ID, err)
		}
		g.sum.Events[principal.TypeTokenIssued]++
		return iss.TokenID, nil
	}
	var actors []domain.Actor
	for i := range world.partners {
		p := &world.partners[i]
		for j := range p.people {
			actors = append(actors, p.actor(j))
		}
	}
	for _, e := range engineers {
		actors = append(actors, domain.Actor{ID: e, Role: domain.RoleVendorSupport})
	}
	actors = append(actors, domain.Actor{ID: "auditor@demo.example", Role: domain.RoleAuditor})
	for _, a := range actors {
		if _, err := issue(a); err != nil {
			return err
		}
	}
	// A token replaced with a new laptop: issued, then revoked.
	old := actors[0]
	old.ID += " (old laptop)"
	id, err := issue(old)
	if err != nil {
		return err
	}
	if ti, ok := have[old.ID]; ok && ti.Revoked {
		return nil
	}
	if err := ts.Revoke(g.ctx, adminActor, id, "laptop replaced"); err != nil {
		return fmt.Errorf("demo: revoke %s: %w", id, err)
	}
	g.sum.Events[principal.TypeTokenRevoked]++
	return nil
}
