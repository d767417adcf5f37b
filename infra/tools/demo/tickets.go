package demo

import (
	"fmt"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/app"
)

// showcases is how many tickets at the start of the history are given a
// fixed feature (a dispute, a fraud flag, a reopening…), so that even a small
// history holds every event type.
const showcases = 11

// Showcase features, by ticket number.
const (
	scDispute = iota
	scFraud
	scSeverity
	scInfo
	scReopen
	scEscalate
	scMarketplace
	scNotes
	scDynamics
	scOwn
	scBreachedA // a Sev A request answered after its deadline: the console's first find
)

// tk is one generated ticket.
type tk struct {
	n        int
	id       string
	filer    *partnerDef
	person   int
	customer *customerDef
	product  ticket.Product
	severity domain.Severity
	language string
	locale   string
	opened   time.Time
	deadline time.Time
	dl       sla.Deadline // the opening's deadline, when it set one
	// backlog: filed recently in English with severity preset, not
	// answered by now.
	backlog bool
}

func (k *tk) partnerActor() domain.Actor { return k.filer.actor(k.person) }

var engineers = []string{
	"anna.kowalski@support.vendor.example", "björn.ek@support.vendor.example", "claire.martin@support.vendor.example",
	"daichi.mori@support.vendor.example", "emma.fischer@support.vendor.example", "frank.osei@support.vendor.example",
}

var queues = []string{"azure-tier2", "m365-tier2", "dynamics-specialists", "billing-operations", "identity-security", "emea-duty-manager"}

func (g *gen) vendor() domain.Actor {
	return domain.Actor{ID: pick(g, engineers), Role: domain.RoleVendorSupport}
}

var localLanguage = map[string]string{"sv-SE": "sv", "de-DE": "de", "ja-JP": "ja"}

var currencyOf = map[string]string{"sv-SE": "SEK", "de-DE": "EUR", "ja-JP": "JPY", "en-GB": "GBP", "en-US": "USD"}

type isv struct {
	product, name string
	contact       ticket.ISVContact
}

var isvs = []isv{
	{"Fabrikam Backup Vault", "Fabrikam Software Ltd", ticket.ISVContact{SupportURL: "https://support.fabrikam.example/backup-vault", SupportEmail: "help@fabrikam.example"}},
	{"Northwind Sentinel Connector", "Northwind Traders Security", ticket.ISVContact{SupportEmail: "sentinel-support@northwind.example"}},
	{"Tailspin Route Optimizer", "Tailspin Toys Logistics", ticket.ISVContact{SupportURL: "https://tailspin.example/support", SupportPhone: "+1 425 555 0142"}},
	{"Wingtip CRM Sync", "Wingtip Solutions GmbH", ticket.ISVContact{SupportURL: "https://wingtip.example/hilfe"}},
}

type problem struct{ title, desc string }

var problems = map[ticket.Product][]problem{
	ticket.ProductAzure: {
		{"Production VMs in West Europe unreachable after host maintenance", "Three D-series VMs stopped responding after the planned maintenance; boot diagnostics show a kernel panic."},
		{"Azure SQL failover group stuck in 'Seeding'", "Geo-replication to the secondary has not progressed for two hours; the application is read-only."},
		{"AKS node pool upgrade failing with quota error", "Upgrading the user node pool fails: 'OperationNotAllowed: quota exceeded' although the quota page shows headroom."},
		{"Storage account throttling (503) during nightly batch", "Blob uploads from the nightly ETL get 503 ServerBusy since Monday."},
		{"ExpressRoute circuit flapping", "BGP sessions on the primary link reset every few minutes."},
	},
	ticket.ProductOffice365: {
		{"Mail flow delayed for all users", "Inbound mail arrives with 40–90 minute delays; message trace shows 'Deferred'."},
		{"Teams meetings drop after 20 minutes", "Scheduled meetings with external guests end for everyone after about 20 minutes."},
		{"SharePoint site collection locked read-only", "A migrated site collection shows 'This site is read only' for all owners."},
		{"OneDrive sync client reports conflicts on every file", "After the tenant rename, the sync client marks every file as conflicted."},
	},
	ticket.ProductDynamics365: {
		{"Dynamics 365 Sales: plug-in timeout on opportunity save", "Saving an opportunity fails after 2 minutes with a plug-in timeout since the last release wave."},
		{"Dynamics 365 Finance: batch jobs not starting", "Batch jobs stay in 'Waiting' in the production environment."},
	},
	ticket.ProductEMS: {
		{"Intune compliance policies not applying to iOS devices", "Newly enrolled iOS devices stay 'Not evaluated' for days."},
		{"Conditional Access blocks all guest users", "A policy scoped to members also blocks B2B guests; sign-in logs show policy id mismatch."},
	},
	ticket.ProductBilling: {
		{"Invoice charges a cancelled subscription", "The October invoice bills a subscription that was cancelled in September."},
		{"Duplicate Azure plan charges after migration", "Usage appears twice on the invoice after moving subscriptions to the Azure plan."},
		{"Unexpected price change on renewal", "The seat price on renewal differs from the price list in force at order time."},
	},
}

var questions = []string{
	"Please send the correlation IDs and the exact UTC times of three failures.",
	"Can you share the output of the diagnostic script attached to this ticket?",
	"Which subscriptions and resource groups are affected? Please list their IDs.",
	"Please confirm whether the issue also occurs outside the customer's VPN.",
}

var notes = []string{
	"Customer confirmed the workaround keeps production running for now.",
	"Partner called in the morning stand-up: impact unchanged.",
	"Logs uploaded to the secure file share.",
	"Engineering has reproduced the issue in a lab tenant.",
	"Kunden bekräftar att felet kvarstår efter omstart.",
	"Kunde bestätigt: Fehler tritt nur im Produktionsmandanten auf.",
	"お客様より、回避策で業務は継続できているとの連絡あり。",
}

// open files ticket k at 'at' and plans the rest of its life.
func (g *gen) open(k *tk, at time.Time) error {
	sc := -1
	if k.n < showcases {
		sc = k.n
	}
	// Filer: providers a little more often than resellers.
	switch sc {
	case scDynamics:
		k.filer = findPartner("alpenwerk-it")
	case scOwn:
		k.filer = findPartner("atlantic-channel")
	default:
		k.filer = &world.partners[g.rnd.IntN(len(world.partners))]
	}
	k.person = g.rnd.IntN(len(k.filer.people))
	k.locale = k.filer.locale
	k.opened = at
	own := sc == scOwn || (sc < 0 && k.filer.entitlement() != "" && g.chance(0.12))

	products := []ticket.Product{ticket.ProductAzure, ticket.ProductOffice365, ticket.ProductDynamics365, ticket.ProductEMS, ticket.ProductBilling, ticket.ProductMarketplace}
	k.product = products[g.weighted(34, 22, 10, 8, 14, 12)]
	switch sc {
	case scDispute:
		k.product = ticket.ProductBilling
	case scFraud, scOwn:
		k.product = ticket.ProductAzure
	case scMarketplace:
		k.product = ticket.ProductMarketplace
	case scDynamics:
		k.product = ticket.ProductDynamics365
	case scSeverity, scInfo, scReopen, scEscalate, scNotes, scBreachedA:
		if k.product == ticket.ProductMarketplace || k.product == ticket.ProductBilling {
			k.product = ticket.ProductOffice365
		}
	}
	if k.backlog {
		k.product = []ticket.Product{ticket.ProductAzure, ticket.ProductOffice365, ticket.ProductEMS}[g.rnd.IntN(3)]
	}
	if k.product == ticket.ProductMarketplace {
		return g.redirect(k)
	}
	// Rule 3: Dynamics 365 for a customer needs ASfP or higher.
	if !own && k.product == ticket.ProductDynamics365 && !k.filer.hasPlanAtLeastASfP() {
		k.product = ticket.ProductOffice365
	}

	in := app.OpenTicket{OpenRequest: ticket.OpenRequest{Product: k.product}}
	in.Severity = []domain.Severity{domain.SeverityA, domain.SeverityB, domain.SeverityC}[g.weighted(15, 35, 50)]
	switch sc {
	case scSeverity:
		in.Severity = domain.SeverityC
	case scBreachedA:
		in.Severity = domain.SeverityA
	}
	in.NonCritical = k.product != ticket.ProductBilling && sc < 0 && g.chance(0.1)
	k.language = "en"
	if l, ok := localLanguage[k.locale]; ok && (sc == scDynamics || (sc < 0 && g.chance(0.35))) {
		k.language = l
	}
	if k.backlog {
		in.Severity, in.NonCritical, k.language = k.severity, false, "en"
	}
	in.Language, in.Locale = k.language, k.locale
	in.Channel = []ticket.Channel{ticket.ChannelWeb, ticket.ChannelEmail, ticket.ChannelAPI}[g.weighted(70, 20, 10)]
	in.Contact = ticket.Contact{Name: k.filer.people[k.person], Email: k.filer.email(k.person), Organisation: k.filer.id}
	p := pick(g, problems[k.product])
	in.Title, in.Description = p.title, p.desc

	if own {
		in.Context = ticket.ContextOwn
		in.Entitlement = k.filer.entitlement()
		switch k.product {
		case ticket.ProductAzure:
			in.Route = ticket.RouteAzurePortalDirect
		case ticket.ProductBilling:
			in.Route = []ticket.Route{ticket.RouteAzurePortalDirect, ticket.RoutePartnerCenter}[g.rnd.IntN(2)]
		default:
			in.Route = ticket.RouteAdminCenterDirect
		}
	} else {
		in.Context = ticket.ContextCustomer
		server := k.filer
		// A provider files for a customer of one of its resellers.
		if k.filer.role == domain.RoleIndirectProvider && sc < 0 && g.chance(0.2) {
			var rs []*partnerDef
			for i := range world.partners {
				if world.partners[i].provider == k.filer.id {
					rs = append(rs, &world.partners[i])
				}
			}
			if len(rs) > 0 {
				server = pick(g, rs)
				in.ResellerID = server.id
			}
		}
		c := &server.customers[g.rnd.IntN(len(server.customers))]
		k.customer = c
		in.CustomerID = c.id
		in.Route = ticket.RoutePartnerCenter
		if k.product == ticket.ProductAzure {
			switch {
			case k.filer.role == domain.RoleIndirectReseller && !g.grant[k.filer.id+"/"+c.id]:
				// Rule 4: no grant from the provider: the customer's own portal.
				in.Route = ticket.RouteCustomerPortal
			case k.filer.role == domain.RoleIndirectReseller && g.chance(0.2):
				in.Route = ticket.RouteCustomerPortal
			case k.filer.role == domain.RoleIndirectProvider && g.chance(0.2):
				in.Route = ticket.RouteAzureSupportGroup
			}
		}
	}

	cmd := app.Command{Actor: k.partnerActor(), OccurredAt: at, IdempotencyKey: g.key("t", fmt.Sprint(k.n), "open")}
	if !own {
		cmd.OnBehalfOf = in.CustomerID
	}
	res, err := g.t.Open(g.ctx, cmd, in)
	if err != nil {
		return fmt.Errorf("demo: ticket #%d: open %s %s (%s, %s, %s, filer %s, customer %q, route %s): %w",
			k.n, k.product, in.Severity, in.Context, k.language, k.locale, k.filer.id, in.CustomerID, in.Route, err)
	}
	g.record(res)
	g.sum.Tickets++
	if k.filer.id == leaverPartner && g.leaver == "" {
		g.leaver, g.leaverReplayed = in.Contact.Email, res.Replayed
	}
	k.id, k.severity = res.TicketID, in.Severity
	k.deadline = at.Add(8 * time.Hour)
	if res.Deadline != nil {
		k.deadline, k.dl = res.Deadline.At, *res.Deadline
	}
	if k.backlog {
		g.noticeBreach(k) // those past their deadline by now
		if g.chance(0.5) {
			g.schedule(k, "reassign", g.vendor(), g.after(at, 10*time.Minute, 0.5, sc), time.Time{}, func(cmd app.Command) (app.Result, error) {
				return g.t.Act(g.ctx, cmd, k.id, ticket.Reassignment{To: pick(g, queues), Reason: "triage"})
			})
		}
		return nil
	}
	g.plan(k, sc)
	return nil
}

// redirect records a marketplace request sent to the ISV.
func (g *gen) redirect(k *tk) error {
	i := pick(g, isvs)
	in := app.RedirectTicket{RedirectRequest: ticket.RedirectRequest{
		ProductName: i.product, ISV: i.name, ISVContact: i.contact,
		Title: "Marketplace product " + i.product + " fails after update",
	}}
	cmd := app.Command{Actor: k.partnerActor(), OccurredAt: k.opened, IdempotencyKey: g.key("t", fmt.Sprint(k.n), "redirect")}
	if g.chance(0.7) {
		c := pick(g, k.filer.customers)
		in.CustomerID = c.id
		cmd.OnBehalfOf = c.id
	}
	res, err := g.t.RedirectToISV(g.ctx, cmd, in)
	if err != nil {
		return fmt.Errorf("demo: ticket #%d: redirect to ISV %s: %w", k.n, i.name, err)
	}
	g.record(res)
	g.sum.Redirects++
	return nil
}

// after returns t plus a log-normal delay with the given median (scaled down
// for showcase tickets, whose whole life must fit the window).
func (g *gen) after(t time.Time, median time.Duration, sigma float64, sc int) time.Time {
	m := float64(median)
	if sc >= 0 {
		m *= 0.3
	}
	d := time.Duration(g.lognormal(m, sigma))
	return t.Add(max(d, time.Minute))
}

// plan schedules the life of an opened ticket. Times only move forward along
// each chain of dependent steps.
func (g *gen) plan(k *tk, sc int) {
	t0 := k.opened
	dl := k.deadline.Sub(t0)
	id := k.id
	pa := k.partnerActor()

	// First response: log-normal share of the time to the deadline, by
	// severity; BreachRate of them late.
	median := map[domain.Severity]float64{domain.SeverityA: 0.3, domain.SeverityB: 0.38, domain.SeverityC: 0.45}[k.severity]
	var respond time.Time
	if sc == scBreachedA || (sc < 0 && g.chance(g.opts.BreachRate)) {
		respond = k.deadline.Add(time.Duration(g.lognormal(float64(40*time.Minute), 0.8)))
	} else {
		f := g.lognormal(median, 0.5)
		if f >= 0.97 {
			f = 0.6 + 0.35*g.rnd.Float64()
		}
		respond = t0.Add(max(time.Duration(f*float64(dl)), 3*time.Minute))
	}

	// Before the first response: triage reassignment, severity change.
	sevChanged := false
	if sc == scNotes || (sc < 0 && g.chance(0.35)) {
		at := t0.Add(time.Duration((0.05 + 0.25*g.rnd.Float64()) * float64(respond.Sub(t0))))
		q := pick(g, queues)
		g.schedule(k, "reassign", g.vendor(), at, time.Time{}, func(cmd app.Command) (app.Result, error) {
			return g.t.Act(g.ctx, cmd, id, ticket.Reassignment{To: q, Reason: "triage: routed to the specialist queue"})
		})
	}
	if sc == scSeverity || (sc < 0 && g.chance(0.08)) {
		to := map[domain.Severity][]domain.Severity{
			domain.SeverityA: {domain.SeverityB}, domain.SeverityB: {domain.SeverityA, domain.SeverityC}, domain.SeverityC: {domain.SeverityB, domain.SeverityA},
		}[k.severity]
		sev := pick(g, to)
		at := t0.Add(time.Duration((0.3 + 0.5*g.rnd.Float64()) * float64(respond.Sub(t0))))
		reason := "business impact grew: the outage now affects production users"
		if sev > k.severity { // A < B < C: a higher letter is less severe
			reason = "workaround in place: impact reduced to non-production"
		}
		g.schedule(k, "severity", pa, at, time.Time{}, func(cmd app.Command) (app.Result, error) {
			return g.t.Act(g.ctx, cmd, id, ticket.SeverityChange{To: sev, Reason: reason})
		})
		sevChanged = true
		// Support reacts to the new target: an upgrade brings the response
		// forward (the deadline is recomputed from the creation).
		if r := float64(targets[sev]) / float64(targets[k.severity]); r < 1 {
			respond = maxTime(at.Add(time.Duration(5+g.rnd.IntN(20))*time.Minute), t0.Add(time.Duration(r*float64(respond.Sub(t0)))))
		}
	}

	if respond.After(k.deadline) && !sevChanged {
		g.noticeBreach(k)
	}

	// The first response itself: recorded, possibly entered late, or an
	// information request (which is a response).
	infoFirst := sc == scInfo || (sc < 0 && g.chance(0.12))
	cursor := respond
	if infoFirst {
		cursor = g.scheduleInfoRound(k, respond, 3*time.Hour, sc, "Requested details attached: correlation IDs and timestamps.")
	} else {
		recordAt := respond
		if sc < 0 && g.chance(0.1) {
			recordAt = g.after(respond, 2*time.Hour, 0.5, sc) // entered late
			cursor = recordAt
		}
		g.schedule(k, "first-response", g.vendor(), recordAt, respond, func(cmd app.Command) (app.Result, error) {
			return g.t.Act(g.ctx, cmd, id, ticket.FirstResponse{Summary: "Engineer assigned; investigating logs and platform telemetry."})
		})
		if sc < 0 && g.chance(0.1) {
			cursor = g.after(cursor, 5*time.Hour, 0.7, sc)
			cursor = g.scheduleInfoRound(k, cursor, 4*time.Hour, sc, "Here is the output of the diagnostic script.")
		}
	}
	last := cursor // the last step that needs the ticket active

	// Escalations.
	if sc == scEscalate || (sc < 0 && g.chance(map[domain.Severity]float64{domain.SeverityA: 0.25, domain.SeverityB: 0.12, domain.SeverityC: 0.05}[k.severity])) {
		at := g.after(respond, 4*time.Hour, 0.7, sc)
		g.schedule(k, "escalate-1", pa, at, time.Time{}, func(cmd app.Command) (app.Result, error) {
			return g.t.Act(g.ctx, cmd, id, ticket.Escalation{Reason: "no progress since the first response and production remains affected", Criteria: []string{"business-critical workload", "partner troubleshooting exhausted"}})
		})
		last = maxTime(last, at)
		if sc == scEscalate || g.chance(0.3) {
			at2 := g.after(at, 8*time.Hour, 0.6, sc)
			g.schedule(k, "escalate-2", pa, at2, time.Time{}, func(cmd app.Command) (app.Result, error) {
				return g.t.Act(g.ctx, cmd, id, ticket.Escalation{Reason: "the proposed fix failed in production", Criteria: []string{"business-critical workload", "regulatory deadline at risk"}})
			})
			last = maxTime(last, at2)
		}
	}

	// Billing disputes.
	disputeOpen := false
	if sc == scDispute || (sc < 0 && k.product == ticket.ProductBilling && g.chance(0.45)) {
		at := g.after(t0, 2*time.Hour, 0.6, sc)
		dispID := fmt.Sprintf("DSP-%04d", k.n)
		amount := int64(2000 + g.rnd.IntN(480000))
		cur := currencyOf[k.locale]
		g.schedule(k, "dispute-open", pa, at, time.Time{}, func(cmd app.Command) (app.Result, error) {
			return g.t.Act(g.ctx, cmd, id, ticket.Dispute{DisputeID: dispID, InvoiceRef: fmt.Sprintf("INV-2026-%06d", 100000+k.n),
				AmountCents: amount, Currency: cur, Reason: "charges for a cancelled subscription"})
		})
		last = maxTime(last, at)
		disputeOpen = true
		if sc == scDispute || g.chance(0.85) {
			at2 := g.after(maxTime(at, respond), 30*time.Hour, 0.6, sc)
			var d ticket.Decision
			switch g.weighted(45, 30, 25) {
			case 0:
				d = ticket.Decision{Outcome: ticket.OutcomeUpheld, CreditAmountCents: amount, Explanation: "Cancellation confirmed in the order history: full credit."}
			case 1:
				d = ticket.Decision{Outcome: ticket.OutcomePartial, CreditAmountCents: amount * int64(20+g.rnd.IntN(60)) / 100, Explanation: "Credit for the days after the cancellation date."}
			default:
				d = ticket.Decision{Outcome: ticket.OutcomeRejected, Explanation: "The subscription was active during the billed period."}
			}
			d.DisputeID = dispID
			g.schedule(k, "dispute-resolve", g.vendor(), at2, time.Time{}, func(cmd app.Command) (app.Result, error) {
				return g.t.Act(g.ctx, cmd, id, d)
			})
			last = maxTime(last, at2)
			disputeOpen = at2.After(g.now)
		}
	}

	// Fraud flags.
	var flagAt time.Time
	if sc == scFraud || (sc < 0 && (k.product == ticket.ProductBilling || k.product == ticket.ProductAzure) && g.chance(0.05)) {
		flagAt = g.after(t0, 90*time.Minute, 0.6, sc)
		g.schedule(k, "fraud-flag", pa, flagAt, time.Time{}, func(cmd app.Command) (app.Result, error) {
			return g.t.Act(g.ctx, cmd, id, ticket.FraudFlag{Reason: "subscription created with a card reported stolen", Indicators: []string{"card reported stolen", "resource creation spike in a new region"}})
		})
		last = maxTime(last, flagAt)
	}
	clearFraud := !flagAt.IsZero() && (sc == scFraud || g.chance(0.6))

	// Notes, some entered late (dated before events already recorded).
	nNotes := g.rnd.IntN(3)
	if sc == scNotes {
		nNotes = 3
	}
	for i := range nNotes {
		at := g.after(t0, 10*time.Hour, 0.9, sc)
		occurred := at
		if i == 0 && (sc == scNotes || g.chance(0.15)) {
			at = g.after(at, 6*time.Hour, 0.5, sc)
		}
		actor := pa
		if g.chance(0.5) {
			actor = g.vendor()
		}
		text := pick(g, notes)
		g.schedule(k, fmt.Sprintf("note-%d", i+1), actor, at, occurred, func(cmd app.Command) (app.Result, error) {
			return g.t.Act(g.ctx, cmd, id, ticket.Note{Text: text})
		})
		last = maxTime(last, at)
	}

	// Resolution, reopening, closing; or a withdrawal; or still open.
	resolve := !disputeOpen && (sc == scReopen || (sc < 0 && g.chance(0.72)))
	withdraw := !disputeOpen && !resolve && sc < 0 && g.chance(0.04)
	end := last
	switch {
	case resolve:
		at := g.after(last, 20*time.Hour, 0.8, sc)
		if clearFraud {
			g.scheduleClear(k, flagAt, at, sc)
		}
		g.schedule(k, "resolve", g.vendor(), at, time.Time{}, func(cmd app.Command) (app.Result, error) {
			return g.t.Act(g.ctx, cmd, id, ticket.Resolution{Text: "Root cause fixed by the platform team; confirmed with the partner."})
		})
		end = at
		if sc == scReopen || g.chance(0.12) {
			ro := g.after(at, 18*time.Hour, 0.7, sc)
			g.schedule(k, "reopen", pa, ro, time.Time{}, func(cmd app.Command) (app.Result, error) {
				return g.t.Act(g.ctx, cmd, id, ticket.Reopening{Reason: "the problem came back after the weekend"})
			})
			rs := g.after(ro, 12*time.Hour, 0.7, sc)
			g.schedule(k, "resolve-2", g.vendor(), rs, time.Time{}, func(cmd app.Command) (app.Result, error) {
				return g.t.Act(g.ctx, cmd, id, ticket.Resolution{Text: "Second fix deployed; monitoring shows no recurrence."})
			})
			end = rs
		}
		if sc == scReopen || g.chance(0.55) {
			cl := g.after(end, 48*time.Hour, 0.6, sc)
			actor := pa
			if sc != scReopen && g.chance(0.4) && !g.opts.OverAPI {
				actor = systemActor // auto-close of a resolved ticket
			}
			g.schedule(k, "close", actor, cl, time.Time{}, func(cmd app.Command) (app.Result, error) {
				return g.t.Act(g.ctx, cmd, id, ticket.Closure{Reason: "resolved and confirmed"})
			})
		}
	case withdraw:
		at := g.after(last, 12*time.Hour, 0.6, sc)
		if clearFraud {
			g.scheduleClear(k, flagAt, at, sc)
		}
		g.schedule(k, "close", pa, at, time.Time{}, func(cmd app.Command) (app.Result, error) {
			return g.t.Act(g.ctx, cmd, id, ticket.Closure{Reason: "withdrawn: the customer solved it with the ISV's documentation"})
		})
	default:
		if clearFraud {
			g.schedule(k, "fraud-clear", g.vendor(), g.after(flagAt, 20*time.Hour, 0.6, sc), time.Time{}, func(cmd app.Command) (app.Result, error) {
				return g.t.Act(g.ctx, cmd, id, ticket.FraudClearance{Reason: "card holder confirmed the purchase; false positive"})
			})
		}
	}
}

// scheduleInfoRound schedules vendor support asking k's partner for
// information at at (a question picked at random) and the partner's answer
// a log-normal wait of the median later; it returns when the answer is.
func (g *gen) scheduleInfoRound(k *tk, at time.Time, median time.Duration, sc int, answer string) time.Time {
	q := pick(g, questions)
	g.schedule(k, "request-info", g.vendor(), at, time.Time{}, func(cmd app.Command) (app.Result, error) {
		return g.t.Act(g.ctx, cmd, k.id, ticket.InfoRequest{Question: q})
	})
	answered := g.after(at, median, 0.8, sc)
	g.schedule(k, "provide-info", k.partnerActor(), answered, time.Time{}, func(cmd app.Command) (app.Result, error) {
		return g.t.Act(g.ctx, cmd, k.id, ticket.InfoAnswer{Answer: answer})
	})
	return answered
}

// scheduleClear clears a fraud flag between the flag and before, the step
// that ends the ticket.
func (g *gen) scheduleClear(k *tk, flagAt, before time.Time, sc int) {
	at := flagAt.Add(time.Duration((0.2 + 0.6*g.rnd.Float64()) * float64(before.Sub(flagAt))))
	if !at.After(flagAt) || !at.Before(before) {
		return
	}
	g.schedule(k, "fraud-clear", g.vendor(), at, time.Time{}, func(cmd app.Command) (app.Result, error) {
		return g.t.Act(g.ctx, cmd, k.id, ticket.FraudClearance{Reason: "card holder confirmed the purchase; false positive"})
	})
}

// noticeBreach records the breach notice of k's opening deadline a second
// after it passed, as the ledger's deadline watcher would have (with
// noticedAt the ledger's now). Not over the API: no request acts as the
// system. Dropped, like every step, when the deadline is still ahead.
func (g *gen) noticeBreach(k *tk) {
	if g.opts.OverAPI || k.dl.At.IsZero() {
		return
	}
	d := k.dl
	g.schedule(k, "sla-breach-noticed", systemActor, d.At.Add(time.Second), time.Time{}, func(cmd app.Command) (app.Result, error) {
		return g.t.Act(g.ctx, cmd, k.id, ticket.SLANotice{Notice: ticket.NoticeBreached, Deadline: d})
	})
}

// targets are the break-fix first-response targets by severity (domain.md),
// used only to scale planned response times when the severity changes.
var targets = map[domain.Severity]time.Duration{domain.SeverityA: 2 * time.Hour, domain.SeverityB: 4 * time.Hour, domain.SeverityC: 8 * time.Hour}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
