#!/usr/bin/env python3
"""Print the PromQL of every panel of a Grafana dashboard, one JSON object a line.

Used by deploy/check.sh (parse check through promtool) and
deploy/e2e-prometheus.sh (run against a live Prometheus). Dashboard variables
are replaced by values that select everything ($severity, $product -> .*),
and $__rate_interval / $__interval by a fixed range, so the queries are plain
PromQL.

Output lines: {"panel": title, "ref": refId, "expr": promql, "expect": e, "why": reason}.

What the e2e check expects of each query (PANELS) and of each rule of
deploy/prometheus/rules.yml (RULES), by title or rule name; every panel and
every rule must be listed (deploy/check.sh fails otherwise, through
`dashboard_queries.py --check-rules deploy/prometheus/rules.yml`):

  data     must return at least one series from a ledger holding demo history
  traffic  must return at least one series after the e2e traffic
           (deploy/e2e-traffic.sh: tickets opened, answered and refused while
           Prometheus scrapes); without E2E_TRAFFIC it is not required
  empty    may return nothing, for the reason given (an alert of an unhealthy
           ledger, a feature the e2e ledger does not use)
"""
import json
import sys

DATA, TRAFFIC, EMPTY = "data", "traffic", "empty"

PANELS = {
    "SLA compliance (all time)": (DATA, "all-time counters of the demo history"),
    "Open tickets": (DATA, "the demo leaves tickets open"),
    "At risk now": (DATA, "a sum: a sample even when no ticket is at risk"),
    "Breached, unanswered": (DATA, "a sum: a sample even when none is"),
    "Breaches (24h)": (DATA, "a sum of increases: a sample, 0 without new breaches"),
    "Compliance by severity (all time)": (DATA, "all-time counters"),
    "Compliance by product (all time)": (DATA, "all-time counters"),
    "Compliance over the last day, by severity": (TRAFFIC, "the 1h/1d ratios need a ticket judged while Prometheus scrapes: the traffic opens one past its deadline"),
    "Breaches per hour, by severity": (DATA, "increases of existing counters, 0 without new breaches"),
    "At risk, by severity": (DATA, "gauges exported for every severity"),
    "Open tickets, by severity": (DATA, "gauges exported for every severity"),
    "Time to first response p50/p90/p99 by severity (all time)": (DATA, "the demo's answered tickets"),
    "Time to first response p50/p90/p99 by severity (last day)": (DATA, "buckets exist; NaN without answers in the window"),
    "Escalations per hour, by product": (DATA, "counters of the demo history"),
    "Billing disputes opened per hour, by product": (DATA, "counters of the demo history"),
    "Fraud flags per hour, by product": (DATA, "counters of the demo history"),
    "Escalations / disputes / fraud flags (all time)": (DATA, "counters of the demo history"),
    "Append latency p50/p99 by stream category": (TRAFFIC, "appends made by this process: the traffic's commands"),
    "Appends per second, by outcome": (TRAFFIC, "appends made by this process: the traffic's commands"),
    "Projection lag": (DATA, "exported for every projection"),
    "HTTP requests per second, by route and code": (DATA, "the scrapes themselves are requests"),
    "HTTP latency p99 by route": (DATA, "the scrapes themselves are requests"),
    "Projection events skipped (unknown types)": (DATA, "counters exported for every projection, 0"),
    "Ledger up": (DATA, "the target is scraped"),
    "Refused authentications and denied requests per second": (TRAFFIC, "the tour's and the traffic's refused tokens and role denials"),
    "Signed tree heads posted to the witness (per hour)": (DATA, "unlabelled counters, exported at 0 without --head-post-url"),
}

# Rules: name | expectation | why (a table, parsed below).
_RULES_TABLE = """
severity_product:ticketledger_sla_met:increase1h      | data    | increases of existing counters
severity_product:ticketledger_sla_breaches:increase1h | data    | increases of existing counters
severity_product:ticketledger_sla_met:increase1d      | data    | increases of existing counters
severity_product:ticketledger_sla_breaches:increase1d | data    | increases of existing counters
severity:ticketledger_sla_compliance:ratio_rate1h     | traffic | needs a ticket judged in the window: the traffic's breach
product:ticketledger_sla_compliance:ratio_rate1h      | traffic | needs a ticket judged in the window: the traffic's breach
severity:ticketledger_sla_compliance:ratio_rate1d     | traffic | needs a ticket judged in the window: the traffic's breach
product:ticketledger_sla_compliance:ratio_rate1d      | traffic | needs a ticket judged in the window: the traffic's breach
severity:ticketledger_sla_compliance:ratio            | data    | all-time counters
product:ticketledger_sla_compliance:ratio             | data    | all-time counters
severity:ticketledger_first_response_seconds:p90_1d   | data    | buckets exist; NaN without answers in the window
severity:ticketledger_first_response_seconds:p50_1d   | data    | buckets exist; NaN without answers in the window
TicketledgerSLABreach               | traffic | the traffic opens a severity A ticket 3 h after its request: a breach within 5 minutes
TicketledgerTicketsAtRisk           | traffic | the traffic opens a severity A ticket with 20 of its 120 minutes left
TicketledgerBreachedUnanswered      | traffic | the traffic's breached ticket stays unanswered
TicketledgerProjectionLagHigh       | empty   | an alert of an unhealthy ledger; the e2e ledger is healthy (the rule unit tests make it fire)
TicketledgerProjectionSkippedEvents | empty   | only when the log holds event types this version does not know
TicketledgerDown                    | empty   | the ledger is up (the e2e waits for up == 1)
TicketledgerHTTPErrors              | empty   | an alert of an unhealthy ledger; the e2e ledger is healthy (the rule unit tests make it fire)
TicketledgerAppendSlow              | empty   | an alert of an unhealthy ledger; the e2e ledger is healthy (the rule unit tests make it fire)
TicketledgerAppendErrors            | empty   | an alert of an unhealthy ledger; the e2e ledger is healthy (the rule unit tests make it fire)
TicketledgerAuthDenials             | empty   | needs over 20 refusals in 5 minutes; the traffic refuses a few only, since the ledger then rate-limits its source, 127.0.0.1, which the rest of the tour uses
TicketledgerHeadPostFailing         | empty   | the e2e ledger runs without --head-post-url
TicketledgerHeadPostsDropped        | empty   | the e2e ledger runs without --head-post-url
"""
RULES = {name: (expect, why) for name, expect, why in
         (tuple(f.strip() for f in line.split("|", 2)) for line in _RULES_TABLE.strip().splitlines())}

SUBST = [
    ("${severity}", ".*"), ("$severity", ".*"),
    ("${product}", ".*"), ("$product", ".*"),
    ("$__rate_interval", "1m"), ("${__rate_interval}", "1m"),
    ("$__interval", "1m"), ("${__interval}", "1m"),
    ("$__range", "1h"),
]


def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))


def main(path):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    titles = set()
    n = 0
    for p in panels(dash.get("panels", [])):
        if p.get("type") == "row":
            continue
        title = p.get("title", "")
        titles.add(title)
        targets = p.get("targets", [])
        if not targets:
            sys.exit(f"{path}: panel {title!r} has no queries")
        for t in targets:
            expr = t.get("expr", "")
            if not expr.strip():
                sys.exit(f"{path}: panel {title!r} query {t.get('refId')} is empty")
            for a, b in SUBST:
                expr = expr.replace(a, b)
            if "$" in expr:
                sys.exit(f"{path}: panel {title!r} uses a variable this checker does not know: {expr}")
            n += 1
            if title not in PANELS:
                sys.exit(f"{path}: panel {title!r} is not classified: add it to PANELS in {__file__} (data, traffic or empty, with why)")
            expect, why = PANELS[title]
            print(json.dumps({"panel": title, "ref": t.get("refId", ""), "expr": expr, "expect": expect, "why": why}))
    missing = set(PANELS) - titles
    if missing:
        sys.exit(f"{path}: PANELS in {__file__} lists panels the dashboard does not have (renamed?): {sorted(missing)}")
    if n == 0:
        sys.exit(f"{path}: no queries")


def check_rules(path):
    """Fail unless RULES lists exactly the rules of the rules file at path."""
    import yaml  # only here: the e2e imports RULES without PyYAML
    names = [r.get("record") or r.get("alert") for g in yaml.safe_load(open(path))["groups"] for r in g["rules"]]
    odd = {n: e for n, (e, _) in list(RULES.items()) + list(PANELS.items()) if e not in (DATA, TRAFFIC, EMPTY)}
    if odd:
        sys.exit(f"{__file__}: expectations must be data, traffic or empty: {odd}")
    unlisted = [n for n in names if n not in RULES]
    gone = sorted(set(RULES) - set(names))
    if unlisted or gone:
        sys.exit(f"{path}: rules not classified in RULES of {__file__}: {unlisted}; listed but not in the file: {gone}")
    counts = {e: sum(1 for n in names if RULES[n][0] == e) for e in (DATA, TRAFFIC, EMPTY)}
    print(f"  {len(names)} rules classified: {counts[DATA]} data, {counts[TRAFFIC]} traffic, {counts[EMPTY]} may be empty")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check-rules"]:
        check_rules(sys.argv[2] if len(sys.argv) > 2 else "deploy/prometheus/rules.yml")
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "deploy/grafana/dashboards/ticketledger.json")
