#!/usr/bin/env bash
# deploy/e2e-image.sh [TICKETLEDGER] — the Dockerfile's runtime stage,
# natively: there is no Docker engine in CI. Builds the binary static, as
# the build stage does (CGO_ENABLED=0; without its -trimpath, which would
# rebuild every package outside the build cache), then runs the image's
# CMD with /home/nonroot mapped to a temporary directory holding the
# directories the Dockerfile creates, and port 8080 to a free loopback port,
# with the signing key in $TICKETLEDGER_SIGNING_KEY as the Dockerfile's
# header says; checks that the HEALTHCHECK command passes once it is ready,
# that the first start wrote admin.token into the data volume, and that a
# stop publishes the signed head into the heads volume.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/e2e-lib.sh
fail() { echo "deploy/e2e-image.sh: FAIL: $*" >&2; tail -n 10 "$tmp/serve.log" >&2 2>/dev/null; exit 1; }

bin=${1:-}
if [ -z "$bin" ]; then
  CGO_ENABLED=0 GOOS=linux go build -o "$tmp/ticketledger" ./cmd/ticketledger
  bin=$tmp/ticketledger
fi
if command -v ldd >/dev/null && ldd "$bin" >/dev/null 2>&1; then fail "$bin is dynamically linked: distroless/static needs a static binary"; fi
port=$(free_ports 1)

# The Dockerfile's CMD, HEALTHCHECK and volume directories, as written there.
read -r -a cmd < <(python3 - "$tmp" "$port" <<'PYEOF'
import json, re, sys
tmp, port = sys.argv[1], sys.argv[2]
df = open("Dockerfile").read().replace("\\\n", " ")
def arr(instr):
    m = re.search(rf"^{instr}\s.*?(\[.*\])\s*$", df, re.M)
    if not m:
        sys.exit(f"Dockerfile: no {instr} [...]")
    return json.loads(m.group(1))
home = tmp + "/home"
sub = lambda a: [x.replace("/home/nonroot", home).replace("0.0.0.0:8080", f"127.0.0.1:{port}").replace("127.0.0.1:8080", f"127.0.0.1:{port}") for x in a]
entry, cmd, hc = arr("ENTRYPOINT"), arr("CMD"), arr("HEALTHCHECK.*CMD")
vols = arr("VOLUME")
mk = re.search(r"mkdir -p ([^&]+)&&", df).group(1).split()
json.dump({"entry": sub(entry), "hc": sub(hc), "vols": sub(vols), "dirs": [d.replace("/out/home", home) for d in mk]}, open(tmp + "/image.json", "w"))
print(" ".join(sub(cmd)))
PYEOF
)
python3 - "$tmp" <<'PYEOF'
import json, os, sys
img = json.load(open(sys.argv[1] + "/image.json"))
for d in img["dirs"]:
    os.makedirs(d, mode=0o700)
missing = [v for v in img["vols"] if not os.path.isdir(v)]
if missing:
    sys.exit(f"Dockerfile: VOLUME {missing} is not among the directories it creates owned by nonroot")
PYEOF
hc=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["hc"][1:]))' "$tmp/image.json")
echo "== CMD: ticketledger ${cmd[*]}"
echo "== HEALTHCHECK: ticketledger $hc"

openssl genpkey -algorithm ed25519 -out "$tmp/ledger.key" 2>/dev/null
(cd "$tmp/home" && TICKETLEDGER_SIGNING_KEY="$(cat "$tmp/ledger.key")" exec "$bin" "${cmd[@]}") >"$tmp/serve.log" 2>&1 &
pid=$!
pids+=("$pid")
ok=
for _ in $(seq 1 300); do
  # shellcheck disable=SC2086 # the HEALTHCHECK's arguments, split as Docker does
  if "$bin" $hc >/dev/null 2>&1; then ok=1; break; fi
  kill -0 "$pid" 2>/dev/null || fail "the image's CMD exited during start-up"
  sleep 0.2
done
[ -n "$ok" ] || fail "the HEALTHCHECK command never passed"
# shellcheck disable=SC2086
"$bin" $hc
[ -s "$tmp/home/data/admin.token" ] || fail "no admin.token in the data volume"
kill -TERM "$pid"; wait "$pid" || fail "serve did not stop cleanly on SIGTERM"
[ -s "$tmp/home/heads/ledger.head" ] || fail "no signed head in the heads volume after the stop"
echo "  admin.token in /home/nonroot/data, ledger.head in /home/nonroot/heads"
echo "== deploy/e2e-image.sh: passed"
