#!/usr/bin/env bash
# deploy/check.sh — static checks of the deployment files, for CI.
#
#   (a) Prometheus: promtool check config / check rules, and the rule unit
#       tests in deploy/prometheus/rules_test.yml.
#   (b) docker-compose.yaml: parsed and validated by docker-compose (v1, the
#       Debian package; no Docker engine is needed for `config`), and every
#       file or directory it mounts or builds from exists.
#   (c) Grafana: the dashboard JSON parses, every panel has a query, and every
#       panel's PromQL parses (each is loaded as a recording rule into
#       `promtool check rules`, i.e. Prometheus's own parser); the provisioning
#       YAML parses and names the data source uid the dashboard uses.
#
# Installs what is missing from Debian (prometheus, docker-compose,
# python3-yaml) when run as root. Takes ~1 s when the tools are there, about
# a minute more when it has to install them.
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
command -v docker-compose >/dev/null 2>&1 || { log "installing docker-compose"; apt_install docker-compose; }
PY=/usr/bin/python3
"$PY" -c 'import yaml' 2>/dev/null || { log "installing python3-yaml"; apt_install python3 python3-yaml; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# (a) Prometheus -------------------------------------------------------------
log "promtool check config deploy/prometheus/prometheus.yml"
# The scrape token's file (/run/secrets/metrics_token) exists only inside the
# compose stack: check a copy whose credentials_file points at a stand-in.
ctmp=$(mktemp -d)
echo stand-in >"$ctmp/metrics_token"
sed "s|/run/secrets/metrics_token|$ctmp/metrics_token|" deploy/prometheus/prometheus.yml >"$ctmp/prometheus.yml"
cp deploy/prometheus/rules.yml "$ctmp/rules.yml"
promtool check config "$ctmp/prometheus.yml"
rm -rf "$ctmp"
log "promtool check rules deploy/prometheus/rules.yml"
promtool check rules deploy/prometheus/rules.yml
log "promtool test rules deploy/prometheus/rules_test.yml"
promtool test rules deploy/prometheus/rules_test.yml

# (b) docker-compose ---------------------------------------------------------
log "docker-compose config -q"
docker-compose -f docker-compose.yaml config -q
log "files mounted or built by docker-compose.yaml exist"
"$PY" - docker-compose.yaml <<'PYEOF'
import os, sys, yaml
path = sys.argv[1]
base = os.path.dirname(os.path.abspath(path))
doc = yaml.safe_load(open(path))
missing, checked = [], 0
for name, svc in (doc.get("services") or {}).items():
    build = svc.get("build")
    if build is not None:
        ctx = build if isinstance(build, str) else build.get("context", ".")
        ctx = os.path.join(base, ctx)
        df = os.path.join(ctx, "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile"))
        for p in (ctx, df):
            checked += 1
            if not os.path.exists(p):
                missing.append(f"{name}: build {p}")
    for v in svc.get("volumes") or []:
        src = v.split(":")[0] if isinstance(v, str) else (v.get("source") if v.get("type") == "bind" else None)
        if not src or not (src.startswith(".") or src.startswith("/")):
            continue  # a named volume
        checked += 1
        if not os.path.exists(os.path.join(base, src)):
            missing.append(f"{name}: {src}")
if missing:
    sys.exit("missing: " + ", ".join(missing))
print(f"  {checked} paths exist")
PYEOF

# (c) Grafana ----------------------------------------------------------------
dash=deploy/grafana/dashboards/ticketledger.json
log "dashboard JSON parses; every panel query parses as PromQL"
"$PY" deploy/dashboard_queries.py "$dash" > "$tmp/queries.jsonl"
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
