package main

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/projections"
)

// Rules of a ticket id typed as a prefix.
const (
	ruleAmbiguousPrefix domain.Rule = "ambiguous-id-prefix"
	ruleNoSuchPrefix    domain.Rule = "ticket-not-found"
)

// prefixCandidates is how many matching tickets an ambiguous prefix lists.
const prefixCandidates = 10

// ticketID resolves a ticket id typed in full or, as git resolves a
// commit, as a unique prefix (a trailing "…" or "..." as copied from a
// truncated table is ignored). The ledger resolves it within the caller's
// tenancy (GET /v1/tickets?idPrefix=), so a partner's prefix never
// matches another partner's ticket.
func (g *globals) ticketID(c *cobra.Command, arg string) (string, error) {
	if _, err := uuid.Parse(arg); err == nil {
		return arg, nil
	}
	prefix := strings.ToLower(strings.TrimSpace(arg))
	prefix = strings.TrimSuffix(strings.TrimSuffix(prefix, "…"), "...")
	if prefix == "" {
		return "", usagef(c, "ticket id %q is empty: give the id, or its first characters", arg)
	}
	if strings.Trim(prefix, "0123456789abcdef-") != "" || len(prefix) > len(uuid.Nil.String()) {
		return "", domain.Errorf(domain.KindInvalid, domain.RuleRequiredField, "ticketId",
			"ticket id %q is not a UUID nor the start of one (hex digits and dashes): use the id the ledger returned when the ticket was opened", arg)
	}
	var page projections.TicketPage
	q := url.Values{"idPrefix": {prefix}, "limit": {strconv.Itoa(prefixCandidates + 1)}}
	if err := g.client().Get(c.Context(), "/v1/tickets", q, &page); err != nil {
		return "", err
	}
	switch n := len(page.Tickets); {
	case n == 1:
		return page.Tickets[0].ID, nil
	case n == 0:
		return "", domain.Errorf(domain.KindNotFound, ruleNoSuchPrefix, "id",
			"no ticket starts with %q (among the tickets you may read): check the id with ticketledger list", prefix)
	default:
		count := strconv.Itoa(n)
		if n > prefixCandidates {
			count = "more than " + strconv.Itoa(prefixCandidates)
			page.Tickets = page.Tickets[:prefixCandidates]
		}
		ids := make([]string, len(page.Tickets))
		for i, t := range page.Tickets {
			ids[i] = t.ID
		}
		return "", domain.Errorf(domain.KindInvalid, ruleAmbiguousPrefix, "id",
			"ambiguous prefix: %s tickets start with %q (%s): type more of the id", count, prefix, strings.Join(ids, ", "))
	}
}
