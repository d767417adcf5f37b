#!/usr/bin/env python3
"""Structural checks of docker-compose.yaml that `docker-compose config` does not make.

    compose_check.py [docker-compose.yaml]

Run by deploy/check.sh (needs PyYAML). Per profile (single, cluster) it
resolves which services run and checks:

  - every image is pinned to a version (a tag with a digit, never latest);
  - every service has a healthcheck, and every depends_on waits for
    condition: service_healthy on a service of the same profile;
  - no two services of a profile publish the same host port, and every
    published port is on loopback;
  - every secret and named volume used is declared; every file or directory
    mounted or built from exists;
  - Grafana's admin password comes from ${GRAFANA_ADMIN_PASSWORD:?...};
  - the ledgers: each runs the image's `healthcheck` subcommand, gets the
    metrics token and the signing key as secrets, keeps its snapshots on a
    named volume; in "cluster" exactly one of them seals (the others run
    --no-seal), all share one subject key store, and the load balancer and
    Prometheus' targets file name exactly the ledger services;
  - KurrentDB in "cluster": three nodes, cluster size 3, each gossiping with
    the other two at the fixed addresses they have on the cluster network.

Prints a summary per profile; exits non-zero naming every problem.
"""
import os
import re
import sys

import yaml

PROFILES = ("single", "cluster")
problems = []


def bad(msg):
    problems.append(msg)


def env_of(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    return env


def command(svc):
    c = svc.get("command") or []
    return c if isinstance(c, list) else c.split()


def flag(cmd, name):
    return cmd[cmd.index(name) + 1] if name in cmd else None


def main(path):
    base = os.path.dirname(os.path.abspath(path))
    doc = yaml.safe_load(open(path))
    services = doc.get("services") or {}
    secrets = set((doc.get("secrets") or {}).keys())
    volumes = set((doc.get("volumes") or {}).keys())

    for name, s in doc.get("secrets", {}).items():
        if "file" not in s:
            bad(f"secret {name}: want file: deploy/secrets/…")

    for name, svc in services.items():
        prof = svc.get("profiles")
        if not prof or not set(prof) <= set(PROFILES):
            bad(f"{name}: profiles {prof}: want one or both of {PROFILES}")
        img = svc.get("image", "")
        if "build" not in svc:
            tag = img.rsplit(":", 1)[1] if ":" in img.rsplit("/", 1)[-1] else ""
            if not re.search(r"\d", tag) or tag.startswith("latest"):
                bad(f"{name}: image {img!r} is not pinned to a version")
        hc = (svc.get("healthcheck") or {}).get("test")
        if not hc or hc == ["NONE"]:
            bad(f"{name}: no healthcheck")
        for dep, cond in (svc.get("depends_on") or {}).items() if isinstance(svc.get("depends_on"), dict) else [(d, None) for d in svc.get("depends_on") or []]:
            if dep not in services:
                bad(f"{name}: depends on undefined service {dep}")
                continue
            if not isinstance(cond, dict) or cond.get("condition") != "service_healthy":
                bad(f"{name}: depends_on {dep} without condition: service_healthy")
            if not set(prof or []) <= set(services[dep].get("profiles") or []):
                bad(f"{name}: depends on {dep}, which is not in all of its profiles {prof}")
        for sec in svc.get("secrets") or []:
            sec = sec if isinstance(sec, str) else sec.get("source")
            if sec not in secrets:
                bad(f"{name}: secret {sec} is not declared")
        for v in svc.get("volumes") or []:
            src = v.split(":")[0] if isinstance(v, str) else v.get("source")
            if src.startswith(".") or src.startswith("/"):
                if not os.path.exists(os.path.join(base, src)):
                    bad(f"{name}: mounts {src}, which does not exist")
            elif src not in volumes:
                bad(f"{name}: volume {src} is not declared")
        for p in svc.get("ports") or []:
            if not str(p).startswith("127.0.0.1:"):
                bad(f"{name}: port {p} is not published on loopback")
        if "build" in svc:
            b = svc["build"]
            ctx = os.path.join(base, b if isinstance(b, str) else b.get("context", "."))
            df = os.path.join(ctx, "Dockerfile" if isinstance(b, str) else b.get("dockerfile", "Dockerfile"))
            if not os.path.exists(df):
                bad(f"{name}: builds from {df}, which does not exist")

    gf = env_of(services.get("grafana", {})).get("GF_SECURITY_ADMIN_PASSWORD", "")
    if not re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", gf):
        bad(f"grafana: GF_SECURITY_ADMIN_PASSWORD is {gf!r}: want ${{GRAFANA_ADMIN_PASSWORD:?…}} (required, no default)")

    for profile in PROFILES:
        active = {n: s for n, s in services.items() if profile in (s.get("profiles") or [])}
        ports = {}
        for n, s in active.items():
            for p in s.get("ports") or []:
                host = str(p).rsplit(":", 1)[0]
                if host in ports:
                    bad(f"profile {profile}: {n} and {ports[host]} both publish {host}")
                ports[host] = n
        ledgers = {n: s for n, s in active.items() if "build" in s}
        stores = {n: s for n, s in active.items() if "kurrentdb" in s.get("image", "")}
        for n, s in ledgers.items():
            cmd, hc = command(s), s["healthcheck"]["test"]
            if hc[:1] != ["CMD"] or "healthcheck" not in hc or "/readyz" not in " ".join(hc):
                bad(f"{n}: healthcheck {hc}: want [CMD, /usr/local/bin/ticketledger, healthcheck, --url, http://127.0.0.1:8080/readyz]")
            if cmd[:1] != ["serve"] or not (flag(cmd, "--store") or "").startswith("esdb://"):
                bad(f"{n}: command {cmd}: want serve --store esdb://…")
            for sec in ("metrics_token", "signing_key"):
                if sec not in (s.get("secrets") or []):
                    bad(f"{n}: no secret {sec}")
            if flag(cmd, "--signing-key") != "/run/secrets/signing_key":
                bad(f"{n}: --signing-key is not the signing_key secret")
            mounts = {v.split(":")[1]: v.split(":")[0] for v in s.get("volumes") or []}
            for f in ("--snapshots", "--subject-keys"):
                if mounts.get(flag(cmd, f)) not in volumes:
                    bad(f"{n}: {f} {flag(cmd, f)} is not on a named volume")
            for host in re.findall(r"([\w.-]+):2113", flag(cmd, "--store") or ""):
                if host not in stores and not any(
                        (st.get("networks") or {}).get("kurrentdb-cluster", {}).get("ipv4_address") == host
                        for st in stores.values() if isinstance(st.get("networks"), dict)):
                    bad(f"{n}: --store names {host}, which is no KurrentDB of profile {profile}")
        sealers = [n for n, s in ledgers.items() if "--no-seal" not in command(s)]
        if len(sealers) != 1:
            bad(f"profile {profile}: {len(sealers)} ledgers seal the log ({sealers}): want exactly one, the others --no-seal")
        keys = {dict(v.split(":")[1::-1] for v in s["volumes"]).get("/home/nonroot/subject-keys") for s in ledgers.values()}
        if len(keys) != 1:
            bad(f"profile {profile}: the ledgers use different subject key stores {keys}: want one shared volume")
        prom = [s for s in active.values() if s.get("image", "").startswith("prom/prometheus")]
        if len(prom) != 1:
            bad(f"profile {profile}: {len(prom)} Prometheus services, want 1")
        else:
            tfile = next(v.split(":")[0] for v in prom[0]["volumes"] if ":/etc/prometheus/targets.yml" in v)
            targets = {t.rsplit(":", 1)[0] for g in yaml.safe_load(open(os.path.join(base, tfile))) for t in g["targets"]}
            if targets != set(ledgers):
                bad(f"profile {profile}: Prometheus scrapes {sorted(targets)} ({tfile}), the ledgers are {sorted(ledgers)}")
        if profile == "cluster":
            if len(ledgers) < 2:
                bad("profile cluster: want at least two ledger replicas")
            lb = [n for n, s in active.items() if s.get("image", "").startswith("caddy:")]
            if len(lb) != 1:
                bad(f"profile cluster: want one Caddy load balancer, found {lb}")
            else:
                caddyfile = next(v.split(":")[0] for v in active[lb[0]]["volumes"] if v.endswith(":/etc/caddy/Caddyfile:ro"))
                m = re.search(r"\{\$TICKETLEDGER_UPSTREAMS:([^}]+)\}", open(os.path.join(base, caddyfile)).read())
                ups = {u.rsplit(":", 1)[0] for u in (m.group(1).split() if m else [])}
                if ups != set(ledgers):
                    bad(f"profile cluster: Caddy's upstreams {sorted(ups)} are not the ledgers {sorted(ledgers)}")
                deps = set((active[lb[0]].get("depends_on") or {}).keys())
                if deps != set(ledgers):
                    bad(f"profile cluster: {lb[0]} waits for {sorted(deps)}, want the ledgers {sorted(ledgers)}")
            ips = {}
            for n, s in stores.items():
                e = env_of(s)
                if e.get("KURRENTDB_CLUSTER_SIZE") != "3":
                    bad(f"{n}: KURRENTDB_CLUSTER_SIZE {e.get('KURRENTDB_CLUSTER_SIZE')}, want 3")
                ips[n] = s["networks"]["kurrentdb-cluster"]["ipv4_address"]
                if e.get("KURRENTDB_REPLICATION_IP") != ips[n] or e.get("KURRENTDB_ADVERTISE_HOST_TO_CLIENT_AS") != ips[n]:
                    bad(f"{n}: replication IP / advertised host are not its address {ips[n]}")
            if len(stores) != 3:
                bad(f"profile cluster: {len(stores)} KurrentDB nodes, want 3")
            for n, s in stores.items():
                seeds = {x.rsplit(":", 1)[0] for x in env_of(s).get("KURRENTDB_GOSSIP_SEED", "").split(",")}
                if seeds != {ip for m, ip in ips.items() if m != n}:
                    bad(f"{n}: gossip seeds {sorted(seeds)}, want the other nodes {sorted(ip for m, ip in ips.items() if m != n)}")
        elif len(stores) != 1 or env_of(next(iter(stores.values()))).get("KURRENTDB_CLUSTER_SIZE") != "1":
            bad(f"profile {profile}: want one KurrentDB node of cluster size 1")
        print(f"  profile {profile}: {len(active)} services ({', '.join(sorted(active))}); "
              f"{len(ledgers)} ledger(s), {len(stores)} KurrentDB node(s)")
    if problems:
        sys.exit("docker-compose.yaml:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docker-compose.yaml")
