#!/usr/bin/env bash
# End-to-end: build the binary, serve on a temp data dir, drive the README's
# five-minute tour through the CLI, check the outputs, check /metrics with a
# real Prometheus, stop gracefully, restart from the snapshot, rebuild and
# verify offline. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "e2e: FAIL: $*" >&2; [ -f "$work/serve.log" ] && tail -20 "$work/serve.log" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

step "build"
go build -o "$work/ticketledger" ./cmd/ticketledger
tl="$work/ticketledger"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr="127.0.0.1:$port"
export TICKETLEDGER_SERVER="http://$addr"

start() {
  "$tl" serve --data "$work/data" --http "$addr" "$@" >>"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://$addr/readyz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || fail "serve exited during start-up"
    sleep 0.2
  done
  fail "serve not ready after 20 s"
}
stop() {
  kill -TERM "$pid"
  wait "$pid" || fail "serve did not exit cleanly on SIGTERM"
  pid=
}

step "serve --demo (embedded store)"
start --demo --demo-tickets 300
curl -fsS "http://$addr/healthz" >/dev/null
curl -fsS "http://$addr/openapi.json" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["openapi"].startswith("3"), d["openapi"]; print(len(d["paths"]), "paths in /openapi.json")'

step "tour: a partner and its customer"
sys=(--actor onboarding --role system)
"$tl" partner register contoso --name Contoso --partner-role indirect_provider --email support@contoso.example "${sys[@]}"
"$tl" partner link-customer contoso --customer fabrikam --name Fabrikam --domain fabrikam.example --admin-rights "${sys[@]}"

step "tour: a Sev A request filed 3 hours ago"
alice=(--actor alice@contoso.example --role indirect_provider --partner contoso)
out=$("$tl" open "${alice[@]}" --customer fabrikam --product azure --severity A \
  --title "VMs down in West Europe" --contact-name Alice --contact-email alice@contoso.example \
  --locale en-GB --occurred-at now-3h)
echo "$out"
grep -q '^status *accepted' <<<"$out" || fail "open was not accepted"
grep -q 'target 2h around the clock' <<<"$out" || fail "open did not explain the deadline"
id=$(awk '$1=="ticket"{print $2}' <<<"$out")
[ -n "$id" ] || fail "no ticket id in open's output"

step "tour: a phone request is refused with its rule (exit 3)"
set +e
out=$("$tl" open "${alice[@]}" --customer fabrikam --product azure --severity A --title "by phone" \
  --contact-name Alice --contact-email alice@contoso.example --locale en-GB --channel phone 2>&1)
code=$?
set -e
echo "$out"
[ "$code" = 3 ] || fail "phone request: exit code $code, want 3"
grep -q 'no-phone-channel' <<<"$out" || fail "phone refusal does not name its rule"

step "tour: vendor support responds, late"
"$tl" respond "$id" --actor bob@vendor.example --role vendor_support --summary "Host replaced, VMs back"

step "tour: the breach in sla report"
auditor=(--actor carol@audit.example --role auditor)
out=$("$tl" sla report --group-by severity,product "${auditor[@]}")
echo "$out"
row=$(awk '$1=="A" && $2=="azure"' <<<"$out")
[ -n "$row" ] || fail "no A/azure row in sla report"
[ "$(awk '{print $5}' <<<"$row")" -ge 1 ] || fail "sla report shows no breach for A/azure"
"$tl" sla report --group-by severity -o csv "${auditor[@]}" | head -3
"$tl" sla report --group-by severity -o json "${auditor[@]}" | python3 -c 'import json,sys; json.load(sys.stdin)'

step "tour: what the auditor sees"
"$tl" show "$id" "${auditor[@]}"
"$tl" show "$id" --as-of "$(date -u -d '-150 min' +%Y-%m-%dT%H:%M:%SZ)" --axis occurred "${auditor[@]}" | tee "$work/asof.txt"
grep -qi 'open' "$work/asof.txt" || fail "as-of view 150 min ago should show the ticket open"
"$tl" history "$id" "${auditor[@]}"
"$tl" audit --ticket "$id" "${auditor[@]}"
"$tl" evidence "$id" --out "$work/evidence.json" "${auditor[@]}" | tee "$work/evidence.txt"
grep -q 'verified here *yes' "$work/evidence.txt" || fail "evidence did not verify"

step "tour: the breach in /metrics"
curl -fsS "http://$addr/metrics" >"$work/metrics.txt"
grep -E '^ticketledger_sla_breaches_total\{product="azure",severity="A"\} [1-9]' "$work/metrics.txt" || fail "no A/azure breach in /metrics"
grep -E '^ticketledger_first_response_seconds_bucket' "$work/metrics.txt" | head -2

step "Prometheus scrapes the ledger; every dashboard query and rule returns data"
bash deploy/e2e-prometheus.sh "$addr"

step "graceful stop, restart from snapshot"
stop
grep -q 'snapshot' "$work/serve.log" || fail "no snapshot written on shutdown"
start
"$tl" show "$id" "${auditor[@]}" >/dev/null || fail "ticket missing after restart"
stop

step "offline rebuild and verify"
"$tl" rebuild --data "$work/data"
"$tl" verify --data "$work/data"
echo
echo "e2e: tour passed"
