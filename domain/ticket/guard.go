package ticket

import (
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

// may is the set of roles allowed to issue a command.
type may uint8

const (
	partners may = 1 << iota // indirect providers and resellers
	vendor                   // vendor support
	system                   // the ledger itself
)

func (m may) allows(r domain.Role) bool {
	switch {
	case r.IsPartner():
		return m&partners != 0
	case r == domain.RoleVendorSupport:
		return m&vendor != 0
	case r == domain.RoleSystem:
		return m&system != 0
	}
	return false
}

func (m may) String() string {
	var s []string
	if m&partners != 0 {
		s = append(s, "the partners (indirect provider or reseller) on the ticket")
	}
	if m&vendor != 0 {
		s = append(s, "vendor support")
	}
	if m&system != 0 {
		s = append(s, "the system")
	}
	return strings.Join(s, " or ")
}

// authorize checks the actor: complete, not an auditor, of an allowed role.
func authorize(cmd string, actor domain.Actor, roles may) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if actor.Role == domain.RoleAuditor {
		return domain.Errorf(domain.KindForbidden, domain.RuleAuditorReadOnly, "actor.role",
			"auditor %q reads everything and changes nothing, so may not %s: use the audit queries", actor.ID, cmd)
	}
	if !roles.allows(actor.Role) {
		return domain.Errorf(domain.KindForbidden, domain.RuleRoleNotAllowed, "actor.role",
			"%s may not %s: only %s may", actor.Role.Indefinite(), cmd, roles)
	}
	return nil
}

// begin runs the checks every command on an existing ticket shares, in this
// order: the actor and its role, occurred-at inside the window, the ticket
// exists, a partner actor is a party to it, occurred-at is not before the
// opening, and the status is one of allowed. cmd is the command as a verb
// phrase for messages ("escalate").
func (t *Ticket) begin(cmd string, actor domain.Actor, occurredAt, now time.Time, roles may, allowed ...Status) error {
	if err := authorize(cmd, actor, roles); err != nil {
		return err
	}
	if err := t.window.Check(occurredAt, now); err != nil {
		return err
	}
	if t.status == StatusNew {
		return domain.Errorf(domain.KindNotFound, domain.RuleTicketNotFound, "ticketId",
			"ticket %q was never opened, so you cannot %s it: open it first, or check the ticket id", t.id, cmd)
	}
	if actor.Role.IsPartner() && !t.isParty(actor.Partner) {
		return domain.Errorf(domain.KindForbidden, domain.RuleNotOwnTicket, "actor.partner",
			"partner %q is not a party to ticket %q (filed by %q): act only on your own tickets, your resellers' tickets, or tickets your provider filed for your customers", actor.Partner, t.id, t.partnerID)
	}
	if t.status != StatusRedirected && occurredAt.Before(t.openedAt) {
		return domain.Errorf(domain.KindInvalid, domain.RuleOccurredBeforeOpening, "occurredAt",
			"occurred-at %s is before ticket %q was opened (%s): nothing happens to a ticket before it exists; use the time it actually happened",
			occurredAt.UTC().Format(time.RFC3339), t.id, t.openedAt.UTC().Format(time.RFC3339))
	}
	for _, s := range allowed {
		if t.status == s {
			return nil
		}
	}
	return t.statusConflict(cmd)
}

// isParty reports whether partner is the filer, the filer's provider, or the
// reseller whose customer a provider filed for.
func (t *Ticket) isParty(partner string) bool {
	return partner != "" && (partner == t.partnerID || partner == t.providerID || partner == t.resellerID)
}

// statusConflicts says, for the statuses that have their own explanation,
// which rule a command breaks there and how to go on; the format takes the
// ticket id and the command.
var statusConflicts = map[Status]struct {
	rule   domain.Rule
	format string
}{
	StatusRedirected:      {domain.RuleTicketRedirected, "ticket %q is a marketplace request redirected to the ISV: no vendor ticket exists, so you cannot %s it; contact the ISV, or open a new request if the vendor is involved"},
	StatusClosed:          {domain.RuleTicketClosed, "ticket %q is closed for good, so you cannot %s it: open a new ticket and refer to this one"},
	StatusResolved:        {domain.RuleInvalidTransition, "ticket %q is resolved, so you cannot %s it: the partner reopens it first (Reopen)"},
	StatusAwaitingPartner: {domain.RuleInvalidTransition, "ticket %q is awaiting information from the partner, so you cannot %s it now: the partner answers first (ProvideInfo)"},
}

// statusConflict explains why cmd does not apply in the current status.
func (t *Ticket) statusConflict(cmd string) error {
	if c, ok := statusConflicts[t.status]; ok {
		return domain.Errorf(domain.KindConflict, c.rule, "status", c.format, t.id, cmd)
	}
	return domain.Errorf(domain.KindConflict, domain.RuleInvalidTransition, "status",
		"ticket %q is %s, so you cannot %s it: only a resolved ticket can be", t.id, t.status, cmd)
}

// emit applies the events to t and returns them.
func (t *Ticket) emit(events ...domain.Event) []domain.Event {
	for _, e := range events {
		t.apply(e)
	}
	return events
}

// required returns a KindInvalid RuleRequiredField error about field.
func required(field, format string, args ...any) error {
	return domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, field, format, args...)
}

// text trims s and checks it is present and at most max runes long.
func text(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", required(field, "%s is empty: fill it in", field)
	}
	if n := len([]rune(s)); n > max {
		return "", required(field, "%s is %d characters long: keep it to %d", field, n, max)
	}
	return s, nil
}

// texts trims and checks a command's text inputs one after the other
// (text), keeping the first problem in err: once one input fails, the later
// ones are not checked. Check err after the last.
type texts struct{ err error }

// get returns s trimmed, or "" when it or an earlier input failed.
func (c *texts) get(field, s string, max int) string {
	if c.err != nil {
		return ""
	}
	v, err := text(field, s, max)
	c.err = err
	return v
}

// beginText is begin followed by the check of the command's one free-text
// input (text, up to MaxText): the input trimmed, or the first rule broken.
func (t *Ticket) beginText(cmd string, actor domain.Actor, occurredAt, now time.Time, roles may, allowed []Status, field, s string) (string, error) {
	if err := t.begin(cmd, actor, occurredAt, now, roles, allowed...); err != nil {
		return "", err
	}
	return text(field, s, MaxText)
}

// emailDomain returns the lower-cased domain of an e-mail address, or "" if
// s is not one.
func emailDomain(s string) string {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t,;<>") {
		return ""
	}
	d := strings.ToLower(s[at+1:])
	if !strings.Contains(d, ".") {
		return ""
	}
	return d
}
