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
