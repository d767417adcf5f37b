package console

import (
	"fmt"
	"html/template"
	"time"

	"github.com/ticketledger/ticketledger/projections"
)

// slaLabels name the SLA states as people say them.
var slaLabels = map[string]string{
	projections.SLAMet:                "met",
	projections.SLABreached:           "breached",
	projections.SLAPending:            "pending",
	projections.SLAAtRisk:             "at risk",
	projections.SLABreachedUnanswered: "breached, unanswered",
	"near_miss":                       "near miss",
}

func slaLabel(state string) string {
	if l, ok := slaLabels[state]; ok {
		return l
	}
	return state
}

// slaBadge is a ticket's SLA state at a glance: met, near miss, breached,
// or for an unanswered ticket the time left (or overdue).
func slaBadge(t projections.Ticket, now time.Time) template.HTML {
	if t.SLA == nil {
		return template.HTML(`<span class="muted">no deadline</span>`)
	}
	state, text := t.SLA.State, slaLabel(t.SLA.State)
	if t.SLA.NearMiss {
		state, text = "near_miss", slaLabel("near_miss")
	}
	if rem := t.SLA.RemainingSeconds; rem != nil {
		left := time.Duration(*rem * float64(time.Second))
		if left >= 0 {
			text += ", " + words(left) + " left"
		} else {
			text += ", " + words(-left) + " over"
		}
	}
	return template.HTML(fmt.Sprintf(`<span class="badge sla-%s">%s</span>`,
		template.HTMLEscapeString(state), template.HTMLEscapeString(text)))
}

// seconds turns the API's seconds into a duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// explain says in words where a ticket's SLA clock stands: met (and
// whether narrowly), breached and by how much, or the time left.
func explain(s *projections.TicketSLA) string {
	if s == nil || s.Deadline == nil {
		return "No first-response deadline (a marketplace request redirected to its ISV)."
	}
	target := words(time.Duration(s.Deadline.TargetSeconds) * time.Second)
	switch {
	case s.Verdict == projections.SLAMet && s.RespondedAt != nil:
		msg := "Met: first response " + words(s.Deadline.At.Sub(*s.RespondedAt)) + " before the deadline"
		if s.BusinessTimeToFirstResponseSeconds != nil {
			msg += ", after " + words(seconds(*s.BusinessTimeToFirstResponseSeconds)) + " counted of the " + target + " target"
		}
		if s.NearMiss {
			msg += ". A near miss: in the last 10% of the window"
		}
		return msg + "."
	case s.Verdict == projections.SLABreached && s.RespondedAt != nil:
		return "Breached: the first response came " + words(s.RespondedAt.Sub(s.Deadline.At)) + " after the deadline (target " + target + ")."
	case s.State == projections.SLABreachedUnanswered || (s.Verdict == projections.SLABreached && s.RemainingSeconds != nil):
		over := ""
		if s.RemainingSeconds != nil {
			over = " " + words(seconds(-*s.RemainingSeconds)) + " past the deadline"
		}
		return "Breached: no first response," + over + " (target " + target + ")."
	case s.Verdict == projections.SLABreached:
		return "Breached: no first response by the deadline (target " + target + ")."
	case s.RemainingSeconds != nil:
		msg := words(seconds(*s.RemainingSeconds)) + " left until the deadline"
		if s.ElapsedBusinessSeconds != nil {
			msg += "; " + words(seconds(*s.ElapsedBusinessSeconds)) + " of the " + target + " target counted so far"
		}
		if s.State == projections.SLAAtRisk {
			msg = "At risk: " + msg
		}
		return msg + "."
	}
	return "Pending (target " + target + ")."
}

// clockName says how a deadline counts time.
func clockName(d projections.Deadline) string {
	if d.Calendar != "" {
		return string(d.Clock) + " (calendar " + d.Calendar + ")"
	}
	return string(d.Clock)
}

// stateOf is the SLA state a ticket page shows in its badge.
func stateOf(s *projections.TicketSLA) string {
	switch {
	case s == nil:
		return ""
	case s.NearMiss:
		return "near_miss"
	case s.State != "":
		return s.State
	}
	return s.Verdict
}
