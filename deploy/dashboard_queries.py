#!/usr/bin/env python3
"""Print the PromQL of every panel of a Grafana dashboard, one JSON object a line.

Used by deploy/check.sh (parse check through promtool) and
deploy/e2e-prometheus.sh (run against a live Prometheus). Dashboard variables
are replaced by values that select everything ($severity, $product -> .*),
and $__rate_interval / $__interval by a fixed range, so the queries are plain
PromQL.

Output lines: {"panel": title, "ref": refId, "expr": promql, "core": bool}.
A panel is "core" when the e2e check requires it to return data with demo
history loaded: the all-time SLA panels and the open/at-risk gauges.
"""
import json
import sys

CORE = {
    "SLA compliance (all time)",
    "Open tickets",
    "At risk now",
    "Breached, unanswered",
    "Compliance by severity (all time)",
    "Compliance by product (all time)",
    "Open tickets, by severity",
    "At risk, by severity",
    "Time to first response p50/p90/p99 by severity (all time)",
    "Escalations / disputes / fraud flags (all time)",
}

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
            print(json.dumps({"panel": title, "ref": t.get("refId", ""), "expr": expr, "core": title in CORE}))
    missing = CORE - titles
    if missing:
        sys.exit(f"{path}: core panels missing (rename them in dashboard_queries.py too): {sorted(missing)}")
    if n == 0:
        sys.exit(f"{path}: no queries")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "deploy/grafana/dashboards/ticketledger.json")
