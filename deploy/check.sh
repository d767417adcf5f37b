#!/usr/bin/env bash
# deploy/check.sh — static checks of the deployment files, for CI. No Docker
# engine is needed (and CI has none): what can run natively runs in
# .ci/e2e.sh and deploy/e2e-prometheus.sh instead.
#
#   (a) Prometheus: promtool check config / check rules, and the rule unit
#       tests in deploy/prometheus/rules_test.yml (every alert).
#   (b) Alertmanager: amtool check-config, and amtool config routes test:
#       every alert of rules.yml reaches the receiver its priority names.
#   (c) docker-compose.yaml: parsed and validated by docker-compose (v1, the
#       Debian package; `config` needs no engine) in each profile; it must
#       refuse to start without GRAFANA_ADMIN_PASSWORD; then
#       deploy/compose_check.py: pinned images, healthchecks,
#       depends_on: service_healthy, secrets, volumes, mounted files, the
#       cluster profile's KurrentDB nodes, ledger replicas and load balancer.
#   (d) Caddy: caddy validate of deploy/caddy/Caddyfile.
#   (e) Grafana: the dashboard JSON parses, every panel has a query, and every
#       panel's PromQL parses (each is loaded as a recording rule into
#       `promtool check rules`, i.e. Prometheus's own parser); every panel and
#       rule is classified for the e2e check (deploy/dashboard_queries.py);
#       the provisioning YAML parses and names the data source uid the
#       dashboard uses.
#
# Installs what is missing from Debian (prometheus, prometheus-alertmanager,
# docker-compose, caddy, python3-yaml) when run as root. About 3 s when the
# tools are there (docker-compose v1 starts slowly), a minute or two more when
# it has to install them.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*"; }
fail() { printf 'deploy/check.sh: FAIL: %s\n' "$*" >&2; exit 1; }

apt_updated=
apt_install() {
  [ "$(id -u)" = 0 ] || fail "need $* but not root: install it (apt-get install -y $*)"
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v promtool >/dev/null 2>&1 || { log "installing prometheus (promtool)"; apt_install prometheus; }
command -v amtool >/dev/null 2>&1 || { log "installing prometheus-alertmanager (amtool)"; apt_install prometheus-alertmanager; }
command -v docker-compose >/dev/null 2>&1 || { log "installing docker-compose"; apt_install docker-compose; }
command -v caddy >/dev/null 2>&1 || { log "installing caddy"; apt_install caddy; }
PY=/usr/bin/python3
"$PY" -c 'import yaml' 2>/dev/null || { log "installing python3-yaml"; apt_install python3 python3-yaml; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# (a) Prometheus -------------------------------------------------------------
log "promtool check config deploy/prometheus/prometheus.yml"
# The scrape token (/run/secrets/metrics_token) and the targets file
# (/etc/prometheus/targets.yml) exist only inside the compose stack: check a
# copy pointing at stand-ins, once per profile's targets file.
mkdir "$tmp/prom"
echo stand-in >"$tmp/prom/metrics_token"
cp deploy/prometheus/rules.yml "$tmp/prom/rules.yml"
for profile in single cluster; do
  cp "deploy/prometheus/targets-$profile.yml" "$tmp/prom/targets.yml"
  sed -e "s|/run/secrets/metrics_token|$tmp/prom/metrics_token|" -e "s|/etc/prometheus/targets.yml|$tmp/prom/targets.yml|" \
    deploy/prometheus/prometheus.yml >"$tmp/prom/prometheus.yml"
  promtool check config "$tmp/prom/prometheus.yml"
done
log "promtool check rules deploy/prometheus/rules.yml"
promtool check rules deploy/prometheus/rules.yml
log "promtool test rules deploy/prometheus/rules_test.yml"
promtool test rules deploy/prometheus/rules_test.yml
log "every alert of rules.yml has a unit test"
"$PY" - <<'PYEOF'
import sys, yaml
alerts = {r["alert"] for g in yaml.safe_load(open("deploy/prometheus/rules.yml"))["groups"] for r in g["rules"] if "alert" in r}
tested = {t["alertname"] for g in yaml.safe_load(open("deploy/prometheus/rules_test.yml"))["tests"]
          for t in g.get("alert_rule_test", []) if t.get("exp_alerts")}
if alerts - tested:
    sys.exit(f"alerts without a test that makes them fire: {sorted(alerts - tested)}")
print(f"  {len(alerts)} alerts, each fired by a test")
PYEOF

# (b) Alertmanager -----------------------------------------------------------
am=deploy/alertmanager/alertmanager.yml
log "amtool check-config $am"
amtool check-config "$am"
log "amtool config routes test: each alert reaches the receiver of its priority"
"$PY" - "$am" <<'PYEOF'
import subprocess, sys, yaml
want = {"page": "oncall", "ticket": "ops-webhook"}
n = 0
for g in yaml.safe_load(open("deploy/prometheus/rules.yml"))["groups"]:
    for r in g["rules"]:
        if "alert" not in r:
            continue
        prio = r.get("labels", {}).get("priority")
        if prio not in want:
            sys.exit(f"alert {r['alert']}: priority {prio!r}: want one of {sorted(want)}")
        out = subprocess.run(["amtool", "config", "routes", "test", f"--config.file={sys.argv[1]}",
                              f"alertname={r['alert']}", f"priority={prio}", "severity=A"],
                             capture_output=True, text=True)
        got = out.stdout.strip()
        if out.returncode != 0 or got != want[prio]:
            sys.exit(f"alert {r['alert']} (priority {prio}) routes to {got!r} (exit {out.returncode}), want {want[prio]!r}")
        print(f"  {r['alert']} (priority {prio}) -> {got}")
        n += 1
print(f"  {n} alerts routed")
PYEOF

# (c) docker-compose ---------------------------------------------------------
for profile in single cluster; do
  log "docker-compose --profile $profile config -q"
  GRAFANA_ADMIN_PASSWORD=check-only docker-compose -f docker-compose.yaml --profile "$profile" config -q
done
log "docker-compose refuses to start without GRAFANA_ADMIN_PASSWORD"
if out=$(env -u GRAFANA_ADMIN_PASSWORD docker-compose -f docker-compose.yaml --profile single config -q 2>&1); then
  fail "docker-compose config passed without GRAFANA_ADMIN_PASSWORD: Grafana's admin password must come from the environment"
fi
grep -q 'GRAFANA_ADMIN_PASSWORD' <<<"$out" || fail "docker-compose failed without GRAFANA_ADMIN_PASSWORD, but not naming it: $out"
echo "  refused: ${out##*: }"
log "compose structure (deploy/compose_check.py)"
"$PY" deploy/compose_check.py docker-compose.yaml

# (d) Caddy ------------------------------------------------------------------
log "caddy validate deploy/caddy/Caddyfile"
caddy validate --config deploy/caddy/Caddyfile --adapter caddyfile 2>&1 | grep -v '"level":"info"' || fail "the Caddyfile does not validate"

# (e) Grafana ----------------------------------------------------------------
dash=deploy/grafana/dashboards/ticketledger.json
log "dashboard JSON parses; every panel query parses as PromQL; every panel and rule is classified"
"$PY" deploy/dashboard_queries.py "$dash" > "$tmp/queries.jsonl"
"$PY" deploy/dashboard_queries.py --check-rules deploy/prometheus/rules.yml
"$PY" - "$tmp/queries.jsonl" > "$tmp/panel_rules.yml" <<'PYEOF'
import json, sys, yaml
rules = []
for i, line in enumerate(open(sys.argv[1])):
    q = json.loads(line)
    rules.append({"record": f"dashboard_panel_query_{i}", "expr": q["expr"]})
print(yaml.safe_dump({"groups": [{"name": "dashboard_queries", "rules": rules}]}, sort_keys=False))
PYEOF
promtool check rules "$tmp/panel_rules.yml" || fail "a dashboard query does not parse (see above; queries in $dash)"
log "provisioning YAML parses and matches the dashboard"
"$PY" - "$dash" <<'PYEOF'
import json, sys, yaml
dash = json.load(open(sys.argv[1]))
ds = yaml.safe_load(open("deploy/grafana/provisioning/datasources/prometheus.yaml"))
uids = {d["uid"] for d in ds["datasources"] if d["type"] == "prometheus"}
var = next(v for v in dash["templating"]["list"] if v["type"] == "datasource")
if var["current"]["value"] not in uids:
    sys.exit(f"dashboard's default data source {var['current']['value']!r} is not provisioned ({uids})")
prov = yaml.safe_load(open("deploy/grafana/provisioning/dashboards/ticketledger.yaml"))
paths = [p["options"]["path"] for p in prov["providers"]]
compose = yaml.safe_load(open("docker-compose.yaml"))
mounts = [v.split(":")[1] for v in compose["services"]["grafana"]["volumes"] if v.startswith("./deploy/grafana/dashboards")]
if not set(paths) <= set(mounts):
    sys.exit(f"dashboard provider paths {paths} are not where compose mounts the dashboards {mounts}")
ids = [p["id"] for p in dash["panels"]]
if len(ids) != len(set(ids)):
    sys.exit("duplicate panel ids")
print(f"  {len(ids)} panels, data source uid {var['current']['value']}")
PYEOF

log "deploy/check.sh: all checks passed"
