package evidence

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/infra/cli/render"
	"github.com/ticketledger/ticketledger/projections"
)

func (v *verifier) checkSLA() {
	f, err := readFacts(v.recs)
	if err != nil {
		v.fail(CheckVerdict, EventsFile, nil, "an event does not decode: "+err.Error(), "", "")
		return
	}
	d, ok := f.current()
	if !ok {
		return // no deadline: a marketplace redirect
	}
	if f.Responded {
		d = f.InForce
	}
	s := &SLASummary{OpenedAt: f.OpenedAt.UTC(), Severity: f.Severity, Language: f.Language, Class: string(d.Class), Clock: string(d.Clock), Calendar: d.Calendar,
		PolicyVersion: d.PolicyVersion, DeadlineAt: d.At.UTC(), TargetSeconds: int64(d.Target / time.Second), Responded: f.Responded,
		RecordedVerdict: v.b.Verdict.SLA.Verdict}
	if f.Responded {
		s.Severity = string(d.Severity)
		s.RespondedAt, s.ResponseSeconds = f.RespondedAt.UTC(), int64(f.RespondedAt.Sub(f.OpenedAt)/time.Second)
		s.Verdict = projections.SLABreached
		if f.Met {
			s.Verdict = projections.SLAMet
		}
		if f.Met != !f.RespondedAt.After(d.At) {
			rev, file := v.revisionOf("ticket.first_response_recorded"), EventsFile
			if rev != nil {
				file, _ = EventFile(*rev)
			}
			v.fail(CheckVerdict, file, rev, "the first response's recorded verdict does not follow from its time and deadline",
				fmt.Sprintf("met=%t", !f.RespondedAt.After(d.At)), fmt.Sprintf("met=%t", f.Met))
		}
	} else {
		s.Verdict = projections.SLAPending
		if v.b.Verdict.AsOf.After(d.At) {
			s.Verdict = projections.SLABreached
		}
	}
	v.rep.SLA = s
	if got := v.b.Verdict.SLA.Verdict; got != s.Verdict {
		v.fail(CheckVerdict, VerdictFile, nil, "the recorded verdict is not what the signed events say", s.Verdict, got)
	}
	if got := v.b.Verdict.SLA.TicketID; got != v.b.Manifest.TicketID {
		v.fail(CheckVerdict, VerdictFile, nil, "the verdict is about another ticket", v.b.Manifest.TicketID, got)
	}
	for _, dl := range append(slices.Clone(f.Deadlines), f.InForce) {
		v.checkPolicy(dl)
	}
}

// checkPolicy checks that policy.json holds the deadline's policy version
// and, for a 24x7 break-fix deadline, the same target.
func (v *verifier) checkPolicy(d sla.Deadline) {
	if d.PolicyVersion == "" {
		return
	}
	i := slices.IndexFunc(v.b.Policies.Policies, func(p PolicyDef) bool { return p.Version == d.PolicyVersion })
	if i < 0 {
		v.fail(CheckPolicy, PolicyFile, nil, "the policy version a signed deadline names is missing", d.PolicyVersion, "no such version")
		return
	}
	if d.Class != sla.ClassBreakFix || d.Clock != sla.ClockAroundTheClock {
		return
	}
	want, got := int64(d.Target/time.Second), v.b.Policies.Policies[i].BreakFixTargetSeconds[string(d.Severity)]
	if want != got {
		v.fail(CheckPolicy, PolicyFile, nil, fmt.Sprintf("policy %s: the severity %s target is not the one the signed deadline records", d.PolicyVersion, d.Severity),
			strconv.FormatInt(want, 10)+" s", strconv.FormatInt(got, 10)+" s")
	}
}

func (v *verifier) revisionOf(eventType string) *uint64 {
	for _, r := range v.recs {
		if r.Type == eventType {
			return revp(r.Revision)
		}
	}
	return nil
}

// proves says in plain words what a bundle that verified proves.
func (v *verifier) proves() []string {
	var out []string
	r := v.rep
	if s := r.SLA; s != nil {
		clock := "24x7"
		if s.Clock == string(sla.ClockBusinessHours) {
			clock = "business hours of calendar " + s.Calendar
		}
		if s.Class == string(sla.ClassNonCritical) {
			clock = "non-critical, " + clock
		}
		lang := s.Language
		if sla.IsEnglish(lang) {
			lang = "English"
		}
		under := fmt.Sprintf("deadline %s (%s) under policy %s (severity %s, %s, %s)", render.Duration(time.Duration(s.TargetSeconds)*time.Second),
			s.DeadlineAt.Format("2006-01-02 15:04 UTC"), s.PolicyVersion, s.Severity, clock, lang)
		if s.Responded {
			out = append(out, fmt.Sprintf("first response recorded %s, %s after opening; %s: %s.", s.RespondedAt.Format("2006-01-02 15:04 UTC"),
				render.Duration(time.Duration(s.ResponseSeconds)*time.Second), under, s.Verdict))
		} else {
			out = append(out, fmt.Sprintf("no first response recorded by the export (%s); opened %s; %s: %s.", v.b.Verdict.AsOf.UTC().Format("2006-01-02 15:04 UTC"),
				s.OpenedAt.Format("2006-01-02 15:04 UTC"), under, s.Verdict))
		}
	}
	h := r.Head
	out = append(out, fmt.Sprintf("%d events (revisions %d–%d), none altered, removed or reordered: every hash, chain link and signature checks.", r.Events, r.FirstRevision, r.LastRevision))
	out = append(out, fmt.Sprintf("%d of them in the ledger's log: covered by tree head %d of %q, signed by key %s on %s.", r.Sealed, h.Size, h.Origin, h.KeyID, h.Time.Format("2006-01-02 15:04:05 UTC")))
	if n := len(r.Unsealed); n > 0 {
		out = append(out, fmt.Sprintf("%d newest events (revisions %s) are covered by their signatures only: the tree head does not include them yet; export again after the next seal.", n, joinRevs(r.Unsealed)))
	}
	out = append(out, "the bundle shows what the ticket's stream held up to revision "+strconv.FormatUint(r.LastRevision, 10)+"; it cannot show that no later events exist.")
	return out
}

func joinRevs(rs []uint64) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = strconv.FormatUint(r, 10)
	}
	return strings.Join(s, ", ")
}
