#!/usr/bin/env bash
# Evidence bundles, checked by two verifiers: serve a small demo ledger,
# export a ticket's bundle with the Go CLI, and run the independent Python
# verifier (tools/verify-bundle.py, standard library + python3-nacl) and
# `ticketledger evidence verify` on it (both must pass) and on tampered
# copies: a changed payload byte, a removed event, a bad signature, a bad
# inclusion proof (both must fail). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

# Debian's PyNaCl is installed for the system interpreter.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
"$py" -c 'import nacl.signing' || fail "PyNaCl missing: apt-get install python3-nacl"

step "serve --demo, export a bundle"
start --demo --demo-tickets 30
admin=(--token-file "$work/data/admin.token")
"$tl" "${admin[@]}" tokens create --role auditor --name ci-auditor --out "$work/auditor.token" >/dev/null
auditor=(--token-file "$work/auditor.token")
# A ticket with a first response: the verdict is part of the bundle.
id=$("$tl" list --sla met --limit 1 -o json "${auditor[@]}" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["tickets"][0]["id"])')
"$tl" evidence export "$id" -o "$work/good.zip" "${auditor[@]}"
fp=$("$tl" evidence verify "$work/good.zip" -o json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["treeHead"]["fingerprint"])')

step "a good bundle passes both verifiers"
"$py" tools/verify-bundle.py "$work/good.zip" --trusted-key "$fp" || fail "the Python verifier refused a good bundle"
"$tl" evidence verify "$work/good.zip" --trusted-key "$fp" || fail "evidence verify refused a good bundle"

step "tampered bundles fail both verifiers"
# tamper MODE OUT: a copy of good.zip with one kind of damage.
tamper() {
  "$py" - "$work/good.zip" "$2" "$1" <<'PY'
import base64, json, sys, zipfile
src, dst, mode = sys.argv[1:]
with zipfile.ZipFile(src) as z:
    files = {n: z.read(n) for n in z.namelist()}
ev = json.loads(files["events.json"])
if mode == "payload":        # one payload byte of the second event
    n = "events/0000000001.data"
    b = bytearray(files[n]); b[len(b) // 2] ^= 0x01; files[n] = bytes(b)
elif mode == "removed":      # the second event, its bytes and proof gone, the manifest adjusted
    gone = ev["events"].pop(1)
    del files[gone["data"]], files[gone["metadata"]]
    files["events.json"] = json.dumps(ev).encode()
    pr = json.loads(files["proofs.json"])
    pr["inclusion"] = [p for p in pr["inclusion"] if p["revision"] != gone["revision"]]
    files["proofs.json"] = json.dumps(pr).encode()
    m = json.loads(files["manifest.json"]); m["events"] -= 1
    files["manifest.json"] = json.dumps(m).encode()
elif mode == "signature":    # one byte of the first event's signature
    n = "events/0000000000.meta"
    head, _, sig = files[n][:-2].rpartition(b":")
    raw = bytearray(base64.b64decode(sig)); raw[0] ^= 0x01
    files[n] = head + b":" + base64.b64encode(bytes(raw)) + b'"}'
elif mode == "proof":        # one hash of the first inclusion proof
    pr = json.loads(files["proofs.json"])
    h = bytearray(base64.b64decode(pr["inclusion"][0]["hashes"][0])); h[0] ^= 0x01
    pr["inclusion"][0]["hashes"][0] = base64.b64encode(bytes(h)).decode()
    files["proofs.json"] = json.dumps(pr).encode()
with zipfile.ZipFile(dst, "w") as z:
    for n, b in files.items():
        z.writestr(n, b)
PY
}
for mode in payload removed signature proof; do
  tamper "$mode" "$work/$mode.zip"
  set +e
  "$py" tools/verify-bundle.py "$work/$mode.zip" >"$work/$mode.py.txt" 2>&1; pycode=$?
  "$tl" evidence verify "$work/$mode.zip" >"$work/$mode.go.txt" 2>&1; gocode=$?
  set -e
  echo "-- $mode: python exit $pycode, go exit $gocode"
  grep -m1 FAIL "$work/$mode.py.txt" || true
  grep -m1 PROBLEM "$work/$mode.go.txt" || true
  [ "$pycode" = 1 ] || fail "the Python verifier accepted a bundle with a tampered $mode (exit $pycode)"
  [ "$gocode" = 1 ] || fail "evidence verify accepted a bundle with a tampered $mode (exit $gocode)"
done
stop
echo
echo "evidence: both verifiers agree"
