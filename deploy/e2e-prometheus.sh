#!/usr/bin/env bash
# deploy/e2e-prometheus.sh LEDGER_ADDR — the dashboard and rules against a real
# Prometheus scraping a running ledger.
#
#   deploy/e2e-prometheus.sh 127.0.0.1:8080
#
# Starts Prometheus (the Debian binary; installed when missing and root) on a
# free loopback port with a temporary config that scrapes LEDGER_ADDR/metrics
# every second as job "ticketledger" and loads deploy/prometheus/rules.yml
# (evaluated every second). Once the ledger has been scraped a few times and
# the rules have run, it sends every Grafana panel query and every recording
# rule through /api/v1/query and fails if any returns an error, or if a core
# SLA panel (deploy/dashboard_queries.py) returns no data. It also checks that
# every alert rule evaluates without error. Prometheus is stopped on exit.
#
# LEDGER_ADDR must be a loopback address (127.0.0.0/8, localhost or [::1])
# with a port; the ledger should hold demo history (ticketledger demo).
# Environment: E2E_TIMEOUT (seconds to wait for data, default 60),
# PROMETHEUS (binary, default: prometheus on PATH), METRICS_TOKEN_FILE (a file
# holding the ledger's metrics token, scraped with as a bearer token through
# `authorization: credentials_file:`; unset: the ledger runs --metrics-public).
set -euo pipefail
cd "$(dirname "$0")/.."

addr=${1:-}
[ -n "$addr" ] || { echo "usage: $0 LEDGER_ADDR (e.g. 127.0.0.1:8080)" >&2; exit 2; }
case "$addr" in
  127.*:*|localhost:*|\[::1\]:*) ;;
  *) echo "$0: $addr is not a loopback address with a port: only 127.0.0.0/8, localhost or [::1]" >&2; exit 2 ;;
esac

PROM=${PROMETHEUS:-prometheus}
if ! command -v "$PROM" >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "$0: prometheus is not installed (apt-get install prometheus)" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

tmp=$(mktemp -d)
prom_pid=
cleanup() {
  if [ -n "$prom_pid" ] && kill -0 "$prom_pid" 2>/dev/null; then
    kill "$prom_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# The shipped rules evaluate every minute: here every second.
sed -E 's/^(\s*)interval: 1m$/\1interval: 1s/' deploy/prometheus/rules.yml > "$tmp/rules.yml"
cat > "$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $tmp/rules.yml
scrape_configs:
  - job_name: ticketledger
    metrics_path: /metrics
    static_configs:
      - targets: ["$addr"]
YAML
if [ -n "${METRICS_TOKEN_FILE:-}" ]; then
  cp "$METRICS_TOKEN_FILE" "$tmp/metrics.token"
  cat >> "$tmp/prometheus.yml" <<YAML
    authorization:
      type: Bearer
      credentials_file: $tmp/metrics.token
YAML
fi

"$PROM" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
echo "== prometheus (pid $prom_pid) on 127.0.0.1:$port scraping $addr"

"$PY" deploy/dashboard_queries.py deploy/grafana/dashboards/ticketledger.json > "$tmp/queries.jsonl"

status=0
"$PY" - "http://127.0.0.1:$port" "$tmp/queries.jsonl" "$tmp/rules.yml" "${E2E_TIMEOUT:-60}" <<'PYEOF' || status=$?
import json, sys, time, urllib.parse, urllib.request
base, qfile, rfile, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

def get(path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors="replace")
        try:
            return json.loads(body)
        except ValueError:
            return {"status": "error", "error": f"HTTP {e.code}: {body[:200]}"}

def query(expr):
    return get("/api/v1/query", query=expr)

deadline = time.time() + timeout
def wait(what, ok):
    last = None
    while time.time() < deadline:
        try:
            last = ok()
            if last is True:
                print(f"  ok: {what}")
                return
        except OSError as e:
            last = e
        time.sleep(0.5)
    sys.exit(f"FAIL: timed out waiting for {what} (last: {last})")

def ready():
    with urllib.request.urlopen(base + "/-/ready", timeout=2) as r:
        return r.status == 200
wait("prometheus ready", ready)

def scraped():
    r = query('count_over_time(up{job="ticketledger"}[1m])')
    res = r.get("data", {}).get("result", [])
    if not res:
        return "no scrape yet"
    up = query('up{job="ticketledger"}')["data"]["result"]
    if not up or up[0]["value"][1] != "1":
        t = get("/api/v1/targets")["data"]["activeTargets"]
        return f"target down: {[x.get('lastError') for x in t]}"
    return float(res[0]["value"][1]) >= 5 or f"{res[0]['value'][1]} scrapes"
wait("ledger scraped at least 5 times", scraped)

def rules_ran():
    groups = get("/api/v1/rules")["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    bad = [r for r in rules if r.get("health") not in ("ok",)]
    if bad:
        return f"{len(bad)} rules not healthy yet: " + "; ".join(f"{r['name']}: {r.get('health')} {r.get('lastError', '')}" for r in bad[:3])
    return bool(rules) or "no rules loaded"
wait("every rule evaluated without error", rules_ran)

failures, n = [], 0
for line in open(qfile):
    q = json.loads(line)
    n += 1
    r = query(q["expr"])
    if r.get("status") != "success":
        failures.append(f"panel {q['panel']!r} {q['ref']}: error {r.get('error')}: {q['expr']}")
        continue
    res = r["data"]["result"]
    if q["core"] and not res:
        failures.append(f"core panel {q['panel']!r} {q['ref']}: no data: {q['expr']}")
    else:
        print(f"  ok ({len(res)} series{', core' if q['core'] else ''}): {q['panel']} {q['ref']}")

import re
# Recording rules: run each expression as it stands in rules.yml (after the
# group has evaluated, so rules that read other rules have inputs).
groups = get("/api/v1/rules")["data"]["groups"]
for g in groups:
    for rule in g["rules"]:
        n += 1
        r = query(rule["query"])
        if r.get("status") != "success":
            failures.append(f"rule {rule['name']}: error {r.get('error')}")
            continue
        print(f"  ok ({len(r['data']['result'])} series): {rule['type']} rule {rule['name']}")
# The all-time compliance rules must have produced samples.
for rec in ("severity:ticketledger_sla_compliance:ratio", "product:ticketledger_sla_compliance:ratio"):
    if not query(rec)["data"]["result"]:
        failures.append(f"recording rule {rec}: no samples (no SLA data scraped?)")

print(f"== {n} queries, {len(failures)} failed")
for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
PYEOF
if [ "$status" != 0 ]; then
  echo "== prometheus log:"; tail -n 20 "$tmp/prometheus.log"
  exit "$status"
fi
echo "== deploy/e2e-prometheus.sh: passed"
