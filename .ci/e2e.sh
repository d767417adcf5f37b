#!/usr/bin/env bash
# End-to-end: build the binary, serve on a temp data dir, drive the README's
# five-minute tour through the CLI, check the outputs, check /metrics with a
# real Prometheus, stop gracefully, restart from the snapshot, rebuild and
# verify offline. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

source .ci/lib.sh

# Prometheus scrapes with a metrics-only token handed in by file (as the
# compose secret does).
head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$work/metrics.token"
chmod 600 "$work/metrics.token"
export TICKETLEDGER_METRICS_TOKEN_FILE="$work/metrics.token"

# capture runs a command that may fail, without stopping the script: its
# output (stdout and stderr) in $out, its exit status in $code.
capture() {
  set +e
  out=$("$@" 2>&1)
  code=$?
  set -e
}

step "serve --demo (embedded store)"
start --demo --demo-tickets 300
curl -fsS "http://$addr/healthz" >/dev/null
curl -fsS "http://$addr/openapi.json" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["openapi"].startswith("3"), d["openapi"]; print(len(d["paths"]), "paths in /openapi.json")'
[ "$(stat -c %a "$work/data/admin.token")" = 600 ] || fail "data/admin.token is not mode 0600"
grep -q 'admin token (demo): tl_' "$work/serve.log" || fail "serve --demo did not print the admin token"

step "tour: without a token the API answers 401 (exit 8)"
capture "$tl" list
echo "$out"
[ "$code" = 8 ] || fail "list without a token: exit $code, want 8"
grep -q 'tokens create' <<<"$out" || fail "the 401 does not say how to get a token"

step "tour: the admin issues tokens for the tour's actors"
admin=(--token-file "$work/data/admin.token")
"$tl" "${admin[@]}" tokens create --role indirect_provider --partner contoso --name alice@contoso.example --out "$work/alice.token"
"$tl" "${admin[@]}" tokens create --role vendor_support --name bob@vendor.example --out "$work/bob.token"
"$tl" "${admin[@]}" tokens create --role auditor --name carol@audit.example --out "$work/carol.token"
"$tl" "${admin[@]}" tokens list

step "tour: a partner and its customer"
sys=("${admin[@]}")
"$tl" partner register contoso --name Contoso --partner-role indirect_provider --email support@contoso.example "${sys[@]}"
"$tl" partner link-customer contoso --customer fabrikam --name Fabrikam --domain fabrikam.example --admin-rights "${sys[@]}"

step "tour: a Sev A request filed 3 hours ago"
alice=(--token-file "$work/alice.token")
out=$("$tl" open "${alice[@]}" --customer fabrikam --product azure --severity A \
  --title "VMs down in West Europe" --contact-name Alice --contact-email alice@contoso.example \
  --locale en-GB --occurred-at now-3h)
echo "$out"
grep -q '^status *accepted' <<<"$out" || fail "open was not accepted"
grep -q 'target 2h around the clock' <<<"$out" || fail "open did not explain the deadline"
id=$(awk '$1=="ticket"{print $2}' <<<"$out")
[ -n "$id" ] || fail "no ticket id in open's output"

step "tour: a phone request is refused with its rule (exit 3)"
capture "$tl" open "${alice[@]}" --customer fabrikam --product azure --severity A --title "by phone" \
  --contact-name Alice --contact-email alice@contoso.example --locale en-GB --channel phone
echo "$out"
[ "$code" = 3 ] || fail "phone request: exit code $code, want 3"
grep -q 'no-phone-channel' <<<"$out" || fail "phone refusal does not name its rule"

step "tour: vendor support responds, late"
"$tl" respond "$id" --token-file "$work/bob.token" --summary "Host replaced, VMs back"

step "tour: the breach in sla report"
auditor=(--token-file "$work/carol.token")
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
"$tl" audit --ticket "$id" "${auditor[@]}" | tee "$work/audit.txt"
grep -q 'alice@contoso.example#' "$work/audit.txt" || fail "the audit trail does not name the authenticated principal"
"$tl" evidence "$id" --out "$work/evidence.json" "${auditor[@]}" | tee "$work/evidence.txt"
grep -q 'verified here *yes' "$work/evidence.txt" || fail "evidence did not verify"

step "tour: the breach in /metrics (with the metrics token)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/metrics")
[ "$code" = 401 ] || fail "/metrics without a token: $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$work/metrics.token")" "http://$addr/v1/tickets")
[ "$code" = 403 ] || fail "the metrics token on /v1/tickets: $code, want 403"
curl -fsS -H "Authorization: Bearer $(cat "$work/metrics.token")" "http://$addr/metrics" >"$work/metrics.txt"
grep -E '^ticketledger_sla_breaches_total\{product="azure",severity="A"\} [1-9]' "$work/metrics.txt" || fail "no A/azure breach in /metrics"
grep -m2 -E '^ticketledger_first_response_seconds_bucket' "$work/metrics.txt"

step "Prometheus scrapes the ledger; the dashboard queries and rules have data; alerts reach the receivers"
METRICS_TOKEN_FILE="$work/metrics.token" \
  E2E_TRAFFIC="deploy/e2e-traffic.sh $tl $work/alice.token $work/bob.token fabrikam oncall@contoso.example" \
  bash deploy/e2e-prometheus.sh "$addr"

step "a revoked token stops working at once (exit 8)"
"$tl" "${admin[@]}" tokens create --role auditor --name temp --out "$work/temp.token"
"$tl" list --token-file "$work/temp.token" >/dev/null
tid=$("$tl" "${admin[@]}" tokens list -o json | python3 -c 'import json,sys; print([t["tokenId"] for t in json.load(sys.stdin)["tokens"] if t.get("name")=="temp"][0])')
"$tl" "${admin[@]}" tokens revoke "$tid" --reason "e2e"
set +e
"$tl" list --token-file "$work/temp.token" >/dev/null 2>&1
code=$?
set -e
[ "$code" = 8 ] || fail "revoked token: exit $code, want 8"

step "tour: a contact asks to be forgotten"
contact() { "$tl" history "$id" -o json "${auditor[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["payload"]["contact"]["email"])'; }
[ "$(contact)" = alice@contoso.example ] || fail "the contact does not read in plaintext before forget"
set +e
"$tl" "${admin[@]}" forget nobody@contoso.example
code=$?
set -e
[ "$code" = 4 ] || fail "forget of an unknown subject: exit $code, want 4"
"$tl" "${admin[@]}" forget alice@contoso.example --reason "erasure request 2026-17" | tee "$work/forget.txt"
grep -q 'subject.erased' "$work/forget.txt" || fail "forget recorded no subject.erased"
[ "$(contact)" = '[erased]' ] || fail "the contact does not read as erased after forget"

step "graceful stop, restart from snapshot"
stop
grep -q 'snapshot' "$work/serve.log" || fail "no snapshot written on shutdown"
cp "$work/data.head" "$work/saved.head" || fail "no signed tree head published beside the data directory"
# Without --demo, serve needs the signing key (--demo generated it beside the data directory).
start --signing-key "$work/data.signing-key"
"$tl" show "$id" "${auditor[@]}" >/dev/null || fail "ticket missing after restart"

step "rotate the signing key on the running ledger; the retired key is refused at the next start"
"$tl" "${admin[@]}" keys rotate --reason e2e -o json >"$work/rotation.json"
newkey=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keyFile"])' "$work/rotation.json")
[ "$(dirname "$newkey")" = "$work" ] || fail "the new key $newkey is not beside the current key file"
[ "$(stat -c %a "$newkey")" = 600 ] || fail "the new key $newkey is not mode 0600"
"$tl" keys list "${auditor[@]}" | tee "$work/keys.txt"
[ "$(grep -c ' ed25519 ' "$work/keys.txt")" = 2 ] || fail "keys list: want the retired and the new key"
"$tl" note "$id" --text "after the rotation" "${alice[@]}" >/dev/null || fail "no command after the rotation"
stop
set +e
"$tl" serve --data "$work/data" --http "$addr" --signing-key "$work/data.signing-key" >"$work/retired.log" 2>&1
code=$?
set -e
[ "$code" != 0 ] && grep -q 'was retired at ledger-keys@' "$work/retired.log" || fail "serve started with the retired key (exit $code)"
start --signing-key "$newkey"
stop

step "offline rebuild and verify"
"$tl" rebuild --data "$work/data"
"$tl" verify --data "$work/data" --against "$work/saved.head" | tee "$work/verify.txt"
grep -q 'consistent: the log only grew' "$work/verify.txt" || fail "verify --against the saved head"
grep -q '^problems *0' "$work/verify.txt" || fail "verify after the erasure found problems"
echo
echo "e2e: tour passed"
