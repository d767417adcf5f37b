#!/usr/bin/env bash
# deploy/e2e-traffic.sh TICKETLEDGER PARTNER_TOKEN_FILE VENDOR_TOKEN_FILE CUSTOMER CONTACT_EMAIL
#
# Traffic for deploy/e2e-prometheus.sh (its E2E_TRAFFIC hook), made while
# Prometheus scrapes, so that the rates, the 1h/1d compliance ratios and the
# alerts have something to show (deploy/dashboard_queries.py: expect
# "traffic"). Against $TICKETLEDGER_SERVER, with the CLI binary given:
#
#   - a severity A ticket whose request came 3 h ago and stays unanswered:
#     a breach now (TicketledgerSLABreach, the compliance ratios) and a
#     breached-unanswered ticket;
#   - a severity A ticket whose request came 100 min ago: 20 of its 120
#     minutes left, at risk (TicketledgerTicketsAtRisk);
#   - a severity B ticket answered at once: a met first response;
#   - three requests with a token that does not exist (refused, 401) and
#     one vendor support's role may not make (open: denied, 403).
#
# The customer must be linked to the partner (the tour's fabrikam), the
# contact an address of the partner's (contact details on a request are the
# partner's). Few refusals on purpose: the ledger rate-limits a source after
# 10 failed authentications, and the tour's next requests come from the same
# address.
set -euo pipefail
[ $# = 5 ] || { echo "usage: $0 TICKETLEDGER PARTNER_TOKEN_FILE VENDOR_TOKEN_FILE CUSTOMER CONTACT_EMAIL" >&2; exit 2; }
tl=$1 partner=(--token-file "$2") vendor=(--token-file "$3") customer=$4 contact=$5
: "${TICKETLEDGER_SERVER:?set TICKETLEDGER_SERVER to the ledger (http://127.0.0.1:PORT)}"

open_ticket() { # SEVERITY OCCURRED-AT TITLE -> ticket id
  "$tl" open "${partner[@]}" --customer "$customer" --product azure --severity "$1" \
    --title "$3" --contact-name "e2e traffic" --contact-email "$contact" --locale en-GB \
    --occurred-at "$2" | awk '$1=="ticket"{print $2}'
}
breached=$(open_ticket A now-3h "e2e traffic: past its deadline")
at_risk=$(open_ticket A now-100m "e2e traffic: at risk")
met=$(open_ticket B now "e2e traffic: answered at once")
[ -n "$breached" ] && [ -n "$at_risk" ] && [ -n "$met" ] || { echo "$0: open did not print a ticket id" >&2; exit 1; }
"$tl" respond "$met" "${vendor[@]}" --summary "Looking at it now" >/dev/null
echo "traffic: breached $breached, at risk $at_risk, met $met"

for _ in 1 2 3; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer tl_e2e_no_such_token" "$TICKETLEDGER_SERVER/v1/tickets")
  [ "$code" = 401 ] || { echo "$0: an unknown token got $code, want 401" >&2; exit 1; }
done
set +e
open_ticket_as_vendor=$("$tl" open "${vendor[@]}" --customer "$customer" --product azure --severity C --title "not mine to open" \
  --contact-name "e2e traffic" --contact-email "$contact" --locale en-GB 2>&1)
code=$?
set -e
[ "$code" = 6 ] || { echo "$0: open as vendor support: exit $code, want 6 (403 role-not-allowed): $open_ticket_as_vendor" >&2; exit 1; }
echo "traffic: 3 refused tokens, 1 role denial"
