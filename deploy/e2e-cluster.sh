#!/usr/bin/env bash
# deploy/e2e-cluster.sh [TICKETLEDGER] — the compose profile "cluster" in
# miniature, natively on loopback: two ledger replicas on one log behind
# Caddy with deploy/caddy/Caddyfile, each checked with the image's
# healthcheck command.
#
# There is no Docker engine in CI, and KurrentDB is not a Debian package, so
# the shared log is replica 1's embedded store served over KurrentDB's gRPC
# protocol (serve --kurrent-listen --kurrent-writable); replica 2 uses it as
# its --store with a replica token and --no-seal, sharing replica 1's
# signing key and subject key store, as the compose replicas share theirs.
# Checks: both replicas are healthy (ticketledger healthcheck); requests
# through Caddy reach both replicas (round robin, counted in each one's
# /metrics); a ticket opened through Caddy is read on each replica directly;
# with replica 2 stopped, requests through Caddy still succeed.
#
# TICKETLEDGER: the binary (default: built from ./cmd/ticketledger).
# Installs caddy from Debian when missing (root). About 15 s.
set -euo pipefail
cd "$(dirname "$0")/.."

source deploy/e2e-lib.sh
fail() { echo "deploy/e2e-cluster.sh: FAIL: $*" >&2; for f in "$tmp"/*.log; do echo "== $f"; tail -n 8 "$f"; done >&2; exit 1; }
step() { printf '== %s\n' "$*"; }

if ! command -v caddy >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || fail "caddy is not installed (apt-get install caddy)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends caddy >/dev/null
fi
tl=${1:-}
if [ -z "$tl" ]; then
  go build -o "$tmp/ticketledger" ./cmd/ticketledger
  tl=$tmp/ticketledger
fi
read -r p1 p2 pk plb < <(free_ports 4)

healthy() { # URL: the image's HEALTHCHECK command, until it passes
  for _ in $(seq 1 100); do
    "$tl" healthcheck --url "$1" --timeout 1s >/dev/null 2>&1 && { "$tl" healthcheck --url "$1"; return 0; }
    sleep 0.2
  done
  fail "not healthy: $1 ($("$tl" healthcheck --url "$1" 2>&1))"
}
routed() { # PORT: GET /v1/tickets requests replica PORT has served
  curl -fsS "http://127.0.0.1:$1/metrics" |
    awk '/^ticketledger_http_requests_total\{/ && /method="GET"/ && /route="\/v1\/tickets"/ {n += $NF} END {print n + 0}'
}

step "replica 1: embedded store, also served over KurrentDB gRPC (writable)"
"$tl" serve --demo --demo-tickets 20 --data "$tmp/r1" --http "127.0.0.1:$p1" --metrics-public \
  --kurrent-listen "127.0.0.1:$pk" --kurrent-writable >"$tmp/replica-1.log" 2>&1 &
pids+=($!)
healthy "http://127.0.0.1:$p1/readyz"
admin=(--token-file "$tmp/r1/admin.token" --server "http://127.0.0.1:$p1")
"$tl" "${admin[@]}" tokens create --role admin --scope replica --name replica-2 -o json >"$tmp/replica.json"
"$tl" "${admin[@]}" tokens create --role auditor --name carol@audit.example --out "$tmp/carol.token" >/dev/null
store=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print("esdb://%s:%s@127.0.0.1:%s?tls=false" % (t["tokenId"], t["secret"], sys.argv[2]))' "$tmp/replica.json" "$pk")

step "replica 2: the same log as its --store, --no-seal, the same key and subject keys"
"$tl" serve --store "$store" --no-seal --signing-key "$tmp/r1.signing-key" --snapshots "$tmp/r2" \
  --subject-keys "$tmp/r1/subject-keys" --http "127.0.0.1:$p2" --metrics-public >"$tmp/replica-2.log" 2>&1 &
pids+=($!)
healthy "http://127.0.0.1:$p2/readyz"

step "Caddy (deploy/caddy/Caddyfile) in front of both"
XDG_CONFIG_HOME="$tmp/caddy" XDG_DATA_HOME="$tmp/caddy" TICKETLEDGER_API_LISTEN="127.0.0.1:$plb" TICKETLEDGER_UPSTREAMS="127.0.0.1:$p1 127.0.0.1:$p2" \
  caddy run --config deploy/caddy/Caddyfile --adapter caddyfile >"$tmp/caddy.log" 2>&1 &
pids+=($!)
healthy "http://127.0.0.1:$plb/readyz"
lb=(--server "http://127.0.0.1:$plb")
api=(--token-file "$tmp/carol.token" "${lb[@]}")

step "requests through Caddy reach both replicas"
before1=$(routed "$p1") before2=$(routed "$p2")
for _ in $(seq 1 10); do "$tl" "${api[@]}" list --limit 1 >/dev/null || fail "list through Caddy"; done
n1=$(( $(routed "$p1") - before1 )) n2=$(( $(routed "$p2") - before2 ))
echo "  10 requests: $n1 served by replica 1, $n2 by replica 2"
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && [ $((n1 + n2)) = 10 ] || fail "round robin: $n1 + $n2, want both > 0 and 10 in all"

step "a ticket opened through Caddy is on both replicas"
"$tl" --token-file "$tmp/r1/admin.token" "${lb[@]}" partner register contoso --name Contoso --partner-role indirect_provider --email support@contoso.example >/dev/null
"$tl" --token-file "$tmp/r1/admin.token" "${lb[@]}" partner link-customer contoso --customer fabrikam --name Fabrikam --domain fabrikam.example --admin-rights >/dev/null
"$tl" "${admin[@]}" tokens create --role indirect_provider --partner contoso --name alice@contoso.example --out "$tmp/alice.token" >/dev/null
id=$("$tl" open --token-file "$tmp/alice.token" --server "http://127.0.0.1:$plb" --customer fabrikam --product azure --severity B \
  --title "opened through the load balancer" --contact-name Alice --contact-email alice@contoso.example --locale en-GB |
  awk '$1=="ticket"{print $2}')
[ -n "$id" ] || fail "open through Caddy printed no ticket id"
for p in "$p1" "$p2"; do
  for _ in $(seq 1 50); do
    "$tl" show "$id" --token-file "$tmp/carol.token" --server "http://127.0.0.1:$p" >/dev/null 2>&1 && break
    sleep 0.2
  done
  out=$("$tl" show "$id" -o json --token-file "$tmp/carol.token" --server "http://127.0.0.1:$p" 2>&1) ||
    fail "ticket $id not on the replica at port $p: $out"
  grep -q "\"id\": \"$id\"" <<<"$out" && grep -q '"customerId": "fabrikam"' <<<"$out" || fail "ticket $id on the replica at port $p: not the one opened: $out"
  echo "  ticket $id read on 127.0.0.1:$p"
done

step "replica 2 stopped: requests through Caddy still succeed"
kill -TERM "${pids[1]}"; wait "${pids[1]}" || fail "replica 2 did not stop cleanly"
for _ in $(seq 1 10); do "$tl" "${api[@]}" list --limit 1 >/dev/null || fail "list through Caddy with replica 2 down"; done
if "$tl" healthcheck --url "http://127.0.0.1:$p2/readyz" >/dev/null 2>&1; then fail "healthcheck passed on a stopped replica"; fi
echo "  10 requests answered; healthcheck of replica 2: $("$tl" healthcheck --url "http://127.0.0.1:$p2/readyz" 2>&1 | head -1)"
echo "== deploy/e2e-cluster.sh: passed"
