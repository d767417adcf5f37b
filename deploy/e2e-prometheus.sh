#!/usr/bin/env bash
# deploy/e2e-prometheus.sh LEDGER_ADDR — the dashboard, the rules and the
# alert path against a real Prometheus and Alertmanager scraping a running
# ledger. All of it runs natively (no Docker), on loopback.
#
#   deploy/e2e-prometheus.sh 127.0.0.1:8080
#   E2E_TRAFFIC='deploy/e2e-traffic.sh ./ticketledger p.token v.token fabrikam' deploy/e2e-prometheus.sh 127.0.0.1:8080
#
# Starts, on free loopback ports, the example webhook receiver
# (deploy/alertmanager/webhook_receiver.py), an SMTP sink
# (deploy/e2e_smtp_sink.py), Alertmanager with deploy/alertmanager/alertmanager.yml
# and Prometheus with deploy/prometheus/prometheus.yml and rules.yml (the
# Debian binaries; installed when missing and root). The shipped files are
# used with only these changes: addresses point at the local processes, the
# ledger is the one given; scrapes, rule evaluation and Alertmanager's group
# waits take 1 s instead of 15 s / 1 m / 30 s; the alerts' `for:` is 1 s
# (TicketledgerDown keeps its 2 m: at start-up nothing is scraped yet); the
# SMTP relay is the sink, without TLS.
#
# Then: once the ledger has been scraped 5 times it runs E2E_TRAFFIC (a shell
# command, e.g. deploy/e2e-traffic.sh), waits for every rule to evaluate
# without error, and sends every Grafana panel query and every rule through
# /api/v1/query. It fails on a query error, on a query expected to have data
# that returns no series (deploy/dashboard_queries.py classifies each:
# data, traffic — required only with E2E_TRAFFIC — or empty, with why), and,
# with E2E_TRAFFIC, unless the alert path delivered: TicketledgerSLABreach
# (priority page) to the on-call receiver by webhook and e-mail, and
# TicketledgerTicketsAtRisk (priority ticket) to the ops webhook.
#
# LEDGER_ADDR must be a loopback address (127.0.0.0/8, localhost or [::1])
# with a port; the ledger should hold demo history (serve --demo).
# Environment: E2E_TIMEOUT (seconds to wait for each stage, default 60),
# PROMETHEUS, ALERTMANAGER (binaries; default prometheus and
# prometheus-alertmanager or alertmanager on PATH), METRICS_TOKEN_FILE (a file
# holding the ledger's metrics token, scraped with as the shipped config does;
# unset: the ledger runs --metrics-public), E2E_TRAFFIC.
set -euo pipefail
cd "$(dirname "$0")/.."

addr=${1:-}
[ -n "$addr" ] || { echo "usage: $0 LEDGER_ADDR (e.g. 127.0.0.1:8080)" >&2; exit 2; }
case "$addr" in
  127.*:*|localhost:*|\[::1\]:*) ;;
  *) echo "$0: $addr is not a loopback address with a port: only 127.0.0.0/8, localhost or [::1]" >&2; exit 2 ;;
esac

need() { # BINARY DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || { echo "$0: $1 is not installed (apt-get install $2)" >&2; exit 1; }
  [ -n "${apt_updated:-}" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}
PROM=${PROMETHEUS:-prometheus}
need "$PROM" prometheus
AM=${ALERTMANAGER:-}
if [ -z "$AM" ]; then
  need prometheus-alertmanager prometheus-alertmanager
  AM=$(command -v prometheus-alertmanager || command -v alertmanager)
fi
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if ! "$PY" -c 'import yaml' 2>/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "$0: PyYAML is not installed (apt-get install python3-yaml)" >&2; exit 1; }
  [ -n "${apt_updated:-}" ] || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-yaml >/dev/null
fi

source deploy/e2e-lib.sh

read -r prom_port am_port hook_port smtp_port < <(free_ports 4)

token_file=
if [ -n "${METRICS_TOKEN_FILE:-}" ]; then
  cp "$METRICS_TOKEN_FILE" "$tmp/metrics.token"
  token_file=$tmp/metrics.token
fi
echo e2e-stand-in >"$tmp/smtp.password"

# The shipped configuration, pointed at the local processes.
"$PY" - "$tmp" "$addr" "$prom_port" "$am_port" "$hook_port" "$smtp_port" "$token_file" <<'PYEOF'
import sys, yaml
tmp, addr, prom, am, hook, smtp, token = sys.argv[1:8]

rules = yaml.safe_load(open("deploy/prometheus/rules.yml"))
for g in rules["groups"]:
    if "interval" in g:
        g["interval"] = "1s"
    for r in g["rules"]:
        if "for" in r and r.get("alert") != "TicketledgerDown":
            r["for"] = "1s"
yaml.safe_dump(rules, open(f"{tmp}/rules.yml", "w"), sort_keys=False)

cfg = yaml.safe_load(open("deploy/prometheus/prometheus.yml"))
cfg["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
cfg["rule_files"] = [f"{tmp}/rules.yml"]
cfg["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{am}"]}]
local = {"ticketledger": addr, "prometheus": f"127.0.0.1:{prom}", "alertmanager": f"127.0.0.1:{am}"}
for job in cfg["scrape_configs"]:
    job.pop("file_sd_configs", None)
    job["static_configs"] = [{"targets": [local[job["job_name"]]]}]
    if "authorization" in job:
        if token:
            job["authorization"]["credentials_file"] = token
        else:
            del job["authorization"]
yaml.safe_dump(cfg, open(f"{tmp}/prometheus.yml", "w"), sort_keys=False)

am_cfg = yaml.safe_load(open("deploy/alertmanager/alertmanager.yml"))
am_cfg["global"].update(smtp_smarthost=f"127.0.0.1:{smtp}", smtp_require_tls=False,
                        smtp_auth_password_file=f"{tmp}/smtp.password")
am_cfg["route"].update(group_wait="1s", group_interval="1s")
for r in am_cfg["receivers"]:
    for w in r.get("webhook_configs", []):
        w["url"] = f"http://127.0.0.1:{hook}/alerts"
yaml.safe_dump(am_cfg, open(f"{tmp}/alertmanager.yml", "w"), sort_keys=False)
PYEOF

"$PY" deploy/alertmanager/webhook_receiver.py --listen "127.0.0.1:$hook_port" --out "$tmp/webhook.jsonl" >"$tmp/webhook.log" 2>&1 &
pids+=($!)
"$PY" deploy/e2e_smtp_sink.py "127.0.0.1:$smtp_port" "$tmp/mail.txt" >"$tmp/smtp.log" 2>&1 &
pids+=($!)
"$AM" --config.file="$tmp/alertmanager.yml" --storage.path="$tmp/am" --web.listen-address="127.0.0.1:$am_port" \
  --cluster.listen-address= --log.level=warn >"$tmp/alertmanager.log" 2>&1 &
pids+=($!)
"$PROM" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
echo "== prometheus on 127.0.0.1:$prom_port scraping $addr; alertmanager on 127.0.0.1:$am_port;" \
  "webhook receiver on 127.0.0.1:$hook_port; SMTP sink on 127.0.0.1:$smtp_port"

"$PY" deploy/dashboard_queries.py deploy/grafana/dashboards/ticketledger.json > "$tmp/queries.jsonl"

status=0
E2E_TRAFFIC=${E2E_TRAFFIC:-} "$PY" - "http://127.0.0.1:$prom_port" "http://127.0.0.1:$am_port" "$tmp" "${E2E_TIMEOUT:-60}" <<'PYEOF' || status=$?
import json, os, subprocess, sys, time, urllib.error, urllib.parse, urllib.request
sys.path.insert(0, "deploy")
from dashboard_queries import RULES, DATA, TRAFFIC, EMPTY

base, am_base, tmp, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
traffic = os.environ.get("E2E_TRAFFIC", "")
required = {DATA, TRAFFIC} if traffic else {DATA}

def get(url, **params):
    url += ("?" + urllib.parse.urlencode(params)) if params else ""
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
    return get(base + "/api/v1/query", query=expr)

def wait(what, ok):
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        try:
            last = ok()
            if last is True:
                print(f"  ok: {what}")
                return
        except OSError as e:
            last = e
        time.sleep(0.5)
    sys.exit(f"FAIL: timed out after {timeout:.0f}s waiting for {what} (last: {last})")

def ready(url):
    def ok():
        with urllib.request.urlopen(url + "/-/ready", timeout=2) as r:
            return r.status == 200
    return ok
wait("alertmanager ready", ready(am_base))
wait("prometheus ready", ready(base))

def scraped():
    res = query('count_over_time(up{job="ticketledger"}[1m])').get("data", {}).get("result", [])
    if not res:
        return "no scrape yet"
    up = query('up{job="ticketledger"}')["data"]["result"]
    if not up or up[0]["value"][1] != "1":
        t = get(base + "/api/v1/targets")["data"]["activeTargets"]
        return f"target down: {[x.get('lastError') for x in t]}"
    return float(res[0]["value"][1]) >= 5 or f"{res[0]['value'][1]} scrapes"
wait("ledger scraped at least 5 times", scraped)

def alertmanager_known():
    am = get(base + "/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
    return bool(am) or "prometheus has no active alertmanager"
wait("prometheus sends alerts to the alertmanager", alertmanager_known)

if traffic:
    print(f"== traffic: {traffic}")
    r = subprocess.run(["bash", "-c", traffic], capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        sys.exit(f"FAIL: E2E_TRAFFIC exited {r.returncode}: {r.stderr.strip()}")
else:
    print("== no E2E_TRAFFIC: the queries expected to show traffic are not required")

def rules_ran():
    rules = [r for g in get(base + "/api/v1/rules")["data"]["groups"] for r in g["rules"]]
    bad = [r for r in rules if r.get("health") != "ok"]
    if bad:
        return f"{len(bad)} rules not healthy yet: " + "; ".join(f"{r['name']}: {r.get('health')} {r.get('lastError', '')}" for r in bad[:3])
    return bool(rules) or "no rules loaded"
wait("every rule evaluated without error", rules_ran)

# Every panel query and every rule expression, with what is expected of it.
checks = [(f"panel {q['panel']!r} {q['ref']}", q["expr"], q["expect"], q["why"]) for q in map(json.loads, open(f"{tmp}/queries.jsonl"))]
for g in get(base + "/api/v1/rules")["data"]["groups"]:
    for rule in g["rules"]:
        if rule["name"] not in RULES:
            sys.exit(f"FAIL: rule {rule['name']} is not classified in RULES of deploy/dashboard_queries.py")
        expect, why = RULES[rule["name"]]
        checks.append((f"{rule['type']} rule {rule['name']}", rule["query"], expect, why))

def run_all():
    out = []
    for name, expr, expect, why in checks:
        r = query(expr)
        out.append((name, expr, expect, why, r.get("error") if r.get("status") != "success" else None,
                    len(r.get("data", {}).get("result", []))))
    return out

# Counters move between scrapes and rules run every second: retry the
# required-but-empty ones until the deadline rather than judging one instant.
deadline = time.time() + timeout
while True:
    results = run_all()
    missing = [x for x in results if x[2] in required and x[5] == 0 and not x[4]]
    if not missing or time.time() > deadline:
        break
    time.sleep(1)

failures = []
for name, expr, expect, why, err, n in results:
    if err:
        failures.append(f"{name}: error {err}: {expr}")
    elif n == 0 and expect in required:
        failures.append(f"{name}: no data, expected ({expect}: {why}): {expr}")
    elif n == 0:
        print(f"  ok (0 series, {'may be empty' if expect == EMPTY else expect + ', not required'}: {why}): {name}")
    else:
        print(f"  ok ({n} series, {expect}): {name}")
counts = {e: sum(1 for x in results if x[2] == e) for e in (DATA, TRAFFIC, EMPTY)}
print(f"== {len(results)} queries ({counts[DATA]} data, {counts[TRAFFIC]} traffic, {counts[EMPTY]} may be empty), "
      f"{sum(1 for x in results if x[5])} with data, {len(failures)} failed")

# The alert path: rule -> Prometheus -> Alertmanager -> receivers.
if traffic and not failures:
    want = {("TicketledgerSLABreach", "oncall"), ("TicketledgerTicketsAtRisk", "ops-webhook")}
    def delivered():
        got = set()
        if os.path.exists(f"{tmp}/webhook.jsonl"):
            for line in open(f"{tmp}/webhook.jsonl"):
                p = json.loads(line)
                for a in p["alerts"]:
                    if a["status"] == "firing":
                        got.add((a["labels"].get("alertname"), p["receiver"]))
        mail = open(f"{tmp}/mail.txt").read() if os.path.exists(f"{tmp}/mail.txt") else ""
        if "Subject: [FIRING] TicketledgerSLABreach (page)" in mail:
            got.add(("TicketledgerSLABreach", "oncall e-mail"))
        left = (want | {("TicketledgerSLABreach", "oncall e-mail")}) - got
        return not left or f"not delivered yet: {sorted(left)}; delivered: {sorted(got)}"
    try:
        wait("alerts delivered: TicketledgerSLABreach to oncall (webhook and e-mail), TicketledgerTicketsAtRisk to ops-webhook", delivered)
    except SystemExit as e:
        failures.append(str(e))

for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
PYEOF
if [ "$status" != 0 ]; then
  for f in prometheus alertmanager webhook smtp; do echo "== $f log:"; tail -n 15 "$tmp/$f.log"; done
  exit "$status"
fi
echo "== webhook receiver log:"; cat "$tmp/webhook.log"
echo "== deploy/e2e-prometheus.sh: passed"
