# Shared by the CI scripts that drive a running ledger (e2e.sh,
# evidence.sh): a temporary work directory cleaned up on exit, the binary
# built into it, a free loopback port, and start/stop of `serve`.
# Source it after `set -euo pipefail` and `cd` to the repository root.

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "${0##*/}: FAIL: $*" >&2; [ -f "$work/serve.log" ] && tail -20 "$work/serve.log" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

step "build"
go build -o "$work/ticketledger" ./cmd/ticketledger
tl="$work/ticketledger"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr="127.0.0.1:$port"
export TICKETLEDGER_SERVER="http://$addr"

# start ARGS…: serve on $work/data in the background until /readyz answers.
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
# stop: SIGTERM, and serve must exit cleanly.
stop() {
  kill -TERM "$pid"
  wait "$pid" || fail "serve did not exit cleanly on SIGTERM"
  pid=
}
