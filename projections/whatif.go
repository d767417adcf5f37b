package projections

import (
	"sort"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/sla"
)

// Policy sets a first-response deadline for a request; an SLA policy
// version (domain/sla) satisfies it through a small adapter.
type Policy interface {
	Deadline(req sla.Request) (sla.Deadline, error)
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(sla.Request) (sla.Deadline, error)

// Deadline calls f.
func (f PolicyFunc) Deadline(r sla.Request) (sla.Deadline, error) { return f(r) }

// WhatIfQuery asks to re-judge the tickets opened in [From, To) under
// another policy.
type WhatIfQuery struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Now judges unanswered tickets.
	Now time.Time `json:"now"`
	// PolicyVersion names the policy for the report.
	PolicyVersion string `json:"policyVersion"`
	Scope
}

// WhatIfReport compares recorded verdicts with those under another policy.
// The recorded verdicts are not touched.
type WhatIfReport struct {
	PolicyVersion string    `json:"policyVersion"`
	From          time.Time `json:"from,omitzero"`
	To            time.Time `json:"to,omitzero"`
	Now           time.Time `json:"now"`
	// Evaluated counts tickets judged; MetToBreached and BreachedToMet the
	// flips; Unchanged the rest; Failed tickets the policy could not judge.
	Evaluated     int `json:"evaluated"`
	MetToBreached int `json:"metToBreached"`
	BreachedToMet int `json:"breachedToMet"`
	Unchanged     int `json:"unchanged"`
	Failed        int `json:"failed"`
	// RecordedCompliancePct and WhatIfCompliancePct compare compliance
	// over the decided (met or breached) tickets.
	RecordedCompliancePct float64 `json:"recordedCompliancePct"`
	WhatIfCompliancePct   float64 `json:"whatIfCompliancePct"`
	// RecordedMet of RecordedDecided, and WhatIfMet of WhatIfDecided, are
	// the counts behind the two percentages (reports of adjacent periods
	// add up).
	RecordedMet     int `json:"recordedMet"`
	RecordedDecided int `json:"recordedDecided"`
	WhatIfMet       int `json:"whatIfMet"`
	WhatIfDecided   int `json:"whatIfDecided"`
	// Flips lists the tickets whose verdict changes, biggest shift first.
	Flips []Flip `json:"flips"`
	// Errors lists up to 20 tickets the policy refused, with why.
	Errors []WhatIfError `json:"errors"`
}

// Flip is one ticket whose verdict changes under the other policy.
type Flip struct {
	TicketID   string          `json:"ticketId"`
	Severity   domain.Severity `json:"severity"`
	Product    string          `json:"product"`
	PartnerID  string          `json:"partnerId"`
	CustomerID string          `json:"customerId,omitempty"`
	// RespondedAt is the first response (nil: unanswered, judged at Now).
	RespondedAt *time.Time `json:"respondedAt,omitempty"`
	Recorded    Judgement  `json:"recorded"`
	WhatIf      Judgement  `json:"whatIf"`
	// ShiftSeconds is how far the deadline moved (what-if − recorded;
	// positive: later).
	ShiftSeconds float64 `json:"shiftSeconds"`
}

// Judgement is a verdict under one deadline. MarginSeconds is deadline −
// response (or − Now when unanswered): negative means late by that much.
type Judgement struct {
	Verdict       string   `json:"verdict"`
	Deadline      Deadline `json:"deadline"`
	MarginSeconds float64  `json:"marginSeconds"`
}

// WhatIfError is a ticket the policy could not judge.
type WhatIfError struct {
	TicketID string `json:"ticketId"`
	Error    string `json:"error"`
}

// WhatIf recomputes the first-response deadline of every ticket opened in
// [q.From, q.To) under p, from the same request (class, severity in force at
// the first response — or now, language, locale, opening instant), and
// reports which verdicts flip between met and breached and by how much.
func (t *Tickets) WhatIf(q WhatIfQuery, p Policy) (WhatIfReport, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m, err := t.compile(TicketFilter{Scope: q.Scope, OpenedFrom: q.From, OpenedTo: q.To})
	if err != nil {
		return WhatIfReport{}, err
	}
	rep := WhatIfReport{PolicyVersion: q.PolicyVersion, From: q.From, To: q.To, Now: q.Now, Flips: []Flip{}, Errors: []WhatIfError{}}
	now := unixNano(q.Now)
	var recMet, recDecided, newMet, newDecided int
	for i := 0; i < t.n && !m.none; i++ {
		r := t.at(i)
		if !m.ok(r) || !r.deadlineSet {
			continue
		}
		old := r.verdict(now)
		sev := r.severity
		if r.responded && r.respSeverity != 0 {
			sev = r.respSeverity
		}
		d, err := p.Deadline(sla.Request{
			Class: sla.Class(t.strs.str(r.class)), Severity: domain.Severity(t.strs.str(sev)),
			Language: t.strs.str(r.language), Locale: t.strs.str(r.locale), OpenedAt: fromNano(r.openedAt),
		})
		if err != nil {
			rep.Failed++
			if len(rep.Errors) < 20 {
				rep.Errors = append(rep.Errors, WhatIfError{TicketID: t.id(r), Error: err.Error()})
			}
			continue
		}
		rep.Evaluated++
		at := unixNano(d.At)
		judgeAt, recAt := now, r.dl.at
		if r.responded {
			judgeAt, recAt = r.respondedAt, r.respDeadlineAt
		}
		nv := string(sla.Judge(d.At, fromNano(judgeAt), r.responded, r.responded && d.Met(fromNano(r.respondedAt))))
		for _, c := range [...]struct {
			v        string
			met, dec *int
		}{{old, &recMet, &recDecided}, {nv, &newMet, &newDecided}} {
			if c.v == SLAMet {
				*c.met++
			}
			if c.v == SLAMet || c.v == SLABreached {
				*c.dec++
			}
		}
		if old == nv || (old != SLAMet && old != SLABreached) || (nv != SLAMet && nv != SLABreached) {
			rep.Unchanged++
			continue
		}
		if old == SLAMet {
			rep.MetToBreached++
		} else {
			rep.BreachedToMet++
		}
		recD := t.deadline(&r.dl)
		if h := t.dlAt(r, recAt); h != nil {
			recD = t.deadline(h)
		}
		f := Flip{
			TicketID: t.id(r), Severity: domain.Severity(t.strs.str(sev)), Product: t.strs.str(r.product),
			PartnerID: t.strs.str(r.partner), CustomerID: t.strs.str(r.customer),
			Recorded:     Judgement{Verdict: old, Deadline: DeadlineOf(recD), MarginSeconds: seconds(recAt - judgeAt)},
			WhatIf:       Judgement{Verdict: nv, Deadline: DeadlineOf(d), MarginSeconds: seconds(at - judgeAt)},
			ShiftSeconds: seconds(at - recAt),
		}
		if r.responded {
			f.RespondedAt = ptrTime(r.respondedAt)
		}
		rep.Flips = append(rep.Flips, f)
	}
	rep.RecordedCompliancePct, rep.WhatIfCompliancePct = CompliancePct(recMet, recDecided), CompliancePct(newMet, newDecided)
	rep.RecordedMet, rep.RecordedDecided, rep.WhatIfMet, rep.WhatIfDecided = recMet, recDecided, newMet, newDecided
	sort.SliceStable(rep.Flips, func(i, j int) bool {
		a, b := rep.Flips[i].ShiftSeconds, rep.Flips[j].ShiftSeconds
		if a < 0 {
			a = -a
		}
		if b < 0 {
			b = -b
		}
		return a > b
	})
	return rep, nil
}

// CompliancePct is met of decided (met or breached) tickets in percent:
// 100 when nothing is decided yet.
func CompliancePct(met, decided int) float64 {
	if decided == 0 {
		return 100
	}
	return float64(met) * 100 / float64(decided)
}
